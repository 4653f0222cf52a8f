"""Alerts: late files, failed files, quarantine spikes and quality drops, each raised once (OPS.ALERTS, keyed),
then delivered to the subscriptions of its TPA and kind by e-mail (Django's mail framework) or webhook (a JSON
POST signed with HMAC-SHA256), retried with exponential backoff and logged in OPS.ALERT_DELIVERIES.

Everything runs as a worker step of its own, after the pipeline's steps, with short timeouts, and every failure
is caught and recorded: an alert never holds up or fails a file, transform or refresh."""

import asyncio
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.mail import send_mail

from medallion import audit
from medallion.caching import cached, invalidate
from medallion.clock import utc_now
from medallion.errors import not_found
from medallion.warehouse import Transaction, WarehouseError, identifiers, warehouse
from ops import cadence
from tpa.services import get_tpa

log = logging.getLogger(__name__)
T = TypeVar("T")

SUBSCRIPTIONS = "OPS.ALERT_SUBSCRIPTIONS"
ALERTS = "OPS.ALERTS"
DELIVERIES = "OPS.ALERT_DELIVERIES"
NAMESPACE = "ops_alerts"
ALL_TPAS = "ALL"
KINDS = ("LATE_FILE", "FAILED_FILE", "QUARANTINE_SPIKE", "QUALITY_DROP")
CHANNELS = ("EMAIL", "WEBHOOK")
# Quarantined percent of a batch / quality-score points lost since the table's previous batch.
DEFAULT_THRESHOLDS = {"QUARANTINE_SPIKE": 10.0, "QUALITY_DROP": 5.0}
LOOKBACK_DAYS = 2
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 30
WEBHOOK_TIMEOUT_SECONDS = 5
SCAN_INTERVAL_SECONDS = 30
DELIVERIES_PER_PASS = 20
SUBSCRIPTION_COLUMNS = "SUBSCRIPTION_ID, TPA, ALERT_KIND, CHANNEL, TARGET, THRESHOLD, ACTIVE, CREATED_BY, CREATED_AT"
DELIVERY_COLUMNS = (
    "d.DELIVERY_ID, d.ALERT_KEY, d.SUBSCRIPTION_ID, d.CHANNEL, d.TARGET, d.STATUS, d.ATTEMPTS, d.NEXT_ATTEMPT_AT, "
    "d.RESPONSE_CODE, d.LAST_ERROR, d.CREATED_AT, d.DELIVERED_AT, a.TPA, a.ALERT_KIND, a.SUMMARY"
)

_sender = ThreadPoolExecutor(max_workers=2, thread_name_prefix="alert-delivery")
_last_scan = 0.0


# --------------------------------------------------------------------------- subscriptions


@dataclass(frozen=True)
class Subscription:
    """A checked subscription (ops/forms.py): `secret` only for a webhook, `threshold` only for the kinds that
    have one."""

    tpa: str
    alert_kind: str
    channel: str
    target: str
    secret: str | None
    threshold: float | None


async def create_subscription(subscription: Subscription, *, user: str | None) -> dict[str, Any]:
    scope = subscription.tpa.upper()
    tpa = ALL_TPAS if scope == ALL_TPAS else (await get_tpa(scope))["TPA_CODE"]
    kind, channel, target = subscription.alert_kind, subscription.channel, subscription.target
    threshold = subscription.threshold
    async with warehouse().transaction() as tx:
        row = {
            "TPA": tpa, "ALERT_KIND": kind, "CHANNEL": channel, "TARGET": target,
            "SECRET": subscription.secret, "THRESHOLD": threshold, "CREATED_BY": user,
        }  # fmt: skip
        subscription_id = await tx.insert(SUBSCRIPTIONS, row, id_column="SUBSCRIPTION_ID")
        after = {"tpa": tpa, "alert_kind": kind, "channel": channel, "target": target, "threshold": threshold}
        await audit.record(user, "CREATE", "ALERT_SUBSCRIPTION", subscription_id, after=after, within=tx)
    await invalidate(NAMESPACE)
    return {"subscription_id": subscription_id, **after}


async def delete_subscription(subscription_id: int, *, user: str | None) -> None:
    if not await warehouse().execute(f"DELETE FROM {SUBSCRIPTIONS} WHERE SUBSCRIPTION_ID = ?", (subscription_id,)):
        raise not_found("subscription_not_found", f"Alert subscription {subscription_id} not found.")
    await audit.record(user, "DELETE", "ALERT_SUBSCRIPTION", subscription_id)
    await invalidate(NAMESPACE)


@cached(NAMESPACE, ttl=60)
async def list_subscriptions() -> list[dict[str, Any]]:
    """The subscriptions without their secrets."""
    return await warehouse().fetch_all(f"SELECT {SUBSCRIPTION_COLUMNS} FROM {SUBSCRIPTIONS} ORDER BY SUBSCRIPTION_ID")


@cached(NAMESPACE, ttl=30)
async def list_deliveries(limit: int = 100) -> list[dict[str, Any]]:
    return await warehouse().fetch_all(
        f"SELECT {DELIVERY_COLUMNS} FROM {DELIVERIES} AS d JOIN {ALERTS} AS a ON a.ALERT_KEY = d.ALERT_KEY "
        f"ORDER BY d.DELIVERY_ID DESC {identifiers.limit(limit)}",
    )


async def purge_tpa(tx: Transaction, tpa: str) -> None:
    await tx.execute(f"DELETE FROM {SUBSCRIPTIONS} WHERE TPA = ?", (tpa,))


# --------------------------------------------------------------------------- detection


async def detect(now: datetime) -> int:
    """Raise every alert not raised before; returns how many are new."""
    since = now - timedelta(days=LOOKBACK_DAYS)
    found = [*await _late_files(now), *await _failed_files(since), *await _quarantine_spikes(since),
             *await _quality_drops(since)]  # fmt: skip
    raised = 0
    for key, tpa, kind, summary, details in found:
        raised += await _raise(key, tpa, kind, summary, details, now)
    if raised:
        await invalidate(NAMESPACE)
    return raised


Alert = tuple[str, str, str, str, dict[str, Any]]


async def _late_files(now: datetime) -> list[Alert]:
    return [
        (f"LATE_FILE:{row['tpa']}:{row['file_kind']}:{row['deadline']:%Y%m%d%H%M}", row["tpa"], "LATE_FILE",
         f"{row['tpa']}: no {row['file_kind']} file by {row['deadline']:%Y-%m-%d %H:%M} UTC ({row['cadence']})",
         {"file_kind": row["file_kind"], "deadline": row["deadline"].isoformat(), "cadence": row["cadence"],
          "last_arrival": row["last_arrival"].isoformat() if row["last_arrival"] else None})
        for row in await cadence.status_at(now)
        if row["status"] == "LATE"
    ]  # fmt: skip


async def _failed_files(since: datetime) -> list[Alert]:
    rows = await warehouse().fetch_all(
        "SELECT QUEUE_ID, TPA, FILE_NAME, ERROR_MESSAGE, PROCESSED_TIMESTAMP FROM BRONZE.FILE_PROCESSING_QUEUE "
        "WHERE STATUS = 'FAILED' AND PROCESSED_TIMESTAMP >= ?",
        (since,),
    )
    return [
        (f"FAILED_FILE:{row['QUEUE_ID']}:{row['PROCESSED_TIMESTAMP']:%Y%m%d%H%M%S}", row["TPA"], "FAILED_FILE",
         f"{row['TPA']}: {row['FILE_NAME'].split('/', 1)[-1]} failed: {row['ERROR_MESSAGE']}"[:1000],
         {"queue_id": row["QUEUE_ID"], "file_name": row["FILE_NAME"], "reason": row["ERROR_MESSAGE"]})
        for row in rows
    ]  # fmt: skip


async def _quarantine_spikes(since: datetime) -> list[Alert]:
    rows = await warehouse().fetch_all(
        "SELECT BATCH_ID, TPA, TARGET_TABLE, ROWS_READ, REJECTED FROM SILVER.TRANSFORM_BATCHES "
        "WHERE STATUS = 'SUCCESS' AND REJECTED > 0 AND STARTED_AT >= ?",
        (since,),
    )
    return [
        (f"QUARANTINE_SPIKE:{row['BATCH_ID']}", row["TPA"], "QUARANTINE_SPIKE",
         f"{row['TPA']}: {row['REJECTED']} of {row['ROWS_READ']} rows quarantined in {row['TARGET_TABLE']}",
         {"batch_id": row["BATCH_ID"], "table": row["TARGET_TABLE"], "rejected": row["REJECTED"],
          "rows_read": row["ROWS_READ"], "value": round(100 * row["REJECTED"] / max(row["ROWS_READ"], 1), 2)})
        for row in rows
    ]  # fmt: skip


async def _quality_drops(since: datetime) -> list[Alert]:
    rows = await warehouse().fetch_all(
        "SELECT TPA, TARGET_TABLE, BATCH_ID, SCORE, PREVIOUS FROM (SELECT TPA, TARGET_TABLE, BATCH_ID, "
        "MEASURED_TIMESTAMP, METRIC_VALUE AS SCORE, LAG(METRIC_VALUE) OVER (PARTITION BY TPA, TARGET_TABLE "
        "ORDER BY MEASURED_TIMESTAMP, BATCH_ID) AS PREVIOUS FROM SILVER.DATA_QUALITY_METRICS "
        "WHERE METRIC_NAME = 'OVERALL_QUALITY_SCORE') AS scored "
        "WHERE PREVIOUS > SCORE AND MEASURED_TIMESTAMP >= ?",
        (since,),
    )
    return [
        (f"QUALITY_DROP:{row['BATCH_ID']}:{row['TARGET_TABLE']}", row["TPA"], "QUALITY_DROP",
         f"{row['TPA']}: quality of {row['TARGET_TABLE']} fell from {row['PREVIOUS']:.1f} to {row['SCORE']:.1f}",
         {"batch_id": row["BATCH_ID"], "table": row["TARGET_TABLE"], "score": row["SCORE"],
          "previous": row["PREVIOUS"], "value": round(row["PREVIOUS"] - row["SCORE"], 2)})
        for row in rows
    ]  # fmt: skip


async def _raise(key: str, tpa: str, kind: str, summary: str, details: dict[str, Any], now: datetime) -> int:
    """Record the alert and queue one delivery per matching subscription, once per key."""
    async with warehouse().transaction() as tx:
        if await tx.fetch_value(f"SELECT COUNT(*) FROM {ALERTS} WHERE ALERT_KEY = ?", (key,)):
            return 0
        await tx.execute(
            f"INSERT INTO {ALERTS} (ALERT_KEY, TPA, ALERT_KIND, SUMMARY, DETAILS, RAISED_AT) "
            "SELECT ?, ?, ?, ?, PARSE_JSON(?), ?",
            (key, tpa, kind, summary, json.dumps(details), now),
        )
        await tx.execute(
            f"INSERT INTO {DELIVERIES} (ALERT_KEY, SUBSCRIPTION_ID, CHANNEL, TARGET, STATUS, ATTEMPTS, "
            f"NEXT_ATTEMPT_AT, CREATED_AT) SELECT ?, SUBSCRIPTION_ID, CHANNEL, TARGET, 'PENDING', 0, ?, ? "
            f"FROM {SUBSCRIPTIONS} WHERE ACTIVE AND ALERT_KIND = ? AND TPA IN (?, ?) AND COALESCE(THRESHOLD, 0) <= ?",
            (key, now, now, kind, tpa, ALL_TPAS, float(details.get("value", 0))),
        )
    return 1


# --------------------------------------------------------------------------- delivery


async def deliver_due(now: datetime) -> int:
    """Send the deliveries that are due; returns how many went out."""
    wh = warehouse()
    due = await wh.fetch_all(
        f"SELECT d.DELIVERY_ID, d.CHANNEL, d.TARGET, d.ATTEMPTS, s.SECRET, a.ALERT_KEY, a.TPA, a.ALERT_KIND, "
        f"a.SUMMARY, a.DETAILS, a.RAISED_AT FROM {DELIVERIES} AS d JOIN {ALERTS} AS a ON a.ALERT_KEY = d.ALERT_KEY "
        f"JOIN {SUBSCRIPTIONS} AS s ON s.SUBSCRIPTION_ID = d.SUBSCRIPTION_ID "
        "WHERE d.STATUS = 'PENDING' AND d.NEXT_ATTEMPT_AT <= ? "
        f"ORDER BY d.DELIVERY_ID {identifiers.limit(DELIVERIES_PER_PASS)}",
        (now,),
    )
    delivered = 0
    for delivery in due:
        payload = _payload(delivery)
        try:
            if delivery["CHANNEL"] == "EMAIL":
                await _in_sender(_send_email, delivery["TARGET"], payload)
                code = None
            else:
                code = await _in_sender(_post_webhook, delivery["TARGET"], delivery["SECRET"] or "", payload)
        except DeliveryFailed as error:
            await _record_failure(delivery, now, str(error), error.status)
            continue
        await wh.execute(
            f"UPDATE {DELIVERIES} SET STATUS = 'DELIVERED', ATTEMPTS = ATTEMPTS + 1, RESPONSE_CODE = ?, "
            "DELIVERED_AT = ?, LAST_ERROR = NULL, NEXT_ATTEMPT_AT = NULL WHERE DELIVERY_ID = ?",
            (code, now, delivery["DELIVERY_ID"]),
        )
        delivered += 1
    if due:
        await invalidate(NAMESPACE)
    return delivered


class DeliveryFailed(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _payload(delivery: dict[str, Any]) -> dict[str, Any]:
    details = delivery["DETAILS"]
    return {
        "alert_key": delivery["ALERT_KEY"],
        "alert_kind": delivery["ALERT_KIND"],
        "tpa": delivery["TPA"],
        "summary": delivery["SUMMARY"],
        "details": json.loads(details) if isinstance(details, str) else details,
        "raised_at": delivery["RAISED_AT"].isoformat(),
    }


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post_webhook(url: str, secret: str, payload: dict[str, Any]) -> int:
    body = json.dumps(payload, sort_keys=True).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "Medallion-Alerts/1",
                 "X-Medallion-Event": payload["alert_kind"], "X-Medallion-Signature": signature(secret, body)},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(f"HTTP {error.code} from the webhook", error.code) from None
    except (urllib.error.URLError, OSError) as error:
        raise DeliveryFailed(f"The webhook did not answer ({type(error).__name__})") from None


def _send_email(address: str, payload: dict[str, Any]) -> None:
    details = json.dumps(payload["details"], indent=2)
    body = f"{payload['summary']}\n\nDetails:\n{details}\n\nRaised {payload['raised_at']} UTC"
    try:
        send_mail(f"[Medallion] {payload['alert_kind']}: {payload['summary']}"[:200], body, None, [address])
    except OSError as error:
        raise DeliveryFailed(f"The mail server refused the message ({type(error).__name__})") from None


async def _record_failure(delivery: dict[str, Any], now: datetime, error: str, status: int | None) -> None:
    attempts = int(delivery["ATTEMPTS"]) + 1
    final = attempts >= MAX_ATTEMPTS
    await warehouse().execute(
        f"UPDATE {DELIVERIES} SET STATUS = ?, ATTEMPTS = ?, NEXT_ATTEMPT_AT = ?, LAST_ERROR = ?, RESPONSE_CODE = ? "
        "WHERE DELIVERY_ID = ?",
        (
            "FAILED" if final else "PENDING",
            attempts,
            None if final else now + timedelta(seconds=BACKOFF_SECONDS * 2 ** (attempts - 1)),
            error[:1000],
            status,
            delivery["DELIVERY_ID"],
        ),
    )


async def _in_sender(function: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_sender, function, *args)


# --------------------------------------------------------------------------- worker step


async def run_alerts() -> bool:
    """The worker step: scan at most every SCAN_INTERVAL_SECONDS, deliver what is due. Never raises."""
    global _last_scan
    now = utc_now()
    try:
        if time.monotonic() - _last_scan >= SCAN_INTERVAL_SECONDS:
            _last_scan = time.monotonic()
            await detect(now)
        await deliver_due(now)
    except WarehouseError:
        log.warning("alert scan skipped: the warehouse is not available")
    return False


def mail_backend() -> str:
    """The configured mail backend's short name (console, smtp, ...) for the alerts page."""
    return str(settings.EMAIL_BACKEND).rsplit(".", 2)[-2]

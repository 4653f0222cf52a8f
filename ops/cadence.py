"""Expected files: per TPA and file kind a cadence (monthly by day N, weekly on a weekday, or a cron expression),
each stored as the cron expression of its deadlines. A kind is LATE when its latest deadline has passed and no
file matching its pattern arrived since the deadline before it."""

import fnmatch
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from croniter import croniter

from medallion import audit
from medallion.caching import cached, invalidate
from medallion.clock import utc_now
from medallion.errors import not_found
from medallion.scope import tpa_condition
from medallion.warehouse import Transaction, WarehouseError, warehouse
from tpa.services import get_tpa

EXPECTATIONS = "OPS.FILE_EXPECTATIONS"
QUEUE = "BRONZE.FILE_PROCESSING_QUEUE"
NAMESPACE = "ops_expectations"
CADENCES = ("MONTHLY", "WEEKLY", "CRON")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
ARRIVED_STATUSES = ("PENDING", "PROCESSING", "SUCCESS", "FAILED", "DUPLICATE")


@dataclass(frozen=True)
class Cadence:
    kind: str
    cron: str
    description: str


@dataclass(frozen=True)
class Expectation:
    tpa: str
    file_kind: str
    file_pattern: str
    cadence: Cadence


def cadence_of(kind: str, *, day: int | None, weekday: str | None, cron: str | None) -> Cadence:
    """Monthly by `day` (1-28), weekly on `weekday`, or by `cron` (deadlines in UTC); checked in ops/forms.py."""
    if kind == "MONTHLY":
        return Cadence(kind, f"59 23 {day} * *", f"monthly by day {day}")
    if kind == "WEEKLY":
        weekday = str(weekday)
        # cron counts Sunday as 0
        return Cadence(kind, f"59 23 * * {(WEEKDAYS.index(weekday) + 1) % 7}", f"weekly on {weekday.title()}")
    return Cadence(kind, str(cron), f"cron {cron} (UTC)")


async def save_expectation(expected: Expectation, *, user: str | None) -> dict[str, Any]:
    code = (await get_tpa(expected.tpa))["TPA_CODE"]
    file_kind, pattern, cadence = expected.file_kind, expected.file_pattern, expected.cadence
    async with warehouse().transaction() as tx:
        await tx.execute(f"DELETE FROM {EXPECTATIONS} WHERE TPA = ? AND FILE_KIND = ?", (code, file_kind))
        await tx.execute(
            f"INSERT INTO {EXPECTATIONS} (TPA, FILE_KIND, FILE_PATTERN, CADENCE, CRON, DESCRIPTION, UPDATED_BY) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (code, file_kind, pattern, cadence.kind, cadence.cron, cadence.description, user),
        )
        after = {"file_kind": file_kind, "file_pattern": pattern, "cadence": cadence.description}
        await audit.record(user, "SAVE", "FILE_EXPECTATION", file_kind, tpa=code, after=after, within=tx)
    await invalidate(NAMESPACE)
    return {"tpa": code, "file_kind": file_kind, "file_pattern": pattern, "cadence": cadence.kind,
            "cron": cadence.cron, "description": cadence.description}  # fmt: skip


async def delete_expectation(tpa: str, file_kind: str, *, user: str | None) -> None:
    code = (await get_tpa(tpa))["TPA_CODE"]
    if not await warehouse().execute(f"DELETE FROM {EXPECTATIONS} WHERE TPA = ? AND FILE_KIND = ?", (code, file_kind)):
        raise not_found("expectation_not_found", f"{code} expects no {file_kind[:100]} files.")
    await audit.record(user, "DELETE", "FILE_EXPECTATION", file_kind, tpa=code)
    await invalidate(NAMESPACE)


async def purge_tpa(tx: Transaction, tpa: str) -> None:
    await tx.execute(f"DELETE FROM {EXPECTATIONS} WHERE TPA = ?", (tpa,))


@cached(NAMESPACE, ttl=60)
async def expectation_status(tpa: str | None = None) -> list[dict[str, Any]]:
    """Every expectation (of one TPA or all) with its deadline, last matching arrival and ON_TIME / LATE."""
    return await status_at(utc_now(), tpa)


async def status_at(now: datetime, tpa: str | None = None) -> list[dict[str, Any]]:
    wh = warehouse()
    scoped, params = tpa_condition("TPA", tpa)
    expectations = await wh.fetch_all(
        f"SELECT TPA, FILE_KIND, FILE_PATTERN, CADENCE, CRON, DESCRIPTION FROM {EXPECTATIONS} "
        f"{'WHERE ' + scoped if scoped else ''} ORDER BY TPA, FILE_KIND",
        params,
    )
    if not expectations:
        return []
    arrivals = await wh.fetch_all(
        f"SELECT TPA, FILE_NAME, DISCOVERED_TIMESTAMP FROM {QUEUE} WHERE TPA IN "
        f"(SELECT DISTINCT TPA FROM {EXPECTATIONS}) AND STATUS IN ({', '.join('?' for _ in ARRIVED_STATUSES)}) "
        "AND DISCOVERED_TIMESTAMP >= DATEADD(day, -400, CAST(? AS TIMESTAMP_NTZ))",
        (*ARRIVED_STATUSES, now),
    )
    return [_status(expectation, arrivals, now) for expectation in expectations]


def _status(expectation: dict[str, Any], arrivals: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    schedule = croniter(expectation["CRON"], now)
    deadline = schedule.get_prev(datetime)
    window_start = schedule.get_prev(datetime)
    pattern = expectation["FILE_PATTERN"].lower()
    matching = [
        row["DISCOVERED_TIMESTAMP"]
        for row in arrivals
        if row["TPA"] == expectation["TPA"] and fnmatch.fnmatch(row["FILE_NAME"].split("/", 1)[-1].lower(), pattern)
    ]
    last_arrival = max(matching, default=None)
    arrived = last_arrival is not None and last_arrival > window_start
    return {
        "tpa": expectation["TPA"],
        "file_kind": expectation["FILE_KIND"],
        "file_pattern": expectation["FILE_PATTERN"],
        "cadence": expectation["DESCRIPTION"],
        "deadline": deadline,
        "next_deadline": croniter(expectation["CRON"], now).get_next(datetime),
        "last_arrival": last_arrival,
        "status": "ON_TIME" if arrived else "LATE",
    }


async def late_tpas() -> dict[str, Any]:
    """Page context for every page: the TPAs with a late file kind (home and TPA pages show them)."""
    late: dict[str, list[str]] = {}
    try:
        rows = await expectation_status()
    except WarehouseError:
        return {"late_tpas": {}}
    for row in rows:
        if row["status"] == "LATE":
            late.setdefault(row["tpa"], []).append(row["file_kind"])
    return {"late_tpas": late}

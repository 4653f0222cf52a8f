import hashlib
import hmac
import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail

from medallion.clock import utc_now
from medallion.warehouse import warehouse
from ops import alerts, cadence
from tests.claims_pipeline_support import claim, claims_file, load_file, map_medical_claims
from tests.test_bronze_support import upload_and_process

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "s3cret-signing-key-0123"


async def expect(client, tpa: str, **body) -> dict:
    response = await client.post("/api/ops/expectations", {"tpa": tpa, **body}, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


async def test_cadences_make_a_tpa_late_once_its_deadline_passes_without_a_file(operator_client, admin_client, tpa):
    await expect(operator_client, tpa, file_kind="MEDICAL", file_pattern="medical*.csv", cadence="MONTHLY", day=5)
    saved = await expect(operator_client, tpa, file_kind="DENTAL", cadence="WEEKLY", weekday="monday")
    assert saved["cron"] == "59 23 * * 1" and saved["description"] == "weekly on Monday"
    await expect(operator_client, tpa, file_kind="ELIGIBILITY", file_pattern="elig*", cadence="CRON", cron="0 0 * * *")
    await upload_and_process(operator_client, tpa, "medical_dec.csv", b"claim_id\nC1\n")
    arrived = utc_now()

    def statuses(rows):
        return {row["file_kind"]: row["status"] for row in rows}

    soon = arrived + timedelta(days=3)
    assert statuses(await cadence.status_at(soon, tpa))["MEDICAL"] == "ON_TIME"
    next_month = datetime(arrived.year + arrived.month // 12, arrived.month % 12 + 1, 10)
    assert statuses(await cadence.status_at(next_month, tpa)) == {
        "DENTAL": "ON_TIME" if next_month - arrived < timedelta(days=7) else "LATE",
        "ELIGIBILITY": "LATE",
        "MEDICAL": "ON_TIME" if arrived.day > 5 else "LATE",
    }
    assert statuses(await cadence.status_at(arrived + timedelta(days=2), tpa))["ELIGIBILITY"] == "LATE"

    listed = (await operator_client.get(f"/api/ops/expectations?tpa={tpa}")).json()
    assert {row["file_kind"] for row in listed} == {"MEDICAL", "DENTAL", "ELIGIBILITY"}
    home = await admin_client.get("/")
    assert b"not received by the deadline" in home.content and tpa.encode() in home.content
    tpas = await admin_client.get("/operations/tpas")
    assert b"LATE" in tpas.content
    bad = await operator_client.post(
        "/api/ops/expectations", {"tpa": tpa, "file_kind": "X", "cadence": "CRON", "cron": "nope"},
        content_type="application/json",
    )  # fmt: skip
    assert bad.status_code == 422 and "cron" in bad.json()["detail"]


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict, bytes]] = []
    statuses: list[int] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(type(self).statuses.pop(0) if type(self).statuses else 204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def webhook():
    Receiver.received, Receiver.statuses = [], [500]
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


async def subscribe(client, **body) -> dict:
    response = await client.post("/api/ops/alerts/subscriptions", body, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


async def test_failed_files_and_quarantine_spikes_reach_email_and_signed_webhooks(
    admin_client, operator_client, viewer_client, tpa, webhook
):
    await subscribe(admin_client, tpa=tpa, alert_kind="FAILED_FILE", channel="EMAIL", target="ops@example.org")
    await subscribe(admin_client, tpa=tpa, alert_kind="FAILED_FILE", channel="WEBHOOK", target=webhook, secret=SECRET)
    await subscribe(admin_client, tpa=tpa, alert_kind="QUARANTINE_SPIKE", channel="EMAIL", target="dq@example.org",
                    threshold=40)  # fmt: skip
    await subscribe(admin_client, tpa=tpa, alert_kind="QUARANTINE_SPIKE", channel="EMAIL", target="x@example.org",
                    threshold=60)  # fmt: skip
    listed = (await admin_client.get("/api/ops/alerts/subscriptions")).json()
    assert all("SECRET" not in row for row in listed)
    assert (await viewer_client.get("/api/ops/alerts/subscriptions")).status_code == 403
    missing_secret = await admin_client.post(
        "/api/ops/alerts/subscriptions", {"alert_kind": "FAILED_FILE", "channel": "WEBHOOK", "target": webhook},
        content_type="application/json",
    )  # fmt: skip
    assert missing_secret.status_code == 422

    failed = await upload_and_process(operator_client, tpa, "broken.json", b"[1, 2")
    assert failed["STATUS"] == "FAILED"
    await map_medical_claims(tpa)
    await load_file(operator_client, tpa, "half.csv", claims_file(claim("C1", "10.00"), claim("C2", "x")))

    now = utc_now()
    assert await alerts.detect(now) >= 2
    assert await alerts.detect(now) == 0
    mail.outbox.clear()
    await alerts.deliver_due(now)

    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert "broken.json failed" in subjects["ops@example.org"] and "FAILED_FILE" in subjects["ops@example.org"]
    assert "1 of 2 rows quarantined" in subjects["dq@example.org"] and "x@example.org" not in subjects
    headers, body = Receiver.received[0]
    assert headers["X-Medallion-Signature"] == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert json.loads(body)["details"]["queue_id"] == failed["QUEUE_ID"]

    deliveries = (await admin_client.get("/api/ops/alerts/deliveries")).json()
    hook = next(d for d in deliveries if d["CHANNEL"] == "WEBHOOK" and d["TPA"] == tpa)
    assert (hook["STATUS"], hook["ATTEMPTS"], hook["RESPONSE_CODE"]) == ("PENDING", 1, 500)
    assert await alerts.deliver_due(now + timedelta(seconds=5)) == 0
    await alerts.deliver_due(now + timedelta(seconds=alerts.BACKOFF_SECONDS + 1))
    hook = await warehouse().fetch_one(
        "SELECT STATUS, ATTEMPTS, RESPONSE_CODE FROM OPS.ALERT_DELIVERIES WHERE DELIVERY_ID = ?", (hook["DELIVERY_ID"],)
    )
    assert (hook["STATUS"], hook["ATTEMPTS"], hook["RESPONSE_CODE"]) == ("DELIVERED", 2, 204)
    page = await admin_client.get("/operations/alerts")
    assert page.status_code == 200 and b"DELIVERED" in page.content


async def test_the_alert_step_never_raises(monkeypatch):
    async def broken(now):
        raise alerts.WarehouseError("down")

    monkeypatch.setattr(alerts, "detect", broken)
    monkeypatch.setattr(alerts, "_last_scan", 0.0)
    assert await alerts.run_alerts() is False


async def alerts_of(tpa: str, kind: str) -> list[dict]:
    return await warehouse().fetch_all(
        "SELECT ALERT_KEY, SUMMARY FROM OPS.ALERTS WHERE TPA = ? AND ALERT_KIND = ? ORDER BY RAISED_AT", (tpa, kind)
    )


def mails_to(address: str) -> list[str]:
    return [message.subject for message in mail.outbox if address in message.to]


async def test_a_late_tpa_raises_one_alert_per_missed_deadline_not_one_per_run(admin_client, operator_client, tpa):
    await expect(operator_client, tpa, file_kind="MEDICAL", file_pattern="medical*.csv", cadence="MONTHLY", day=5)
    await subscribe(admin_client, tpa=tpa, alert_kind="LATE_FILE", channel="EMAIL", target="late@example.org")
    today = utc_now()
    late = datetime(today.year + today.month // 12, today.month % 12 + 1, 10, 12)  # past the 5th, no file
    mail.outbox.clear()

    for run in (late, late, late + timedelta(hours=1), late + timedelta(days=2)):
        await alerts.detect(run)
        await alerts.deliver_due(run)

    (alert,) = await alerts_of(tpa, "LATE_FILE")
    assert f"{tpa}: no MEDICAL file by {late:%Y-%m}-05 23:59 UTC" in alert["SUMMARY"]
    (subject,) = mails_to("late@example.org")
    assert "LATE_FILE" in subject and tpa in subject

    next_deadline_missed = late + timedelta(days=31)
    await alerts.detect(next_deadline_missed)
    assert len(await alerts_of(tpa, "LATE_FILE")) == 2


async def test_a_quality_drop_raises_one_alert_delivered_past_its_threshold_only(admin_client, tpa, unique_code):
    await subscribe(admin_client, tpa=tpa, alert_kind="QUALITY_DROP", channel="EMAIL", target="dq@example.org",
                    threshold=10)  # fmt: skip
    await subscribe(admin_client, tpa=tpa, alert_kind="QUALITY_DROP", channel="EMAIL", target="calm@example.org",
                    threshold=20)  # fmt: skip
    now = utc_now()
    scores = [("good", 96.0, 3), ("worse", 81.0, 2), ("recovered", 90.0, 1)]  # batch, score, hours ago
    await warehouse().execute_many(
        "INSERT INTO SILVER.DATA_QUALITY_METRICS (TPA, TARGET_TABLE, BATCH_ID, METRIC_NAME, METRIC_VALUE, PASSED, "
        "MEASURED_TIMESTAMP) VALUES (?, 'MEDICAL_CLAIMS', ?, 'OVERALL_QUALITY_SCORE', ?, TRUE, ?)",
        [(tpa, f"{unique_code}-{batch}", score, now - timedelta(hours=ago)) for batch, score, ago in scores],
    )
    mail.outbox.clear()

    for run in (now, now, now + timedelta(minutes=5)):
        await alerts.detect(run)
        await alerts.deliver_due(run)

    (alert,) = await alerts_of(tpa, "QUALITY_DROP")
    assert alert["ALERT_KEY"] == f"QUALITY_DROP:{unique_code}-worse:MEDICAL_CLAIMS"
    assert "quality of MEDICAL_CLAIMS fell from 96.0 to 81.0" in alert["SUMMARY"]
    assert len(mails_to("dq@example.org")) == 1 and mails_to("calm@example.org") == []


async def test_the_alerts_page_saves_and_deletes_through_one_url_per_action(admin_client, tpa):
    page = (await admin_client.get("/operations/alerts")).content.decode()
    assert 'action="/operations/alerts/expectations"' in page and 'name="day" min="1" max="28"' in page
    saved = await admin_client.post(
        "/operations/alerts/expectations", {"tpa": tpa, "file_kind": " DENTAL ", "cadence": "monthly", "day": "3"}
    )
    assert saved.status_code == 302 and saved["Location"] == "/operations/alerts"
    listed = (await admin_client.get(f"/api/ops/expectations?tpa={tpa}")).json()
    assert [(e["file_kind"], e["cadence"]) for e in listed] == [("DENTAL", "monthly by day 3")]
    refused = await admin_client.post(
        "/operations/alerts/expectations", {"tpa": tpa, "file_kind": "X", "cadence": "WEEKLY"}, follow=True
    )
    assert "weekday: Use one of Monday" in refused.content.decode()
    await admin_client.post("/operations/alerts/expectations/delete", {"tpa": tpa, "file_kind": "DENTAL"})
    assert (await admin_client.get(f"/api/ops/expectations?tpa={tpa}")).json() == []

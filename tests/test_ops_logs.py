import uuid
from datetime import timedelta

import pytest

from medallion import events
from medallion.clock import utc_now
from medallion.middleware import api_request_log
from medallion.warehouse import warehouse

pytestmark = pytest.mark.django_db(transaction=True)

INJECTION = "x' OR '1'='1' --"
LOG_PATHS = ("application", "tasks", "file-processing", "errors", "api-requests")


@pytest.fixture
def marker() -> str:
    return f"src-{uuid.uuid4().hex[:10]}"


async def test_application_log_filters_and_pages_newest_first(admin_client, marker):
    for index, level in enumerate(("INFO", "WARNING", "ERROR")):
        events.log_event(level, marker, f"message {index}", user="alice", tpa="ACME", details={"step": index})
    await events.flush_all()
    old = utc_now() - timedelta(days=10)
    await warehouse().execute(
        "INSERT INTO OPS.APPLICATION_LOG (LOG_TIMESTAMP, LOG_LEVEL, LOG_SOURCE, LOG_MESSAGE) "
        "VALUES (?, 'INFO', ?, 'old')",
        (old, marker),
    )

    rows = (await admin_client.get(f"/api/logs/application?source={marker.upper()}")).json()
    assert [r["LOG_MESSAGE"] for r in rows] == ["message 2", "message 1", "message 0"]
    assert rows[0]["LOG_DETAILS"] == {"step": 2} and rows[0]["TPA_CODE"] == "ACME"
    assert rows[0]["LOG_TIMESTAMP"].endswith("Z") and isinstance(rows[0]["LOG_ID"], int)

    warnings = (await admin_client.get(f"/api/logs/application?source={marker}&level=warning")).json()
    assert [r["LOG_MESSAGE"] for r in warnings] == ["message 1"]

    page = (await admin_client.get(f"/api/logs/application?source={marker}&limit=1&offset=1")).json()
    assert [r["LOG_MESSAGE"] for r in page] == ["message 1"]

    month = (await admin_client.get(f"/api/logs/application?source={marker}&days=30")).json()
    assert [r["LOG_MESSAGE"] for r in month][-1] == "old" and len(month) == 4


@pytest.mark.parametrize(
    "query",
    ["days=0", "days=31", "days=abc", "limit=0", "limit=1001", "offset=-1", "level=BOGUS", "level=" + INJECTION],
)
async def test_bad_parameters_are_422(admin_client, query):
    response = await admin_client.get(f"/api/logs/application?{query}")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error" and isinstance(body["detail"], str)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("tasks", "status=DONE"),
        ("errors", "resolution_status=CLOSED"),
        ("api-requests", "method=FETCH"),
        ("api-requests", "min_response_time=-1"),
        ("file-processing", "limit=5000"),
        ("tasks", "days=100"),
    ],
)
async def test_each_log_validates_its_filters(admin_client, path, query):
    assert (await admin_client.get(f"/api/logs/{path}?{query}")).status_code == 422


async def test_injection_strings_are_just_values(admin_client):
    for path, name in (
        ("application", "source"),
        ("file-processing", "file_name"),
        ("errors", "source"),
        ("api-requests", "path"),
        ("tasks", "task_name"),
    ):
        response = await admin_client.get(f"/api/logs/{path}", {name: INJECTION})
        assert response.status_code == 200 and response.json() == []
    assert await warehouse().fetch_value("SELECT COUNT(*) FROM OPS.APPLICATION_LOG") is not None


async def test_file_processing_filters(admin_client, marker):
    events.log_file_stage(
        1, f"ACME/{marker}-claims.csv", "ACME", "LOADING", "SUCCESS", rows_processed=10, details={"sheet": None}
    )
    events.log_file_stage(1, f"ACME/{marker}-claims.csv", "ACME", "MOVING", "SUCCESS")
    events.log_file_stage(2, f"BETA/{marker}-other.csv", "BETA", "LOADING", "FAILED", error="bad header")
    await events.flush_all()
    rows = (await admin_client.get(f"/api/logs/file-processing?file_name={marker.upper()}-CLAIMS")).json()
    assert {r["PROCESSING_STAGE"] for r in rows} == {"LOADING", "MOVING"}
    loading = (await admin_client.get(f"/api/logs/file-processing?file_name={marker}&stage=loading&tpa=acme")).json()
    assert len(loading) == 1 and loading[0]["ROWS_PROCESSED"] == 10 and loading[0]["STAGE_DETAILS"] == {"sheet": None}


async def test_api_request_log_records_user_but_no_secrets(admin_client, marker):
    await admin_client.get(f"/api/logs/application?source={marker}", headers={"X-Secret": "hunter2"})
    await api_request_log.drain()
    rows = (await admin_client.get("/api/logs/api-requests?path=application&method=get&min_response_time=0")).json()
    row = next(r for r in rows if r["REQUEST_PARAMS"] == {"source": marker})
    assert row["USER_NAME"] == admin_client.user.username and row["RESPONSE_STATUS"] == 200
    assert isinstance(row["RESPONSE_TIME_MS"], int) and "hunter2" not in str(row) and "sessionid" not in str(row)
    slow = (await admin_client.get("/api/logs/api-requests?min_response_time=100000000")).json()
    assert slow == []


async def _error_for(client, marker: str) -> dict[str, object]:
    (row,) = (await client.get(f"/api/logs/errors?source={marker}")).json()
    return row


async def test_error_resolution_workflow(admin_client, marker):
    events.log_error(marker, ValueError("the file had no header"), tpa="ACME", context={"file": "a.csv"})
    await events.flush_all()
    error = await _error_for(admin_client, marker)
    assert error["RESOLUTION_STATUS"] == "UNRESOLVED" and error["ERROR_TYPE"] == "ValueError"
    assert error["ERROR_CONTEXT"] == {"file": "a.csv"}
    url = f"/api/logs/errors/{error['ERROR_ID']}"

    response = await admin_client.patch(
        url,
        {"resolution_status": "investigating", "resolution_notes": "Asked the TPA"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["resolution_status"] == "INVESTIGATING"
    error = await _error_for(admin_client, marker)
    assert error["RESOLUTION_NOTES"] == "Asked the TPA" and error["RESOLVED_BY"] is None
    assert error["STATUS_CHANGED_BY"] == admin_client.user.username

    response = await admin_client.patch(url, {"resolution_status": "RESOLVED"}, content_type="application/json")
    error = await _error_for(admin_client, marker)
    assert error["RESOLUTION_STATUS"] == "RESOLVED" and error["RESOLUTION_NOTES"] == "Asked the TPA"
    assert error["RESOLVED_BY"] == admin_client.user.username and error["RESOLVED_AT"].endswith("Z")
    resolved = (await admin_client.get(f"/api/logs/errors?source={marker}&resolution_status=resolved")).json()
    assert len(resolved) == 1
    assert (await admin_client.get(f"/api/logs/errors?source={marker}&resolution_status=UNRESOLVED")).json() == []

    audit = await warehouse().fetch_all(
        "SELECT BEFORE_VALUE, AFTER_VALUE FROM OPS.AUDIT_LOG WHERE ENTITY_TYPE = 'ERROR' AND ENTITY_ID = ? "
        "ORDER BY AUDIT_ID",
        (str(error["ERROR_ID"]),),
    )
    assert len(audit) == 2 and "INVESTIGATING" in audit[0]["AFTER_VALUE"] and "RESOLVED" in audit[1]["AFTER_VALUE"]

    for body in (
        {"resolution_status": "DONE"},
        {},
        {"resolution_status": "RESOLVED", "resolution_notes": 5},
        {"resolution_status": "RESOLVED", "resolution_notes": "x" * 4001},
    ):
        assert (await admin_client.patch(url, body, content_type="application/json")).status_code == 422
    missing = await admin_client.patch(
        "/api/logs/errors/999999999", {"resolution_status": "RESOLVED"}, content_type="application/json"
    )
    assert missing.status_code == 404 and missing.json()["code"] == "error_not_found"
    assert (await admin_client.patch("/api/logs/errors/abc", {}, content_type="application/json")).status_code == 404


async def test_stats_count_per_log(admin_client, marker):
    events.log_event("ERROR", marker, "boom")
    await events.flush_all()
    stats = (await admin_client.get("/api/logs/stats?days=1")).json()
    by_type = {s["log_type"]: s for s in stats}
    assert {"application_logs", "task_executions", "errors"} <= set(by_type)
    assert by_type["application_logs"]["error_count"] >= 1
    assert all(isinstance(s[key], int) for s in stats for key in ("total_count", "error_count", "warning_count"))
    assert (await admin_client.get("/api/logs/stats?days=31")).status_code == 422


async def test_logs_are_admin_only(operator_client, viewer_client, anonymous_client):
    for path in (*LOG_PATHS, "stats"):
        assert (await operator_client.get(f"/api/logs/{path}")).status_code == 403
        assert (await viewer_client.get(f"/api/logs/{path}")).status_code == 403
        assert (await anonymous_client.get(f"/api/logs/{path}")).status_code == 401
    response = await operator_client.patch(
        "/api/logs/errors/1", {"resolution_status": "RESOLVED"}, content_type="application/json"
    )
    assert response.status_code == 403

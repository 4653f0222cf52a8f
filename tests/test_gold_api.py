"""Gold API (analytics, metrics, quality, rules): shapes, ordering and errors, the Gold extras (refresh, quality run,
rule create/edit) and role checks."""

import json
from typing import Any

import pytest

from tests.test_gold_refresh import load_dataset

pytestmark = pytest.mark.django_db(transaction=True)

INJECTIONS = ["x' OR '1'='1", "A; DROP TABLE GOLD.CLAIMS_ANALYTICS; --", "1) UNION SELECT * FROM OPS.AUDIT_LOG --"]


@pytest.fixture
async def refreshed(tpa: str) -> str:
    from gold.refresh import refresh

    await load_dataset(tpa)
    await refresh(tpa, full=True)
    return tpa


def body(response: Any) -> Any:
    return json.loads(response.content)


async def patch(client: Any, path: str, data: Any) -> Any:
    return await client.patch(path, json.dumps(data), content_type="application/json")


async def post(client: Any, path: str, data: Any) -> Any:
    return await client.post(path, json.dumps(data), content_type="application/json")


async def test_g1_claims_analytics_rows_and_aliases(viewer_client: Any, refreshed: str) -> None:
    response = await viewer_client.get(f"/api/gold/analytics/claims_analytics?tpa={refreshed.lower()}")
    assert response.status_code == 200
    rows = body(response)
    assert len(rows) == 5
    row = next(r for r in rows if (r["CLAIM_YEAR"], r["CLAIM_MONTH"], r["CLAIM_TYPE"]) == (2026, 1, "MEDICAL"))
    assert row["TPA"] == refreshed
    assert (row["CLAIM_COUNT"], row["TOTAL_BILLED_AMOUNT"], row["TOTAL_PAID_AMOUNT"]) == (2, 300, 180)
    assert row["DISCOUNT_RATE"] == pytest.approx(70 / 300)
    assert isinstance(row["TOTAL_PAID"], int | float) and row["UPDATED_AT"].endswith("Z")
    for key in ("CLAIM_ANALYTICS_ID", "PROVIDER_SPECIALTY", "DIAGNOSIS_CATEGORY", "UNIQUE_MEMBERS", "TOTAL_ALLOWED",
                "AVG_PAID_PER_CLAIM", "AVG_PAID_PER_MEMBER", "CREATED_AT"):  # fmt: skip
        assert key in row
    ordering = [(r["UPDATED_AT"], r["CLAIM_ANALYTICS_ID"]) for r in rows]
    assert ordering == sorted(ordering, reverse=True)


async def test_g1_member_360_and_paging(viewer_client: Any, refreshed: str) -> None:
    rows = body(await viewer_client.get(f"/api/gold/analytics/MEMBER_360?tpa={refreshed}"))
    by_member = {row["MEMBER_ID"]: row for row in rows}
    assert by_member["A"]["CHRONIC_CONDITIONS"] == ["Diabetes", "Heart failure"]
    assert (by_member["A"]["TOTAL_CLAIMS"], by_member["A"]["TOTAL_PAID"]) == (3, 285)
    assert (by_member["A"]["AGE"], by_member["A"]["GENDER"], by_member["A"]["RISK_SCORE"]) == (45, "F", 5)
    assert all(1 <= row["RISK_SCORE"] <= 5 for row in rows) and min(row["RISK_SCORE"] for row in rows) == 1
    assert by_member["B"]["DATE_OF_BIRTH"] == "2000-12-31"
    page = body(await viewer_client.get(f"/api/gold/analytics/MEMBER_360?tpa={refreshed}&limit=2&offset=2"))
    assert [row["MEMBER_ID"] for row in page] == [row["MEMBER_ID"] for row in rows[2:]]
    providers = body(await viewer_client.get(f"/api/gold/analytics/provider_performance?tpa={refreshed}"))
    assert {row["MEASUREMENT_PERIOD"] for row in providers} == {"2025-Q4", "2026-Q1"}
    financial = body(await viewer_client.get(f"/api/gold/analytics/FINANCIAL_SUMMARY?tpa={refreshed}"))
    assert all(isinstance(row["PMPM"], int | float) and row["MEDICAL_LOSS_RATIO"] is None for row in financial)


async def test_g1_scope_all_and_unknown_tpa(viewer_client: Any, refreshed: str) -> None:
    everything = body(await viewer_client.get("/api/gold/analytics/CLAIMS_ANALYTICS?tpa=ALL&limit=1000"))
    assert any(row["TPA"] == refreshed for row in everything)
    for unknown in ["NOPE_NOT_A_TPA", *INJECTIONS]:
        response = await viewer_client.get("/api/gold/analytics/CLAIMS_ANALYTICS", {"tpa": unknown})
        assert (response.status_code, body(response)) == (200, [])


@pytest.mark.parametrize(
    ("query", "code"),
    [("", "validation_error"), ("?tpa=X&limit=0", "validation_error"), ("?tpa=X&limit=1001", "validation_error"),
     ("?tpa=X&offset=-1", "validation_error"), ("?tpa=X&limit=abc", "validation_error")],
)  # fmt: skip
async def test_g1_validation(viewer_client: Any, query: str, code: str) -> None:
    response = await viewer_client.get(f"/api/gold/analytics/CLAIMS_ANALYTICS{query}")
    assert (response.status_code, body(response)["code"]) == (422, code)


@pytest.mark.parametrize("table", ["CLAIMS", "MEMBER_360_X", "BUSINESS_METRICS", "x' OR '1'='1", "REFRESH_RUNS"])
async def test_g1_g2_unknown_table(viewer_client: Any, table: str) -> None:
    for suffix in ("", "/stats"):
        response = await viewer_client.get(f"/api/gold/analytics/{table}{suffix}", {"tpa": "ALL"})
        assert (response.status_code, body(response)["code"]) == (404, "analytics_table_not_found")


async def test_g2_stats(viewer_client: Any, refreshed: str) -> None:
    stats = body(await viewer_client.get(f"/api/gold/analytics/claims_analytics/stats?tpa={refreshed}"))
    assert set(stats) == {"total_records", "last_updated", "status", "quality_score"}
    assert (stats["total_records"], stats["status"], stats["quality_score"]) == (5, "Active", 100)
    assert stats["last_updated"].endswith("Z")
    empty = body(await viewer_client.get("/api/gold/analytics/MEMBER_360/stats?tpa=NO_SUCH_TPA"))
    assert empty == {"total_records": 0, "last_updated": None, "status": "No Data", "quality_score": 0}
    response = await viewer_client.get("/api/gold/analytics/MEMBER_360/stats")
    assert response.status_code == 422


async def test_g2_quality_score_reflects_failed_checks(viewer_client: Any, tpa: str) -> None:
    from gold.refresh import refresh

    await load_dataset(tpa, {"MEDICAL_CLAIMS": [
        ("Q1", "M1", "P1", "Dr", __import__("datetime").date(2026, 3, 1), "I10", 100, 80, 60, 20, "PAID"),
        ("Q2", "M1", "P1", "Dr", __import__("datetime").date(2026, 4, 1), "I10", 100, 80, 260, 20, "PAID"),
    ]})  # fmt: skip
    await refresh(tpa, full=True)
    stats = body(await viewer_client.get(f"/api/gold/analytics/CLAIMS_ANALYTICS/stats?tpa={tpa}"))
    assert stats["quality_score"] == 50


async def test_g3_metrics_catalogue_with_values(viewer_client: Any, refreshed: str) -> None:
    rows = body(await viewer_client.get(f"/api/gold/metrics?tpa={refreshed}"))
    assert [(r["METRIC_CATEGORY"], r["METRIC_NAME"]) for r in rows] == sorted(
        (r["METRIC_CATEGORY"], r["METRIC_NAME"]) for r in rows
    )
    by_key = {row["METRIC_KEY"]: row for row in rows}
    assert by_key["TOTAL_SPEND"]["CURRENT_VALUE"] == 6485
    assert by_key["HIGH_RISK_MEMBERS"]["METRIC_CATEGORY"] == "CLINICAL"
    for key in ("METRIC_ID", "CALCULATION_LOGIC", "SOURCE_TABLES", "REFRESH_FREQUENCY", "METRIC_OWNER",
                "DESCRIPTION", "IS_ACTIVE", "CREATED_AT", "UPDATED_AT", "TPA"):  # fmt: skip
        assert key in by_key["TOTAL_SPEND"]
    assert {row["METRIC_CATEGORY"] for row in rows} <= {"FINANCIAL", "OPERATIONAL", "CLINICAL", "MEMBER"}
    assert (await viewer_client.get("/api/gold/metrics")).status_code == 422


async def test_g4_g5_quality_results_and_stats(viewer_client: Any, refreshed: str) -> None:
    rows = body(await viewer_client.get(f"/api/gold/quality/results?tpa={refreshed}&limit=5"))
    assert len(rows) == 5
    row = rows[0]
    for key in ("CHECK_ID", "RUN_ID", "QUALITY_RULE_ID", "TABLE_NAME", "TPA", "CHECK_TIMESTAMP", "CHECK_STATUS",
                "RECORDS_CHECKED", "RECORDS_PASSED", "RECORDS_FAILED", "PASS_RATE", "THRESHOLD_MET", "ERROR_MESSAGE",
                "EXECUTION_TIME_MS", "CHECKED_BY", "RULE_NAME", "SEVERITY", "CHECK_LOGIC", "ACTION_ON_FAILURE",
                "ACTION_TAKEN"):  # fmt: skip
        assert key in row
    assert row["ACTION_TAKEN"] == row["ACTION_ON_FAILURE"]
    assert row["CHECK_STATUS"] in {"PASSED", "FAILED", "WARNING"} and row["THRESHOLD_MET"] is True
    stamps = [r["CHECK_TIMESTAMP"] for r in rows]
    assert stamps == sorted(stamps, reverse=True)
    stats = body(await viewer_client.get(f"/api/gold/quality/stats?tpa={refreshed}"))
    assert stats == {"total_checks": 10, "passed_checks": 10, "failed_checks": 0, "warning_checks": 0,
                     "pass_rate": 100}  # fmt: skip
    assert (await viewer_client.get("/api/gold/quality/results?tpa=X&limit=1001")).status_code == 422


async def test_g6_g7_rule_lists(viewer_client: Any, tpa: str) -> None:
    transformation = body(await viewer_client.get(f"/api/gold/rules/transformation?tpa={tpa}"))
    assert {"Exclude denied and pending claims", "Exclude test members"} <= {r["RULE_NAME"] for r in transformation}
    orders = [(r["EXECUTION_ORDER"] is None, r["EXECUTION_ORDER"] or 0, r["PRIORITY"]) for r in transformation]
    assert orders == sorted(orders)
    quality_rules = body(await viewer_client.get(f"/api/gold/rules/quality?tpa={tpa}"))
    ranks = [("CRITICAL", "ERROR", "WARNING", "INFO").index(r["SEVERITY"]) for r in quality_rules]
    assert ranks == sorted(ranks)
    assert all("RULE_DESCRIPTION" in r and isinstance(r["IS_ACTIVE"], bool) for r in quality_rules)
    assert (await viewer_client.get("/api/gold/rules/quality")).status_code == 422


async def test_rule_create_edit_and_toggle(operator_client: Any, viewer_client: Any, tpa: str) -> None:
    created = await post(operator_client, "/api/gold/rules/quality", {
        "tpa": tpa.lower(), "rule_name": INJECTIONS[0], "rule_type": "validity", "table_name": "claims",
        "check_logic": "PAID_AMOUNT >= 0", "threshold_value": 90, "severity": "warning",
    })  # fmt: skip
    assert created.status_code == 201
    rule = body(created)
    assert (rule["TPA"], rule["RULE_NAME"], rule["SEVERITY"], rule["TABLE_NAME"]) == (
        tpa, INJECTIONS[0], "WARNING", "CLAIMS",
    )  # fmt: skip
    rule_id = rule["QUALITY_RULE_ID"]

    edited = await operator_client.put(
        f"/api/gold/rules/quality/{rule_id}", json.dumps({"threshold_value": 75}), content_type="application/json"
    )
    assert (edited.status_code, body(edited)["THRESHOLD_VALUE"], body(edited)["CHECK_LOGIC"]) == (
        200, 75, "PAID_AMOUNT >= 0",
    )  # fmt: skip

    toggled = await patch(operator_client, f"/api/gold/rules/quality/{rule_id}/status", {"is_active": False})
    assert body(toggled) == {"message": "Rule deactivated successfully", "rule_id": rule_id, "is_active": False}
    listed = body(await viewer_client.get(f"/api/gold/rules/quality?tpa={tpa}"))
    assert next(r for r in listed if r["QUALITY_RULE_ID"] == rule_id)["IS_ACTIVE"] is False

    filter_rule = body(await post(operator_client, "/api/gold/rules/transformation", {
        "tpa": tpa, "rule_name": "Skip voids", "rule_logic": "CLAIM_STATUS <> 'VOID'",
    }))  # fmt: skip
    toggled = await patch(
        operator_client, f"/api/gold/rules/transformation/{filter_rule['RULE_ID']}/status", {"is_active": True}
    )
    assert body(toggled)["message"] == "Rule activated successfully"


@pytest.mark.parametrize("logic", [*INJECTIONS, "(SELECT 1) = 1", "PAID_AMOUNT", "NOT_A_COLUMN > 1", ""])
async def test_rule_logic_is_validated(operator_client: Any, logic: str) -> None:
    response = await post(operator_client, "/api/gold/rules/quality", {
        "rule_name": "bad", "rule_type": "VALIDITY", "table_name": "CLAIMS", "check_logic": logic,
    })  # fmt: skip
    assert response.status_code == 422
    assert body(response)["code"] in {"invalid_transformation_logic", "validation_error"}
    response = await post(operator_client, "/api/gold/rules/transformation", {"rule_name": "bad", "rule_logic": logic})
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("field", "value"),
    [("tpa", INJECTIONS[1]), ("table_name", "OPS.AUDIT_LOG"), ("severity", "HUGE"), ("threshold_value", 101),
     ("threshold_operator", "!="), ("rule_type", "SQL"), ("field_name", INJECTIONS[0]), ("rule_name", "x" * 201),
     ("is_active", "yes")],
)  # fmt: skip
async def test_quality_rule_fields_are_validated(operator_client: Any, field: str, value: Any) -> None:
    rule = {"rule_name": "ok", "rule_type": "VALIDITY", "table_name": "CLAIMS", "check_logic": "PAID_AMOUNT >= 0"}
    response = await post(operator_client, "/api/gold/rules/quality", {**rule, field: value})
    assert (response.status_code, body(response)["errors"][0]["field"]) == (422, field)


async def test_g8_g9_errors_and_roles(operator_client: Any, viewer_client: Any, anonymous_client: Any) -> None:
    for kind in ("transformation", "quality"):
        path = f"/api/gold/rules/{kind}/987654321/status"
        missing = await patch(operator_client, path, {"is_active": True})
        assert (missing.status_code, body(missing)["code"]) == (404, "rule_not_found")
        invalid = await patch(operator_client, f"/api/gold/rules/{kind}/1/status", {"is_active": "maybe"})
        assert invalid.status_code == 422
        absent = await patch(operator_client, f"/api/gold/rules/{kind}/1/status", {})
        assert absent.status_code == 422
        assert (await patch(viewer_client, path, {"is_active": True})).status_code == 403
        assert (await patch(anonymous_client, path, {"is_active": True})).status_code == 401
        not_integer = await patch(operator_client, f"/api/gold/rules/{kind}/abc/status", {"is_active": True})
        assert (not_integer.status_code, body(not_integer)["code"]) == (404, "not_found")
    assert (await viewer_client.get("/api/gold/rules/quality/1/status")).status_code == 405


async def test_reads_need_a_session(anonymous_client: Any) -> None:
    for path in (
        "/api/gold/analytics/MEMBER_360?tpa=ALL",
        "/api/gold/metrics?tpa=ALL",
        "/api/gold/quality/stats?tpa=A",
    ):
        assert (await anonymous_client.get(path)).status_code == 401


async def test_refresh_endpoint(operator_client: Any, viewer_client: Any, tpa: str) -> None:
    await load_dataset(tpa)
    response = await post(operator_client, "/api/gold/refresh", {"tpa": tpa.lower(), "full": True})
    assert response.status_code == 200
    run = body(response)
    assert (run["status"], run["tpa"], run["refresh_mode"], run["claims_analytics_rows"]) == (
        "SUCCESS", tpa, "FULL", 5,
    )  # fmt: skip
    runs = body(await viewer_client.get(f"/api/gold/refresh/runs?tpa={tpa}"))
    assert runs[0]["RUN_ID"] == run["run_id"]
    assert (await post(viewer_client, "/api/gold/refresh", {"tpa": tpa})).status_code == 403
    unknown = await post(operator_client, "/api/gold/refresh", {"tpa": "NO_SUCH_TPA"})
    assert (unknown.status_code, body(unknown)["code"]) == (404, "tpa_not_found")
    for injection in INJECTIONS:
        response = await post(operator_client, "/api/gold/refresh", {"tpa": injection})
        assert body(response)["code"] == "tpa_not_found"
    bad_flag = await post(operator_client, "/api/gold/refresh", {"tpa": tpa, "full": "sometimes"})
    assert bad_flag.status_code == 422


async def test_quality_run_endpoint(operator_client: Any, refreshed: str) -> None:
    response = await post(operator_client, "/api/gold/quality/run", {"tpa": refreshed})
    result = body(response)
    assert (response.status_code, result["checks"], result["failures"]) == (200, 10, 0)

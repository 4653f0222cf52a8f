import pytest

from medallion.warehouse import warehouse
from silver import quality
from silver.transform import purge_table, purge_tpa
from tests.test_silver_transform_support import SilverFixture, build_table, record

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def claims(tpa: str) -> SilverFixture:
    return await build_table(tpa)


async def transform(client, fixture: SilverFixture) -> dict:
    body = {"tpa": fixture.tpa, "target_table": fixture.schema_table}
    return (await client.post("/api/silver/transform", body, content_type="application/json")).json()


def by_name(metrics: list[dict]) -> dict[str, dict]:
    return {metric["metric_name"]: metric for metric in metrics}


async def test_a_transform_records_quality_metrics(operator_client, viewer_client, claims):
    rule = {"tpa": claims.tpa, "table_name": claims.schema_table, "rule_name": "SMALL", "rule_type": "RANGE"}
    rule |= {"target_column": "PAID_AMOUNT", "parameters": {"max": 100}, "action": "FLAG"}
    assert (await operator_client.post("/api/silver/rules", rule, content_type="application/json")).status_code == 201
    await claims.load(record("C1", paid="500"), record("C2", units="many"), record("C3", date=""))
    result = await transform(operator_client, claims)
    response = await viewer_client.get(f"/api/silver/quality/metrics?tpa={claims.tpa}&table_name={claims.schema_table}")
    body = response.json()
    assert (body["table_name"], body["tpa"], body["batch_id"]) == (claims.physical, claims.tpa, result["batch_id"])
    metrics = by_name(body["metrics"])
    assert metrics["ROW_COUNT"]["metric_value"] == 3 and metrics["ROW_COUNT"]["passed"] is True
    assert metrics["NULL_RATE_SERVICE_DATE"]["metric_value"] == pytest.approx(33.33)
    assert metrics["NULL_RATE_CLAIM_ID"]["metric_value"] == 0
    assert metrics["CAST_FAILURES_UNITS"]["metric_value"] == 1 and metrics["CAST_FAILURES_UNITS"]["passed"] is False
    assert metrics["RULE_PASS_RATE_SMALL"]["metric_value"] == 75.0
    assert metrics["DATA_FRESHNESS_HOURS"]["metric_value"] < 1
    completeness = 100 - 33.33 / 5
    expected = round(0.4 * completeness + 0.3 * 75 + 0.3 * 75, 2)
    assert metrics["OVERALL_QUALITY_SCORE"]["metric_value"] == pytest.approx(expected, abs=0.01)
    assert set(body["metrics"][0]) == {
        "metric_name", "metric_value", "metric_threshold", "passed", "description", "measured_timestamp",
    }  # fmt: skip


async def test_a_correct_rule_scores_its_corrections_apart_from_failures(operator_client, viewer_client, claims):
    rule = {"tpa": claims.tpa, "table_name": claims.schema_table, "rule_name": "POSITIVE", "rule_type": "RANGE"}
    rule |= {"target_column": "PAID_AMOUNT", "parameters": {"min": 0}, "action": "CORRECT"}
    rule |= {"correction_expression": "ABS(PAID_AMOUNT)"}
    assert (await operator_client.post("/api/silver/rules", rule, content_type="application/json")).status_code == 201
    await claims.load(record("C1", paid="-5"), record("C2", paid="-7.50"), record("C3"))
    result = await transform(operator_client, claims)
    assert result["records_corrected"] == 2

    response = await viewer_client.get(f"/api/silver/quality/metrics?tpa={claims.tpa}&table_name={claims.schema_table}")
    metrics = by_name(response.json()["metrics"])
    assert metrics["RULE_PASS_RATE_POSITIVE"]["metric_value"] == 100.0
    assert metrics["RULE_PASS_RATE_POSITIVE"]["passed"] is True
    corrected = metrics["RULE_CORRECTIONS_POSITIVE"]
    assert (corrected["metric_value"], corrected["metric_threshold"], corrected["passed"]) == (2, None, True)
    completeness = 100 - 0
    assert metrics["OVERALL_QUALITY_SCORE"]["metric_value"] == pytest.approx(0.4 * completeness + 0.3 * 100 + 0.3 * 100)
    summary = (await viewer_client.get(f"/api/silver/quality/summary?tpa={claims.tpa}")).json()
    row = next(r for r in summary if r["TARGET_TABLE"] == claims.physical)
    checks = [m for name, m in metrics.items() if name not in ("OVERALL_QUALITY_SCORE", "RULE_CORRECTIONS_POSITIVE")]
    assert row["TOTAL_CHECKS"] == len(checks)


async def test_s13_stats_use_the_latest_run(operator_client, viewer_client, claims):
    empty = (
        await viewer_client.get(f"/api/silver/data/stats?tpa={claims.tpa}&table_name={claims.schema_table}")
    ).json()
    assert empty == {"total_records": 0, "last_updated": None, "data_quality_score": 0, "quality_metrics": []}
    await transform(operator_client, claims)
    await transform(operator_client, claims)
    url = f"/api/silver/data/stats?tpa={claims.tpa.lower()}&table_name={claims.schema_table}"
    stats = (await viewer_client.get(url)).json()
    assert stats["total_records"] == 1 and stats["last_updated"].endswith("Z")
    names = [metric["metric_name"] for metric in stats["quality_metrics"]]
    assert len(names) == len(set(names)) and "OVERALL_QUALITY_SCORE" in names
    assert isinstance(stats["data_quality_score"], float) and stats["data_quality_score"] > 80
    missing = await viewer_client.get(f"/api/silver/data/stats?tpa={claims.tpa}&table_name=NOPE")
    assert (missing.status_code, missing.json()["code"]) == (404, "table_not_found")


async def test_s26_check_from_a_json_body_and_s28_summary(operator_client, viewer_client, claims):
    body = {"table_name": claims.schema_table, "tpa": claims.tpa}
    response = await operator_client.post("/api/silver/quality/check", body, content_type="application/json")
    assert response.status_code == 200
    check = response.json()
    assert check["physical_table_name"] == claims.physical and check["table_name"] == claims.schema_table
    assert check["message"].startswith(f"Data quality check complete for {claims.physical}. Score: 0.0%. Batch ID: ")
    query = f"/api/silver/quality/check?table_name={claims.physical}&tpa={claims.tpa}"
    by_query = await operator_client.post(query, "null", content_type="application/json")
    assert by_query.json()["physical_table_name"] == claims.physical
    await transform(operator_client, claims)
    summary = (await viewer_client.get(f"/api/silver/quality/summary?tpa={claims.tpa}")).json()
    assert isinstance(summary, list) and len(summary) == 1
    row = summary[0]
    assert set(row) == {
        "TPA", "TARGET_TABLE", "BATCH_ID", "QUALITY_SCORE", "ROW_COUNT", "HOURS_SINCE_LOAD", "CHECKS_PASSED",
        "TOTAL_CHECKS", "LAST_CHECK_TIMESTAMP",
    }  # fmt: skip
    assert (row["TPA"], row["TARGET_TABLE"], row["ROW_COUNT"]) == (claims.tpa, claims.physical, 1)
    assert isinstance(row["QUALITY_SCORE"], float) and 0 < row["CHECKS_PASSED"] <= row["TOTAL_CHECKS"]
    errors = await operator_client.post(
        "/api/silver/quality/check", {"tpa": claims.tpa}, content_type="application/json"
    )
    assert errors.status_code == 422


async def test_s27_checks_every_table_of_the_tpa(operator_client, tpa, claims):
    await build_table(tpa)
    response = await operator_client.post(
        f"/api/silver/quality/check-all?tpa={tpa.lower()}", "", content_type="application/json"
    )
    body = response.json()
    assert body["tables_checked"] == 2 and body["tpa"] == tpa
    assert (
        body["message"]
        == f"Data Quality Checks Complete. Checked 2 tables for TPA: {tpa}. Batch ID: {body['batch_id']}"
    )
    missing = await operator_client.post(
        "/api/silver/quality/check-all", {"tpa": "NOPE_X"}, content_type="application/json"
    )
    assert missing.status_code == 404


async def test_s29_failures_and_s30_trends(operator_client, viewer_client, claims):
    await quality.check(claims.tpa, claims.schema_table, "DQ_FIRST")
    await claims.load(record("C1"))
    await transform(operator_client, claims)
    failures = (await viewer_client.get(f"/api/silver/quality/failures?tpa={claims.tpa}")).json()
    assert failures and {"ROW_COUNT"} <= {f["METRIC_NAME"] for f in failures if f["BATCH_ID"] == "DQ_FIRST"}
    assert set(failures[0]) == {
        "TPA", "TARGET_TABLE", "BATCH_ID", "METRIC_NAME", "METRIC_VALUE", "METRIC_THRESHOLD", "DESCRIPTION",
        "MEASURED_TIMESTAMP",
    }  # fmt: skip
    url = f"/api/silver/quality/trends?tpa={claims.tpa}&table_name={claims.schema_table.lower()}"
    trends = (await viewer_client.get(url)).json()
    assert [t["BATCH_ID"] for t in trends][1] == "DQ_FIRST"
    assert trends[0]["PREVIOUS_SCORE"] == 0 and trends[1]["PREVIOUS_SCORE"] is None
    assert trends[0]["SCORE_CHANGE"] == pytest.approx(trends[0]["QUALITY_SCORE"])
    assert (await viewer_client.get("/api/silver/quality/trends")).status_code == 422
    assert (await viewer_client.get("/api/silver/quality/trends?tpa=NOPE_X")).status_code == 404
    assert (await viewer_client.get(f"/api/silver/quality/failures?tpa={claims.tpa}&limit=0")).status_code == 422


async def test_s31_without_runs_and_by_batch(viewer_client, claims):
    url = f"/api/silver/quality/metrics?tpa={claims.tpa}&table_name={claims.schema_table}"
    assert (await viewer_client.get(url)).json()["metrics"] == []
    await quality.check(claims.tpa, claims.schema_table, "DQ_ONE")
    await quality.check(claims.tpa, claims.schema_table, "DQ_TWO")
    chosen = (await viewer_client.get(url + "&batch_id=DQ_ONE")).json()
    assert chosen["batch_id"] == "DQ_ONE" and chosen["metrics"]
    assert (await viewer_client.get(url)).json()["batch_id"] == "DQ_TWO"


async def test_purge_hooks_remove_the_tpa_rows(operator_client, claims):
    await claims.load(record("C1", units="bad"))
    await transform(operator_client, claims)
    kept = "SELECT COUNT(*) FROM SILVER.{} WHERE TPA = ?"
    tables = ("DATA_QUALITY_METRICS", "QUARANTINE", "TRANSFORM_BATCHES")
    assert all([await warehouse().fetch_value(kept.format(t), (claims.tpa,)) for t in tables])
    async with warehouse().transaction() as tx:
        await purge_table(tx, None, claims.schema_table)
    assert not any([await warehouse().fetch_value(kept.format(t), (claims.tpa,)) for t in tables])
    await quality.check(claims.tpa, claims.schema_table, None)
    async with warehouse().transaction() as tx:
        await purge_tpa(tx, claims.tpa)
    assert not await warehouse().fetch_value(kept.format("DATA_QUALITY_METRICS"), (claims.tpa,))

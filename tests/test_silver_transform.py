import asyncio
import json
from decimal import Decimal

import pytest

from medallion.warehouse import warehouse
from silver import transform
from tests.test_silver_transform_support import SilverFixture, build_table, record

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def claims(tpa: str) -> SilverFixture:
    return await build_table(tpa)


async def run(client, fixture: SilverFixture, **extra) -> dict:
    body = {"source_table": "RAW_DATA_TABLE", "target_table": fixture.schema_table.lower(), "tpa": fixture.tpa.lower()}
    response = await client.post("/api/silver/transform", body | extra, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


async def add_rule(client, fixture: SilverFixture, **body) -> dict:
    payload = {"tpa": fixture.tpa, "table_name": fixture.schema_table} | body
    response = await client.post("/api/silver/rules", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


async def test_transform_maps_casts_and_reports_the_contract_result(operator_client, claims):
    await claims.load(record("C1", paid="1,5"), record("C2", paid="", status="", date="2024-02-30"))
    result = await run(operator_client, claims)
    assert result["status"] == "SUCCESS"
    assert result["result"].startswith("SUCCESS: Transformed 1 records from BRONZE.RAW_DATA_TABLE")
    assert result["result"].endswith(f"SILVER.{claims.physical} (1 inserted, 0 updated, 2 quarantined)")
    assert (result["records_processed"], result["records_quarantined"]) == (1, 2)
    rows = {row["CLAIM_ID"]: row for row in await claims.rows()}
    assert set(rows) == {"SEED"}
    seed = rows["SEED"]
    assert (seed["PAID_AMOUNT"], seed["STATUS"], seed["UNITS"], seed["_TPA"]) == (
        Decimal("10.50"),
        "PAID",
        1,
        claims.tpa,
    )
    assert seed["_BATCH_ID"] == result["batch_id"] and seed["_FILE_NAME"] == "claims.csv"
    quarantined = {row["RECORD_ID"]: row for row in await claims.quarantined()}
    reasons = sorted(row["REASON"] for row in quarantined.values())
    assert reasons == [
        "cannot convert '1,5' to NUMBER(18,2) in PAID_AMOUNT",
        "cannot convert '2024-02-30' to DATE in SERVICE_DATE",
    ]
    assert all(row["RULE_NAME"] == "TYPE_CONVERSION" for row in quarantined.values())
    raw = [json.loads(row["RAW_DATA"]) for row in quarantined.values()]
    assert {r["Claim ID"] for r in raw} == {"C1", "C2"}


async def test_defaults_fill_missing_values_and_empty_text_counts_as_missing(operator_client, claims):
    await claims.load(record("C1", status="", paid=""))
    await run(operator_client, claims)
    row = next(r for r in await claims.rows() if r["CLAIM_ID"] == "C1")
    assert row["STATUS"] == "UNKNOWN" and row["PAID_AMOUNT"] is None


async def test_rerun_is_idempotent_and_counts_updates(operator_client, claims):
    await claims.load(record("C1"), record("C2", units="x"))
    first = await run(operator_client, claims)
    second = await run(operator_client, claims)
    assert (first["records_inserted"], first["records_updated"], first["records_quarantined"]) == (2, 0, 1)
    assert (second["records_inserted"], second["records_updated"], second["records_quarantined"]) == (0, 2, 1)
    rows = await claims.rows()
    assert len(rows) == 2 and len({r["_RECORD_ID"] for r in rows}) == 2
    assert len(await claims.quarantined()) == 1


async def test_incremental_reads_only_records_no_run_has_read(operator_client, claims):
    await claims.load(record("C1"))
    await run(operator_client, claims, incremental=True)
    await claims.load(record("C2"), record("C3"))
    result = await run(operator_client, claims, incremental=True)
    assert (result["records_inserted"], result["records_updated"]) == (2, 0)
    again = await run(operator_client, claims, incremental=True)
    assert again["records_processed"] == 0
    full = await run(operator_client, claims)
    assert (full["records_inserted"], full["records_updated"]) == (0, 4)
    watermark = await warehouse().fetch_value(
        "SELECT WATERMARK_RECORD_ID FROM SILVER.CREATED_TABLES WHERE TABLE_NAME = ?", (claims.physical,)
    )
    assert watermark == max(r["_RECORD_ID"] for r in await claims.rows())


async def test_incremental_takes_records_whose_ids_arrive_out_of_order(operator_client, claims):
    await add_rule(
        operator_client, claims, rule_name="DATED", action="REJECT", rule_type="NOT_NULL", target_column="SERVICE_DATE"
    )
    await claims.load(record("C1"), record("C2", date=""))
    first = await run(operator_client, claims, incremental=True)
    assert first["records_quarantined"] == 1
    # Snowflake's NOORDER identity: a record loaded later can get an id below every id read so far.
    await warehouse().execute(
        "INSERT INTO BRONZE.RAW_DATA_TABLE (RECORD_ID, TPA, FILE_NAME, FILE_ROW_NUMBER, RAW_DATA, FILE_TYPE, "
        "LOADED_BY) SELECT (SELECT MIN(RECORD_ID) - 1 FROM BRONZE.RAW_DATA_TABLE), ?, 'late.csv', 1, PARSE_JSON(?), "
        "'CSV', 'tests'",
        (claims.tpa, json.dumps(record("C3"))),
    )

    late = await run(operator_client, claims, incremental=True)

    assert (late["records_inserted"], late["records_updated"], late["records_quarantined"]) == (1, 0, 0)
    assert sorted(row["CLAIM_ID"] for row in await claims.rows()) == ["C1", "C3", "SEED"]
    assert (await run(operator_client, claims, incremental=True))["records_processed"] == 0


async def test_batches_are_recorded_and_listed(operator_client, viewer_client, claims):
    result = await run(operator_client, claims)
    history = (
        await viewer_client.get(f"/api/silver/transform/history?tpa={claims.tpa}&table_name={claims.schema_table}")
    ).json()
    assert history[0]["BATCH_ID"] == result["batch_id"]
    assert history[0]["STATUS"] == "SUCCESS" and history[0]["ROWS_READ"] == 1 and history[0]["INSERTED"] == 1
    assert history[0]["DURATION_MS"] >= 0 and history[0]["TRIGGERED_BY"] == operator_client.user.username
    batch = (await viewer_client.get(f"/api/silver/transform/batches/{result['batch_id']}")).json()
    assert batch["FINISHED_AT"].endswith("Z")
    assert (await viewer_client.get("/api/silver/transform/batches/NOPE")).status_code == 404


RULE_CASES = [
    ({"rule_type": "NOT_NULL", "target_column": "SERVICE_DATE"}, {"date": ""}, {}),
    ({"rule_type": "RANGE", "target_column": "PAID_AMOUNT", "parameters": {"min": 0, "max": 100}},
     {"paid": "101"}, {"paid": "100"}),
    ({"rule_type": "RANGE", "target_column": "SERVICE_DATE", "parameters": {"min": "2020-01-01"}},
     {"date": "2019-12-31"}, {}),
    ({"rule_type": "REGEX", "target_column": "CLAIM_ID", "parameters": {"pattern": "^(C[0-9]+|SEED)$"}},
     {"claim": "X1"}, {}),
    ({"rule_type": "ALLOWED_VALUES", "target_column": "STATUS", "parameters": {"values": ["PAID", "DENIED"]}},
     {"status": "open"}, {"status": "denied"}),
    ({"rule_type": "NOT_FUTURE_DATE", "target_column": "SERVICE_DATE"}, {"date": "2999-01-01"}, {}),
    ({"rule_type": "CUSTOM", "parameters": {"expression": "PAID_AMOUNT <= UNITS * 20"}},
     {"paid": "50", "units": "2"}, {"units": "3", "paid": "50"}),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "bad", "good"), RULE_CASES)
async def test_each_rule_type_rejects_to_quarantine(operator_client, claims, rule, bad, good):
    await add_rule(operator_client, claims, rule_name="CHECK_IT", action="REJECT", **rule)
    rejected = record(**({"claim": "C7"} | bad))
    await claims.load(rejected, record("C8", **good))
    result = await run(operator_client, claims)
    assert result["records_quarantined"] == 1
    assert {r["CLAIM_ID"] for r in await claims.rows()} == {"SEED", "C8"}
    [quarantined] = await claims.quarantined()
    assert quarantined["RULE_NAME"] == "CHECK_IT" and quarantined["REASON"] == "failed rule CHECK_IT"
    assert json.loads(quarantined["RAW_DATA"]) == rejected


async def test_lookup_rule_checks_another_silver_table(operator_client, tpa, claims):
    members = await build_table(tpa)
    await members.load(record("KNOWN"))
    await run(operator_client, members)
    await add_rule(
        operator_client, claims, rule_name="KNOWN_CLAIM", rule_type="LOOKUP", target_column="CLAIM_ID",
        parameters={"schema": "SILVER", "table": members.physical, "column": "CLAIM_ID"},
    )  # fmt: skip
    await claims.load(record("KNOWN"), record("STRANGER"))
    await run(operator_client, claims)
    assert {r["CLAIM_ID"] for r in await claims.rows()} == {"SEED", "KNOWN"}


async def test_flag_keeps_the_row_and_records_a_flag(operator_client, claims):
    rule = await add_rule(
        operator_client, claims, rule_name="BIG_PAYMENT", rule_type="RANGE", target_column="PAID_AMOUNT",
        parameters={"max": 1000}, action="FLAG",
    )  # fmt: skip
    await claims.load(record("C1", paid="5000"))
    result = await run(operator_client, claims)
    assert (result["records_inserted"], result["records_quarantined"], result["records_flagged"]) == (2, 0, 1)
    flags = await warehouse().fetch_all(
        "SELECT f.RULE_ID, f.ACTION FROM SILVER.DQ_FLAGS f JOIN " + claims.sql + ' t ON t."_RECORD_ID" = f.RECORD_ID '
        "WHERE f.TPA = ? AND t.CLAIM_ID = 'C1'",
        (claims.tpa,),
    )
    assert flags == [{"RULE_ID": rule["RULE_ID"], "ACTION": "FLAG"}]
    await run(operator_client, claims)
    count = await warehouse().fetch_value("SELECT COUNT(*) FROM SILVER.DQ_FLAGS WHERE TPA = ?", (claims.tpa,))
    assert count == 1


async def test_correct_replaces_the_value(operator_client, claims):
    await add_rule(
        operator_client, claims, rule_name="NO_NEGATIVE", rule_type="RANGE", target_column="PAID_AMOUNT",
        parameters={"min": 0}, action="CORRECT", correction_expression="ABS(PAID_AMOUNT)",
    )  # fmt: skip
    await claims.load(record("C1", paid="-12.25"))
    result = await run(operator_client, claims)
    assert result["records_corrected"] == 1 and result["records_quarantined"] == 0
    row = next(r for r in await claims.rows() if r["CLAIM_ID"] == "C1")
    assert row["PAID_AMOUNT"] == Decimal("12.25")


async def test_apply_rules_false_skips_rules(operator_client, claims):
    await add_rule(operator_client, claims, rule_name="NEVER", rule_type="CUSTOM", parameters={"expression": "1 = 0"})
    assert (await run(operator_client, claims, apply_rules=False))["records_quarantined"] == 0
    assert (await run(operator_client, claims))["records_quarantined"] == 1
    assert await claims.rows() == []


async def test_quarantine_release_after_fix(operator_client, viewer_client, claims):
    rule = await add_rule(
        operator_client,
        claims,
        rule_name="SMALL",
        rule_type="RANGE",
        target_column="PAID_AMOUNT",
        parameters={"max": 20},
    )
    await claims.load(record("C1", paid="50"), record("C2", paid="60"))
    await run(operator_client, claims)
    listing = (
        await viewer_client.get(f"/api/silver/quarantine?tpa={claims.tpa}&table_name={claims.schema_table}")
    ).json()
    assert listing["total_count"] == 2 and listing["data"][0]["RAW_DATA"]["Paid $"] in {"50", "60"}
    update = {"parameters": {"max": 55}}
    assert (
        await operator_client.put(f"/api/silver/rules/{rule['RULE_ID']}", update, content_type="application/json")
    ).status_code == 200
    c1 = next(r["RECORD_ID"] for r in listing["data"] if r["RAW_DATA"]["Claim ID"] == "C1")
    body = {"tpa": claims.tpa, "table_name": claims.schema_table, "record_ids": [c1]}
    response = await operator_client.post("/api/silver/quarantine/release", body, content_type="application/json")
    assert response.json()["records_inserted"] == 1
    assert {r["CLAIM_ID"] for r in await claims.rows()} == {"SEED", "C1"}
    statuses = {(r["RECORD_ID"] == c1, r["STATUS"]) for r in await claims.quarantined()}
    assert statuses == {(True, "RELEASED"), (False, "QUARANTINED")}
    everything = {"tpa": claims.tpa, "table_name": claims.schema_table}
    again = await operator_client.post("/api/silver/quarantine/release", everything, content_type="application/json")
    assert again.json()["records_quarantined"] == 1 and again.json()["records_inserted"] == 0


async def test_quarantine_export_streams_csv(viewer_client, operator_client, claims):
    await claims.load(record("=cmd|'/c calc'!A1", units="bad"))
    await run(operator_client, claims)
    response = await viewer_client.get(
        f"/api/silver/quarantine/export?tpa={claims.tpa}&table_name={claims.schema_table}"
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join([chunk async for chunk in response.streaming_content]).decode()
    assert text.splitlines()[0].startswith("TPA,SCHEMA_TABLE,TARGET_TABLE,RECORD_ID")
    assert "cannot convert 'bad' to INTEGER in UNITS" in text


async def test_preconditions_answer_with_their_codes(operator_client, tpa, claims):
    async def code(body):
        response = await operator_client.post("/api/silver/transform", body, content_type="application/json")
        return response.status_code, response.json()["code"]

    base = {"tpa": tpa, "target_table": claims.schema_table}
    assert await code({"tpa": "NOPE_TPA", "target_table": claims.schema_table}) == (404, "tpa_not_found")
    assert await code(base | {"target_table": "NO_SUCH_SCHEMA"}) == (404, "schema_table_not_found")
    assert await code(base | {"target_table": "x; DROP TABLE y"}) == (404, "schema_table_not_found")
    assert await code({"tpa": tpa}) == (422, "validation_error")
    assert await code(base | {"source_table": "OTHER"}) == (422, "validation_error")
    assert await code(base | {"batch_size": 0}) == (422, "validation_error")
    unmapped = await build_table(tpa, sources={})
    assert await code(base | {"target_table": unmapped.schema_table}) == (409, "no_approved_mappings")
    await warehouse().execute(f"ALTER TABLE {claims.sql} DROP COLUMN UNITS")
    status, error = await code(base)
    assert (status, error) == (409, "mapping_column_missing")


async def test_a_second_run_for_the_same_table_is_refused(operator_client, claims, monkeypatch):
    started, release = asyncio.Event(), asyncio.Event()
    original = transform._run

    async def slow_run(*args, **kwargs):
        started.set()
        await release.wait()
        return await original(*args, **kwargs)

    monkeypatch.setattr(transform, "_run", slow_run)
    first = asyncio.create_task(transform.transform(claims.tpa, claims.schema_table))
    await started.wait()
    body = {"tpa": claims.tpa, "target_table": claims.schema_table}
    response = await operator_client.post("/api/silver/transform", body, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "operation_in_progress"
    assert await transform.is_busy(claims.tpa)
    running = (await operator_client.get(f"/api/silver/transform/history?tpa={claims.tpa}")).json()[0]
    assert running["STATUS"] == "RUNNING" and running["PHASE"] == "STAGING"
    release.set()
    assert (await first).status == "SUCCESS"
    assert not await transform.is_busy(claims.tpa)


async def test_roles(viewer_client, anonymous_client, claims):
    body = {"tpa": claims.tpa, "target_table": claims.schema_table}
    assert (await viewer_client.post("/api/silver/transform", body, content_type="application/json")).status_code == 403
    assert (await anonymous_client.get("/api/silver/transform/history")).status_code == 401


async def test_transform_all_task_runs_every_mapped_table(claims):
    await claims.load(record("C1"))
    totals = await transform.transform_all()
    assert totals["records_processed"] >= 2 and totals["tables_transformed"] >= 1
    assert len(await claims.rows()) == 2


INJECTION = "x'); DROP TABLE SILVER.CANARY; --"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rule_name": INJECTION}, "rule_name"),
        ({"target_column": INJECTION}, "target_column"),
        ({"rule_type": INJECTION}, "rule_type"),
        ({"action": INJECTION}, "action"),
        ({"severity": INJECTION}, "severity"),
        ({"parameters": {"pattern": "(unclosed"}, "rule_type": "REGEX"}, "parameters.pattern"),
        ({"parameters": {"max": INJECTION}}, "parameters.max"),
        ({"parameters": {"values": []}, "rule_type": "ALLOWED_VALUES"}, "parameters.values"),
        ({"rule_type": "LOOKUP", "parameters": {"table": INJECTION, "column": "X"}}, "parameters.table"),
        ({"rule_type": "LOOKUP", "parameters": {"schema": "BRONZE", "table": "RAW_DATA_TABLE", "column": "TPA"}},
         "parameters.schema"),
        ({"rule_type": "CUSTOM", "parameters": {"expression": "1 = 1; DROP TABLE SILVER.CANARY"}},
         "parameters.expression"),
        ({"rule_type": "CUSTOM", "parameters": {"expression": "(SELECT 1) = 1"}}, "parameters.expression"),
        ({"rule_type": "CUSTOM", "parameters": {"expression": "PAID_AMOUNT"}}, "parameters.expression"),
        ({"action": "CORRECT", "correction_expression": "PAID_AMOUNT); DROP TABLE SILVER.CANARY; --"},
         "correction_expression"),
        ({"action": "CORRECT"}, "correction_expression"),
        ({"rule_type": "NOT_FUTURE_DATE"}, "target_column"),
    ],
)  # fmt: skip
async def test_bad_rules_are_refused_and_the_canary_survives(operator_client, claims, change, field):
    await warehouse().execute("CREATE TABLE IF NOT EXISTS SILVER.CANARY (X INTEGER)")
    canary_rows = await warehouse().fetch_value("SELECT COUNT(*) FROM SILVER.CANARY")
    body = {"tpa": claims.tpa, "table_name": claims.schema_table, "rule_name": "R1", "rule_type": "RANGE"}
    body |= {"target_column": "PAID_AMOUNT", "parameters": {"max": 5}} | change
    response = await operator_client.post("/api/silver/rules", body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == field
    assert await warehouse().fetch_value("SELECT COUNT(*) FROM SILVER.CANARY") == canary_rows


async def test_rule_crud_and_conflicts(operator_client, viewer_client, claims):
    rule = await add_rule(operator_client, claims, rule_name="paid_cap", rule_type="RANGE", target_column="PAID_AMOUNT",
                          parameters={"max": 5})  # fmt: skip
    assert rule["RULE_NAME"] == "PAID_CAP" and rule["PARAMETERS"] == {"max": 5} and rule["ACTIVE"] is True
    duplicate = {"tpa": claims.tpa, "table_name": claims.schema_table, "rule_name": "PAID_CAP", "rule_type": "NOT_NULL"}
    duplicate["target_column"] = "CLAIM_ID"
    clash = await operator_client.post("/api/silver/rules", duplicate, content_type="application/json")
    assert (clash.status_code, clash.json()["code"]) == (409, "rule_exists")
    listed = (await viewer_client.get(f"/api/silver/rules?tpa={claims.tpa}&table_name={claims.schema_table}")).json()
    assert [r["RULE_ID"] for r in listed] == [rule["RULE_ID"]]
    path = f"/api/silver/rules/{rule['RULE_ID']}"
    updated = await operator_client.put(path, {"active": False}, content_type="application/json")
    assert updated.json()["ACTIVE"] is False and updated.json()["PARAMETERS"] == {"max": 5}
    assert (await viewer_client.put(path, {"active": True}, content_type="application/json")).status_code == 403
    assert (await operator_client.delete(path)).json()["rule_id"] == rule["RULE_ID"]
    assert (await operator_client.delete(path)).json()["code"] == "rule_not_found"
    missing_table = {"tpa": claims.tpa, "table_name": "NOPE", "rule_name": "X", "rule_type": "NOT_NULL"}
    response = await operator_client.post("/api/silver/rules", missing_table, content_type="application/json")
    assert response.json()["code"] == "schema_table_not_found"


async def test_injection_in_mapped_source_fields_and_names(operator_client, tpa):
    await warehouse().execute("CREATE TABLE IF NOT EXISTS SILVER.CANARY (X INTEGER)")
    canary_rows = await warehouse().fetch_value("SELECT COUNT(*) FROM SILVER.CANARY")
    hostile = {"CLAIM_ID": (INJECTION, None), "STATUS": ("a.b[0]\\'\"", "CONCAT(src, '''; DROP TABLE X; --')")}
    fixture = await build_table(tpa, sources=hostile)
    await fixture.load({INJECTION: "C9", "a.b[0]\\'\"": "v"})
    result = await run(operator_client, fixture)
    assert result["status"] == "SUCCESS"
    row = next(r for r in await fixture.rows() if r["CLAIM_ID"] == "C9")
    assert row["STATUS"] == "v'; DROP TABLE X; --"
    assert await warehouse().fetch_value("SELECT COUNT(*) FROM SILVER.CANARY") == canary_rows


@pytest.mark.parametrize(
    "expression",
    [
        "TRY_TO_DATE(src, 'MM/DD/YYYY')",
        "TO_DATE(src, 'MM/DD/YYYY')",
        "COALESCE(TRY_TO_DATE(TRIM(src), 'MM/DD/YYYY'), TO_DATE(src, 'YYYY.MM.DD'))",
        "TO_DATE(REPLACE(src, '-', '/'), 'MM/DD/YYYY')",
    ],
)
async def test_a_value_an_expression_cannot_convert_is_quarantined_not_defaulted(operator_client, tpa, expression):
    columns = (
        {"column_name": "CLAIM_ID", "data_type": "VARCHAR(20)"},
        {"column_name": "SERVICE_DATE", "data_type": "DATE", "nullable": False, "default_value": "CURRENT_DATE()"},
    )
    sources = {"CLAIM_ID": ("Claim ID", None), "SERVICE_DATE": ("Service Date", expression)}
    fixture = await build_table(tpa, columns=columns, sources=sources)
    await fixture.load(record("GOOD", date="01/15/2024"), record("BAD", date="13/45/2025"), record("NONE", date=""))

    result = await run(operator_client, fixture)

    assert result["status"] == "SUCCESS", result["result"]
    rows = {row["CLAIM_ID"]: row["SERVICE_DATE"] for row in await fixture.rows()}
    assert str(rows["GOOD"]) == "2024-01-15" and "BAD" not in rows and "NONE" in rows
    reasons = [
        (json.loads(row["RAW_DATA"])["Claim ID"], row["TARGET_COLUMN"], row["REASON"])
        for row in await fixture.quarantined()
    ]
    assert (
        "BAD",
        "SERVICE_DATE",
        f"cannot convert '13/45/2025' in the mapping expression {expression} of SERVICE_DATE",
    ) in reasons


async def test_the_transform_reads_values_by_the_tpa_conversion_settings(operator_client, admin_client, claims):
    page = await admin_client.post(
        f"/operations/tpas/{claims.tpa}/conversions",
        {"date_order": "DMY", "decimal_comma": "on", "accounting_negatives": "on"},
    )
    assert page.status_code == 302
    listing = (await admin_client.get("/operations/tpas")).content.decode()
    assert "Dates and numbers: DMY, decimal comma, (negatives)" in listing
    await claims.load(record("EU", paid="(1.234,50)", date="31/01/2024"))

    result = await run(operator_client, claims)

    assert result["records_quarantined"] == 0
    row = next(r for r in await claims.rows() if r["CLAIM_ID"] == "EU")
    assert (row["PAID_AMOUNT"], str(row["SERVICE_DATE"])) == (Decimal("-1234.50"), "2024-01-31")


async def test_an_expression_may_use_other_fields_of_the_record(operator_client, tpa):
    columns = ({"column_name": "CLAIM_ID", "data_type": "VARCHAR(40)"},)
    fixture = await build_table(tpa, columns=columns, sources={})
    await fixture.load({"Claim ID": "C1", "status": "paid", "Service Date": "2024-01-15"})
    body = {"tpa": tpa, "target_table": fixture.schema_table, "target_column": "CLAIM_ID", "source_field": "Claim ID"}
    refused = await operator_client.post(
        "/api/silver/mappings", body | {"transformation_logic": "src || nope"}, content_type="application/json"
    )
    assert refused.status_code == 422 and "Unknown column nope" in refused.json()["detail"]
    expression = "src || '-' || UPPER(status) || '-' || \"Service Date\""
    created = await operator_client.post(
        "/api/silver/mappings", body | {"transformation_logic": expression}, content_type="application/json"
    )
    assert created.status_code == 201, created.content

    await run(operator_client, fixture)

    values = {row["CLAIM_ID"] for row in await fixture.rows()}
    assert "C1-PAID-2024-01-15" in values


async def test_preview_evaluates_an_expression_on_the_tpa_sample_values(operator_client, viewer_client, claims):
    await claims.load(record("P1", date="01/31/2024"), record("P2", date="13/45/2025"))
    body = {
        "tpa": claims.tpa, "source_field": "Service Date", "transformation_logic": "TO_DATE(src, 'MM/DD/YYYY')",
        "target_table": claims.schema_table, "target_column": "SERVICE_DATE", "samples": 10,
    }  # fmt: skip
    response = await viewer_client.post("/api/silver/mappings/preview", body, content_type="application/json")

    assert response.status_code == 200, response.content
    samples = {row["source_value"]: row for row in response.json()["samples"]}
    assert samples["01/31/2024"]["typed_value"] == "2024-01-31" and samples["01/31/2024"]["problem"] is None
    assert "could not convert" in samples["13/45/2025"]["problem"]
    assert "could not convert" in samples["2024-01-15"]["problem"]  # the seed record, in another spelling
    bad = await viewer_client.post(
        "/api/silver/mappings/preview", body | {"transformation_logic": "(SELECT 1)"}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_transformation_logic"

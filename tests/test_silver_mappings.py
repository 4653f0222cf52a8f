from collections import Counter
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from medallion.errors import ApiError
from silver import llm, mappings
from silver.tables import exclusive_operation
from tests.test_silver_tables import INJECTIONS, canary, create_physical, load_bronze, new_schema_table  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

CLAIMS = [
    {
        "Claim Number": f"CLM00{n}",
        "Mbr #": f"M{n:05d}",
        "DOS": f"03/0{n}/2024",
        "Billed Amt": f"${n}25.00",
        "Paid Amt": f"{n}00.00",
        "ICD10": "E11.9",
        "CPT Code": "99213",
        "Rendering NPI": "1234567893",
        "Filler": "",
    }
    for n in range(1, 6)
]


@pytest.fixture
async def claims_tpa(tpa: str) -> str:
    await load_bronze(tpa, CLAIMS)
    return tpa


async def _manual(client, tpa, table="MEDICAL_CLAIMS", **extra):
    body = {"tpa": tpa.lower(), "target_table": table.lower(), **extra}
    return await client.post("/api/silver/mappings", body, content_type="application/json")


async def _auto(client, tpa, table="MEDICAL_CLAIMS", path="auto-ml", **extra):
    body = {"source_table": "RAW_DATA_TABLE", "target_table": table, "tpa": tpa, **extra}
    return await client.post(f"/api/silver/mappings/{path}", body, content_type="application/json")


async def _listed(client, tpa, table="MEDICAL_CLAIMS") -> list[dict[str, Any]]:
    return (await client.get(f"/api/silver/mappings?tpa={tpa.lower()}&target_table={table.lower()}")).json()


async def test_auto_ml_creates_expected_unapproved_suggestions(operator_client, claims_tpa):
    response = await _auto(operator_client, claims_tpa, top_n=1, min_confidence=0.6)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and "successfully" in body["message"].lower()
    rows = await _listed(operator_client, claims_tpa)
    assert body["mappings_created"] == len(rows)
    got = {row["SOURCE_FIELD"]: row["TARGET_COLUMN"] for row in rows}
    assert got == {
        "Claim Number": "CLAIM_ID",
        "Mbr #": "MEMBER_ID",
        "DOS": "SERVICE_DATE",
        "Billed Amt": "BILLED_AMOUNT",
        "Paid Amt": "PAID_AMOUNT",
        "ICD10": "DIAGNOSIS_CODE",
        "CPT Code": "PROCEDURE_CODE",
        "Rendering NPI": "PROVIDER_ID",
    }
    for row in rows:
        assert (
            row["MAPPING_METHOD"] == "ML_AUTO" and row["APPROVED"] is False and row["SOURCE_TABLE"] == "RAW_DATA_TABLE"
        )
        assert 0.6 <= row["CONFIDENCE_SCORE"] <= 1 and row["TRANSFORMATION_LOGIC"] and row["TPA"] == claims_tpa

    again = (await _auto(operator_client, claims_tpa, top_n=1)).json()
    assert again["mappings_created"] == len(rows) and len(await _listed(operator_client, claims_tpa)) == len(rows)


async def test_auto_ml_keeps_approved_and_manual_mappings(operator_client, claims_tpa):
    manual = await _manual(operator_client, claims_tpa, source_field="Claim Number", target_column="CLAIM_ID")
    assert manual.status_code == 201
    await _auto(operator_client, claims_tpa, top_n=1)
    dos = next(r for r in await _listed(operator_client, claims_tpa) if r["SOURCE_FIELD"] == "DOS")
    await operator_client.post(f"/api/silver/mappings/{dos['MAPPING_ID']}/approve")

    rerun = (await _auto(operator_client, claims_tpa, top_n=1)).json()
    rows = await _listed(operator_client, claims_tpa)
    assert rerun["mappings_created"] == len(rows) - 2
    assert [r["MAPPING_ID"] for r in rows if r["APPROVED"]] == sorted([manual.json()["mapping_id"], dos["MAPPING_ID"]])
    assert sum(r["TARGET_COLUMN"] == "CLAIM_ID" for r in rows) == 1
    assert sum(r["SOURCE_FIELD"] == "DOS" for r in rows) == 1


async def test_auto_ml_top_n_adds_alternatives_and_threshold_can_leave_nothing(operator_client, claims_tpa):
    top3 = (await _auto(operator_client, claims_tpa, top_n=3, min_confidence=0.3)).json()
    rows = await _listed(operator_client, claims_tpa)
    assert top3["mappings_created"] == len(rows) > 8
    flagged = mappings.annotate_duplicates(rows)
    assert any(row["DUPLICATE_SOURCE"] for row in flagged)

    unrelated = await new_schema_table(operator_client, [("WEATHER_FORECAST", "VARIANT")])
    none = (await _auto(operator_client, claims_tpa, table=unrelated, min_confidence=0.95)).json()
    assert none["success"] is False and none["mappings_created"] == 0
    assert "successfully" not in none["message"].lower() and "0.95" in none["message"]


async def test_auto_ml_errors(operator_client, admin_client, claims_tpa, unique_code):
    for extra, field in (
        ({"top_n": 0}, "top_n"),
        ({"top_n": 11}, "top_n"),
        ({"min_confidence": 1.5}, "min_confidence"),
        ({"min_confidence": "high"}, "min_confidence"),
        ({"source_table": "OTHER"}, "source_table"),
    ):
        response = await _auto(operator_client, claims_tpa, **extra)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field
    missing = await operator_client.post("/api/silver/mappings/auto-ml", {"tpa": claims_tpa}, "application/json")
    assert missing.status_code == 422
    assert (await _auto(operator_client, "NOBODY_X")).json()["code"] == "tpa_not_found"
    assert (await _auto(operator_client, claims_tpa, table="NO_TABLE")).json()["code"] == "schema_table_not_found"

    async with exclusive_operation(claims_tpa, "MEDICAL_CLAIMS"):
        busy = await _auto(operator_client, claims_tpa)
        assert busy.status_code == 409 and busy.json()["code"] == "operation_in_progress"

    await admin_client.post("/api/tpas", {"tpa_code": unique_code + "E", "tpa_name": "Empty"}, "application/json")
    empty = await _auto(operator_client, unique_code + "E")
    assert empty.status_code == 409 and empty.json()["code"] == "no_source_data"

    await admin_client.patch(f"/api/tpas/{claims_tpa}/status", {"active": False}, "application/json")
    inactive = await _auto(operator_client, claims_tpa)
    assert inactive.status_code == 409 and inactive.json()["code"] == "tpa_inactive"


async def test_manual_mapping_is_approved_and_keeps_case(operator_client, claims_tpa):
    response = await _manual(
        operator_client,
        claims_tpa,
        source_field="Mbr #",
        target_column="member_id",
        transformation_logic="UPPER(TRIM(src))",
        source_table="RAW_DATA_TABLE",
        mapping_method="ML_AUTO",
        approved=False,
    )
    assert response.status_code == 201
    mapping_id = response.json()["mapping_id"]
    assert response.json() == {"message": "Field mapping created successfully", "mapping_id": mapping_id}
    row = (await _listed(operator_client, claims_tpa))[0]
    assert row["MAPPING_ID"] == mapping_id and row["SOURCE_FIELD"] == "Mbr #" and row["TARGET_COLUMN"] == "MEMBER_ID"
    assert row["MAPPING_METHOD"] == "MANUAL" and row["APPROVED"] is True and row["CONFIDENCE_SCORE"] is None
    assert row["APPROVED_BY"] == operator_client.user.username and row["APPROVED_TIMESTAMP"].endswith("Z")
    assert row["TRANSFORMATION_LOGIC"] == "UPPER(TRIM(src))"
    approved = await mappings.approved_mappings(claims_tpa, "MEDICAL_CLAIMS")
    assert approved[0]["TRANSFORM_EXPRESSION"] == "UPPER(TRIM(src))" and approved[0]["SOURCE_FIELD"] == "Mbr #"

    duplicate = await _manual(operator_client, claims_tpa, source_field="DOS", target_column="MEMBER_ID")
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "mapping_exists"

    other = (await _manual(operator_client, claims_tpa, source_field="DOS", target_column="SERVICE_DATE")).json()
    path = f"/api/silver/mappings/{other['mapping_id']}"
    moved = await operator_client.patch(path, {"target_column": "member_id"}, content_type="application/json")
    assert moved.status_code == 409 and moved.json()["code"] == "mapping_exists"
    assert f"Mapping {mapping_id} already targets" in moved.json()["detail"]
    kept = await operator_client.patch(path, {"target_column": "SERVICE_DATE"}, content_type="application/json")
    assert kept.status_code == 200
    targets = [row["TARGET_COLUMN"] for row in await _listed(operator_client, claims_tpa)]
    assert sorted(targets) == ["MEMBER_ID", "SERVICE_DATE"]


async def test_manual_mapping_errors(operator_client, admin_client, claims_tpa):
    cases = [
        ({"source_field": "DOS", "target_column": "NOPE"}, 422, "target_column_not_found"),
        ({"source_field": "Not a header", "target_column": "CLAIM_ID"}, 422, "validation_error"),
        ({"target_column": "CLAIM_ID"}, 422, "validation_error"),
        ({"source_field": "x" * 501, "target_column": "CLAIM_ID"}, 422, "validation_error"),
    ]
    for extra, status, code in cases:
        response = await _manual(operator_client, claims_tpa, **extra)
        assert (response.status_code, response.json()["code"]) == (status, code)
    unknown = await _manual(operator_client, "NOBODY_Y", source_field="DOS", target_column="CLAIM_ID")
    assert unknown.json()["code"] == "tpa_not_found"
    no_table = await _manual(operator_client, claims_tpa, "NO_TABLE", source_field="DOS", target_column="CLAIM_ID")
    assert no_table.json()["code"] == "schema_table_not_found"
    await admin_client.patch(f"/api/tpas/{claims_tpa}/status", {"active": False}, "application/json")
    inactive = await _manual(operator_client, claims_tpa, source_field="DOS", target_column="SERVICE_DATE")
    assert inactive.status_code == 409 and inactive.json()["code"] == "tpa_inactive"


@pytest.mark.parametrize(
    "expression",
    [
        "(SELECT MAX(CLAIM_ID) FROM SILVER.CANARY)",
        "src; DROP TABLE SILVER.CANARY",
        "DROP TABLE SILVER.CANARY",
        "SILVER.CANARY.X",
        "other_column",
        "SYSTEM$WHITELIST()",
        "UPPER(src) -- comment",
        "TO_DATE(src, 'MM/DD/YYYY'",
        "EXISTS (SELECT 1)",
    ],
)
async def test_refused_expressions(operator_client, claims_tpa, canary, expression):  # noqa: F811
    response = await _manual(
        operator_client, claims_tpa, source_field="DOS", target_column="SERVICE_DATE", transformation_logic=expression
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_transformation_logic"
    assert response.json()["detail"].startswith("transformation_logic: ")
    assert await _listed(operator_client, claims_tpa) == []
    assert await canary()


@pytest.mark.parametrize("injection", INJECTIONS)
async def test_injection_in_mapping_names(operator_client, claims_tpa, canary, injection):  # noqa: F811
    for field in ("source_field", "target_table", "target_column", "tpa"):
        body = {"source_field": "DOS", "target_table": "MEDICAL_CLAIMS", "target_column": "SERVICE_DATE"}
        body[field] = injection
        response = await _manual(operator_client, claims_tpa, **body) if field != "tpa" else None
        if field == "tpa":
            response = await operator_client.post(
                "/api/silver/mappings", {**body, "tpa": injection}, content_type="application/json"
            )
        assert 400 <= response.status_code < 500, (field, response.json())
        if field in ("tpa", "target_table"):
            tpa = injection if field == "tpa" else claims_tpa
            auto = await _auto(operator_client, tpa, table=body["target_table"])
            assert 400 <= auto.status_code < 500
    listed = await operator_client.get("/api/silver/mappings", {"tpa": injection, "target_table": injection})
    assert listed.status_code == 200 and listed.json() == []
    assert await _listed(operator_client, claims_tpa) == []
    assert await canary()


async def test_list_filters_and_order(viewer_client, operator_client, claims_tpa):
    table = await new_schema_table(operator_client, [("CLAIM_ID", "VARCHAR(100)")])
    await _manual(operator_client, claims_tpa, table, source_field="Claim Number", target_column="CLAIM_ID")
    await _manual(operator_client, claims_tpa, source_field="Claim Number", target_column="CLAIM_ID")
    rows = (await viewer_client.get(f"/api/silver/mappings?tpa={claims_tpa.lower()}")).json()
    assert [r["TARGET_TABLE"] for r in rows] == sorted([table, "MEDICAL_CLAIMS"])
    assert len(await _listed(viewer_client, claims_tpa, table)) == 1
    everything = (await viewer_client.get("/api/silver/mappings")).json()
    assert everything == sorted(everything, key=lambda r: (r["TARGET_TABLE"], r["MAPPING_ID"]))


async def test_approve_delete_and_edit(operator_client, viewer_client, claims_tpa):
    await _auto(operator_client, claims_tpa, top_n=1)
    row = next(r for r in await _listed(operator_client, claims_tpa) if r["SOURCE_FIELD"] == "Paid Amt")
    path = f"/api/silver/mappings/{row['MAPPING_ID']}"

    assert (await viewer_client.post(f"{path}/approve")).status_code == 403
    approved = await operator_client.post(f"{path}/approve")
    assert approved.json() == {"message": "Mapping approved successfully", "mapping_id": row["MAPPING_ID"]}
    assert (await operator_client.post(f"{path}/approve")).status_code == 200
    after = next(r for r in await _listed(operator_client, claims_tpa) if r["MAPPING_ID"] == row["MAPPING_ID"])
    assert after["APPROVED"] is True and after["APPROVED_BY"] == operator_client.user.username

    edited = await operator_client.patch(
        path, {"transformation_logic": "TRY_TO_NUMBER(REPLACE(src, '$', ''))"}, content_type="application/json"
    )
    assert edited.status_code == 200
    approved_rows = await mappings.approved_mappings(claims_tpa, "MEDICAL_CLAIMS")
    assert approved_rows[0]["TRANSFORM_EXPRESSION"] == "TRY_TO_NUMBER(REPLACE(src, '$', ''))"
    bad_edit = await operator_client.patch(path, {"transformation_logic": "(SELECT 1)"}, "application/json")
    assert bad_edit.json()["code"] == "invalid_transformation_logic"

    deleted = await operator_client.delete(path)
    assert deleted.json() == {"message": "Mapping declined and deleted successfully", "mapping_id": row["MAPPING_ID"]}
    assert (await operator_client.delete(path)).json()["code"] == "mapping_not_found"
    assert (await operator_client.post(f"{path}/approve")).status_code == 404
    assert (await operator_client.post("/api/silver/mappings/abc/approve")).status_code == 404


async def test_validate(viewer_client, operator_client, claims_tpa):
    path = f"/api/silver/mappings/validate?tpa={claims_tpa}&target_table=medical_claims"
    empty = (await viewer_client.get(path)).json()
    assert empty["valid"] is False and empty["message"] == "No approved mappings found"
    assert empty["physical_table"] == f"{claims_tpa}_MEDICAL_CLAIMS"

    await _manual(operator_client, claims_tpa, source_field="Claim Number", target_column="CLAIM_ID")
    no_table = (await viewer_client.get(path)).json()
    assert no_table["valid"] is False and no_table["errors"][0]["target_column"] == "CLAIM_ID"

    await create_physical(operator_client, claims_tpa, "MEDICAL_CLAIMS")
    await _auto(operator_client, claims_tpa, top_n=3, min_confidence=0.3)
    suggestions = [r for r in await _listed(operator_client, claims_tpa) if not r["APPROVED"]]
    by_target = Counter(r["TARGET_COLUMN"] for r in suggestions)
    target = by_target.most_common(1)[0][0]
    assert by_target[target] >= 2
    for alternative in [r for r in suggestions if r["TARGET_COLUMN"] == target][:2]:
        await operator_client.post(f"/api/silver/mappings/{alternative['MAPPING_ID']}/approve")
    report = (await viewer_client.get(path)).json()
    assert report["valid"] is True and report["errors"] == [] and report["total_mappings"] == 3
    assert report["warnings"] == [{"target_column": target, "warning": f"2 source fields map to {target}"}]
    assert (await viewer_client.get(f"/api/silver/mappings/validate?tpa={claims_tpa}")).status_code == 422
    unknown = await viewer_client.get("/api/silver/mappings/validate?tpa=NOBODY_Z&target_table=X")
    assert unknown.status_code == 404 and unknown.json()["code"] == "tpa_not_found"


async def test_llm_needs_snowflake_after_its_prechecks(operator_client, claims_tpa, unique_code):
    bad_model = await _auto(operator_client, claims_tpa, path="auto-llm", model_name="gpt-4")
    assert bad_model.status_code == 422 and bad_model.json()["code"] == "model_not_allowed"
    unknown = await _auto(operator_client, "NOBODY_W", path="auto-llm")
    assert unknown.json()["code"] == "tpa_not_found"
    no_table = await _auto(operator_client, claims_tpa, table="NO_TABLE", path="auto-llm")
    assert no_table.json()["code"] == "schema_table_not_found"
    response = await _auto(operator_client, claims_tpa, path="auto-llm", model_name="snowflake-arctic")
    assert response.status_code == 503 and response.json()["code"] == "upstream_unavailable"
    assert "Snowflake" in response.json()["detail"]


class FakeCortex:
    """Stands in for the warehouse in silver.llm: records the Cortex call and answers with a canned text."""

    class Backend:
        kind = "snowflake"

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.backend = self.Backend()
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    async def fetch_value(self, sql: str, params: tuple[Any, ...], timeout: float | None = None) -> Any:
        self.calls.append((sql, params))
        return llm.DEFAULT_TEMPLATE if "LLM_PROMPT_TEMPLATES" in sql else self.answer


async def test_llm_run_sends_the_expected_sql_and_stores_valid_proposals(operator_client, claims_tpa, monkeypatch):
    answer = (
        '```json\n[{"source_field": "Mbr #", "target_column": "member_id", "confidence": 0.9, "reasoning": "Member"},'
        '{"source_field": "Invented", "target_column": "CLAIM_ID", "confidence": 0.8, "reasoning": "x"},'
        '{"source_field": "DOS", "target_column": "NOT_A_COLUMN", "confidence": 0.8, "reasoning": "x"},'
        '{"source_field": "DOS", "target_column": "SERVICE_DATE", "confidence": 1, '
        '"reasoning": "Date of service"}]\n```'
    )
    fake = FakeCortex(answer)
    monkeypatch.setattr(llm, "warehouse", lambda: fake)
    assert llm.available_models() == ["snowflake-arctic", "mistral-large2", "llama3.1-70b"]
    response = await _auto(operator_client, claims_tpa, path="auto-llm")
    assert response.status_code == 200 and response.json()["mappings_created"] == 2
    assert "successfully" in response.json()["message"]

    sql, params = fake.calls[-1]
    assert sql == "SELECT SNOWFLAKE.CORTEX.COMPLETE(?, ?) AS RESPONSE"
    assert params[0] == "snowflake-arctic"
    assert '"Mbr #": ["M0000' in params[1] and '"SERVICE_DATE", "DATE", "Date of service"' in params[1]
    assert claims_tpa in params[1] and "$source_fields" not in params[1]

    rows = {r["SOURCE_FIELD"]: r for r in await _listed(operator_client, claims_tpa)}
    assert set(rows) == {"Mbr #", "DOS"}
    assert rows["Mbr #"]["MAPPING_METHOD"] == "LLM_CORTEX" and rows["Mbr #"]["APPROVED"] is False
    assert rows["Mbr #"]["TARGET_COLUMN"] == "MEMBER_ID" and rows["Mbr #"]["CONFIDENCE_SCORE"] == 0.9
    assert rows["DOS"]["DESCRIPTION"] == "LLM: snowflake-arctic - Date of service"


@pytest.mark.parametrize(
    "answer",
    [
        "Sure! Here are the mappings you asked for.",
        '{"source_field": "DOS", "target_column": "SERVICE_DATE"}',
        '[{"source_field": "DOS", "target_column": "SERVICE_DATE", "confidence": "high"}]',
        '[{"source_field": "DOS", "target_column": "SERVICE_DATE", "confidence": 7}]',
        '[{"source_field": 3, "target_column": "SERVICE_DATE", "confidence": 0.5}]',
        '["DOS"]',
    ],
)
def test_llm_answers_are_parsed_strictly(answer):
    with pytest.raises(ApiError) as error:
        llm.parse_proposals(answer, ["DOS"], ["SERVICE_DATE"], "m")
    assert error.value.status == 502 and error.value.code == "llm_bad_response"


def test_llm_keeps_one_proposal_per_source_and_target():
    answer = (
        '[{"source_field": "A", "target_column": "X", "confidence": 0.9, "reasoning": "first"},'
        '{"source_field": "A", "target_column": "Y", "confidence": 0.8},'
        '{"source_field": "B", "target_column": "x", "confidence": 0.7}]'
    )
    kept = llm.parse_proposals(answer, ["A", "B"], ["X", "Y"], "m")
    assert [(k["SOURCE_FIELD"], k["TARGET_COLUMN"]) for k in kept] == [("A", "X")]


async def test_prompt_template_is_admin_editable(admin_client, operator_client):
    forbidden = await operator_client.post("/silver/mappings/prompt-template", {"template": "x"})
    assert forbidden.status_code == 403
    await admin_client.post("/silver/mappings/prompt-template", {"template": "missing placeholders"})
    assert await llm.prompt_template() == llm.DEFAULT_TEMPLATE
    custom = "Map $source_fields onto $target_columns for $tpa, JSON only."
    await admin_client.post("/silver/mappings/prompt-template", {"template": custom})
    assert await llm.prompt_template() == custom
    await admin_client.post("/silver/mappings/prompt-template", {"template": llm.DEFAULT_TEMPLATE})


async def test_mapping_csv_export_import_and_page(operator_client, claims_tpa):
    await _manual(operator_client, claims_tpa, source_field="DOS", target_column="SERVICE_DATE",
                  transformation_logic="TO_DATE(src, 'MM/DD/YYYY')")  # fmt: skip
    exported = await operator_client.get(f"/silver/mappings/export.csv?tpa={claims_tpa}&table=MEDICAL_CLAIMS")
    lines = exported.content.decode().splitlines()
    assert lines[0].startswith("SOURCE_FIELD,TARGET_TABLE,TARGET_COLUMN,TRANSFORMATION_LOGIC")
    assert lines[1].startswith("DOS,MEDICAL_CLAIMS,SERVICE_DATE,\"TO_DATE(src, 'MM/DD/YYYY')\"")

    content = (
        "SOURCE_FIELD,TARGET_TABLE,TARGET_COLUMN,TRANSFORMATION_LOGIC\n"
        "DOS,MEDICAL_CLAIMS,SERVICE_DATE,\n"
        "Mbr #,medical_claims,member_id,UPPER(src)\n"
    )
    upload = SimpleUploadedFile("m.csv", content.encode(), content_type="text/csv")
    response = await operator_client.post(
        "/silver/mappings/import", {"tpa": claims_tpa, "table": "MEDICAL_CLAIMS", "file": upload}
    )
    assert response.status_code == 302
    rows = {r["SOURCE_FIELD"]: r for r in await _listed(operator_client, claims_tpa)}
    assert rows["Mbr #"]["TARGET_COLUMN"] == "MEMBER_ID" and rows["Mbr #"]["APPROVED"] is True
    assert len(rows) == 2

    bad = SimpleUploadedFile("b.csv", b"SOURCE_FIELD,TARGET_TABLE,TARGET_COLUMN,TRANSFORMATION_LOGIC\n"
                             b"DOS,MEDICAL_CLAIMS,CLAIM_ID,(SELECT 1)\n")  # fmt: skip
    await operator_client.post("/silver/mappings/import", {"tpa": claims_tpa, "table": "MEDICAL_CLAIMS", "file": bad})
    page = await operator_client.get(f"/silver/mappings?tpa={claims_tpa}&table=MEDICAL_CLAIMS")
    html = page.content.decode()
    assert page.status_code == 200 and "Line 2" in html and "Mbr #" in html and "needs the Snowflake warehouse" in html
    assert len(await _listed(operator_client, claims_tpa)) == 2

"""The pipeline over the API on both backends: the embedded DuckDB file and Snowflake through the real
connector over HTTP (tests/snowflake_emulator)."""

import pytest

from tests.test_bronze_support import records, staged, two_sheet_workbook, upload, upload_and_process
from tests.test_intake_formats import parquet_bytes
from tests.test_silver_tables import load_bronze

pytestmark = pytest.mark.django_db(transaction=True)


async def test_upload_process_and_read_back(warehouse_backend, operator_client, tpa):
    row = await upload_and_process(operator_client, tpa, "claims.csv", b"claim_id,paid\nC1,10.50\nC2,\n")

    assert row["STATUS"] == "SUCCESS", row["ERROR_MESSAGE"]
    assert [r["RAW_DATA"] for r in await records(tpa, "claims.csv")] == [
        {"claim_id": "C1", "paid": "10.50"},
        {"claim_id": "C2", "paid": None},
    ]
    assert await staged("COMPLETED", tpa) == [f"{tpa}/claims.csv"]


async def test_bronze_keeps_raw_values_byte_for_byte(warehouse_backend, operator_client, tpa):
    content = b'id,text\n1,\\N\n2,a\\\\b\n3,"say ""hi"""\n4,C:\\path\\to\n5,\n6,"\\N"\n'
    row = await upload_and_process(operator_client, tpa, "raw.csv", content)

    assert row["STATUS"] == "SUCCESS", row["ERROR_MESSAGE"]
    loaded = await records(tpa, "raw.csv")
    assert [r["RAW_DATA"]["text"] for r in loaded] == ["\\N", "a\\\\b", 'say "hi"', "C:\\path\\to", None, "\\N"]
    assert [r["FILE_ROW_NUMBER"] for r in loaded] == [1, 2, 3, 4, 5, 6]


async def test_tpa_lifecycle_over_the_api(warehouse_backend, admin_client, unique_code):
    created = await admin_client.post(
        "/api/tpas", {"tpa_code": unique_code.lower(), "tpa_name": "Provider A"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    assert unique_code in [t["TPA_CODE"] for t in (await admin_client.get("/api/tpas")).json()]

    deleted = await admin_client.delete(f"/api/tpas/{unique_code}")

    assert deleted.status_code == 200, deleted.content
    assert unique_code not in [t["TPA_CODE"] for t in (await admin_client.get("/api/tpas")).json()]


async def test_excel_duplicate_stages_and_raw_data(warehouse_backend, operator_client, viewer_client, tpa):
    excel = await upload_and_process(operator_client, tpa, "claims.xlsx", two_sheet_workbook())
    first = await upload_and_process(operator_client, tpa, "first.csv", b"a,b\n1,2\n")
    again = await upload_and_process(operator_client, tpa, "second.csv", b"a,b\n1,2\n")

    assert (excel["STATUS"], excel["ROWS_LOADED"]) == ("SUCCESS", 3), excel["ERROR_MESSAGE"]
    assert first["STATUS"] == "SUCCESS" and again["STATUS"] == "DUPLICATE"
    raw = (await viewer_client.get(f"/api/bronze/raw-data?tpa={tpa}&file_name={tpa}/claims.xlsx")).json()
    assert len(raw) == 3
    completed = [f["name"] for f in (await viewer_client.get("/api/bronze/stages/completed")).json()]
    assert f"{tpa}/first.csv" in completed and f"{tpa}/claims.xlsx" in completed

    for name in ("p1.csv", "p2.csv"):
        assert (await upload(operator_client, tpa, name, f"x\n{name}\n".encode())).status_code == 201
    single = await operator_client.delete(f"/api/bronze/stages/SRC/files?file_path={tpa}/p1.csv")
    bulk = await operator_client.post(
        "/api/bronze/stages/SRC/files/bulk-delete",
        [f"{tpa}/p2.csv", f"{tpa}/none.csv"],
        content_type="application/json",
    )

    assert single.status_code == 200, single.content
    assert bulk.json()["results"]["success"] == [f"{tpa}/p2.csv"]
    assert await staged("SRC", tpa) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("claims.parquet", parquet_bytes()),
        ("claims.json", b'[{"claim_id": "C1", "lines": [{"n": 1}]}, {"claim_id": "C2", "paid": 3.5}]'),
        ("claims.ndjson", b'{"claim_id": "C1", "lines": [{"n": 1}]}\n\n{"claim_id": "C2", "paid": 3.5}\n'),
    ],
)
async def test_documents_load_through_copy_from_the_stage(warehouse_backend, operator_client, tpa, name, content):
    row = await upload_and_process(operator_client, tpa, name, content)

    assert row["STATUS"] == "SUCCESS", row["ERROR_MESSAGE"]
    loaded = await records(tpa, name)
    expected = (
        [{"claim_id": "C1", "npi": "0012345678", "paid": 12.5}, {"claim_id": "C2", "npi": None, "paid": 3.0}]
        if name.endswith(".parquet")
        else [{"claim_id": "C1", "lines": [{"n": 1}]}, {"claim_id": "C2", "paid": 3.5}]
    )
    assert [r["RAW_DATA"] for r in loaded] == expected
    assert [r["FILE_ROW_NUMBER"] for r in loaded] == [1, 2]


async def test_llm_mapping_runs_on_cortex_and_needs_snowflake(warehouse_backend, operator_client, tpa):
    await load_bronze(tpa, [{"Member ID": "M1", "Service Date": "2024-03-01", "Filler": ""}])

    response = await operator_client.post(
        "/api/silver/mappings/auto-llm",
        {"source_table": "RAW_DATA_TABLE", "target_table": "MEDICAL_CLAIMS", "tpa": tpa},
        content_type="application/json",
    )

    if warehouse_backend == "embedded":
        assert response.status_code == 503 and response.json()["code"] == "upstream_unavailable"
        return
    assert response.status_code == 200, response.content
    listed = await operator_client.get(f"/api/silver/mappings?tpa={tpa}&target_table=MEDICAL_CLAIMS")
    proposals = {(m["SOURCE_FIELD"], m["TARGET_COLUMN"], m["MAPPING_METHOD"]) for m in listed.json()}
    assert proposals == {("Member ID", "MEMBER_ID", "LLM_CORTEX"), ("Service Date", "SERVICE_DATE", "LLM_CORTEX")}


async def test_clear_all_empties_stages_tables_and_silver(warehouse_backend, operator_client, admin_client, tpa):
    await upload_and_process(operator_client, tpa, "claims.csv", b"claim_id\nC1\n")
    created = await operator_client.post(
        "/api/silver/tables/create", {"tpa": tpa, "table_name": "MEDICAL_CLAIMS"}, content_type="application/json"
    )
    assert created.status_code in (200, 201), created.content

    cleared = await admin_client.post("/api/bronze/clear-all-data", content_type="application/json")

    assert cleared.status_code == 200, cleared.content
    results = cleared.json()["results"]
    assert results["errors"] == [] and f"{tpa}_MEDICAL_CLAIMS" in results["silver_tables_dropped"]
    assert await records(tpa, "claims.csv") == [] and await staged("COMPLETED", tpa) == []
    tables = (await operator_client.get(f"/api/silver/tables?tpa={tpa}")).json()
    assert tables == []

"""The pipeline over the API on both backends: the embedded DuckDB file and Snowflake through the real
connector over HTTP (tests/snowflake_emulator)."""

import pytest

from tests.test_bronze_support import records, staged, two_sheet_workbook, upload, upload_and_process

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

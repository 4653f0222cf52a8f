"""Raw data at scale, on both backends: keyset pages cover every record once (newest first, one file in file
order), jumps land on their rows, and text search finds records by their ids, names and codes."""

import pytest

from bronze.search_keys import is_key_field, search_text
from tests.test_bronze_support import two_sheet_workbook, upload_and_process

pytestmark = pytest.mark.django_db(transaction=True)

FIRST_ROWS, SECOND_ROWS = 130, 30


def claims_csv(prefix: str, rows: int) -> bytes:
    lines = ["Claim Number,Provider Name,Rendering NPI,Paid Amt"]
    lines += [f"{prefix}{n:05d},Dr. Name {prefix}{n},{1000000000 + n},{n}.25" for n in range(1, rows + 1)]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
async def two_files(warehouse_backend, operator_client, tpa):
    for name, prefix, rows in (("first.csv", "A", FIRST_ROWS), ("second.csv", "B", SECOND_ROWS)):
        entry = await upload_and_process(operator_client, tpa, name, claims_csv(prefix, rows))
        assert entry["STATUS"] == "SUCCESS", entry["ERROR_MESSAGE"]
    return tpa


async def raw(client, tpa: str, **params) -> list[dict]:
    query = "&".join(f"{key}={value}" for key, value in {"tpa": tpa, **params}.items())
    response = await client.get(f"/api/bronze/raw-data?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def claim(row: dict) -> str:
    return row["RAW_DATA"]["Claim Number"]


async def test_pages_cover_every_record_once_newest_first_and_jumps_land_on_their_rows(viewer_client, two_files):
    newest_first = [f"B{n:05d}" for n in range(SECOND_ROWS, 0, -1)] + [f"A{n:05d}" for n in range(FIRST_ROWS, 0, -1)]
    seen = []
    for offset in range(0, FIRST_ROWS + SECOND_ROWS, 50):
        seen += [claim(row) for row in await raw(viewer_client, two_files, limit=50, offset=offset)]
    assert seen == newest_first
    assert [claim(row) for row in await raw(viewer_client, two_files, limit=100, offset=100)] == newest_first[100:]
    assert [claim(row) for row in await raw(viewer_client, two_files, limit=7, offset=61)] == newest_first[61:68]
    one_file = await raw(viewer_client, two_files, file_name="first.csv", limit=50, offset=100)
    assert [row["FILE_ROW_NUMBER"] for row in one_file] == list(range(101, FIRST_ROWS + 1))
    page = await viewer_client.get(f"/bronze/data?tpa={two_files}&page=3&size=50")
    assert page.status_code == 200
    text = page.content.decode()
    assert "of 160" in text and newest_first[100] in text and newest_first[99] not in text


async def test_search_finds_records_by_id_name_and_code_not_by_amount(viewer_client, two_files):
    by_id = await raw(viewer_client, two_files, search="a00042")
    assert [claim(row) for row in by_id] == ["A00042"]
    by_name = await raw(viewer_client, two_files, search="DR.%20NAME%20B7")
    assert {claim(row) for row in by_name} == {"B00007"}
    by_npi = await raw(viewer_client, two_files, search="1000000125")
    assert [claim(row) for row in by_npi] == ["A00125"]
    assert await raw(viewer_client, two_files, search="42.25") == []
    page = await viewer_client.get(f"/bronze/data?tpa={two_files}&q=b0000")
    assert "of 9" in page.content.decode()


async def test_records_loaded_row_by_row_are_searched_by_their_key_fields(viewer_client, operator_client, tpa):
    entry = await upload_and_process(operator_client, tpa, "claims.xlsx", two_sheet_workbook())
    assert entry["STATUS"] == "SUCCESS", entry["ERROR_MESSAGE"]
    assert [row["RAW_DATA"]["Claim ID"] for row in await raw(viewer_client, tpa, search="c002")] == ["C002"]


def test_key_fields_are_ids_names_and_codes():
    keys = ["Claim Number", "ClaimID", "MBR_ID", "provider_npi", "PRV_NM", "DxCode1", "CPT/HCPCS", "Rendering Provider"]
    assert all(is_key_field(name) for name in keys)
    assert not any(is_key_field(name) for name in ("Paid Amt", "DOS", "Service Date", "Member Resp", "claim_status"))
    assert search_text({"Claim ID": "C9", "Paid": "1", "Member Name": None}) == "c9 | "

import csv
import io
import tracemalloc

import pytest

from medallion.warehouse import warehouse
from silver import viewer
from tests.test_silver_transform_support import COLUMNS, SilverFixture, build_table, record

pytestmark = pytest.mark.django_db(transaction=True)

INJECTIONS = ('x"; DROP TABLE SILVER.CANARY; --', "') OR 1=1 --", "CLAIM_ID; DELETE FROM SILVER.CANARY", '_RECORD_ID"')


@pytest.fixture
async def claims(tpa: str, operator_client) -> SilverFixture:
    fixture = await build_table(tpa)
    await fixture.load(
        record("C1", paid="5", status="open"),
        record("C2", paid="7", status="=1+2"),
        record("C3", paid="", status="@SUM(A1)"),
    )
    body = {"tpa": fixture.tpa, "target_table": fixture.schema_table}
    assert (
        await operator_client.post("/api/silver/transform", body, content_type="application/json")
    ).status_code == 200
    return fixture


@pytest.fixture
async def canary() -> str:
    await warehouse().execute("CREATE TABLE IF NOT EXISTS SILVER.CANARY (X INTEGER)")
    return "SILVER.CANARY"


def url(fixture: SilverFixture, path: str = "/api/silver/data", **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"tpa": fixture.tpa, "table_name": fixture.schema_table, **params}.items())
    return f"{path}?{query}"


async def test_s12_rows_follow_table_column_order_and_json_types(viewer_client, claims):
    body = (await viewer_client.get(url(claims, limit=2))).json()
    assert body["total_count"] == 4 and body["limit"] == 2 and body["table_name"] == claims.physical
    schema = [c["column_name"] for c in COLUMNS]
    metadata = ["_RECORD_ID", "_FILE_NAME", "_FILE_ROW_NUMBER", "_TPA", "_BATCH_ID", "_LOAD_TIMESTAMP", "_LOADED_BY"]
    assert list(body["data"][0]) == schema + metadata
    assert [row["_RECORD_ID"] for row in body["data"]] == sorted((r["_RECORD_ID"] for r in body["data"]), reverse=True)
    paid = {row["CLAIM_ID"]: row["PAID_AMOUNT"] for row in (await viewer_client.get(url(claims))).json()["data"]}
    assert paid["C1"] == 5 and isinstance(paid["C1"], int | float) and paid["C3"] is None


async def test_s12_errors(viewer_client, claims):
    assert (await viewer_client.get(url(claims, limit=5001))).status_code == 422
    assert (await viewer_client.get(f"/api/silver/data?tpa={claims.tpa}")).status_code == 422
    missing = await viewer_client.get(f"/api/silver/data?tpa={claims.tpa}&table_name=NOPE")
    assert (missing.status_code, missing.json()["code"]) == (404, "table_not_found")
    unknown_tpa = await viewer_client.get(f"/api/silver/data?tpa=NOPE_X&table_name={claims.schema_table}")
    assert unknown_tpa.json()["code"] == "tpa_not_found"


async def test_sort_filter_search_and_offset(viewer_client, claims):
    ordered = (await viewer_client.get(url(claims, sort="paid_amount", descending="true"))).json()["data"]
    assert [r["CLAIM_ID"] for r in ordered] == ["SEED", "C2", "C1", "C3"]
    filtered = (await viewer_client.get(url(claims, filter_column="CLAIM_ID", filter_value="C2"))).json()
    assert filtered["total_count"] == 1 and filtered["data"][0]["CLAIM_ID"] == "C2"
    searched = (await viewer_client.get(url(claims, search="OPE"))).json()
    assert [r["CLAIM_ID"] for r in searched["data"]] == ["C1"]
    second = (await viewer_client.get(url(claims, sort="CLAIM_ID", limit=1, offset=1))).json()["data"]
    assert [r["CLAIM_ID"] for r in second] == ["C2"]


@pytest.mark.parametrize("injection", INJECTIONS)
async def test_injection_in_every_name_is_refused_and_the_canary_survives(viewer_client, claims, canary, injection):
    canary_rows = await warehouse().fetch_value(f"SELECT COUNT(*) FROM {canary}")
    for params in ({"sort": injection}, {"filter_column": injection, "filter_value": "1"}):
        response = await viewer_client.get(url(claims, **params))
        assert response.status_code == 422, params
    searched = await viewer_client.get(url(claims, search=injection, filter_column="STATUS", filter_value=injection))
    assert searched.status_code == 200 and searched.json()["total_count"] == 0
    assert (await viewer_client.get(f"/api/silver/data?tpa={claims.tpa}&table_name={injection}")).status_code == 404
    assert await warehouse().fetch_value(f"SELECT COUNT(*) FROM {canary}") == canary_rows


async def test_csv_export_neutralises_formulas(viewer_client, claims):
    response = await viewer_client.get(url(claims, "/api/silver/data/export", sort="CLAIM_ID"))
    assert response["Content-Disposition"] == f'attachment; filename="{claims.physical}.csv"'
    text = b"".join([chunk async for chunk in response.streaming_content]).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["CLAIM_ID"] for r in rows] == ["C1", "C2", "C3", "SEED"]
    assert rows[1]["STATUS"] == "'=1+2" and rows[2]["STATUS"] == "'@SUM(A1)"
    assert rows[2]["PAID_AMOUNT"] == "" and rows[0]["PAID_AMOUNT"] == "5.00"


async def generated_table(tpa: str, rows: int) -> SilverFixture:
    fixture = await build_table(tpa)
    await warehouse().execute(
        f'INSERT INTO {fixture.sql} (CLAIM_ID, PAID_AMOUNT, SERVICE_DATE, STATUS, UNITS, "_RECORD_ID", "_FILE_NAME", '
        '"_FILE_ROW_NUMBER", "_TPA", "_BATCH_ID", "_LOAD_TIMESTAMP", "_LOADED_BY") '
        "SELECT 'CLAIM-' || SEQ4(), SEQ4() / 100, CURRENT_DATE(), 'PAID', 1, 2 * SEQ4() + 1, 'big.csv', SEQ4(), ?, "
        f"'B1', CURRENT_TIMESTAMP(), 'tests' FROM TABLE(GENERATOR(ROWCOUNT => {rows}))",
        (tpa,),
    )
    return fixture


async def test_pages_cover_every_row_once_newest_first_and_jumps_land_on_their_rows(viewer_client, tpa):
    fixture = await generated_table(tpa, 230)
    newest_first = [2 * n + 1 for n in reversed(range(230))]
    seen = []
    for offset in range(0, 230, 50):
        body = (await viewer_client.get(url(fixture, limit=50, offset=offset))).json()
        assert body["total_count"] == 230
        seen += [row["_RECORD_ID"] for row in body["data"]]
    assert seen == newest_first
    jump = (await viewer_client.get(url(fixture, limit=100, offset=200))).json()["data"]
    assert [row["_RECORD_ID"] for row in jump] == newest_first[200:]
    searched = (await viewer_client.get(url(fixture, search="claim-12", limit=50, offset=0))).json()
    assert searched["total_count"] == 11 and {row["CLAIM_ID"] for row in searched["data"]} == {
        "CLAIM-12",
        *(f"CLAIM-12{digit}" for digit in range(10)),
    }
    page = await viewer_client.get(f"/silver/data?tpa={tpa}&table={fixture.schema_table}&page=4&size=50")
    assert page.status_code == 200 and "CLAIM-79<" in page.content.decode()


async def test_export_streams_one_chunk_per_batch_of_constant_size(viewer_client, tpa, monkeypatch):
    fixture = await generated_table(tpa, 250)
    monkeypatch.setattr(viewer, "EXPORT_BATCH_ROWS", 100)
    response = await viewer_client.get(url(fixture, "/api/silver/data/export"))
    chunks = [chunk async for chunk in response.streaming_content]
    assert [chunk.count(b"\n") for chunk in chunks] == [1, 100, 100, 50]
    ids = [row["_RECORD_ID"] for row in csv.DictReader(io.StringIO(b"".join(chunks).decode()))]
    assert sorted(map(int, ids)) == [2 * n + 1 for n in range(250)]


@pytest.mark.slow
async def test_export_of_a_large_table_streams_in_constant_memory(viewer_client, tpa):
    fixture = await build_table(tpa)
    await warehouse().execute(
        f'INSERT INTO {fixture.sql} (CLAIM_ID, PAID_AMOUNT, SERVICE_DATE, STATUS, UNITS, "_RECORD_ID", "_FILE_NAME", '
        '"_FILE_ROW_NUMBER", "_TPA", "_BATCH_ID", "_LOAD_TIMESTAMP", "_LOADED_BY") '
        "SELECT 'CLAIM-' || SEQ4(), SEQ4() / 100, CURRENT_DATE(), 'PAID', 1, SEQ4(), 'big.csv', SEQ4(), ?, 'B1', "
        "CURRENT_TIMESTAMP(), 'tests' FROM TABLE(GENERATOR(ROWCOUNT => 200000))",
        (tpa,),
    )
    response = await viewer_client.get(url(fixture, "/api/silver/data/export"))
    size = lines = 0
    tracemalloc.start()
    try:
        async for chunk in response.streaming_content:
            size += len(chunk)
            lines += chunk.count(b"\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == 200_001
    assert size > 15_000_000 and peak < size / 5


@pytest.mark.parametrize("path", ["/silver/transform", "/silver/data", "/silver/quality", "/silver/quarantine"])
async def test_pages_render_for_the_selected_tpa_and_table(operator_client, claims, path):
    await operator_client.post("/api/silver/quality/check", {"tpa": claims.tpa, "table_name": claims.schema_table},
                               content_type="application/json")  # fmt: skip
    response = await operator_client.get(f"{path}?tpa={claims.tpa}&table={claims.schema_table}&search=c&sort=CLAIM_ID")
    assert response.status_code == 200
    assert claims.physical in response.content.decode()


async def test_data_page_shows_rows_and_quarantine_page_lists_rejections(operator_client, claims):
    await claims.load(record("BAD", units="many"))
    await operator_client.post("/api/silver/transform", {"tpa": claims.tpa, "target_table": claims.schema_table},
                               content_type="application/json")  # fmt: skip
    data = (await operator_client.get(f"/silver/data?tpa={claims.tpa}&table={claims.schema_table}")).content.decode()
    assert "<td>C1</td>" in data and "<td>'=1+2</td>" not in data
    quarantined = (
        await operator_client.get(f"/silver/quarantine?tpa={claims.tpa}&table={claims.schema_table}")
    ).content
    assert b"cannot convert &#x27;many&#x27; to INTEGER in UNITS" in quarantined


async def test_flagged_records_are_listed_filtered_and_marked_in_the_viewer(operator_client, viewer_client, tpa):
    from tests.test_silver_transform_support import build_table, record

    fixture = await build_table(tpa)
    for name, parameters, action, extra in (
        ("BIG", {"max": 100}, "FLAG", {}),
        ("POSITIVE", {"min": 0}, "CORRECT", {"correction_expression": "ABS(PAID_AMOUNT)"}),
    ):
        body = {"tpa": tpa, "table_name": fixture.schema_table, "rule_name": name, "rule_type": "RANGE",
                "target_column": "PAID_AMOUNT", "parameters": parameters, "action": action, **extra}  # fmt: skip
        created = await operator_client.post("/api/silver/rules", body, content_type="application/json")
        assert created.status_code == 201
    await fixture.load(record("HUGE", paid="500"), record("NEG", paid="-5"), record("FINE", paid="5"))
    body = {"tpa": tpa, "target_table": fixture.schema_table}
    transformed = await operator_client.post("/api/silver/transform", body, content_type="application/json")
    assert transformed.status_code == 200

    query = f"/api/silver/flags?tpa={tpa}&table_name={fixture.schema_table}"
    listed = (await viewer_client.get(query)).json()
    assert listed["total_count"] == 2 and listed["rule_names"] == ["BIG", "POSITIVE"]
    by_rule = {row["RULE_NAME"]: row for row in listed["data"]}
    assert by_rule["BIG"]["RECORD"]["CLAIM_ID"] == "HUGE" and by_rule["BIG"]["ACTION"] == "FLAG"
    assert by_rule["POSITIVE"]["RECORD"]["PAID_AMOUNT"] == 5 and by_rule["POSITIVE"]["ACTION"] == "CORRECT"
    only_corrected = (await viewer_client.get(f"{query}&action=correct")).json()
    assert [row["RECORD"]["CLAIM_ID"] for row in only_corrected["data"]] == ["NEG"]
    assert (await viewer_client.get(f"{query}&rule_name=big")).json()["total_count"] == 1
    assert (await viewer_client.get(f"{query}&action=nope")).status_code == 422

    page = (await viewer_client.get(f"/silver/flags?tpa={tpa}&table={fixture.schema_table}&rule_name=BIG")).content
    assert b"1 flagged record in" in page and b"HUGE" in page
    viewer = (await viewer_client.get(f"/silver/data?tpa={tpa}&table={fixture.schema_table}")).content.decode()
    assert viewer.count('class="flagged"') == 2 and "BIG (flag)" in viewer and "POSITIVE (correct)" in viewer

import pytest

from medallion.warehouse import warehouse
from medallion.warehouse.identifiers import quote
from tests.claims_pipeline_support import claim, claims_file, load_file, map_medical_claims

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_silver_row_leads_to_its_bronze_record_and_file_and_back(operator_client, viewer_client, tpa):
    await map_medical_claims(tpa)
    entry = await load_file(operator_client, tpa, "jan.csv", claims_file(claim("C1", "10.00"), claim("C2", "x")))
    silver = await warehouse().fetch_one(
        f'SELECT "_RECORD_ID" FROM {quote("SILVER", f"{tpa}_MEDICAL_CLAIMS")} WHERE CLAIM_ID = ?', ("C1",)
    )

    found = (await viewer_client.get(f"/api/silver/lineage/records/{silver['_RECORD_ID']}")).json()

    assert found["queue_id"] == entry["QUEUE_ID"] and found["file"]["FILE_NAME"] == f"{tpa}/jan.csv"
    assert found["bronze_record"]["RAW_DATA"]["Claim Number"] == "C1" and found["bronze_record"]["FILE_ROW_NUMBER"] == 1
    assert [(s["schema_table"], s["row"]["CLAIM_ID"]) for s in found["silver_rows"]] == [("MEDICAL_CLAIMS", "C1")]
    rejected = await warehouse().fetch_value(
        "SELECT RECORD_ID FROM BRONZE.RAW_DATA_TABLE WHERE QUEUE_ID = ? AND FILE_ROW_NUMBER = 2", (entry["QUEUE_ID"],)
    )
    quarantined = (await viewer_client.get(f"/api/silver/lineage/records/{rejected}")).json()
    assert quarantined["silver_rows"] == [] and quarantined["quarantine"][0]["RULE_NAME"] == "TYPE_CONVERSION"
    assert (await viewer_client.get("/api/silver/lineage/records/999999999")).status_code == 404

    page = await viewer_client.get(f"/silver/lineage/{silver['_RECORD_ID']}")
    assert page.status_code == 200 and b"jan.csv" in page.content and b"SILVER." in page.content
    data = await viewer_client.get(f"/silver/data?tpa={tpa}&table=MEDICAL_CLAIMS")
    assert f'href="/silver/lineage/{silver["_RECORD_ID"]}"'.encode() in data.content
    raw = await viewer_client.get(f"/bronze/data?tpa={tpa}")
    assert f'href="/silver/lineage/{rejected}"'.encode() in raw.content


async def test_a_gold_cell_names_the_files_that_fed_it(operator_client, viewer_client, tpa):
    await map_medical_claims(tpa)
    first = await load_file(operator_client, tpa, "a.csv", claims_file(claim("C1", "10.00"), claim("C2", "5.00")))
    second = await load_file(
        operator_client, tpa, "b.csv", claims_file(claim("C3", "7.00"), claim("C4", "9.00", date="2026-02-03"))
    )

    cell = (await viewer_client.get(f"/api/gold/lineage?tpa={tpa}&year=2026&month=1&claim_type=MEDICAL")).json()

    assert [(f["QUEUE_ID"], f["CLAIMS"], float(f["TOTAL_PAID"])) for f in cell["files"]] == [
        (first["QUEUE_ID"], 2, 15.0),
        (second["QUEUE_ID"], 1, 7.0),
    ]
    gold = await warehouse().fetch_one(
        "SELECT CLAIM_COUNT, TOTAL_PAID FROM GOLD.CLAIMS_ANALYTICS WHERE TPA = ? AND CLAIM_YEAR = 2026 "
        "AND CLAIM_MONTH = 1",
        (tpa,),
    )
    assert (cell["claims"], float(cell["total_paid"])) == (gold["CLAIM_COUNT"], float(gold["TOTAL_PAID"]))
    assert (await viewer_client.get(f"/api/gold/lineage?tpa={tpa}&year=2026&month=13")).status_code == 422
    page = await viewer_client.get(f"/gold/lineage?tpa={tpa}&year=2026&month=1")
    assert page.status_code == 200 and b"a.csv" in page.content and b"b.csv" in page.content
    analytics = await viewer_client.get(f"/gold/analytics?tpa={tpa}")
    assert f"/gold/lineage?tpa={tpa}&amp;year=2026&amp;month=1&amp;claim_type=MEDICAL".encode() in analytics.content

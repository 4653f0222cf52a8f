from decimal import Decimal

import pytest

from bronze.layouts import save_layout
from gold.forms import rule_columns
from gold.rules import create_rule
from tests.claims_pipeline_support import claim, claims_file, load_file, map_medical_claims, trailer

pytestmark = pytest.mark.django_db(transaction=True)

TRAILER_LAYOUT = {
    "layout_name": "monthly claims",
    "file_pattern": "claims_*.csv",
    "control": {"field": "Record Type", "value": "T", "count_field": "Claim Number", "paid_field": "Paid"},
}


async def reconciliation(client, queue_id: int) -> dict:
    response = await client.get(f"/api/bronze/files/{queue_id}/reconciliation")
    assert response.status_code == 200, response.content
    return response.json()


async def test_a_clean_file_with_a_matching_trailer_balances_through_every_layer(operator_client, viewer_client, tpa):
    await map_medical_claims(tpa)
    await save_layout(tpa, TRAILER_LAYOUT, user="tests")
    content = claims_file(claim("C1", "50.25"), claim("C2", "25.25"), trailer=trailer("2", "75.50"))
    entry = await load_file(operator_client, tpa, "claims_jan.csv", content)

    report = await reconciliation(viewer_client, entry["QUEUE_ID"])

    assert report["balanced"] is True, report["verdict"]
    assert (report["rows_in_file"], report["control_records"], report["bronze_rows"]) == (2, 1, 2)
    assert (report["silver_rows"], report["quarantined_rows"], report["gold_rows"], report["gold_excluded_rows"]) == (
        2,
        0,
        2,
        0,
    )
    assert report["control_row_count"] == 2 and Decimal(str(report["control_paid_total"])) == Decimal("75.50")
    for layer in ("bronze", "silver", "gold"):
        assert Decimal(str(report[f"{layer}_paid"])) == Decimal("75.50")
        assert Decimal(str(report[f"{layer}_billed"])) == Decimal("200.00")
    assert report["silver_tables"] == ["MEDICAL_CLAIMS"] and report["verdict"] == "Balanced"


async def test_quarantine_a_wrong_trailer_and_gold_filters_are_named_in_the_verdict(
    operator_client, viewer_client, tpa
):
    await map_medical_claims(tpa)
    await save_layout(tpa, TRAILER_LAYOUT, user="tests")
    await create_rule(
        "transformation",
        rule_columns(
            "transformation",
            {"tpa": tpa, "rule_name": "no small claims", "target_table": "ALL", "rule_logic": "PAID_AMOUNT >= 20"},
        ),
        user="tests",
    )
    content = claims_file(claim("C1", "50.00"), claim("C2", "10.00"), claim("C3", "abc"), trailer=trailer("4", "90.00"))
    entry = await load_file(operator_client, tpa, "claims_feb.csv", content)

    report = await reconciliation(viewer_client, entry["QUEUE_ID"])

    assert report["balanced"] is False
    assert (report["rows_in_file"], report["bronze_rows"], report["silver_rows"], report["quarantined_rows"]) == (
        3,
        3,
        2,
        1,
    )
    assert (report["gold_rows"], report["gold_excluded_rows"]) == (1, 1)
    assert Decimal(str(report["gold_paid"])) == Decimal("50.00") and Decimal(
        str(report["gold_excluded_paid"])
    ) == Decimal("10.00")
    assert report["problems"] == [
        "Control record says 4 rows; the file has 3",
        "Control record says paid 90.00; the rows add up to 60.00 (-30.00)",
        "Silver quarantined 1 rows",
    ]


async def test_status_verdicts_pages_and_the_monthly_report(operator_client, viewer_client, tpa):
    await map_medical_claims(tpa)
    good = await load_file(operator_client, tpa, "good.csv", claims_file(claim("C1", "10.00")))
    bad = await load_file(operator_client, tpa, "bad.csv", claims_file(claim("C2", "x")))

    verdicts = (
        await viewer_client.get(f"/api/bronze/files/reconciliation?ids={good['QUEUE_ID']},{bad['QUEUE_ID']}")
    ).json()
    assert verdicts[str(good["QUEUE_ID"])] == {"balanced": True, "verdict": "Balanced"}
    assert verdicts[str(bad["QUEUE_ID"])]["balanced"] is False
    assert (await viewer_client.get("/api/bronze/files/reconciliation?ids=1,x")).status_code == 422
    assert (await viewer_client.get("/api/bronze/files/999999999/reconciliation")).status_code == 404

    page = await viewer_client.get(f"/bronze/files/{bad['QUEUE_ID']}/reconciliation")
    assert page.status_code == 200 and b"UNBALANCED" in page.content and b"Silver quarantined 1 rows" in page.content
    status = await viewer_client.get(f"/bronze/status?tpa={tpa}")
    assert f'data-reconcile="{good["QUEUE_ID"]}"'.encode() in status.content

    month = good["PROCESSED_TIMESTAMP"].strftime("%Y-%m")
    monthly = (await viewer_client.get(f"/api/gold/reconciliation/monthly?tpa={tpa}&month={month}")).json()
    assert [f["file_name"] for f in monthly["files"]] == ["good.csv", "bad.csv"]
    assert (monthly["balanced_files"], monthly["unbalanced_files"]) == (1, 1)
    assert monthly["totals"]["bronze_rows"] == 2 and monthly["totals"]["silver_rows"] == 1
    csv = await viewer_client.get(f"/gold/reconciliation/export.csv?tpa={tpa}&month={month}")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("queue_id,file_name,processed_at,rows_in_file") and len(lines) == 3
    assert (await viewer_client.get(f"/gold/reconciliation?tpa={tpa}&month={month}")).status_code == 200
    assert (await viewer_client.get(f"/api/gold/reconciliation/monthly?tpa={tpa}&month=2026-13")).status_code == 422

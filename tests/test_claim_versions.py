from decimal import Decimal

import pytest

from medallion.warehouse import warehouse
from medallion.warehouse.identifiers import quote
from silver.transform import transform
from tests.claims_pipeline_support import claim, claims_file, load_file, map_medical_claims

pytestmark = pytest.mark.django_db(transaction=True)


async def silver_claims(tpa: str) -> dict[str, tuple[Decimal, Decimal, str]]:
    rows = await warehouse().fetch_all(
        f"SELECT CLAIM_ID, BILLED_AMOUNT, PAID_AMOUNT, CLAIM_STATUS FROM {quote('SILVER', f'{tpa}_MEDICAL_CLAIMS')}"
    )
    return {row["CLAIM_ID"]: (row["BILLED_AMOUNT"], row["PAID_AMOUNT"], row["CLAIM_STATUS"]) for row in rows}


async def versions(client, tpa: str, claim_id: str) -> list[tuple[int, str, bool, Decimal]]:
    response = await client.get(f"/api/silver/claims/{claim_id}/versions?tpa={tpa}&table_name=MEDICAL_CLAIMS")
    assert response.status_code == 200, response.content
    return [
        (v["VERSION_NUMBER"], v["VERSION_KIND"], v["IS_CURRENT"], Decimal(str(v["PAID_AMOUNT"])))
        for v in response.json()
    ]


async def gold_january(tpa: str) -> tuple[int, Decimal]:
    row = await warehouse().fetch_one(
        "SELECT CLAIM_COUNT, TOTAL_PAID FROM GOLD.CLAIMS_ANALYTICS "
        "WHERE TPA = ? AND CLAIM_YEAR = 2026 AND CLAIM_MONTH = 1",
        (tpa,),
    )
    return (row["CLAIM_COUNT"], row["TOTAL_PAID"]) if row else (0, Decimal(0))


async def test_a_resubmitted_and_an_adjusted_claim_are_versions_counted_once(operator_client, viewer_client, tpa):
    await map_medical_claims(tpa)
    first = await load_file(operator_client, tpa, "jan.csv", claims_file(claim("C1", "50.00"), claim("C2", "30.00")))
    await load_file(operator_client, tpa, "jan-resend.csv", claims_file(claim("C2", "30.00")))
    await load_file(operator_client, tpa, "jan-adjust.csv", claims_file(claim("C1", "65.00", billed="120.00")))

    assert await silver_claims(tpa) == {
        "C1": (Decimal("120.00"), Decimal("65.00"), "PAID"),
        "C2": (Decimal("100.00"), Decimal("30.00"), "PAID"),
    }
    assert await versions(viewer_client, tpa, "C1") == [
        (1, "ORIGINAL", False, Decimal("50.00")),
        (2, "ADJUSTMENT", True, Decimal("65.00")),
    ]
    assert [v[:3] for v in await versions(viewer_client, tpa, "C2")] == [
        (1, "ORIGINAL", False),
        (2, "RESUBMISSION", True),
    ]
    assert await gold_january(tpa) == (2, Decimal("95.00"))

    report = (await viewer_client.get(f"/api/bronze/files/{first['QUEUE_ID']}/reconciliation")).json()
    assert report["balanced"] is True, report["verdict"]
    assert (report["bronze_rows"], report["silver_rows"], report["superseded_rows"]) == (2, 2, 2)


async def test_a_reversal_nets_the_claim_to_zero_and_a_new_version_replaces_it(operator_client, viewer_client, tpa):
    await map_medical_claims(tpa)
    await load_file(operator_client, tpa, "jan.csv", claims_file(claim("C1", "100.00"), claim("C2", "40.00")))
    reversal = claim("C1", "-100.00", billed="-100.00", status="REVERSED")
    await load_file(operator_client, tpa, "jan-reversal.csv", claims_file(reversal))

    assert await silver_claims(tpa) == {
        "C1": (Decimal("0.00"), Decimal("0.00"), "REVERSED"),
        "C2": (Decimal("100.00"), Decimal("40.00"), "PAID"),
    }
    assert [v[1] for v in await versions(viewer_client, tpa, "C1")] == ["ORIGINAL", "REVERSAL"]
    assert await gold_january(tpa) == (2, Decimal("40.00"))

    await load_file(operator_client, tpa, "jan-rebill.csv", claims_file(claim("C1", "120.00", billed="150.00")))
    assert (await silver_claims(tpa))["C1"] == (Decimal("150.00"), Decimal("120.00"), "PAID")
    assert await gold_january(tpa) == (2, Decimal("160.00"))

    full = await transform(tpa, "MEDICAL_CLAIMS", user="tests")
    assert full.status == "SUCCESS"
    assert (await silver_claims(tpa))["C1"] == (Decimal("150.00"), Decimal("120.00"), "PAID")
    assert [v[1:3] for v in await versions(viewer_client, tpa, "C1")] == [
        ("ORIGINAL", False), ("REVERSAL", False), ("ADJUSTMENT", True),
    ]  # fmt: skip

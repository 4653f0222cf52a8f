"""Clear-all empties the loaded data and everything derived from it, and its preview says so beforehand."""

import pytest

from bronze import cleanup
from gold import services as gold
from gold.refresh import refresh
from medallion.warehouse import warehouse
from medallion.warehouse.identifiers import quote
from ops.clear_data import clear_all_preview
from silver import tables
from silver.transform import transform
from tests.test_gold_refresh import load_dataset
from tests.test_silver_transform_support import build_table, record

pytestmark = pytest.mark.django_db(transaction=True)

DERIVED = (
    "SILVER.QUARANTINE", "SILVER.DATA_QUALITY_METRICS", "SILVER.TRANSFORM_BATCHES", "GOLD.CLAIMS_ANALYTICS",
    "GOLD.MEMBER_360", "GOLD.PROVIDER_PERFORMANCE", "GOLD.FINANCIAL_SUMMARY", "GOLD.QUALITY_CHECK_RESULTS",
    "GOLD.REFRESHED_BATCHES", "GOLD.REFRESH_RUNS",
)  # fmt: skip


async def test_clear_all_clears_gold_quality_metrics_and_batches_and_the_preview_says_so(
    admin_client, tpa, monkeypatch
):
    fixture = await build_table(tpa)
    await fixture.load(record("C1", paid="oops"))
    await transform(tpa, fixture.schema_table, user="tests")
    await load_dataset(tpa)
    await refresh(tpa, full=True)
    assert await gold.analytics_count("claims_analytics", tpa) > 0  # cached, like the dashboard's figures

    preview = {row["table"]: row["rows"] for row in (await clear_all_preview())["tables"]}
    assert all(preview[table] > 0 for table in DERIVED), preview
    page = (await admin_client.get("/operations/clear-data")).content.decode()
    assert all(f"<code>{table}</code>" in page for table in DERIVED)

    # Only this test's Silver tables are dropped, so that other tests' tables survive.
    async def drop_own_tables() -> list[str]:
        await tables.drop_tpa_tables(tpa)
        return [fixture.physical]

    monkeypatch.setattr(cleanup, "clear_all_hooks", [drop_own_tables])
    response = await admin_client.post("/api/bronze/clear-all-data", {"confirm": "DELETE"}, "application/json")

    assert response.status_code == 200 and response.json()["results"]["errors"] == []
    assert set(DERIVED) <= set(response.json()["results"]["tables_truncated"])
    for table in DERIVED:
        assert await warehouse().fetch_value(f"SELECT COUNT(*) FROM {quote(*table.split('.'))}") == 0, table
    assert await gold.analytics_count("claims_analytics", tpa) == 0
    assert all(row["rows"] == 0 for row in (await clear_all_preview())["tables"])

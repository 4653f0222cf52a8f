"""Server-rendered Gold pages: charts, tables with paging, CSV export, concurrency of the dashboard queries."""

import csv
import io
import itertools
import threading
from typing import Any

import pytest

from tests.test_gold_refresh import load_dataset

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def refreshed(tpa: str) -> str:
    from gold.refresh import refresh

    await load_dataset(tpa)
    await refresh(tpa, full=True)
    return tpa


async def test_dashboard_renders_charts_and_tables(viewer_client: Any, refreshed: str) -> None:
    response = await viewer_client.get(f"/gold/analytics?tpa={refreshed}&table=MEMBER_360")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<svg") == 4
    for title in ("Monthly paid", "Paid by claim type", "Top providers by paid", "Members by risk tier"):
        assert title in page
    assert "$6.5K" in page and "Dr One" in page and "Ann Archer" in page
    assert f"/gold/analytics/MEMBER_360/export.csv?tpa={refreshed}" in page
    assert "Refresh now" not in page


async def test_dashboard_for_all_tpas_and_operator_button(operator_client: Any, refreshed: str) -> None:
    page = (await operator_client.get("/gold/analytics")).content.decode()
    assert "all TPAs" in page and "Refresh now" in page and page.count("<svg") == 4


async def test_dashboard_pages_table_rows(viewer_client: Any, refreshed: str) -> None:
    page = (await viewer_client.get(f"/gold/analytics?tpa={refreshed}&page=7&size=50")).content.decode()
    assert "Rows 1–5 of 5 · page 1 of 1" in page and 'name="size"' in page
    missing = await viewer_client.get(f"/gold/analytics?tpa={refreshed}&table=NOT_A_TABLE")
    assert missing.status_code == 404


async def test_csv_export(viewer_client: Any, refreshed: str) -> None:
    response = await viewer_client.get(f"/gold/analytics/CLAIMS_ANALYTICS/export.csv?tpa={refreshed}")
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join([chunk async for chunk in response.streaming_content]).decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    assert len(rows) == 5
    assert {row["TPA"] for row in rows} == {refreshed}
    assert sorted(float(row["TOTAL_PAID"]) for row in rows) == [25.0, 80.0, 180.0, 200.0, 6000.0]


async def test_other_gold_pages_render(viewer_client: Any, refreshed: str) -> None:
    metrics = (await viewer_client.get(f"/gold/metrics?tpa={refreshed}")).content.decode()
    assert "Total spend" in metrics and "$6.5K" in metrics and "<svg" in metrics
    quality = (await viewer_client.get(f"/gold/quality?tpa={refreshed}")).content.decode()
    assert "Claim ids are unique" in quality and "PASSED" in quality
    rules = (await viewer_client.get(f"/gold/rules?tpa={refreshed}")).content.decode()
    assert "Exclude denied and pending claims" in rules and "Add rule" not in rules


async def test_rules_page_offers_forms_to_operators(operator_client: Any) -> None:
    page = (await operator_client.get("/gold/rules")).content.decode()
    assert "Add rule" in page and "Add filter" in page and "gold/rules.js" in page


async def test_pages_need_login(anonymous_client: Any) -> None:
    for path in ("/gold/analytics", "/gold/metrics", "/gold/quality", "/gold/rules"):
        response = await anonymous_client.get(path)
        assert response.status_code == 302 and "/accounts/login" in response["Location"]


async def test_dashboard_queries_run_concurrently(refreshed: str) -> None:
    from django.conf import settings
    from django.core.cache import cache

    from gold import services
    from medallion.warehouse import warehouse

    backend = warehouse().backend
    execute = backend.execute
    side_by_side = min(5, settings.WAREHOUSE_POOL_SIZE)  # the dashboard's five queries, as many as the pool holds
    all_in_flight = threading.Barrier(side_by_side, timeout=30)
    calls = itertools.count()

    def execute_once_all_are_in_flight(raw: Any, sql: str, params: Any = None) -> Any:
        if next(calls) < side_by_side:
            all_in_flight.wait()
        return execute(raw, sql, params)

    cache.clear()
    backend.execute = execute_once_all_are_in_flight
    try:
        data = await services.dashboard(refreshed)
    finally:
        backend.execute = execute
    assert data["kpis"]["TOTAL_PAID"] == 6485
    assert next(calls) >= 5 and not all_in_flight.broken

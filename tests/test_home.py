"""Home is the operations overview: each TPA's files, runs and quality, pipeline counters, files per day and
what needs attention."""

from datetime import timedelta
from typing import Any

import pytest

from medallion.clock import utc_now
from medallion.warehouse import warehouse
from ops import overview
from tests.test_bronze_support import upload_and_process

pytestmark = pytest.mark.django_db(transaction=True)

GOOD = b"claim_id,member_id\nC1,M1\nC2,M2\nC3,M3\n"
RAGGED = b"a,b,c\r\n1,2,3\r\n4,5\r\n"


async def _quality_scores(tpa: str, *scores: float) -> None:
    start = utc_now() - timedelta(hours=len(scores))
    await warehouse().execute_many(
        "INSERT INTO SILVER.DATA_QUALITY_METRICS (TPA, TARGET_TABLE, BATCH_ID, METRIC_NAME, METRIC_VALUE, PASSED, "
        "MEASURED_TIMESTAMP) VALUES (?, ?, ?, 'OVERALL_QUALITY_SCORE', ?, TRUE, ?)",
        [(tpa, f"{tpa}_CLAIMS", f"b{n}", score, start + timedelta(hours=n)) for n, score in enumerate(scores)],
    )


async def test_home_shows_each_tpa_and_what_needs_attention(operator_client: Any, viewer_client: Any, tpa: str) -> None:
    await upload_and_process(operator_client, tpa, "good.csv", GOOD)
    await upload_and_process(operator_client, tpa, "ragged.csv", RAGGED)
    await _quality_scores(tpa, 97.0, 95.5, 88.0)

    page = (await viewer_client.get("/")).content.decode()
    row = page[page.index(f'data-tpa="{tpa}"') :].split("</tr>")[0]

    assert "Operations overview" in page and 'data-live="queue' in page
    assert f"{tpa}/ragged.csv" in row and "FAILED" in row
    assert row.count('class="num">2</td>') == 2 and 'class="num">3</td>' in row
    assert "88.0%" in row and 'class="sparkline"' in row
    assert f"/bronze/status?tpa={tpa}&amp;status=FAILED" in page and "1 failed file(s) in the last 7 days" in page
    assert "Quality score fell from 95.5% to 88.0%" in page
    assert "Files per day by status, last 30 days" in page and page.count("<svg") >= 2


async def test_home_fragment_and_counters(viewer_client: Any, operator_client: Any, tpa: str) -> None:
    await upload_and_process(operator_client, tpa, "good.csv", GOOD)

    fragment = (await viewer_client.get("/", headers={"HX-Request": "true"})).content.decode()
    summary = await overview.overview()
    mine = next(row for row in summary.tpas if row.code == tpa)

    assert "<html" not in fragment and 'id="tpa-overview"' in fragment
    assert (mine.activity["FILES_TODAY"], mine.activity["ROWS_TODAY"], mine.activity["LAST_FILE_STATUS"]) == (
        1, 3, "SUCCESS"
    )  # fmt: skip
    assert summary.counters["FILES_TODAY"] >= 1 and summary.counters["TPAS"] >= 1


def test_other_apps_can_add_attention_checks() -> None:
    def late(tpa: overview.TpaOverview) -> list[overview.Attention]:
        return [overview.Attention(tpa.code, "warn", "No file in the expected window", "/bronze/status")]

    overview.attention_checks.connect(late)
    try:
        row = overview.TpaOverview("X", "X", True)
        found = [item for check in overview.attention_checks for item in check(row)]
    finally:
        overview.attention_checks._receivers.remove(late)

    assert [item.message for item in found] == ["No file in the expected window"]

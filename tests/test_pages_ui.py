"""What users see on the server-rendered pages: no inline script, one pager, readable dates and numbers,
menus that match the role, live fragments."""

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse

from medallion.context import NAVIGATION
from medallion.paging import Pager
from medallion.templatetags.display import number, one_line, parameters, when
from medallion.warehouse import warehouse

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = ["home", *(name for _, links in NAVIGATION for _, name, _ in links if name not in ("admin:index", "api-docs"))]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
FIRST_FILE_AT = datetime(2026, 12, 3, 9, 0)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+=", re.I)


async def _queue_files(tpa: str, count: int) -> None:
    await warehouse().execute_many(
        "INSERT INTO BRONZE.FILE_PROCESSING_QUEUE (FILE_NAME, TPA, FILE_TYPE, STATUS, DISCOVERED_TIMESTAMP, "
        "ROWS_LOADED) VALUES (?, ?, 'CSV', 'SUCCESS', ?, ?)",
        [(f"{tpa}/file-{n:04d}.csv", tpa, FIRST_FILE_AT + timedelta(minutes=n), 12345) for n in range(count)],
    )


@pytest.mark.parametrize("name", PAGES)
async def test_every_page_renders_without_inline_script(admin_client: Any, tpa: str, name: str) -> None:
    path = reverse(name)
    response = await admin_client.get(path)
    page = response.content.decode()

    assert response.status_code == 200, path
    assert not INLINE_SCRIPT.search(page), f"{path} has an inline <script>"
    assert not INLINE_HANDLER.search(page), f"{path} has an inline event handler"
    assert "medallion.js" in page and "htmx-4.0.1/htmx.min.js" in page


async def test_status_page_pages_past_the_newest_hundred_files(viewer_client: Any, tpa: str) -> None:
    await _queue_files(tpa, 130)

    first = (await viewer_client.get(f"/bronze/status?tpa={tpa}")).content.decode()
    last = (await viewer_client.get(f"/bronze/status?tpa={tpa}&page=3&size=50")).content.decode()
    big = (await viewer_client.get(f"/bronze/status?tpa={tpa}&size=1000")).content.decode()

    assert "Rows 1–50 of 130 · page 1 of 3" in first
    assert "Rows 101–130 of 130 · page 3 of 3" in last
    assert f"{tpa}/file-0000.csv" in last and f"{tpa}/file-0129.csv" not in last
    assert big.count("data-queue-id=") == 130
    assert "2026-12-03 11:09" in first and "12,345" in first


async def test_stages_follow_the_selected_tpa_and_page(admin_client: Any, tpa: str, unique_code: str) -> None:
    from tests.test_bronze_support import upload

    await upload(admin_client, tpa, "mine.csv", b"a\n1\n")
    page = (await admin_client.get(f"/bronze/stages?tpa={tpa}")).content.decode()
    other = (await admin_client.get("/bronze/stages?tpa=NO_SUCH_TPA_X")).content.decode()

    assert "mine.csv" in page and f"Files of TPA {tpa}" in page and "Rows 1–1 of 1" in page
    assert "mine.csv" not in other


async def test_htmx_asks_for_the_live_fragment_only(viewer_client: Any, tpa: str) -> None:
    await _queue_files(tpa, 2)

    fragment = (await viewer_client.get(f"/bronze/status?tpa={tpa}", headers={"HX-Request": "true"})).content
    page = (await viewer_client.get(f"/bronze/status?tpa={tpa}")).content

    assert b"<html" not in fragment and b'id="queue-rows"' in fragment and b"<html" in page


async def test_viewer_menu_has_only_what_a_viewer_can_open(viewer_client: Any, operator_client: Any) -> None:
    viewer = (await viewer_client.get("/")).content.decode()
    operator = (await operator_client.get("/")).content.decode()

    upload, tasks = f'href="{reverse("bronze-upload")}"', f'href="{reverse("ops-tasks")}"'
    assert upload not in viewer and tasks not in viewer and 'href="/api/docs"' in viewer
    assert upload in operator and tasks not in operator


def test_display_filters() -> None:
    assert when(datetime(2025, 3, 7)) == "2025-03-07 00:00"
    assert when("2026-12-03T09:03:41.5Z") == "2026-12-03 09:03"
    assert number(1234567) == "1,234,567" and number(1234.56) == "1,234.6" and number(None) == ""
    assert parameters('{"min": 0, "max": 100}') == "min 0; max 100"
    assert parameters({"values": ["PAID", "DENIED"]}) == "values PAID, DENIED"
    assert one_line('{"a": {"b": [1, 2]}}') == '{"a": {"b": [1, 2]}}'


def test_pager_clamps_size_and_page() -> None:
    window = Pager(9, 50, (("tpa", "X"),)).of(120)

    assert (window.number, window.pages, window.first_row, window.last_row) == (3, 3, 101, 120)
    assert window.previous_url == "?tpa=X&page=2&size=50" and window.next_url is None

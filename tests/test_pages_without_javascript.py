"""Without JavaScript the live pages still work: the first response of each page (no fetch, no event stream)
already holds the truth, so a reload shows what the stream would have pushed."""

import re
from typing import Any

import pytest
from django.urls import reverse

from ops import tasks
from tests.test_bronze_support import upload, upload_and_process

pytestmark = pytest.mark.django_db(transaction=True)

CSV = b"claim_id,member_id\nC1,M1\nC2,M2\nC3,M3\n"
NOT_TEXT = b"\x00\x01\x02 this is not a delimited file"


def queue_row(page: str, file_name: str) -> str:
    """The status page's table row of one file."""
    rows = [row for row in re.findall(r"<tr data-queue-id=.*?</tr>", page, re.S) if f">{file_name}<" in row]
    assert len(rows) == 1, f"{file_name} is not listed once"
    return rows[0]


async def page(client: Any, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


async def test_status_upload_result_stages_and_home_show_each_file_as_it_is(operator_client: Any, tpa: str) -> None:
    await upload_and_process(operator_client, tpa, "nojs-loaded.csv", CSV)
    await upload_and_process(operator_client, tpa, "nojs-broken.csv", NOT_TEXT)
    assert (await upload(operator_client, tpa, "nojs-waiting.csv", CSV)).status_code == 201

    status = await page(operator_client, f"{reverse('bronze-status')}?tpa={tpa}")
    loaded = queue_row(status, f"{tpa}/nojs-loaded.csv")
    assert 'class="badge SUCCESS"' in loaded and '<td class="num">3</td>' in loaded and "Reconcile" in loaded
    broken = queue_row(status, f"{tpa}/nojs-broken.csv")
    assert 'class="badge FAILED"' in broken and 'class="error"' in broken and "Reprocess" in broken
    assert 'class="badge PENDING"' in queue_row(status, f"{tpa}/nojs-waiting.csv")

    # Where the upload page sends a failed file's result: the failure and its reason, nothing else.
    failures = await page(operator_client, f"{reverse('bronze-status')}?tpa={tpa}&status=FAILED")
    assert "nojs-broken.csv" in failures and "nojs-loaded.csv" not in failures
    upload_page = await page(operator_client, f"{reverse('bronze-upload')}?tpa={tpa}")
    assert f'<option value="{tpa}" selected>' in upload_page

    waiting_stage = await page(operator_client, f"{reverse('bronze-stages')}?tpa={tpa}&stage=SRC")
    completed_stage = await page(operator_client, f"{reverse('bronze-stages')}?tpa={tpa}&stage=COMPLETED")
    assert "nojs-waiting.csv" in waiting_stage and "nojs-loaded.csv" not in waiting_stage
    assert "nojs-loaded.csv" in completed_stage

    home = await page(operator_client, reverse("home"))
    overview = re.search(rf'<tr data-tpa="{tpa}".*?</tr>', home, re.S)
    assert overview is not None, "the TPA has no row on home"
    last_file = overview.group(0)
    assert '<span class="badge PENDING">PENDING</span>' in last_file and "nojs-waiting.csv" in last_file
    assert '<span class="error">1</span>' in last_file  # failed in 7 days


async def test_tasks_are_changed_and_shown_by_plain_form_posts(admin_client: Any) -> None:
    tasks_page = reverse("ops-tasks")
    name = next(task["name"] for task in await tasks.list_tasks("BRONZE") if task["state"] == "started")
    try:
        response = await admin_client.post(reverse("ops-task-suspend", args=[name]))
        assert response.status_code == 302
        row = re.search(rf"<code>{name}</code>.*?</tr>", await page(admin_client, tasks_page), re.S)
        assert row is not None and 'class="badge suspended"' in row.group(0)
    finally:
        await admin_client.post(reverse("ops-task-resume", args=[name]))
    row = re.search(rf"<code>{name}</code>.*?</tr>", await page(admin_client, tasks_page), re.S)
    assert row is not None and 'class="badge started"' in row.group(0)

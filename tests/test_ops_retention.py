import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from medallion.clock import utc_now
from medallion.task_registry import TASKS
from medallion.warehouse import warehouse
from ops.retention import RETENTION_TASK, run_retention

pytestmark = pytest.mark.django_db(transaction=True)
DAY = 24 * 3600


def _staged(stage: str, tpa: str, name: str, age_days: float) -> Path:
    path = Path(django_settings.WAREHOUSE_STAGE_DIR) / stage / tpa / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("a,b\n1,2\n")
    moment = time.time() - age_days * DAY
    os.utime(path, (moment, moment))
    return path


async def _names(stage: str, tpa: str) -> set[str]:
    return {file.name for file in await warehouse().stage_list(stage, f"{tpa}/")}


async def test_retention_archives_deletes_and_prunes(settings, unique_code):
    settings.RETENTION_DAYS_COMPLETED = 30
    settings.RETENTION_DAYS_ARCHIVE = 365
    settings.RETENTION_DAYS_LOGS = 90
    _staged("COMPLETED", unique_code, "old.csv", 40)
    _staged("COMPLETED", unique_code, "new.csv", 2)
    _staged("ERROR", unique_code, "old-bad.csv", 31)
    _staged("ARCHIVE", unique_code, "ancient.csv", 400)
    _staged("ARCHIVE", unique_code, "kept.csv", 100)
    marker = f"retention-{unique_code}"
    for age in (100, 10):
        await warehouse().execute(
            "INSERT INTO OPS.APPLICATION_LOG (LOG_TIMESTAMP, LOG_LEVEL, LOG_SOURCE, LOG_MESSAGE) "
            "VALUES (?, 'INFO', ?, ?)",
            (utc_now() - timedelta(days=age), marker, f"{age} days old"),
        )

    result = await run_retention()

    assert await _names("COMPLETED", unique_code) == {f"{unique_code}/new.csv"}
    assert await _names("ERROR", unique_code) == set()
    assert await _names("ARCHIVE", unique_code) == {
        f"{unique_code}/old.csv",
        f"{unique_code}/old-bad.csv",
        f"{unique_code}/kept.csv",
    }
    remaining = await warehouse().fetch_all(
        "SELECT LOG_MESSAGE FROM OPS.APPLICATION_LOG WHERE LOG_SOURCE = ?", (marker,)
    )
    assert [r["LOG_MESSAGE"] for r in remaining] == ["10 days old"]
    assert result["files_archived"] >= 2 and result["archived_files_deleted"] >= 1 and result["log_rows_pruned"] >= 1
    assert result["records_failed"] == 0


async def test_retention_follows_the_settings(settings, unique_code):
    settings.RETENTION_DAYS_COMPLETED = 50
    settings.RETENTION_DAYS_ARCHIVE = 1000
    _staged("COMPLETED", unique_code, "forty.csv", 40)
    _staged("ARCHIVE", unique_code, "old.csv", 400)
    await run_retention()
    assert await _names("COMPLETED", unique_code) == {f"{unique_code}/forty.csv"}
    assert await _names("ARCHIVE", unique_code) == {f"{unique_code}/old.csv"}


async def test_retention_is_a_registered_ops_task(admin_client):
    assert TASKS[RETENTION_TASK].layer == "OPS"
    listed = (await admin_client.get("/api/admin/tasks")).json()
    retention = next(t for t in listed if t["name"] == RETENTION_TASK)
    assert retention["schedule"] == "USING CRON 0 3 * * * UTC" and retention["predecessors"] == ""
    assert all(t["name"] != RETENTION_TASK for t in (await admin_client.get("/api/bronze/tasks")).json())

"""RETENTION_TASK: processed files age into ARCHIVE, archived files and old log rows are deleted."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from medallion.clock import utc_now
from medallion.events import log_error
from medallion.warehouse import WarehouseError, warehouse

RETENTION_TASK = "RETENTION_TASK"
AGING_STAGES = ("COMPLETED", "ERROR")
PRUNED_LOGS = (
    ("OPS.APPLICATION_LOG", "LOG_TIMESTAMP"),
    ("OPS.API_REQUEST_LOG", "REQUEST_TIMESTAMP"),
    ("OPS.FILE_PROCESSING_LOG", "STAGE_END"),
    ("OPS.ERROR_LOG", "ERROR_TIMESTAMP"),
    ("OPS.TASK_EXECUTION_LOG", "EXECUTION_START"),
)


def _cutoff(setting: str, default: int) -> datetime:
    return utc_now() - timedelta(days=getattr(settings, setting, default))


async def _stale_files(stage: str, older_than: datetime) -> list[str]:
    files = await warehouse().stage_list(stage)
    return [file.name for file in files if file.last_modified.replace(tzinfo=None) < older_than]


async def archive_processed_files() -> tuple[int, int]:
    """Move COMPLETED and ERROR files older than RETENTION_DAYS_COMPLETED to ARCHIVE; (moved, failed)."""
    older_than = _cutoff("RETENTION_DAYS_COMPLETED", 30)
    moved = failed = 0
    for stage in AGING_STAGES:
        for name in await _stale_files(stage, older_than):
            try:
                await warehouse().stage_move(stage, name, "ARCHIVE")
                moved += 1
            except WarehouseError as error:
                failed += 1
                log_error("ops.retention", error, context={"stage": stage, "file": name})
    return moved, failed


async def delete_archived_files() -> tuple[int, int]:
    """Delete ARCHIVE files older than RETENTION_DAYS_ARCHIVE; (deleted, failed)."""
    deleted = failed = 0
    for name in await _stale_files("ARCHIVE", _cutoff("RETENTION_DAYS_ARCHIVE", 365)):
        try:
            deleted += bool(await warehouse().stage_remove("ARCHIVE", name))
        except WarehouseError as error:
            failed += 1
            log_error("ops.retention", error, context={"stage": "ARCHIVE", "file": name})
    return deleted, failed


async def prune_logs() -> int:
    """Delete log rows older than RETENTION_DAYS_LOGS (the audit trail is kept)."""
    older_than = _cutoff("RETENTION_DAYS_LOGS", 90)
    pruned = 0
    for table, timestamp in PRUNED_LOGS:
        pruned += await warehouse().execute(f"DELETE FROM {table} WHERE {timestamp} < ?", (older_than,))
    return pruned


async def run_retention() -> dict[str, Any]:
    archived, archive_failures = await archive_processed_files()
    deleted, delete_failures = await delete_archived_files()
    pruned = await prune_logs()
    return {
        "records_processed": archived + deleted + pruned,
        "records_failed": archive_failures + delete_failures,
        "files_archived": archived,
        "archived_files_deleted": deleted,
        "log_rows_pruned": pruned,
    }

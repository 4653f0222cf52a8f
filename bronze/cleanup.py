"""Deleting loaded data: one file's rows, every layer's data (clear-all) and a purged TPA's rows and files."""

from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

from bronze.queue import HEARTBEATS, QUEUE, invalidate_bronze, latest_entry_for_path
from bronze.raw import RAW
from medallion import audit, events, locks
from medallion.caching import invalidate_every_namespace
from medallion.errors import ApiError, conflict, not_found
from medallion.hooks import Hook
from medallion.warehouse import Transaction, WarehouseError, warehouse
from medallion.warehouse.identifiers import STAGES, quote
from tpa.services import get_tpa

ClearAllHook = Callable[[], Awaitable[list[str]]]
clear_all_hooks: Hook[ClearAllHook] = Hook("bronze.clear_all")
"""Silver registers here: each hook drops its registered physical tables and returns their names."""
derived_tables: Hook[str] = Hook("bronze.derived_tables")
"""Tables ("SCHEMA.TABLE") of data derived from the loaded records, which clear-all empties with them: Silver's
quarantine, flags, quality metrics and transform batches, Gold's figures. Definitions and logs are not derived."""


def cleared_tables() -> list[str]:
    """What clear-all empties, in this order, in one transaction."""
    return [RAW, QUEUE, HEARTBEATS, *derived_tables]


CLEAR_ALL_LOCK = "bronze.clear_all"


async def delete_file_data(file_name: str, tpa: str, *, user: str | None) -> dict[str, Any]:
    code = (await get_tpa(tpa))["TPA_CODE"]
    name = file_name.rsplit("/", 1)[-1]
    path = f"{code}/{name}"
    entry = await latest_entry_for_path(path)
    if entry is not None and entry["STATUS"] == "PROCESSING":
        raise conflict("file_in_processing", f"{path} is being processed right now.")
    async with warehouse().transaction(timeout=settings.WAREHOUSE_LONG_STATEMENT_TIMEOUT) as tx:
        deleted = await tx.execute(f"DELETE FROM {RAW} WHERE TPA = ? AND FILE_NAME = ?", (code, name))
        if entry is None and not deleted:
            raise not_found("file_not_found", f"No data or queue entry for {path}.")
        if entry is not None:
            await tx.execute(
                f"UPDATE {QUEUE} SET STATUS = 'DELETED', PROCESS_RESULT = ? WHERE QUEUE_ID = ?",
                (f"Data deleted: {deleted} rows removed", entry["QUEUE_ID"]),
            )
        await audit.record(
            user, "DELETE_DATA", "BRONZE_FILE", path, tpa=code, after={"rows_deleted": deleted}, within=tx
        )
    await invalidate_bronze()
    return {
        "message": f"Deleted {deleted} row(s) for file: {name}",
        "file_name": name,
        "tpa": code,
        "rows_deleted": deleted,
    }


async def clear_all_data(*, user: str | None) -> dict[str, Any]:
    async with locks.holding(CLEAR_ALL_LOCK, "Clearing all data is already in progress."):
        results: dict[str, list[str]] = {
            "stages_cleared": [],
            "tables_truncated": [],
            "silver_tables_dropped": [],
            "errors": [],
        }
        wh = warehouse()
        for stage in STAGES:
            try:
                for staged in await wh.stage_list(stage):
                    await wh.stage_remove(stage, staged.name)
                results["stages_cleared"].append(stage)
            except WarehouseError as error:
                results["errors"].append(f"Stage {stage}: {error}")
        async with wh.transaction(timeout=settings.WAREHOUSE_LONG_STATEMENT_TIMEOUT) as tx:
            for table in cleared_tables():
                await tx.execute(f"DELETE FROM {quote(*table.split('.'))}")
                results["tables_truncated"].append(table)
            await audit.record(user, "CLEAR_ALL", "BRONZE", "ALL", within=tx)
        for hook in clear_all_hooks:
            try:
                results["silver_tables_dropped"].extend(await hook())
            except (ApiError, WarehouseError) as error:
                results["errors"].append(str(error))
        await invalidate_every_namespace()  # every layer's data is gone
    events.log_event("WARNING", "bronze.clear_all", "All loaded and derived data cleared", user=user, details=results)
    message = "All data cleared successfully" if not results["errors"] else "Data cleared with errors"
    return {"message": message, "results": results}


async def purge_tpa_rows(tx: Transaction, tpa: str) -> None:
    await tx.execute(f"DELETE FROM {RAW} WHERE TPA = ?", (tpa,))
    await tx.execute(f"DELETE FROM {QUEUE} WHERE TPA = ?", (tpa,))


async def purge_tpa_files(tpa: str) -> int:
    wh = warehouse()
    for stage in STAGES:
        for staged in await wh.stage_list(stage, f"{tpa}/"):
            await wh.stage_remove(stage, staged.name)
    await invalidate_bronze()
    return 0

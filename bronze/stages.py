"""The stages (SRC, ERROR, ...): listing their files and totals, deleting files and what that does to the queue."""

from typing import Any

from bronze.queue import QUEUE, checked_file_name, invalidate_bronze, latest_entry_for_path
from medallion import audit
from medallion.errors import ApiError, conflict, not_found, validation_error
from medallion.scope import in_scope
from medallion.warehouse import Transaction, WarehouseError, warehouse
from medallion.warehouse.identifiers import STAGES, InvalidIdentifier, stage_name, tpa_code


def checked_stage_path(value: object, field: str = "file_path") -> tuple[str, str]:
    """`<TPA>/<file name>` exactly as listed in a stage -> (TPA, file name)."""
    if not isinstance(value, str) or value.count("/") != 1:
        raise validation_error(field, "Use <TPA>/<file name> as listed.", code="invalid_file_name")
    folder, name = value.split("/")
    try:
        if tpa_code(folder) != folder:
            raise InvalidIdentifier(folder)
    except InvalidIdentifier:
        raise validation_error(field, "The folder is not a TPA code.", code="invalid_file_name") from None
    return folder, checked_file_name(name)


def checked_stage(value: object) -> str:
    try:
        return stage_name(value)
    except InvalidIdentifier:
        raise not_found("stage_not_found", f"Stage {str(value)[:60]} does not exist.") from None


async def list_stage(stage: str) -> list[dict[str, Any]]:
    files = await warehouse().stage_list(checked_stage(stage))
    return [
        {"name": f.name, "size": f.size, "md5": f.md5 or "", "last_modified": f.last_modified}
        for f in sorted(files, key=lambda f: f.name)
        if in_scope(f.name.split("/", 1)[0])
    ]


async def stage_totals() -> dict[str, dict[str, int]]:
    wh = warehouse()
    totals = {}
    for stage in STAGES:
        files = [f for f in await wh.stage_list(stage) if in_scope(f.name.split("/", 1)[0])]
        totals[stage] = {"count": len(files), "size": sum(f.size for f in files)}
    return totals


async def delete_stage_file(stage: str, file_path: object, *, user: str | None) -> dict[str, Any]:
    stage = checked_stage(stage)
    tpa, _ = checked_stage_path(file_path)
    path = str(file_path)
    wh = warehouse()
    if not in_scope(tpa) or not any(f.name == path for f in await wh.stage_list(stage, path)):
        raise not_found("file_not_found", f"{path} is not in stage {stage}.")
    entry = await latest_entry_for_path(path) if stage == "SRC" else None
    if entry is not None and entry["STATUS"] == "PROCESSING":
        raise conflict("file_in_processing", f"{path} is being processed right now.")
    await wh.stage_remove(stage, path)
    queue_action = "unchanged" if stage != "SRC" else "not_in_queue"
    async with wh.transaction() as tx:
        if entry is not None:
            queue_action = await _forget_removed_file(tx, entry)
        await audit.record(
            user, "DELETE", "STAGE_FILE", f"{stage}/{path}", tpa=tpa, after={"queue_action": queue_action}, within=tx
        )
    await invalidate_bronze()
    return {
        "message": f"File deleted successfully from {stage} stage",
        "file_path": path,
        "stage_path": f"@{stage}/{path}",
        "queue_action": queue_action,
    }


async def _forget_removed_file(tx: Transaction, entry: dict[str, Any]) -> str:
    if entry["STATUS"] in ("PENDING", "FAILED"):
        await tx.execute(f"DELETE FROM {QUEUE} WHERE QUEUE_ID = ?", (entry["QUEUE_ID"],))
        return "deleted"
    if entry["STATUS"] == "SUCCESS":
        await tx.execute(
            f"UPDATE {QUEUE} SET STATUS = 'DELETED', ERROR_MESSAGE = 'File manually deleted from stage' "
            "WHERE QUEUE_ID = ?",
            (entry["QUEUE_ID"],),
        )
        return "marked_deleted"
    return "unchanged"


async def bulk_delete_stage_files(stage: str, file_paths: list[str], *, user: str | None) -> dict[str, Any]:
    stage = checked_stage(stage)
    succeeded: list[str] = []
    failed: list[dict[str, str]] = []
    for path in file_paths:
        try:
            await delete_stage_file(stage, path, user=user)
        except ApiError as error:
            failed.append({"file": path, "error": error.detail})
        except WarehouseError as error:
            failed.append({"file": path, "error": str(error)})
        else:
            succeeded.append(path)
    return {
        "message": f"Bulk delete completed: {len(succeeded)} succeeded, {len(failed)} failed",
        "results": {"success": succeeded, "failed": failed, "total": len(file_paths)},
    }

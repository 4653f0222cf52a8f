"""The file queue: its reads, registering an upload, discovering staged files, resetting stuck entries,
reprocessing, the background runs and the operations overview of the queue."""

import asyncio
import unicodedata
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings

from bronze.parsing import SUPPORTED_SUFFIXES_TEXT, detect_file_type
from bronze.raw import RAW_NAMESPACE
from medallion import audit, events, stream
from medallion.caching import cached, invalidate
from medallion.clock import utc_now
from medallion.errors import conflict, not_found, validation_error
from medallion.scope import in_scope, tpa_filter
from medallion.warehouse import Transaction, identifiers, warehouse
from medallion.warehouse.sql import Sql, in_, where
from tpa.services import list_tpas, require_active_tpa

QUEUE = "BRONZE.FILE_PROCESSING_QUEUE"
QUEUE_COLUMNS = (
    "QUEUE_ID, FILE_NAME, TPA, FILE_TYPE, FILE_SIZE_BYTES, STATUS, DISCOVERED_TIMESTAMP, PROCESSED_TIMESTAMP, "
    "ERROR_MESSAGE, PROCESS_RESULT, RETRY_COUNT, ROWS_LOADED, CONTENT_HASH, UPLOADED_BY"
)
HEARTBEATS = "BRONZE.LOAD_HEARTBEATS"
# The last sign of life of a queue entry's claim `q`: its worker's heartbeat, else the claim time. STUCK is true
# for a PROCESSING entry whose claim has had none for the lease (bound parameter: the lease's start). ROWS_SO_FAR
# is what the running load has written.
LAST_BEAT_JOIN = (
    f"LEFT JOIN (SELECT QUEUE_ID, CLAIMED_BY, MAX(HEARTBEAT_AT) AS BEAT, MAX(ROWS_SO_FAR) AS ROWS_SO_FAR "
    f"FROM {HEARTBEATS} GROUP BY QUEUE_ID, "
    "CLAIMED_BY) AS h ON h.QUEUE_ID = q.QUEUE_ID AND h.CLAIMED_BY = q.CLAIMED_BY"
)
LAST_BEAT = "COALESCE(h.BEAT, q.HEARTBEAT_AT)"
STUCK = f"COALESCE({LAST_BEAT} < ?, TRUE)"
STATUSES = ("PENDING", "PROCESSING", "SUCCESS", "FAILED", "DUPLICATE", "DELETED")
FILE_TYPES = ("CSV", "EXCEL", "FIXED_WIDTH", "PARQUET", "JSON", "NDJSON", "X12", "ARCHIVE", "UNKNOWN")
QUEUE_NAMESPACE = "bronze_queue"
MAX_FILE_NAME_LENGTH = 255

_background: set[asyncio.Task[Any]] = set()


async def invalidate_bronze(**change: Any) -> None:
    """After every write to the queue or the raw data: drop cached reads, then tell open pages (a queue event)."""
    await invalidate(QUEUE_NAMESPACE, RAW_NAMESPACE)
    stream.publish("queue", **change)


def queue_change(entry: dict[str, Any]) -> dict[str, Any]:
    """What a queue event says about one entry."""
    return {key.lower(): entry.get(key) for key in ("QUEUE_ID", "FILE_NAME", "TPA", "STATUS", "ROWS_LOADED")}


def checked_file_name(value: object) -> str:
    """A stored file name: one path segment, printable, at most 255 characters."""
    if not isinstance(value, str) or not value.strip():
        raise validation_error("file", "The file name is empty.", code="invalid_file_name")
    problems = [
        ("/" in value or "\\" in value, "must not contain path separators"),
        (value in (".", "..") or value.startswith("."), "must not start with a dot"),
        (
            any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value),
            "must not contain control characters",
        ),
        (len(value) > MAX_FILE_NAME_LENGTH, f"must be at most {MAX_FILE_NAME_LENGTH} characters"),
        (value != value.strip(), "must not start or end with spaces"),
    ]
    for failed, message in problems:
        if failed:
            raise validation_error("file", f"The file name {message}.", code="invalid_file_name")
    return value


# --------------------------------------------------------------------------- queue reads


def _queue_where(tpa: str | None, statuses: list[str] | None, file_type: str | None) -> Sql:
    conditions = [tpa_filter(tpa)]
    if statuses:
        conditions.append(in_("STATUS", statuses))
    if file_type:
        conditions.append(Sql("FILE_TYPE = ?", (file_type,)))
    return where(conditions)


async def list_queue(
    tpa: str | None = None,
    statuses: list[str] | None = None,
    file_type: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    columns = ", ".join(f"q.{column.strip()}" for column in QUEUE_COLUMNS.split(","))
    return await warehouse().fetch_all(
        Sql(
            f"SELECT {columns}, q.STATUS = 'PROCESSING' AND {STUCK} AS STUCK, "
            f"CASE WHEN q.STATUS = 'PROCESSING' THEN h.ROWS_SO_FAR END AS ROWS_SO_FAR "
            f"FROM {QUEUE} AS q {LAST_BEAT_JOIN} ",
            (_lease_expired_before(),),
        )
        + _queue_where(tpa, statuses, file_type)
        + f" ORDER BY q.DISCOVERED_TIMESTAMP DESC, q.QUEUE_ID DESC {identifiers.limit(limit, offset)}"
    )


async def queue_total(tpa: str | None = None, statuses: list[str] | None = None, file_type: str | None = None) -> int:
    row = await warehouse().fetch_one(f"SELECT COUNT(*) AS N FROM {QUEUE} " + _queue_where(tpa, statuses, file_type))
    return int(row["N"]) if row else 0


@cached(QUEUE_NAMESPACE, ttl=30)
async def status_summary(tpa: str | None = None) -> list[dict[str, Any]]:
    return await warehouse().fetch_all(
        "SELECT TPA, STATUS, COUNT(*) AS FILE_COUNT, COALESCE(SUM(FILE_SIZE_BYTES), 0) AS TOTAL_BYTES, "
        f"MIN(DISCOVERED_TIMESTAMP) AS OLDEST_FILE, MAX(DISCOVERED_TIMESTAMP) AS NEWEST_FILE FROM {QUEUE} "
        + where([tpa_filter(tpa)])
        + " GROUP BY TPA, STATUS ORDER BY TPA, STATUS"
    )


async def queue_counts(tpa: str | None = None) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for row in await status_summary(tpa):
        counts[row["STATUS"]] = counts.get(row["STATUS"], 0) + int(row["FILE_COUNT"])
    return counts


async def get_queue_entry(queue_id: int) -> dict[str, Any]:
    row = await warehouse().fetch_one(f"SELECT {QUEUE_COLUMNS} FROM {QUEUE} WHERE QUEUE_ID = ?", (queue_id,))
    if row is None or not in_scope(row["TPA"]):
        raise not_found("queue_item_not_found", f"Queue entry {queue_id} does not exist.")
    return row


async def latest_entry_for_path(path: str, within: Transaction | None = None) -> dict[str, Any] | None:
    return await (within or warehouse()).fetch_one(
        f"SELECT {QUEUE_COLUMNS} FROM {QUEUE} WHERE FILE_NAME = ? ORDER BY QUEUE_ID DESC LIMIT 1", (path,)
    )


# --------------------------------------------------------------------------- upload


async def register_upload(
    tpa: str, name: str, local_path: Path, size: int, sha256: str, *, user: str | None
) -> dict[str, Any]:
    """Land an uploaded file in SRC/<TPA>/ and (re)queue it as PENDING."""
    code = (await require_active_tpa(tpa))["TPA_CODE"]
    file_name = checked_file_name(name)
    file_type = detect_file_type(file_name)
    if file_type == "UNKNOWN":
        raise validation_error("file", f"Upload a {SUPPORTED_SUFFIXES_TEXT} file.", code="unsupported_file_type")
    path = f"{code}/{file_name}"
    existing = await latest_entry_for_path(path)
    _refuse_replacing(existing)
    wh = warehouse()
    await wh.stage_put(local_path, "SRC", path)
    try:
        async with wh.transaction() as tx:
            queue_id = await _requeue(tx, existing, path, code, file_type, size, sha256, user)
            await audit.record(
                user, "UPLOAD", "BRONZE_FILE", path, tpa=code, after={"size": size, "sha256": sha256}, within=tx
            )
    except BaseException:
        if existing is None:
            await asyncio.shield(wh.stage_remove("SRC", path))
        raise
    await invalidate_bronze(queue_id=queue_id, file_name=path, tpa=code, status="PENDING")
    events.log_event("INFO", "bronze.upload", f"Uploaded {path} ({size} bytes)", user=user, tpa=code)
    return {"queue_id": queue_id, "file_name": file_name, "tpa": code, "size": size}


def _refuse_replacing(existing: dict[str, Any] | None) -> None:
    if existing is None:
        return
    if existing["STATUS"] == "PROCESSING":
        raise conflict("file_in_processing", f"{existing['FILE_NAME']} is being processed right now.")
    if existing["STATUS"] == "SUCCESS":
        raise conflict(
            "file_already_loaded",
            f"{existing['FILE_NAME']} is already loaded; delete its data first to load it again.",
        )


async def _requeue(
    tx: Transaction,
    existing: dict[str, Any] | None,
    path: str,
    tpa: str,
    file_type: str,
    size: int,
    sha256: str | None,
    user: str | None,
) -> int:
    if existing is None:
        entry = {
            "FILE_NAME": path, "TPA": tpa, "FILE_TYPE": file_type, "FILE_SIZE_BYTES": size, "CONTENT_HASH": sha256,
            "STATUS": "PENDING", "DISCOVERED_TIMESTAMP": utc_now(), "RETRY_COUNT": 0, "UPLOADED_BY": user,
        }  # fmt: skip
        return await tx.insert(QUEUE, entry, id_column="QUEUE_ID")
    changed = await tx.execute(
        f"UPDATE {QUEUE} SET STATUS = 'PENDING', FILE_TYPE = ?, FILE_SIZE_BYTES = ?, CONTENT_HASH = ?, "
        "DISCOVERED_TIMESTAMP = ?, PROCESSING_STARTED = NULL, PROCESSED_TIMESTAMP = NULL, ERROR_MESSAGE = NULL, "
        "PROCESS_RESULT = NULL, RETRY_COUNT = 0, NEXT_ATTEMPT_AT = NULL, CLAIMED_BY = NULL, HEARTBEAT_AT = NULL, "
        "ROWS_LOADED = NULL, UPLOADED_BY = ? WHERE QUEUE_ID = ? AND STATUS = ?",
        (file_type, size, sha256, utc_now(), user, existing["QUEUE_ID"], existing["STATUS"]),
    )
    if not changed:
        raise conflict("file_in_processing", f"{path} changed state while uploading; try again.")
    return int(existing["QUEUE_ID"])


# --------------------------------------------------------------------------- discovery and queue actions


async def discover_files(*, user: str | None = None) -> int:
    """Queue every SRC file placed there by other means (no queue entry yet); returns how many."""
    wh = warehouse()
    known_tpas = {t["TPA_CODE"] for t in await list_tpas()}
    staged = [f for f in await wh.stage_list("SRC") if f.name.count("/") == 1 and f.name.split("/")[0] in known_tpas]
    if not staged:
        return 0
    queued = {row["FILE_NAME"] for row in await wh.fetch_all(f"SELECT DISTINCT FILE_NAME FROM {QUEUE}")}
    now = utc_now()
    new_rows = [
        (f.name, f.name.split("/")[0], detect_file_type(f.name), f.size, "PENDING", now, 0, user)
        for f in staged
        if f.name not in queued
    ]
    if new_rows:
        await wh.insert_rows(
            '"BRONZE"."FILE_PROCESSING_QUEUE"',
            ['"FILE_NAME"', '"TPA"', '"FILE_TYPE"', '"FILE_SIZE_BYTES"', '"STATUS"', '"DISCOVERED_TIMESTAMP"',
             '"RETRY_COUNT"', '"UPLOADED_BY"'],
            new_rows,
        )  # fmt: skip
        await invalidate_bronze()
        events.log_event("INFO", "bronze.discover", f"Discovered {len(new_rows)} file(s) in SRC", user=user)
    return len(new_rows)


def _lease_expired_before() -> datetime:
    return utc_now() - timedelta(seconds=settings.QUEUE_LEASE_SECONDS)


async def reset_stuck(*, user: str | None = None) -> int:
    """PROCESSING entries whose worker has not beaten for the lease go back to PENDING, each logged as an error."""
    wh, reset = warehouse(), 0
    stuck = await wh.fetch_all(
        f"SELECT q.QUEUE_ID, q.FILE_NAME, q.TPA, q.CLAIMED_BY, {LAST_BEAT} AS LAST_BEAT FROM {QUEUE} AS q "
        f"{LAST_BEAT_JOIN} WHERE q.STATUS = 'PROCESSING' AND {STUCK}",
        (_lease_expired_before(),),
    )
    for entry in stuck:
        if not await wh.execute(
            f"UPDATE {QUEUE} SET STATUS = 'PENDING', ERROR_MESSAGE = 'Reset from stuck PROCESSING status', "
            "CLAIMED_BY = NULL, HEARTBEAT_AT = NULL, PROCESSING_STARTED = NULL "
            "WHERE QUEUE_ID = ? AND STATUS = 'PROCESSING' AND COALESCE(CLAIMED_BY, '') = COALESCE(?, '')",
            (entry["QUEUE_ID"], entry["CLAIMED_BY"]),
        ):
            continue
        reset += 1
        await wh.execute(f"DELETE FROM {HEARTBEATS} WHERE QUEUE_ID = ?", (entry["QUEUE_ID"],))
        events.log_error(
            "bronze.reset_stuck",
            f"{entry['FILE_NAME']} was stuck in PROCESSING: worker {entry['CLAIMED_BY'] or '(none)'} last beat at "
            f"{entry['LAST_BEAT'] or 'never'}; reset to PENDING", user=user, tpa=entry["TPA"],
        )  # fmt: skip
    if reset:
        await invalidate_bronze()
    return reset


async def reprocess(queue_id: int, *, user: str | None) -> dict[str, Any]:
    entry = await get_queue_entry(queue_id)
    if entry["STATUS"] != "FAILED":
        raise conflict("invalid_state", f"Only FAILED files can be reprocessed; this one is {entry['STATUS']}.")
    wh = warehouse()
    if any(f.name == entry["FILE_NAME"] for f in await wh.stage_list("ERROR", entry["FILE_NAME"])):
        await wh.stage_move("ERROR", entry["FILE_NAME"], "SRC")
    async with wh.transaction() as tx:
        changed = await tx.execute(
            f"UPDATE {QUEUE} SET STATUS = 'PENDING', ERROR_MESSAGE = NULL, PROCESS_RESULT = NULL, "
            "PROCESSED_TIMESTAMP = NULL, PROCESSING_STARTED = NULL, NEXT_ATTEMPT_AT = NULL, CLAIMED_BY = NULL, "
            "HEARTBEAT_AT = NULL WHERE QUEUE_ID = ? AND STATUS = 'FAILED'",
            (queue_id,),
        )
        if not changed:
            raise conflict("invalid_state", "The file changed state; reload and try again.")
        await audit.record(
            user, "REPROCESS", "BRONZE_FILE", entry["FILE_NAME"], tpa=entry["TPA"],
            before={"STATUS": "FAILED"}, after={"STATUS": "PENDING"}, within=tx,
        )  # fmt: skip
    await invalidate_bronze()
    return entry


def run_in_background(work: Callable[[], Awaitable[Any]]) -> None:
    task = asyncio.get_running_loop().create_task(_logged(work))
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _logged(work: Callable[[], Awaitable[Any]]) -> None:
    try:
        await work()
    except Exception as error:
        events.log_error("bronze.background", error)


def background_running() -> bool:
    return any(not task.done() for task in _background)


async def background_idle() -> None:
    while _background:
        await asyncio.gather(*list(_background), return_exceptions=True)


# --------------------------------------------------------------------------- operations overview


@cached(QUEUE_NAMESPACE, ttl=30)
async def activity_by_tpa(today: datetime, week_start: datetime) -> list[dict[str, Any]]:
    """Per TPA: the newest file (name, status, when), files and rows since `today` and since `week_start`,
    failures and duplicates since `week_start`, and files stuck in PROCESSING (no heartbeat for the lease)."""
    return await warehouse().fetch_all(
        "SELECT q.TPA, MAX_BY(q.FILE_NAME, q.DISCOVERED_TIMESTAMP) AS LAST_FILE_NAME, "
        "MAX_BY(q.STATUS, q.DISCOVERED_TIMESTAMP) AS LAST_FILE_STATUS, MAX(q.DISCOVERED_TIMESTAMP) AS LAST_FILE_AT, "
        "COUNT_IF(q.DISCOVERED_TIMESTAMP >= ?) AS FILES_TODAY, "
        "COALESCE(SUM(IFF(q.DISCOVERED_TIMESTAMP >= ?, q.ROWS_LOADED, 0)), 0) AS ROWS_TODAY, "
        "COUNT_IF(q.DISCOVERED_TIMESTAMP >= ?) AS FILES_7D, "
        "COALESCE(SUM(IFF(q.DISCOVERED_TIMESTAMP >= ?, q.ROWS_LOADED, 0)), 0) AS ROWS_7D, "
        "COUNT_IF(q.STATUS = 'FAILED' AND q.DISCOVERED_TIMESTAMP >= ?) AS FAILED_7D, "
        "COUNT_IF(q.STATUS = 'DUPLICATE' AND q.DISCOVERED_TIMESTAMP >= ?) AS DUPLICATES_7D, "
        f"COUNT_IF(q.STATUS = 'PROCESSING' AND {STUCK}) AS STUCK, "
        f"COUNT_IF(q.STATUS IN ('PENDING', 'PROCESSING')) AS IN_QUEUE FROM {QUEUE} AS q {LAST_BEAT_JOIN} "
        "GROUP BY q.TPA ORDER BY q.TPA",
        (today, today, week_start, week_start, week_start, week_start, _lease_expired_before()),
    )


@cached(QUEUE_NAMESPACE, ttl=30)
async def files_per_day(since: datetime) -> list[dict[str, Any]]:
    """Files of the TPAs in scope discovered per day and status since `since` (the home page's stacked chart)."""
    return await warehouse().fetch_all(
        f"SELECT CAST(DISCOVERED_TIMESTAMP AS DATE) AS DAY, STATUS, COUNT(*) AS FILES FROM {QUEUE} "
        + where([Sql("DISCOVERED_TIMESTAMP >= ?", (since,)), tpa_filter(None)])
        + " GROUP BY DAY, STATUS ORDER BY DAY, STATUS"
    )

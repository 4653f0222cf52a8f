"""The queue worker: claim a PENDING file atomically, load all its rows in one transaction, move the file."""

import asyncio
import contextlib
import hashlib
import logging
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings

from bronze import formats, layouts, parsing, search_keys, x12
from bronze.parsing import BadFile
from bronze.queue import (
    HEARTBEATS,
    QUEUE,
    QUEUE_COLUMNS,
    discover_files,
    invalidate_bronze,
    queue_change,
    register_upload,
    reset_stuck,
)
from medallion import events, stream, worker
from medallion.clock import utc_now
from medallion.errors import ApiError
from medallion.warehouse import (
    DOCUMENT_FORMATS,
    DelimitedSource,
    DocumentSource,
    QueryError,
    Transaction,
    WarehouseConflict,
    WarehouseTimeout,
    WarehouseUnavailable,
    identifiers,
    warehouse,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

RAW_TABLE = '"BRONZE"."RAW_DATA_TABLE"'
RECORD_COLUMNS = (
    '"TPA"', '"FILE_NAME"', '"SHEET_NAME"', '"FILE_ROW_NUMBER"', '"RAW_DATA"', '"FILE_TYPE"', '"CONTENT_HASH"',
    '"QUEUE_ID"', '"LOADED_BY"',
)  # fmt: skip
RECORD_BATCH_ROWS = 5000
CLAIM_CANDIDATES = 10
MAX_RETRIES = 3
RETRY_BACKOFF_SECONDS = 15
TRANSIENT_ERRORS = (WarehouseUnavailable, WarehouseTimeout, WarehouseConflict)
HASH_CHUNK_BYTES = 1 << 20
PROGRESS_POLL_SECONDS = 0.2

_file_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bronze-files")


class ClaimLost(Exception):
    """Another worker (or a reset, delete or clear) took the entry away while this worker loaded it."""


class LoadProgress:
    """Rows so far of one load, written beside its heartbeat (so a refresh shows them) and published as `load`
    events: at most once per LOAD_PROGRESS_ROWS rows and LOAD_PROGRESS_SECONDS, and once more with the final count.
    Batched loads count the rows they inserted; a bulk load that the warehouse reads in one statement is estimated
    from the share of the file read so far (where the warehouse tells it) and the file's line count."""

    def __init__(self, entry: dict[str, Any]) -> None:
        self.entry = entry
        self.reported_rows = 0
        self.reported_at = time.monotonic()

    async def advance(self, rows: int, *, estimated: bool = False) -> None:
        due = time.monotonic() - self.reported_at >= settings.LOAD_PROGRESS_SECONDS
        if due and rows - self.reported_rows >= settings.LOAD_PROGRESS_ROWS:
            await self._report(rows, "LOADING", estimated=estimated)

    async def finish(self, rows: int) -> None:
        await self._report(rows, "LOADED", estimated=False)

    @contextlib.asynccontextmanager
    async def following(self, tx: Transaction, expected_rows: int) -> AsyncIterator[None]:
        """Report while the statement run inside the block loads the file."""
        stop = asyncio.Event()
        follower = asyncio.create_task(self._follow(tx, expected_rows, stop))
        try:
            yield
        finally:
            stop.set()  # no cancel: the follower may be writing its report on a connection of its own
            await follower

    async def _follow(self, tx: Transaction, expected_rows: int, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(settings.LOAD_PROGRESS_SECONDS, PROGRESS_POLL_SECONDS))
                return
            share = await tx.statement_progress()
            if share is not None:
                await self.advance(int(share * expected_rows), estimated=True)

    async def _report(self, rows: int, phase: str, *, estimated: bool) -> None:
        self.reported_rows, self.reported_at = rows, time.monotonic()
        try:
            await warehouse().execute(
                f"UPDATE {HEARTBEATS} SET ROWS_SO_FAR = ? WHERE QUEUE_ID = ? AND CLAIMED_BY = ?",
                (rows, self.entry["QUEUE_ID"], worker.WORKER_ID),
            )
        except TRANSIENT_ERRORS as error:
            log.warning("progress of queue entry %s not written: %s", self.entry["QUEUE_ID"], error)
        stream.publish(
            "load", queue_id=self.entry["QUEUE_ID"], file_name=self.entry["FILE_NAME"], tpa=self.entry["TPA"],
            phase=phase, rows=rows, estimated=estimated,
        )  # fmt: skip


async def in_file_thread(function: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_file_executor, function, *args)


def heartbeat_seconds() -> float:
    return max(0.5, settings.QUEUE_LEASE_SECONDS / 5)


async def process_next() -> bool:
    """One worker pass: recover expired claims, then load one pending file (True when a file was handled)."""
    await reset_stuck(user="worker")
    entry = await claim_next()
    if entry is None:
        return False
    await process_entry(entry)
    return True


async def claim_next() -> dict[str, Any] | None:
    wh = warehouse()
    now = utc_now()
    candidates = await wh.fetch_all(
        f"SELECT QUEUE_ID FROM {QUEUE} WHERE STATUS = 'PENDING' AND (NEXT_ATTEMPT_AT IS NULL OR NEXT_ATTEMPT_AT <= ?) "
        f"ORDER BY DISCOVERED_TIMESTAMP, QUEUE_ID {identifiers.limit(CLAIM_CANDIDATES)}",
        (now,),
    )
    for candidate in candidates:
        try:
            claimed = await wh.execute(
                f"UPDATE {QUEUE} SET STATUS = 'PROCESSING', CLAIMED_BY = ?, HEARTBEAT_AT = ?, PROCESSING_STARTED = ?, "
                "ERROR_MESSAGE = NULL WHERE QUEUE_ID = ? AND STATUS = 'PENDING'",
                (worker.WORKER_ID, now, now, candidate["QUEUE_ID"]),
            )
        except WarehouseConflict:
            continue
        if claimed:
            await wh.execute(
                f"INSERT INTO {HEARTBEATS} (QUEUE_ID, CLAIMED_BY, HEARTBEAT_AT) VALUES (?, ?, ?)",
                (candidate["QUEUE_ID"], worker.WORKER_ID, now),
            )
            entry = await _entry(candidate["QUEUE_ID"])
            await invalidate_bronze(**queue_change(entry or candidate))
            return entry
    return None


async def process_entry(entry: dict[str, Any]) -> None:
    started = utc_now()
    path, tpa = entry["FILE_NAME"], entry["TPA"]
    events.log_file_stage(entry["QUEUE_ID"], path, tpa, "BRONZE_LOAD", "STARTED", started=started)
    stream.publish("load", queue_id=entry["QUEUE_ID"], file_name=path, tpa=tpa, phase="LOADING", rows=0)
    beating = asyncio.create_task(_heartbeat(entry["QUEUE_ID"]))
    try:
        outcome = await _load(entry)
    except BadFile as error:
        await _finish_failed(entry, str(error), started)
    except QueryError as error:
        events.log_error("bronze.load", error.detail or str(error), tpa=tpa, context={"file": path})
        await _finish_failed(entry, "The warehouse refused the file's content; check its format and encoding.", started)
    except TRANSIENT_ERRORS as error:
        await _retry_later(entry, error, started)
    except ClaimLost:
        events.log_event("WARNING", "bronze.load", f"Claim on {path} was lost; the load was rolled back", tpa=tpa)
    except Exception as error:
        log.exception("loading %s failed", path)
        events.log_error("bronze.load", error, tpa=tpa, context={"file": path})
        await _finish_failed(entry, f"Unexpected error while loading the file ({type(error).__name__}).", started)
    else:
        events.log_file_stage(
            entry["QUEUE_ID"], path, tpa, "BRONZE_LOAD", "SUCCESS" if outcome else "SKIPPED", started=started,
            rows_processed=outcome,
        )  # fmt: skip
    finally:
        beating.cancel()
        await _stop_beating(entry["QUEUE_ID"])
        await invalidate_bronze(**queue_change(await _entry(entry["QUEUE_ID"]) or entry))


async def _entry(queue_id: int) -> dict[str, Any] | None:
    return await warehouse().fetch_one(f"SELECT {QUEUE_COLUMNS} FROM {QUEUE} WHERE QUEUE_ID = ?", (queue_id,))


async def _load(entry: dict[str, Any]) -> int:
    """Returns the rows loaded (0 for a duplicate or an archive, whose members are queued as files)."""
    file_type: str = parsing.detect_file_type(entry["FILE_NAME"])
    if file_type == "UNKNOWN":
        raise BadFile(f"The file type is not supported; use {parsing.SUPPORTED_SUFFIXES_TEXT}")
    async with _local_copy(entry["FILE_NAME"]) as local:
        content_hash = entry["CONTENT_HASH"] or await in_file_thread(_sha256, local)
        earlier = await _earlier_load(entry, content_hash)
        if earlier is not None:
            await _finish_duplicate(entry, content_hash, earlier)
            return 0
        if file_type == "ARCHIVE":
            return await _unpack(entry, local, content_hash)
        progress = LoadProgress(entry)
        tpa_layout = await layouts.layout_for(entry["TPA"], entry["FILE_NAME"].split("/", 1)[1])
        if tpa_layout is not None and tpa_layout.format == "FIXED_WIDTH" and file_type == "CSV":
            file_type = "FIXED_WIDTH"
        layout = await in_file_thread(parsing.inspect_delimited, local) if file_type == "CSV" else None
        try:
            async with warehouse().transaction(timeout=settings.WAREHOUSE_LONG_STATEMENT_TIMEOUT) as tx:
                await tx.execute(f"DELETE FROM {RAW_TABLE} WHERE QUEUE_ID = ?", (entry["QUEUE_ID"],))
                if layout is not None:
                    expected_rows = max(await in_file_thread(_line_count, local) - 1, 0)
                    async with progress.following(tx, expected_rows):
                        rows = await _load_delimited(tx, entry, layout, content_hash)
                elif file_type in DOCUMENT_FORMATS:
                    rows = await _load_documents(tx, entry, file_type, content_hash)
                else:
                    batches = _record_batches(file_type, local, tpa_layout)
                    rows = await _load_records(tx, entry, file_type, batches, content_hash, progress)
                rows = await layouts.record_controls(tx, entry, rows, tpa_layout)
                await _mark_success(tx, entry, content_hash, rows)
        except QueryError:
            # The bulk loads are strict but terse; a full read of the file names the offending line.
            if layout is not None:
                await in_file_thread(parsing.validate_delimited, local, layout)
            elif file_type in DOCUMENT_FORMATS:
                await in_file_thread(formats.explain_document_error, local, file_type)
            raise
        await progress.finish(rows)
    await _move_quietly(entry, "COMPLETED")
    return rows


async def _unpack(entry: dict[str, Any], local: Path, content_hash: str) -> int:
    """Queue each member of an archive as a file of its own; the archive itself loads no rows."""
    archive_name = entry["FILE_NAME"].split("/", 1)[1]
    with tempfile.TemporaryDirectory(dir=await in_file_thread(_scratch_root)) as scratch:
        members = await in_file_thread(formats.unpack, local, archive_name, Path(scratch))
        refused = [m.name for m in members if parsing.detect_file_type(m.name) in ("UNKNOWN", "ARCHIVE")]
        if refused:
            raise BadFile(f"The archive holds files of an unsupported type: {', '.join(refused[:5])}")
        for member in members:
            try:
                await register_upload(
                    entry["TPA"], member.name, member.path, member.size, member.sha256,
                    user=entry["UPLOADED_BY"] or "system",
                )  # fmt: skip
            except ApiError as error:
                raise BadFile(f"{member.name} from the archive was not queued: {error.detail}") from None
    names = ", ".join(member.name for member in members)
    await _finish(entry, "SUCCESS", process_result=f"UNPACKED: {len(members)} files ({names})"[:4000],
                  content_hash=content_hash)  # fmt: skip
    await _move_quietly(entry, "COMPLETED")
    return 0


@contextlib.asynccontextmanager
async def _local_copy(path: str) -> AsyncIterator[Path]:
    wh = warehouse()
    local_path = getattr(wh.backend, "local_path", None)
    if local_path is not None:
        local = local_path("SRC", path)
        if not local.is_file():
            raise BadFile("The file is no longer in stage SRC")
        yield local
        return
    await asyncio.to_thread(Path(settings.UPLOAD_TEMP_DIR).mkdir, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.UPLOAD_TEMP_DIR) as scratch:
        yield await wh.stage_get("SRC", path, Path(scratch))


def _scratch_root() -> Path:
    root = Path(settings.UPLOAD_TEMP_DIR)
    root.mkdir(parents=True, exist_ok=True)
    return root


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _line_count(path: Path) -> int:
    lines, last = 0, b"\n"
    with path.open("rb") as stream:
        while chunk := stream.read(HASH_CHUNK_BYTES):
            lines, last = lines + chunk.count(b"\n"), chunk[-1:]
    return lines + (last != b"\n")


async def _earlier_load(entry: dict[str, Any], content_hash: str) -> str | None:
    return await warehouse().fetch_value(
        f"SELECT FILE_NAME FROM {QUEUE} WHERE TPA = ? AND CONTENT_HASH = ? AND STATUS = 'SUCCESS' AND QUEUE_ID <> ? "
        "ORDER BY PROCESSED_TIMESTAMP LIMIT 1",
        (entry["TPA"], content_hash, entry["QUEUE_ID"]),
    )


def _constants(entry: dict[str, Any], file_type: str, content_hash: str) -> dict[str, Any]:
    return {
        '"TPA"': entry["TPA"],
        '"FILE_NAME"': entry["FILE_NAME"].split("/", 1)[1],
        '"FILE_TYPE"': file_type,
        '"CONTENT_HASH"': content_hash,
        '"QUEUE_ID"': entry["QUEUE_ID"],
        '"LOADED_BY"': entry["UPLOADED_BY"] or "system",
    }


async def _load_delimited(
    tx: Transaction, entry: dict[str, Any], layout: parsing.DelimitedLayout, content_hash: str
) -> int:
    source = DelimitedSource(
        layout.headers,
        layout.delimiter,
        layout.encoding,
        constants=_constants(entry, "CSV", content_hash),
        search_column=search_keys.SEARCH_COLUMN,
        search_headers=search_keys.key_fields(layout.headers),
    )
    return await tx.load_staged_as_json(
        RAW_TABLE,
        "SRC",
        entry["FILE_NAME"],
        source,
        json_column='"RAW_DATA"',
        row_number_column='"FILE_ROW_NUMBER"',
        timeout=settings.WAREHOUSE_LONG_STATEMENT_TIMEOUT,
    )


async def _load_documents(tx: Transaction, entry: dict[str, Any], file_type: str, content_hash: str) -> int:
    """Parquet, JSON and NDJSON are read by the warehouse itself (DuckDB's readers, Snowflake's COPY)."""
    rows = await tx.load_staged_as_json(
        RAW_TABLE,
        "SRC",
        entry["FILE_NAME"],
        DocumentSource(file_type, _constants(entry, file_type, content_hash)),
        json_column='"RAW_DATA"',
        row_number_column='"FILE_ROW_NUMBER"',
        timeout=settings.WAREHOUSE_LONG_STATEMENT_TIMEOUT,
    )
    if not rows:
        raise BadFile("The file has no records")
    return rows


def _record_batches(
    file_type: str, local: Path, tpa_layout: layouts.Layout | None
) -> Iterator[tuple[str | None, list[parsing.Record]]]:
    """Records read in the worker: Excel sheets, X12 claims, fixed-width lines."""
    if file_type == "EXCEL":
        return parsing.iter_excel_records(local, batch_size=RECORD_BATCH_ROWS)
    if file_type == "X12":
        return ((None, batch) for batch in x12.iter_claim_records(local))
    fields = tpa_layout.fields if tpa_layout is not None else ()
    return ((None, batch) for batch in formats.iter_fixed_width_records(local, fields, batch_size=RECORD_BATCH_ROWS))


async def _load_records(
    tx: Transaction,
    entry: dict[str, Any],
    file_type: str,
    batches: Iterator[tuple[str | None, list[parsing.Record]]],
    content_hash: str,
    progress: LoadProgress,
) -> int:
    constants = (entry["TPA"], entry["FILE_NAME"].split("/", 1)[1])
    trailer = (file_type, content_hash, entry["QUEUE_ID"], entry["UPLOADED_BY"] or "system")
    loaded = 0
    while (batch := await in_file_thread(next, batches, None)) is not None:
        sheet, records = batch
        rows = [
            (*constants, sheet, number, record, *trailer, search_keys.search_text(record)) for number, record in records
        ]
        loaded += await tx.insert_rows(
            RAW_TABLE, [*RECORD_COLUMNS, search_keys.SEARCH_COLUMN], rows, json_columns=['"RAW_DATA"'],
            timeout=settings.WAREHOUSE_LONG_STATEMENT_TIMEOUT,
        )  # fmt: skip
        await progress.advance(loaded)
    return loaded


async def _mark_success(tx: Transaction, entry: dict[str, Any], content_hash: str, rows: int) -> None:
    changed = await tx.execute(
        f"UPDATE {QUEUE} SET STATUS = 'SUCCESS', PROCESSED_TIMESTAMP = ?, ROWS_LOADED = ?, CONTENT_HASH = ?, "
        "PROCESS_RESULT = ?, ERROR_MESSAGE = NULL, CLAIMED_BY = NULL, HEARTBEAT_AT = NULL "
        "WHERE QUEUE_ID = ? AND STATUS = 'PROCESSING' AND CLAIMED_BY = ?",
        (
            utc_now(),
            rows,
            content_hash,
            f"SUCCESS: Processed {rows} rows from {entry['FILE_NAME'].split('/', 1)[1]}",
            entry["QUEUE_ID"],
            worker.WORKER_ID,
        ),
    )
    if not changed:
        raise ClaimLost(entry["FILE_NAME"])


async def _finish_duplicate(entry: dict[str, Any], content_hash: str, earlier: str) -> None:
    await _finish(
        entry,
        "DUPLICATE",
        process_result=f"DUPLICATE: same content as {earlier}, which is already loaded; no rows added",
        content_hash=content_hash,
    )
    await _move_quietly(entry, "ARCHIVE")


async def _finish_failed(entry: dict[str, Any], reason: str, started: datetime) -> None:
    events.log_file_stage(
        entry["QUEUE_ID"], entry["FILE_NAME"], entry["TPA"], "BRONZE_LOAD", "FAILED", started=started, error=reason
    )
    with contextlib.suppress(ClaimLost):
        await _finish(entry, "FAILED", error_message=reason)
        await _move_quietly(entry, "ERROR")


async def _finish(
    entry: dict[str, Any],
    status: str,
    *,
    error_message: str | None = None,
    process_result: str | None = None,
    content_hash: str | None = None,
) -> None:
    changed = await warehouse().execute(
        f"UPDATE {QUEUE} SET STATUS = ?, PROCESSED_TIMESTAMP = ?, ERROR_MESSAGE = ?, PROCESS_RESULT = ?, "
        "CONTENT_HASH = COALESCE(?, CONTENT_HASH), ROWS_LOADED = 0, CLAIMED_BY = NULL, HEARTBEAT_AT = NULL "
        "WHERE QUEUE_ID = ? AND STATUS = 'PROCESSING' AND CLAIMED_BY = ?",
        (status, utc_now(), error_message, process_result, content_hash, entry["QUEUE_ID"], worker.WORKER_ID),
    )
    if not changed:
        raise ClaimLost(entry["FILE_NAME"])


async def _retry_later(entry: dict[str, Any], error: Exception, started: datetime) -> None:
    attempts = int(entry["RETRY_COUNT"] or 0) + 1
    if attempts > MAX_RETRIES:
        reason = f"The warehouse failed {attempts} times while loading the file ({error}); giving up."
        await _finish_failed(entry, reason, started)
        return
    retry_at = utc_now() + timedelta(seconds=RETRY_BACKOFF_SECONDS * 2 ** (attempts - 1))
    events.log_file_stage(
        entry["QUEUE_ID"], entry["FILE_NAME"], entry["TPA"], "BRONZE_LOAD", "FAILED", started=started,
        error=f"Transient warehouse error, retry {attempts} at {retry_at:%H:%M:%S}: {error}",
    )  # fmt: skip
    await warehouse().execute(
        f"UPDATE {QUEUE} SET STATUS = 'PENDING', RETRY_COUNT = ?, NEXT_ATTEMPT_AT = ?, ERROR_MESSAGE = ?, "
        "CLAIMED_BY = NULL, HEARTBEAT_AT = NULL WHERE QUEUE_ID = ? AND STATUS = 'PROCESSING' AND CLAIMED_BY = ?",
        (attempts, retry_at, f"Retry {attempts} of {MAX_RETRIES} after: {error}", entry["QUEUE_ID"], worker.WORKER_ID),
    )


async def _heartbeat(queue_id: int) -> None:
    while True:
        await asyncio.sleep(heartbeat_seconds())
        try:
            await _touch(queue_id, utc_now())
        except ClaimLost:
            return
        except TRANSIENT_ERRORS as error:
            log.warning("heartbeat for queue entry %s failed: %s", queue_id, error)


async def _touch(queue_id: int, heartbeat_at: datetime) -> None:
    """Beat on the claim's own heartbeat row (a reset deletes it), also while the load transaction runs."""
    touched = await warehouse().execute(
        f"UPDATE {HEARTBEATS} SET HEARTBEAT_AT = ? WHERE QUEUE_ID = ? AND CLAIMED_BY = ?",
        (heartbeat_at, queue_id, worker.WORKER_ID),
    )
    if not touched:
        raise ClaimLost(str(queue_id))


async def _stop_beating(queue_id: int) -> None:
    try:
        await warehouse().execute(
            f"DELETE FROM {HEARTBEATS} WHERE QUEUE_ID = ? AND CLAIMED_BY = ?", (queue_id, worker.WORKER_ID)
        )
    except TRANSIENT_ERRORS as error:
        log.warning("could not remove the heartbeat of queue entry %s: %s", queue_id, error)


async def _move_quietly(entry: dict[str, Any], target_stage: str) -> None:
    try:
        await warehouse().stage_move("SRC", entry["FILE_NAME"], target_stage)
    except Exception as error:
        events.log_error("bronze.stage_move", error, tpa=entry["TPA"], context={"file": entry["FILE_NAME"]})


async def process_all_pending() -> dict[str, int]:
    handled = 0
    while await process_next():
        handled += 1
    return {"records_processed": handled}


async def discover_task() -> dict[str, int]:
    return {"records_processed": await discover_files(user="DISCOVER_FILES_TASK")}


async def discover_and_process() -> None:
    await discover_files(user="process")
    worker.wake()

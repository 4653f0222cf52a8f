"""Bronze -> Silver transform: approved mappings, safe casts, rules, quarantine, batches.

A run is set-based SQL only. One statement reads the TPA's raw records once (JSON extraction, TRY_CAST to
each target type, defaults, rule checks, corrections and the rejection reason) into a scratch table; then
one transaction moves the outcome: quarantine rows (with the raw record and reason), flag rows, the
upsert into the physical table keyed on _RECORD_ID (delete + insert, which also removes rows that are
now rejected), the watermark and the batch record. A failure leaves nothing half-written; the scratch
table is always dropped. (The embedded engine cannot MERGE or create tables inside a transaction.)
"""

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from bronze.raw import source_fields
from medallion import audit, stream
from medallion.caching import invalidate
from medallion.clock import utc_now
from medallion.errors import ApiError, conflict
from medallion.events import log_error, log_event
from medallion.scope import in_scope, tpa_condition
from medallion.warehouse import QueryError, Transaction, WarehouseError, WarehouseTimeout, identifiers, warehouse
from medallion.warehouse.identifiers import quote
from silver import quality, schemas, tables
from silver.rules import active_rules, compile_rules
from silver.transform_catalog import (
    PhysicalTable,
    approved_mappings,
    physical_table,
    schema_columns,
    schema_table,
    table_columns,
    tables_of,
)
from silver.transform_sql import SOURCE, SOURCE_FILE_KEY, Plan, column_sources, counts_sql, load_statements, stage_sql
from tpa.conversions import conversions_of
from tpa.services import get_tpa, list_tpas, require_active_tpa

log = logging.getLogger(__name__)

_OWN_TABLES = (
    "TRANSFORM_BATCHES", "QUARANTINE", "DQ_FLAGS", "DATA_QUALITY_METRICS", "TRANSFORM_RULES", "CLAIM_VERSIONS",
)  # fmt: skip
BATCH_COLUMNS = (
    "BATCH_ID, TPA, TARGET_TABLE, SCHEMA_TABLE, MODE, STATUS, PHASE, APPLY_RULES, WATERMARK_FROM, WATERMARK_TO, "
    "ROWS_READ, INSERTED, UPDATED, REJECTED, FLAGGED, CORRECTED, STARTED_AT, FINISHED_AT, DURATION_MS, "
    "ERROR_MESSAGE, TRIGGERED_BY"
)

HISTORY_LIMIT = 50


@dataclass
class Outcome:
    batch_id: str
    table: PhysicalTable
    status: str = "SUCCESS"
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    flagged: int = 0
    corrected: int = 0
    error: str | None = None

    def as_response(self) -> dict[str, Any]:
        processed = self.inserted + self.updated
        if self.status == "SUCCESS":
            result = (
                f"SUCCESS: Transformed {processed} records from {SOURCE} to SILVER.{self.table.name} "
                f"({self.inserted} inserted, {self.updated} updated, {self.rejected} quarantined)"
            )
        else:
            result = f"ERROR: {self.error}"
        return {
            "message": "Transformation completed" if self.status == "SUCCESS" else "Transformation failed",
            "result": result,
            "status": self.status,
            "records_processed": processed,
            "records_inserted": self.inserted,
            "records_updated": self.updated,
            "records_quarantined": self.rejected,
            "records_flagged": self.flagged,
            "records_corrected": self.corrected,
            "batch_id": self.batch_id,
            "physical_table_name": self.table.name,
        }


async def transform(
    tpa: object,
    table: object,
    *,
    incremental: bool = False,
    apply_rules: bool = True,
    user: str | None = None,
) -> Outcome:
    """Run one transform of the table's records: all of them, or with `incremental` those no run has read yet."""
    return await _run_plan(await _plan(tpa, table, "INCREMENTAL" if incremental else "FULL", apply_rules), user)


async def release(
    tpa: object, table: object, record_ids: tuple[int, ...] | None = None, *, user: str | None = None
) -> Outcome:
    """Re-check the table's quarantined records (those in `record_ids`, or every one when None) with the current
    mappings and rules; the records that pass now leave quarantine."""
    return await _run_plan(await _plan(tpa, table, "RELEASE", True, record_ids), user)


async def _run_plan(plan: Plan, user: str | None) -> Outcome:
    async with tables.exclusive_operation(plan.table.tpa, plan.table.schema_table):
        outcome = await _claimed_run(plan, user)
    await invalidate("silver_tables")
    await invalidate("silver_quality")
    return outcome


async def is_busy(tpa: str) -> bool:
    if await tables.operation_running(tpa):
        return True
    return bool(
        await warehouse().fetch_one(
            "SELECT 1 AS X FROM SILVER.TRANSFORM_BATCHES WHERE TPA = ? AND STATUS = 'RUNNING' "
            "AND STARTED_AT > DATEADD(second, ?, CAST(? AS TIMESTAMP_NTZ))",
            (tpa, -_stale_after(), utc_now()),
        )
    )


async def history(tpa: str | None, table: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    conditions, params = ["1 = 1"], []
    scoped, scope_params = tpa_condition("TPA", (await get_tpa(tpa))["TPA_CODE"] if tpa else None)
    if scoped:
        conditions.append(scoped)
        params += scope_params
    if table:
        conditions.append("SCHEMA_TABLE = ?")
        params.append(schema_table(table))
    return await warehouse().fetch_all(
        f"SELECT {BATCH_COLUMNS} FROM SILVER.TRANSFORM_BATCHES WHERE {' AND '.join(conditions)} "
        f"ORDER BY STARTED_AT DESC, BATCH_ID DESC {identifiers.limit(limit, offset)}",
        params,
    )


async def get_batch(batch_id: str) -> dict[str, Any]:
    row = await warehouse().fetch_one(
        f"SELECT {BATCH_COLUMNS} FROM SILVER.TRANSFORM_BATCHES WHERE BATCH_ID = ?", (batch_id[:40],)
    )
    if row is None or not in_scope(row["TPA"]):
        raise ApiError(404, "batch_not_found", f"Transform batch {batch_id[:40]} not found.")
    return row


async def transform_all() -> dict[str, Any]:
    """The scheduled task: every active TPA's tables with approved mappings, incrementally."""
    totals = {"records_processed": 0, "records_failed": 0, "tables_transformed": 0, "tables_skipped": 0}
    for tpa in await list_tpas(True):
        for table in await tables_of(tpa["TPA_CODE"]):
            if not await approved_mappings(table.tpa, table.schema_table):
                continue
            try:
                outcome = await transform(table.tpa, table.schema_table, incremental=True, user="TRANSFORM_ALL_TASK")
            except ApiError as error:
                log_event("WARNING", "silver.transform", f"Skipped {table.name}: {error.detail}", tpa=table.tpa)
                totals["tables_skipped"] += 1
                continue
            if outcome.status != "SUCCESS":
                raise RuntimeError(f"Transform of {table.name} failed: {outcome.error}")
            totals["records_processed"] += outcome.inserted + outcome.updated
            totals["records_failed"] += outcome.rejected
            totals["tables_transformed"] += 1
    return totals


async def purge_tpa(tx: Transaction, tpa: str) -> None:
    for table in _OWN_TABLES:
        await tx.execute(f"DELETE FROM {quote('SILVER', table)} WHERE TPA = ?", (tpa,))


async def purge_table(tx: Transaction, tpa: str | None, schema_table_name: str) -> None:
    """Rows kept for (TPA, schema table), or for the schema table of every TPA when `tpa` is None."""
    for table in _OWN_TABLES:
        await tx.execute(
            f"DELETE FROM {quote('SILVER', table)} WHERE SCHEMA_TABLE = ? AND TPA = COALESCE(?, TPA)",
            (schema_table_name, tpa),
        )


def register() -> None:
    from medallion.task_registry import register_task
    from tpa import services as tpa_services

    register_task(
        "TRANSFORM_ALL_TASK",
        layer="SILVER",
        schedule="60 MINUTE",
        run=transform_all,
        description="Transform new Bronze records of every table with approved mappings into Silver (incremental).",
    )
    tpa_services.purge_in_transaction.connect(purge_tpa)
    schemas.purge_hooks.connect(purge_table)
    tpa_services.busy_checks.connect(is_busy)


async def _plan(
    tpa: object, table: object, mode: str, apply_rules: bool, record_ids: tuple[int, ...] | None = None
) -> Plan:
    code = (await get_tpa(tpa))["TPA_CODE"]
    columns = await schema_columns(schema_table(table))
    physical = await physical_table(code, table)
    await require_active_tpa(code)
    mappings = await approved_mappings(code, physical.schema_table)
    if not mappings:
        raise conflict("no_approved_mappings", f"{physical.name} has no approved mappings; approve some first.")
    present = {column.name for column in await table_columns(physical)}
    missing = sorted({m["TARGET_COLUMN"] for m in mappings} - present)
    if missing:
        raise conflict(
            "mapping_column_missing",
            f"Approved mappings target columns missing from {physical.name}: {', '.join(missing)}.",
        )
    loadable = [column for column in columns if column.name in present]
    rules = compile_rules(await active_rules(code, physical.schema_table), loadable) if apply_rules else []
    files = await _files_with_fields(code, {mapping["SOURCE_FIELD"] for mapping in mappings})
    conversions = await conversions_of(code)
    sources = column_sources(mappings, await source_fields(code))
    return Plan(physical, loadable, sources, rules, mode, conversions, record_ids, files)


async def _files_with_fields(tpa: str, fields: set[str]) -> tuple[str, ...]:
    """The TPA's loaded files (and sheets) whose header has every mapped source field: a TPA sends medical,
    dental, pharmacy and eligibility files, and each target table takes only the files laid out for it.
    Records that came from no file (no queue entry) are not routed."""
    rows = await warehouse().fetch_all(
        f"WITH FIRST_ROWS AS (SELECT MIN(RECORD_ID) AS RECORD_ID FROM {SOURCE} WHERE TPA = ? AND QUEUE_ID IS NOT NULL "
        "GROUP BY QUEUE_ID, SHEET_NAME) "
        f"SELECT {SOURCE_FILE_KEY} AS SOURCE_FILE, f.KEY AS FIELD FROM {SOURCE} AS r "
        "JOIN FIRST_ROWS AS b ON r.RECORD_ID = b.RECORD_ID, LATERAL FLATTEN(INPUT => r.RAW_DATA) AS f",
        (tpa,),
    )
    headers: dict[str, set[str]] = {}
    for row in rows:
        headers.setdefault(row["SOURCE_FILE"], set()).add(row["FIELD"])
    return tuple(sorted(source for source, header in headers.items() if fields <= header))


async def _claimed_run(plan: Plan, user: str | None) -> Outcome:
    table = plan.table
    batch_id = f"{datetime.now(UTC):%Y%m%d%H%M%S}_{uuid.uuid4().hex[:8].upper()}"
    started = time.monotonic()
    claimed = await warehouse().execute(
        "INSERT INTO SILVER.TRANSFORM_BATCHES (BATCH_ID, TPA, TARGET_TABLE, SCHEMA_TABLE, MODE, STATUS, PHASE, "
        "APPLY_RULES, WATERMARK_FROM, STARTED_AT, TRIGGERED_BY) SELECT ?, ?, ?, ?, ?, 'RUNNING', 'STAGING', ?, ?, "
        "CAST(? AS TIMESTAMP_NTZ), ? WHERE NOT EXISTS (SELECT 1 FROM SILVER.TRANSFORM_BATCHES WHERE TPA = ? "
        "AND TARGET_TABLE = ? AND STATUS = 'RUNNING' AND STARTED_AT > DATEADD(second, ?, CAST(? AS TIMESTAMP_NTZ)))",
        (
            batch_id, table.tpa, table.name, table.schema_table, plan.mode, bool(plan.rules), table.watermark,
            utc_now(), user, table.tpa, table.name, -_stale_after(), utc_now(),
        ),
    )  # fmt: skip
    if not claimed:
        raise _busy(table)
    outcome = Outcome(batch_id, table)
    _announce(outcome, "RUNNING", "STAGING")
    stage = quote("SILVER", f"_STAGE_{uuid.uuid4().hex.upper()}")
    try:
        await _run(plan, outcome, stage, user, started)
    except (WarehouseTimeout, asyncio.CancelledError):
        await asyncio.shield(_fail(outcome, "The transform took too long and was cancelled.", started))
        raise
    except QueryError as error:
        log_error("silver.transform", error.detail or str(error), user=user, tpa=table.tpa)
        await _fail(outcome, "The warehouse rejected the transform (see the error log for details).", started)
    except WarehouseError as error:
        await _fail(outcome, str(error), started)
        raise
    finally:
        await asyncio.shield(_drop(stage))
    if outcome.status == "SUCCESS":
        await _measure_quietly(plan, outcome)
        log_event("INFO", "silver.transform", outcome.as_response()["result"], user=user, tpa=table.tpa)
    return outcome


async def _run(plan: Plan, outcome: Outcome, stage: str, user: str | None, started: float) -> None:
    wh, long = warehouse(), settings.WAREHOUSE_LONG_STATEMENT_TIMEOUT
    staging = stage_sql(plan, stage)
    await wh.execute(staging.text, staging.params, timeout=long)
    counts = await wh.fetch_one(counts_sql(plan, stage), timeout=long) or {}
    outcome.rows_read = int(counts.get("ROWS_READ") or 0)
    outcome.rejected = int(counts.get("REJECTED") or 0)
    outcome.updated = int(counts.get("UPDATED") or 0)
    outcome.inserted = outcome.rows_read - outcome.rejected - outcome.updated
    outcome.flagged = int(counts.get("FLAGGED") or 0)
    outcome.corrected = int(counts.get("CORRECTED") or 0)
    await _set_phase(outcome, "LOADING")
    async with wh.transaction(timeout=long) as tx:
        for statement in load_statements(plan, outcome.batch_id, stage, user):
            await tx.execute(statement.text, statement.params, timeout=long)
        watermark = max(plan.table.watermark, int(counts.get("MAX_RECORD_ID") or 0))
        if plan.mode != "RELEASE":
            await tx.execute(
                "UPDATE SILVER.CREATED_TABLES SET WATERMARK_RECORD_ID = ?, LAST_UPDATED = CAST(? AS TIMESTAMP_NTZ) "
                "WHERE TPA = ? AND TABLE_NAME = ?",
                (watermark, utc_now(), plan.table.tpa, plan.table.name),
            )
        await _finish(tx, outcome, "SUCCESS", None, started, watermark)
        await audit.record(
            user, "TRANSFORM", "SILVER_TABLE", plan.table.name, tpa=plan.table.tpa,
            after={key: value for key, value in outcome.as_response().items() if key.startswith("records_")}, within=tx,
        )  # fmt: skip
    _announce(outcome, "SUCCESS", "DONE")


async def _finish(
    target: Any, outcome: Outcome, status: str, error: str | None, started: float, watermark: int | None
) -> None:
    outcome.status, outcome.error = status, error
    await target.execute(
        "UPDATE SILVER.TRANSFORM_BATCHES SET STATUS = ?, PHASE = ?, ROWS_READ = ?, INSERTED = ?, UPDATED = ?, "
        "REJECTED = ?, FLAGGED = ?, CORRECTED = ?, WATERMARK_TO = ?, FINISHED_AT = CAST(? AS TIMESTAMP_NTZ), "
        "DURATION_MS = ?, ERROR_MESSAGE = ? WHERE BATCH_ID = ?",
        (
            status, "DONE", outcome.rows_read, outcome.inserted, outcome.updated, outcome.rejected, outcome.flagged,
            outcome.corrected, watermark, utc_now(), int((time.monotonic() - started) * 1000), error, outcome.batch_id,
        ),
    )  # fmt: skip


async def _fail(outcome: Outcome, error: str, started: float) -> None:
    outcome.inserted = outcome.updated = outcome.rejected = outcome.flagged = outcome.corrected = 0
    try:
        await _finish(warehouse(), outcome, "FAILED", error, started, None)
    except WarehouseError:
        log.exception("could not record the failure of transform batch %s", outcome.batch_id)
    _announce(outcome, "FAILED", "DONE")


async def _set_phase(outcome: Outcome, phase: str) -> None:
    await warehouse().execute(
        "UPDATE SILVER.TRANSFORM_BATCHES SET PHASE = ?, ROWS_READ = ? WHERE BATCH_ID = ?",
        (phase, outcome.rows_read, outcome.batch_id),
    )
    _announce(outcome, "RUNNING", phase)


def _announce(outcome: Outcome, status: str, phase: str) -> None:
    table = outcome.table
    stream.publish(
        "transform", batch_id=outcome.batch_id, tpa=table.tpa, table=table.schema_table, status=status, phase=phase,
        rows_read=outcome.rows_read, inserted=outcome.inserted, rejected=outcome.rejected, error=outcome.error,
    )  # fmt: skip


async def _measure_quietly(plan: Plan, outcome: Outcome) -> None:
    try:
        await quality.measure(plan.table, outcome.batch_id)
    except (WarehouseError, ApiError):
        log.exception("quality measurement after transform batch %s failed", outcome.batch_id)


async def _drop(stage: str) -> None:
    try:
        await warehouse().execute(f"DROP TABLE IF EXISTS {stage}")
    except WarehouseError:
        log.exception("could not drop the transform scratch table %s", stage)


def _busy(table: PhysicalTable) -> ApiError:
    return conflict("operation_in_progress", f"A transform of {table.name} is already running.")


def _stale_after() -> int:
    """A RUNNING batch older than this was left by a process that died (every statement has a time limit)."""
    return int(settings.WAREHOUSE_LONG_STATEMENT_TIMEOUT * 2)


async def latest_by_tpa() -> list[dict[str, Any]]:
    """Per TPA: when its newest transform started, its table, status and phase (the home page)."""
    return await warehouse().fetch_all(
        "SELECT TPA, MAX(STARTED_AT) AS STARTED_AT, MAX_BY(SCHEMA_TABLE, STARTED_AT) AS SCHEMA_TABLE, "
        "MAX_BY(STATUS, STARTED_AT) AS STATUS, MAX_BY(PHASE, STARTED_AT) AS PHASE "
        "FROM SILVER.TRANSFORM_BATCHES GROUP BY TPA"
    )

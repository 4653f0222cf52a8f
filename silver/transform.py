"""Bronze -> Silver transform: approved mappings, safe casts, rules, quarantine, batches.

A run is set-based SQL only. One statement reads the TPA's raw records once (JSON extraction, TRY_CAST to
each target type, defaults, rule checks, corrections and the rejection reason) into a scratch table; then
one transaction moves the outcome: quarantine rows (with the raw record and reason), flag rows, the
upsert into the physical table keyed on _RECORD_ID (delete + insert, which also removes rows that are
now rejected), the watermark and the batch record. A failure leaves nothing half-written; the scratch
table is always dropped. (The embedded engine cannot MERGE or create tables inside a transaction.)
"""

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from bronze.services import source_fields
from medallion import audit, stream
from medallion.caching import invalidate
from medallion.clock import utc_now
from medallion.errors import ApiError, conflict, validation_error
from medallion.events import log_error, log_event
from medallion.scope import tpa_condition
from medallion.warehouse import QueryError, Transaction, WarehouseError, WarehouseTimeout, identifiers, warehouse
from medallion.warehouse.identifiers import quote
from silver import claim_versions, quality, schemas, tables
from silver.expressions import ExpressionError, GuardedConversion, compile_guarded_conversion
from silver.mappings import expression_variables, field_sql
from silver.rules import CompiledRule, active_rules, compile_rules
from silver.transform_catalog import (
    Column,
    PhysicalTable,
    approved_mappings,
    physical_table,
    schema_columns,
    schema_table,
    table_columns,
    tables_of,
)
from tpa.conversions import Conversions, conversions_of
from tpa.services import get_tpa, list_tpas, require_active_tpa

log = logging.getLogger(__name__)

SOURCE = "BRONZE.RAW_DATA_TABLE"
CAST_RULE = "TYPE_CONVERSION"
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
class Sql:
    text: str
    params: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """What a target column is loaded from: its text, and for a mapping expression that converts values, when
    such a conversion failed, the source text it failed on and the expression (for the quarantine reason)."""

    value: str
    conversion_failed: str | None = None
    source_text: str | None = None
    expression: str | None = None


@dataclass(frozen=True)
class Plan:
    table: PhysicalTable
    columns: list[Column]
    sources: dict[str, Source]
    rules: list[CompiledRule]
    mode: str
    conversions: Conversions
    record_ids: tuple[int, ...] = ()
    source_files: tuple[str, ...] = ()

    @property
    def marked_rules(self) -> list[CompiledRule]:
        return [rule for rule in self.rules if rule.action in ("FLAG", "CORRECT")]


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
    release_ids: tuple[int, ...] | None = None,
) -> Outcome:
    """Run one transform; `release_ids` (possibly empty = all) re-checks quarantined records instead."""
    plan = await _plan(tpa, table, incremental, apply_rules, release_ids)
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
    if row is None:
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
    tpa: object, table: object, incremental: bool, apply_rules: bool, release_ids: tuple[int, ...] | None
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
    mode = "RELEASE" if release_ids is not None else "INCREMENTAL" if incremental else "FULL"
    files = await _files_with_fields(code, {mapping["SOURCE_FIELD"] for mapping in mappings})
    conversions = await conversions_of(code)
    sources = column_sources(mappings, await source_fields(code))
    return Plan(physical, loadable, sources, rules, mode, conversions, release_ids or (), files)


SOURCE_FILE_KEY = "CAST(r.QUEUE_ID AS VARCHAR) || '|' || COALESCE(r.SHEET_NAME, '')"


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


def column_sources(mappings: list[dict[str, Any]], record_fields: list[str]) -> dict[str, Source]:
    by_column: dict[str, list[tuple[str, str, GuardedConversion | None]]] = {}
    for mapping in mappings:
        field_value = field_sql(mapping["SOURCE_FIELD"])
        expression = mapping["TRANSFORM_EXPRESSION"]
        variables = expression_variables(mapping["SOURCE_FIELD"], record_fields)
        try:
            guarded = compile_guarded_conversion(expression, variables=variables) if expression else None
        except ExpressionError as error:
            raise validation_error(
                "transformation_logic",
                f"Mapping {mapping['MAPPING_ID']} ({mapping['TARGET_COLUMN']}) does not compile: {error}",
                "invalid_transformation_logic",
            ) from None
        by_column.setdefault(mapping["TARGET_COLUMN"], []).append((field_value, expression, guarded))
    return {column: _column_source(parts) for column, parts in by_column.items()}


def _column_source(parts: list[tuple[str, str, GuardedConversion | None]]) -> Source:
    values = [f"NULLIF(CAST({guarded.sql if guarded else field} AS VARCHAR), '')" for field, _, guarded in parts]
    converting = [(field, expression, guarded) for field, expression, guarded in parts
                  if guarded and guarded.conversion_failed]  # fmt: skip
    if not converting:
        return Source(_coalesced(values))
    return Source(
        _coalesced(values),
        " OR ".join(f"({guarded.conversion_failed})" for _, _, guarded in converting if guarded),
        _coalesced([field for field, _, _ in converting]),
        " / ".join(expression for _, expression, _ in converting),
    )


def _coalesced(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"COALESCE({', '.join(parts)})"


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
    staging = _stage_sql(plan, stage)
    await wh.execute(staging.text, staging.params, timeout=long)
    counts = await wh.fetch_one(_counts_sql(plan, stage), timeout=long) or {}
    outcome.rows_read = int(counts.get("ROWS_READ") or 0)
    outcome.rejected = int(counts.get("REJECTED") or 0)
    outcome.updated = int(counts.get("UPDATED") or 0)
    outcome.inserted = outcome.rows_read - outcome.rejected - outcome.updated
    outcome.flagged = int(counts.get("FLAGGED") or 0)
    outcome.corrected = int(counts.get("CORRECTED") or 0)
    await _set_phase(outcome, "LOADING")
    async with wh.transaction(timeout=long) as tx:
        for statement in _load_statements(plan, outcome, stage, user):
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


def _stage_sql(plan: Plan, stage: str) -> Sql:
    raw = Sql(
        'SELECT r.RECORD_ID AS "_RECORD_ID", r.FILE_NAME AS "_FILE_NAME", r.FILE_ROW_NUMBER AS "_FILE_ROW_NUMBER", '
        'r.LOAD_TIMESTAMP AS "_LOAD_TIMESTAMP", r.LOADED_BY AS "_LOADED_BY", '
        + ", ".join(_source_columns(index, plan.sources.get(column.name)) for index, column in enumerate(plan.columns))
        + f" FROM {SOURCE} AS r WHERE r.TPA = ?"
        f" AND (r.QUEUE_ID IS NULL OR {SOURCE_FILE_KEY} IN "
        "(SELECT f.VALUE::VARCHAR FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) AS f))",
        [plan.table.tpa, json.dumps(list(plan.source_files))],
    )
    _add_scope(raw, plan)
    typed = _wrap(raw, [_typed(index, column, plan.conversions) for index, column in enumerate(plan.columns)])
    checked = _wrap(typed, [_rule_columns(rule, plan.columns) for rule in plan.rules])
    final = _final_projection(plan)
    return Sql(f"CREATE TABLE {stage} AS SELECT {final.text} FROM ({checked.text}) AS s", checked.params)


def _source_columns(index: int, source: Source | None) -> str:
    if source is None:
        return f"CAST(NULL AS VARCHAR) AS {_raw(index)}"
    if source.conversion_failed is None:
        return f"{source.value} AS {_raw(index)}"
    return (
        f"{source.value} AS {_raw(index)}, COALESCE({source.conversion_failed}, FALSE) AS {_conversion_failed(index)}, "
        f"{source.source_text} AS {_source_text(index)}"
    )


def _add_scope(raw: Sql, plan: Plan) -> None:
    if plan.mode == "INCREMENTAL":
        raw.text += " AND r.RECORD_ID > ?"
        raw.params.append(plan.table.watermark)
    elif plan.mode == "RELEASE":
        raw.text += (
            " AND r.RECORD_ID IN (SELECT q.RECORD_ID FROM SILVER.QUARANTINE AS q WHERE q.TPA = ? "
            "AND q.SCHEMA_TABLE = ? AND q.STATUS = 'QUARANTINED'"
        )
        raw.params += [plan.table.tpa, plan.table.schema_table]
        if plan.record_ids:
            raw.text += " AND q.RECORD_ID IN (SELECT f.VALUE::INTEGER FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) AS f)"
            raw.params.append(json.dumps(list(plan.record_ids)))
        raw.text += ")"


def _wrap(inner: Sql, projections: list[Sql]) -> Sql:
    if not projections:
        return inner
    text = ", ".join(p.text for p in projections)
    return Sql(
        f"SELECT s.*, {text} FROM ({inner.text}) AS s", [v for p in projections for v in p.params] + inner.params
    )


# Date spellings by the TPA's day-month order (ISO and compact dates read the same either way).
DATE_FORMATS = {
    "MDY": ("MM/DD/YYYY", "YYYYMMDD", "DD-MON-YYYY", "MM-DD-YYYY"),
    "DMY": ("DD/MM/YYYY", "YYYYMMDD", "DD-MON-YYYY", "DD-MM-YYYY", "DD.MM.YYYY"),
}
# Amounts with '$' and thousands separators, by the TPA's decimal mark: (pattern, thousands separator).
MONEY_PATTERNS = {
    False: ("^-?[$]?-?[0-9]{1,3}(,[0-9]{3})*([.][0-9]+)?$|^-?[$]?[0-9]+([.][0-9]+)?$", ","),
    True: ("^-?[$]?-?[0-9]{1,3}([.][0-9]{3})*(,[0-9]+)?$|^-?[$]?[0-9]+(,[0-9]+)?$", "."),
}


SEMI_STRUCTURED_TYPES = {"VARIANT", "OBJECT", "ARRAY"}


def timestamp_formats(date_formats: tuple[str, ...]) -> tuple[str, ...]:
    """Every date spelling with a time of day, then without one."""
    return (
        "YYYY-MM-DD HH24:MI:SS",
        'YYYY-MM-DD"T"HH24:MI:SS',
        *(f"{pattern} HH24:MI:SS" for pattern in date_formats),
        "YYYY-MM-DD",
        *date_formats,
    )


def converted(value: str, data_type: str, conversions: Conversions = Conversions()) -> str:
    """TRY_CAST, lenient with the spellings TPAs send, read by the TPA's conversion settings: dates in its
    day-month order and compact, money with '$' and thousands separators and its decimal mark, accounting
    negatives "(100.00)" when it writes them. A value that still does not convert comes out NULL (and goes
    to quarantine)."""
    kind = data_type.split("(")[0].upper()
    date_formats = DATE_FORMATS[conversions.date_order]
    if kind == "DATE":
        formats = ", ".join(f"TRY_TO_DATE({value}, '{pattern}')" for pattern in date_formats)
        return f"COALESCE(TRY_TO_DATE(LEFT({value}, 10), 'YYYY-MM-DD'), {formats})"
    if kind == "TIMESTAMP_NTZ":
        patterns = timestamp_formats(date_formats)
        return "COALESCE(" + ", ".join(f"TRY_TO_TIMESTAMP({value}, '{p}')" for p in patterns) + ")"
    if kind in {"NUMBER", "FLOAT", "DECIMAL", "INTEGER"}:
        text = f"TRIM({value})"
        if conversions.accounting_negatives:
            text = f"IFF(REGEXP_LIKE({text}, '^[(].+[)]$'), '-' || SUBSTR({text}, 2, LENGTH({text}) - 2), {text})"
        pattern, thousands = MONEY_PATTERNS[conversions.decimal_comma]
        money = f"REPLACE(REPLACE({text}, '$', ''), '{thousands}', '')"
        if conversions.decimal_comma:
            money = f"REPLACE({money}, ',', '.')"
        return f"TRY_CAST(IFF(REGEXP_LIKE({text}, '{pattern}'), {money}, {text}) AS {data_type})"
    return try_cast_text(value, data_type)


def try_cast_text(value: str, data_type: str) -> str:
    """Snowflake's TRY_CAST takes text only (a mapped expression or a correction may yield a number) and never
    yields a semi-structured type: text becomes VARIANT by TRY_PARSE_JSON (what the cast means on the embedded
    engine)."""
    if data_type.split("(")[0].upper() in SEMI_STRUCTURED_TYPES:
        return f"TRY_PARSE_JSON(TO_VARCHAR({value}))"
    return f"TRY_CAST(TO_VARCHAR({value}) AS {data_type})"


def _typed(index: int, column: Column, conversions: Conversions) -> Sql:
    default = _default(column)
    value = converted(_raw(index), column.data_type, conversions)
    return Sql(
        f"CASE WHEN {_raw(index)} IS NULL THEN {default.text} ELSE {value} END AS {quote(column.name)}", default.params
    )


def _default(column: Column) -> Sql:
    return Sql(f"CAST({schemas.default_sql(column.default_value, column.data_type) or 'NULL'} AS {column.data_type})")


def _rule_columns(rule: CompiledRule, columns: list[Column]) -> Sql:
    flag = Sql(f"{rule.failure_sql} AS {_failed(rule)}", list(rule.params))
    if rule.correction_sql is None:
        return flag
    data_type = next(column.data_type for column in columns if column.name == rule.column)
    corrected = try_cast_text(f"({rule.correction_sql})", data_type)
    return Sql(f"{flag.text}, {corrected} AS {_corrected(rule)}", flag.params)


@dataclass(frozen=True)
class Rejection:
    condition: str
    raw: str | None
    rule_id: int | None
    rule: str
    column: str | None
    reason: Sql


def _rejections(plan: Plan) -> list[Rejection]:
    """Why a row is rejected, first match wins: a value that cannot be converted (by a mapping expression or to
    the column type), then the REJECT rules."""
    return [
        Rejection(
            f"{_raw(index)} IS NULL AND {_conversion_failed(index)}", _source_text(index), None, CAST_RULE,
            column.name, Sql('? || s."_REJECT_VALUE" || ?', [
                "cannot convert '", f"' in the mapping expression {(source.expression or '')[:500]} of {column.name}"
            ]),
        )
        for index, column in enumerate(plan.columns)
        if (source := plan.sources.get(column.name)) and source.conversion_failed
    ] + [
        Rejection(
            f"{_raw(index)} IS NOT NULL AND {quote(column.name)} IS NULL", _raw(index), None, CAST_RULE, column.name,
            Sql('? || s."_REJECT_VALUE" || ?', ["cannot convert '", f"' to {column.data_type} in {column.name}"]),
        )
        for index, column in enumerate(plan.columns)
    ] + [
        Rejection(_failed(rule), None, rule.rule_id, rule.name, rule.column, Sql("?", [f"failed rule {rule.name}"]))
        for rule in plan.rules
        if rule.action == "REJECT"
    ]  # fmt: skip


def _final_projection(plan: Plan) -> Sql:
    """Per row only the number of the first rejection and the offending raw value: the quarantine insert spells
    out rule, column and reason for the few rejected rows. Then the corrected values and the flag columns."""
    rejections = _rejections(plan)
    numbered = [(r.condition, str(number)) for number, r in enumerate(rejections, 1)]
    values = [(r.condition, r.raw) for r in rejections if r.raw]
    parts = [_case(numbered, '"_REJECT"', "INTEGER"), _case(values, '"_REJECT_VALUE"', "VARCHAR")]
    parts += [_corrected_value(column, plan.rules) for column in plan.columns]
    parts += [_failed(rule) for rule in plan.marked_rules]
    meta = '"_RECORD_ID", "_FILE_NAME", "_FILE_ROW_NUMBER", "_LOAD_TIMESTAMP", "_LOADED_BY"'
    return Sql(f"{meta}, {', '.join(parts)}")


def _case(branches: list[tuple[str, str]], alias: str, data_type: str) -> str:
    if not branches:
        return f"CAST(NULL AS {data_type}) AS {alias}"
    return "CASE " + " ".join(f"WHEN {condition} THEN {value}" for condition, value in branches) + f" END AS {alias}"


def _described(rejections: list[Rejection]) -> Sql:
    """rule id, rule name, column and reason of a rejected stage row `s`, from its rejection number."""
    parts, params = [], []
    for attribute, alias in (("rule_id", '"_RULE_ID"'), ("rule", '"_RULE"'), ("column", '"_COLUMN"')):
        present = [(n, getattr(r, attribute)) for n, r in enumerate(rejections, 1) if getattr(r, attribute) is not None]
        parts.append(f"{_by_number([(n, '?') for n, _ in present])} AS {alias}")
        params += [str(value) for _, value in present]
    parts.append(f'{_by_number([(n, r.reason.text) for n, r in enumerate(rejections, 1)])} AS "_REASON"')
    params += [value for r in rejections for value in r.reason.params]
    return Sql(", ".join(parts), params)


def _by_number(branches: list[tuple[int, str]]) -> str:
    if not branches:
        return "NULL"
    return 'CASE s."_REJECT" ' + " ".join(f"WHEN {n} THEN {value}" for n, value in branches) + " END"


def _corrected_value(column: Column, rules: list[CompiledRule]) -> str:
    fixes = [rule for rule in rules if rule.correction_sql is not None and rule.column == column.name]
    if not fixes:
        return quote(column.name)
    cases = " ".join(f"WHEN {_failed(rule)} THEN {_corrected(rule)}" for rule in fixes)
    return f"CASE {cases} ELSE {quote(column.name)} END AS {quote(column.name)}"


def _counts_sql(plan: Plan, stage: str) -> str:
    accepted = 's."_REJECT" IS NULL'
    flagged = " OR ".join(_failed(rule, "s.") for rule in plan.rules if rule.action == "FLAG") or "FALSE"
    corrected = " OR ".join(_failed(rule, "s.") for rule in plan.rules if rule.action == "CORRECT") or "FALSE"
    return (
        f'SELECT COUNT(*) AS ROWS_READ, COUNT_IF(s."_REJECT" IS NOT NULL) AS REJECTED, '
        f'COUNT_IF({accepted} AND t."_RECORD_ID" IS NOT NULL) AS UPDATED, '
        f"COUNT_IF({accepted} AND ({flagged})) AS FLAGGED, COUNT_IF({accepted} AND ({corrected})) AS CORRECTED, "
        f'MAX(s."_RECORD_ID") AS MAX_RECORD_ID FROM {stage} AS s '
        f'LEFT JOIN {plan.table.sql} AS t ON t."_RECORD_ID" = s."_RECORD_ID"'
    )


def _load_statements(plan: Plan, outcome: Outcome, stage: str, user: str | None) -> Iterator[Sql]:
    table, now = plan.table, utc_now()
    scope = [table.tpa, table.schema_table]
    in_stage = f'SELECT "_RECORD_ID" FROM {stage}'
    yield Sql(
        "UPDATE SILVER.QUARANTINE SET STATUS = 'RELEASED', RELEASED_AT = CAST(? AS TIMESTAMP_NTZ), RELEASED_BY = ?, "
        "RELEASE_BATCH_ID = ? WHERE TPA = ? AND SCHEMA_TABLE = ? AND STATUS = 'QUARANTINED' "
        f'AND RECORD_ID IN ({in_stage} WHERE "_REJECT" IS NULL)',
        [now, user, outcome.batch_id, *scope],
    )
    yield Sql(
        "DELETE FROM SILVER.QUARANTINE WHERE TPA = ? AND SCHEMA_TABLE = ? AND STATUS = 'QUARANTINED' "
        f'AND RECORD_ID IN ({in_stage} WHERE "_REJECT" IS NOT NULL)',
        scope,
    )
    described = _described(_rejections(plan))
    yield Sql(
        "INSERT INTO SILVER.QUARANTINE (TPA, SCHEMA_TABLE, TARGET_TABLE, RECORD_ID, BATCH_ID, FILE_NAME, "
        "FILE_ROW_NUMBER, RULE_ID, RULE_NAME, TARGET_COLUMN, REASON, RAW_DATA, STATUS, QUARANTINED_AT) "
        'SELECT ?, ?, ?, d."_RECORD_ID", ?, d."_FILE_NAME", d."_FILE_ROW_NUMBER", TRY_CAST(d."_RULE_ID" AS INTEGER), '
        'd."_RULE", d."_COLUMN", d."_REASON", r.RAW_DATA, \'QUARANTINED\', CAST(? AS TIMESTAMP_NTZ) '
        f'FROM (SELECT s."_RECORD_ID", s."_FILE_NAME", s."_FILE_ROW_NUMBER", {described.text} '
        f'FROM {stage} AS s WHERE s."_REJECT" IS NOT NULL) AS d JOIN {SOURCE} AS r ON r.RECORD_ID = d."_RECORD_ID"',
        [*scope, table.name, outcome.batch_id, now, *described.params],
    )
    yield Sql(f"DELETE FROM SILVER.DQ_FLAGS WHERE TPA = ? AND SCHEMA_TABLE = ? AND RECORD_ID IN ({in_stage})", scope)
    if plan.marked_rules:
        branches = [
            Sql(
                f'SELECT ?, ?, ?, s."_RECORD_ID", ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP_NTZ) FROM {stage} AS s '
                f'WHERE s."_REJECT" IS NULL AND {_failed(rule, "s.")}',
                [*scope, table.name, outcome.batch_id, rule.rule_id, rule.name, rule.action, rule.column, now],
            )
            for rule in plan.marked_rules
        ]
        yield Sql(
            "INSERT INTO SILVER.DQ_FLAGS (TPA, SCHEMA_TABLE, TARGET_TABLE, RECORD_ID, BATCH_ID, RULE_ID, RULE_NAME, "
            "ACTION, TARGET_COLUMN, FLAGGED_AT) " + " UNION ALL ".join(branch.text for branch in branches),
            [value for branch in branches for value in branch.params],
        )
    yield Sql(f'DELETE FROM {table.sql} WHERE "_RECORD_ID" IN ({in_stage})')
    names = ", ".join(quote(column.name) for column in plan.columns)
    yield Sql(
        f'INSERT INTO {table.sql} ({names}, "_RECORD_ID", "_FILE_NAME", "_FILE_ROW_NUMBER", "_TPA", "_BATCH_ID", '
        f'"_LOAD_TIMESTAMP", "_LOADED_BY") SELECT {names}, "_RECORD_ID", "_FILE_NAME", "_FILE_ROW_NUMBER", ?, ?, '
        f'"_LOAD_TIMESTAMP", "_LOADED_BY" FROM {stage} WHERE "_REJECT" IS NULL',
        [table.tpa, outcome.batch_id],
    )
    # Claim versions: one row per claim id with net amounts, every version kept in SILVER.CLAIM_VERSIONS.
    for text, params in claim_versions.statements(table, plan.columns, stage, outcome.batch_id, now):
        yield Sql(text, params)


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


def _raw(index: int) -> str:
    return f'"_RAW_{index}"'


def _conversion_failed(index: int) -> str:
    return f'"_CONVERSION_FAILED_{index}"'


def _source_text(index: int) -> str:
    return f'"_SOURCE_TEXT_{index}"'


def _failed(rule: CompiledRule, prefix: str = "") -> str:
    return f'{prefix}"_FAILED_{rule.rule_id}"'


def _corrected(rule: CompiledRule) -> str:
    return f'"_CORRECTED_{rule.rule_id}"'


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

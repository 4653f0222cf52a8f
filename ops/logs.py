"""Reading the OPS logs and the audit trail (L1-L6), and the error resolution workflow."""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from medallion import audit
from medallion.clock import days_ago, utc_now
from medallion.errors import not_found
from medallion.events import application_log, error_log, file_processing_log
from medallion.middleware import api_request_log
from medallion.warehouse import identifiers, warehouse

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
EXECUTION_STATUSES = ("STARTED", "RUNNING", "SUCCESS", "FAILED", "SKIPPED")
RESOLUTION_STATUSES = ("UNRESOLVED", "INVESTIGATING", "RESOLVED")
ERROR_RESOLUTION_COLUMNS = (
    "RESOLUTION_STATUS",
    "RESOLUTION_NOTES",
    "RESOLVED_BY",
    "RESOLVED_AT",
    "STATUS_CHANGED_BY",
    "STATUS_CHANGED_AT",
)
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

_CONDITIONS = {
    "exact": "UPPER({column}) = UPPER(?)",
    "contains": "POSITION(UPPER(?) IN UPPER({column})) > 0",
    "at_least": "{column} >= ?",
}


@dataclass(frozen=True)
class Filter:
    param: str
    column: str
    match: str = "exact"
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class LogSpec:
    table: str
    key: str
    timestamp: str
    columns: tuple[str, ...]
    filters: tuple[Filter, ...]
    json_columns: tuple[str, ...] = ()
    max_days: int = 30


LOGS: dict[str, LogSpec] = {
    "application": LogSpec(
        "OPS.APPLICATION_LOG",
        "LOG_ID",
        "LOG_TIMESTAMP",
        ("LOG_ID", *application_log.columns),
        (Filter("level", "LOG_LEVEL", choices=LOG_LEVELS), Filter("source", "LOG_SOURCE"), Filter("tpa", "TPA_CODE")),
        application_log.json_columns,
    ),
    "tasks": LogSpec(
        "OPS.TASK_EXECUTION_LOG",
        "EXECUTION_ID",
        "EXECUTION_START",
        (
            "EXECUTION_ID",
            "TASK_NAME",
            "EXECUTION_START",
            "EXECUTION_END",
            "EXECUTION_STATUS",
            "EXECUTION_DURATION_MS",
            "RECORDS_PROCESSED",
            "RECORDS_FAILED",
            "ERROR_MESSAGE",
            "EXECUTION_DETAILS",
            "WAREHOUSE_USED",
            "TRIGGERED_BY",
        ),
        (Filter("task_name", "TASK_NAME"), Filter("status", "EXECUTION_STATUS", choices=EXECUTION_STATUSES)),
        ("EXECUTION_DETAILS",),
    ),
    "file-processing": LogSpec(
        "OPS.FILE_PROCESSING_LOG",
        "PROCESSING_LOG_ID",
        "STAGE_END",
        ("PROCESSING_LOG_ID", *file_processing_log.columns),
        (Filter("file_name", "FILE_NAME", "contains"), Filter("stage", "PROCESSING_STAGE"), Filter("tpa", "TPA_CODE")),
        file_processing_log.json_columns,
    ),
    "errors": LogSpec(
        "OPS.ERROR_LOG",
        "ERROR_ID",
        "ERROR_TIMESTAMP",
        ("ERROR_ID", *error_log.columns, *ERROR_RESOLUTION_COLUMNS),
        (
            Filter("source", "ERROR_SOURCE"),
            Filter("resolution_status", "RESOLUTION_STATUS", choices=RESOLUTION_STATUSES),
            Filter("tpa", "TPA_CODE"),
        ),
        error_log.json_columns,
    ),
    "api-requests": LogSpec(
        "OPS.API_REQUEST_LOG",
        "REQUEST_ID",
        "REQUEST_TIMESTAMP",
        ("REQUEST_ID", *api_request_log.columns, "ERROR_MESSAGE"),
        (
            Filter("method", "REQUEST_METHOD", choices=HTTP_METHODS),
            Filter("path", "REQUEST_PATH", "contains"),
            Filter("min_response_time", "RESPONSE_TIME_MS", "at_least"),
        ),
        api_request_log.json_columns,
    ),
    "audit": LogSpec(
        "OPS.AUDIT_LOG",
        "AUDIT_ID",
        "AUDIT_TIMESTAMP",
        (
            "AUDIT_ID",
            "AUDIT_TIMESTAMP",
            "USER_NAME",
            "ACTION",
            "ENTITY_TYPE",
            "ENTITY_ID",
            "TPA_CODE",
            "BEFORE_VALUE",
            "AFTER_VALUE",
            "REQUEST_ID",
        ),
        (
            Filter("user", "USER_NAME"),
            Filter("action", "ACTION"),
            Filter("entity_type", "ENTITY_TYPE"),
            Filter("entity_id", "ENTITY_ID", "contains"),
            Filter("tpa", "TPA_CODE"),
        ),
        ("BEFORE_VALUE", "AFTER_VALUE"),
        max_days=366,
    ),
}


@dataclass(frozen=True)
class LogQuery:
    log: str
    filters: dict[str, Any]
    days: int
    limit: int
    offset: int


def _decoded(row: dict[str, Any], json_columns: tuple[str, ...]) -> dict[str, Any]:
    for column in json_columns:
        if isinstance(row.get(column), str):
            row[column] = json.loads(row[column])
    return row


def _log_where(query: LogQuery) -> tuple[str, list[Any]]:
    spec = LOGS[query.log]
    conditions = [f"{spec.timestamp} >= ?"]
    params: list[Any] = [days_ago(query.days)]
    for flt in spec.filters:
        if flt.param in query.filters:
            conditions.append(_CONDITIONS[flt.match].format(column=flt.column))
            params.append(query.filters[flt.param])
    return " AND ".join(conditions), params


async def fetch_log(query: LogQuery) -> list[dict[str, Any]]:
    """One page of a log, newest first."""
    spec = LOGS[query.log]
    where, params = _log_where(query)
    rows = await warehouse().fetch_all(
        f"SELECT {', '.join(spec.columns)} FROM {spec.table} WHERE {where} "
        f"ORDER BY {spec.timestamp} DESC, {spec.key} DESC {identifiers.limit(query.limit, query.offset)}",
        params,
    )
    return [_decoded(row, spec.json_columns) for row in rows]


async def count_log(query: LogQuery) -> int:
    """How many rows of a log match the filters and window (for the pager)."""
    where, params = _log_where(query)
    row = await warehouse().fetch_one(f"SELECT COUNT(*) AS N FROM {LOGS[query.log].table} WHERE {where}", params)
    return int(row["N"]) if row else 0


async def log_stats(days: int) -> list[dict[str, Any]]:
    """L6: totals per log over the window."""
    since = days_ago(days)
    rows = await warehouse().fetch_all(
        "SELECT 'application_logs' AS LOG_TYPE, COUNT(*) AS TOTAL, "
        "COUNT_IF(LOG_LEVEL IN ('ERROR', 'CRITICAL')) AS ERRORS, COUNT_IF(LOG_LEVEL = 'WARNING') AS WARNINGS "
        "FROM OPS.APPLICATION_LOG WHERE LOG_TIMESTAMP >= ? "
        "UNION ALL SELECT 'task_executions', COUNT(*), COUNT_IF(EXECUTION_STATUS = 'FAILED'), 0 "
        "FROM OPS.TASK_EXECUTION_LOG WHERE EXECUTION_START >= ? "
        "UNION ALL SELECT 'errors', COUNT(*), COUNT_IF(RESOLUTION_STATUS = 'UNRESOLVED'), 0 "
        "FROM OPS.ERROR_LOG WHERE ERROR_TIMESTAMP >= ? "
        "UNION ALL SELECT 'file_processing', COUNT(*), COUNT_IF(STAGE_STATUS = 'FAILED'), "
        "COUNT_IF(STAGE_STATUS = 'SKIPPED') FROM OPS.FILE_PROCESSING_LOG WHERE STAGE_END >= ? "
        "UNION ALL SELECT 'api_requests', COUNT(*), COUNT_IF(RESPONSE_STATUS >= 500), "
        "COUNT_IF(RESPONSE_STATUS >= 400 AND RESPONSE_STATUS < 500) FROM OPS.API_REQUEST_LOG "
        "WHERE REQUEST_TIMESTAMP >= ?",
        (since,) * 5,
    )
    return [
        {
            "log_type": row["LOG_TYPE"],
            "total_count": int(row["TOTAL"] or 0),
            "error_count": int(row["ERRORS"] or 0),
            "warning_count": int(row["WARNINGS"] or 0),
        }
        for row in rows
    ]


async def _error_row(error_id: int) -> dict[str, Any]:
    row = await warehouse().fetch_one(
        "SELECT ERROR_ID, RESOLUTION_STATUS, RESOLUTION_NOTES, RESOLVED_BY, RESOLVED_AT, TPA_CODE "
        "FROM OPS.ERROR_LOG WHERE ERROR_ID = ?",
        (error_id,),
    )
    if row is None:
        raise not_found("error_not_found", f"Error {error_id} not found.")
    return row


async def update_error_resolution(
    error_id: int, resolution_status: str, resolution_notes: str | None, *, user: str | None
) -> dict[str, Any]:
    """Move an error through UNRESOLVED / INVESTIGATING / RESOLVED with notes (None keeps the current notes);
    records who and when."""
    current = await _error_row(error_id)
    now = utc_now()
    resolved: tuple[str | None, datetime | None] = (user, now) if resolution_status == "RESOLVED" else (None, None)
    updated = {
        "RESOLUTION_STATUS": resolution_status,
        "RESOLUTION_NOTES": current["RESOLUTION_NOTES"] if resolution_notes is None else resolution_notes,
        "RESOLVED_BY": resolved[0],
        "RESOLVED_AT": resolved[1],
        "STATUS_CHANGED_BY": user,
        "STATUS_CHANGED_AT": now,
    }
    async with warehouse().transaction() as tx:
        await tx.execute(
            "UPDATE OPS.ERROR_LOG SET RESOLUTION_STATUS = ?, RESOLUTION_NOTES = ?, RESOLVED_BY = ?, RESOLVED_AT = ?, "
            "STATUS_CHANGED_BY = ?, STATUS_CHANGED_AT = ? WHERE ERROR_ID = ?",
            (*updated.values(), error_id),
        )
        before = {key: current[key] for key in ("RESOLUTION_STATUS", "RESOLUTION_NOTES")}
        after = {key: updated[key] for key in before}
        await audit.record(
            user, "UPDATE_RESOLUTION", "ERROR", error_id, tpa=current["TPA_CODE"], before=before, after=after, within=tx
        )
    return {"error_id": error_id, **{key.lower(): value for key, value in updated.items()}}

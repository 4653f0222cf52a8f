"""Quarantined records: rows a transform rejected (failed rule or conversion), kept with the raw record.

Release = re-check after a fix: the quarantined records go through the transform again with the current
mappings and rules; those that pass are loaded into Silver and marked RELEASED, the others stay.
"""

import json
from collections.abc import AsyncIterator
from typing import Any

from medallion.errors import validation_error
from medallion.warehouse import warehouse
from silver import transform
from silver.transform import Outcome
from silver.transform_catalog import PhysicalTable, counted_page, physical_table
from silver.viewer import csv_stream

STATUSES = ("QUARANTINED", "RELEASED")
MAX_RELEASE_IDS = 10000
LISTED = (
    "TPA",
    "SCHEMA_TABLE",
    "TARGET_TABLE",
    "RECORD_ID",
    "BATCH_ID",
    "FILE_NAME",
    "FILE_ROW_NUMBER",
    "RULE_ID",
    "RULE_NAME",
    "TARGET_COLUMN",
    "REASON",
    "RAW_DATA",
    "STATUS",
    "QUARANTINED_AT",
    "RELEASED_AT",
    "RELEASED_BY",
    "RELEASE_BATCH_ID",
)


async def records(tpa: object, table: object, status: str | None, limit: int, offset: int) -> dict[str, Any]:
    physical = await physical_table(tpa, table)
    where, params = _where(physical, status)
    total, rows = await counted_page(
        "SILVER.QUARANTINE", ", ".join(LISTED), where, params, "QUARANTINED_AT DESC, RECORD_ID", limit, offset
    )
    for row in rows:
        row["RAW_DATA"] = json.loads(row["RAW_DATA"]) if isinstance(row["RAW_DATA"], str) else row["RAW_DATA"]
    return {"data": rows, "total_count": total, "limit": limit, "offset": offset, "table_name": physical.name}


async def export(tpa: object, table: object, status: str | None) -> tuple[str, AsyncIterator[str]]:
    physical = await physical_table(tpa, table)
    where, params = _where(physical, status)
    columns = [name for name in LISTED if name != "RAW_DATA"]
    sql = (
        f"SELECT {', '.join(columns)}, TO_JSON(RAW_DATA) AS RAW_DATA FROM SILVER.QUARANTINE WHERE {where} "
        "ORDER BY QUARANTINED_AT DESC, RECORD_ID"
    )
    return f"{physical.name}_quarantine.csv", csv_stream([*columns, "RAW_DATA"], sql, params)


async def release(tpa: object, table: object, record_ids: object, *, user: str | None) -> Outcome:
    return await transform.release(tpa, table, _ids(record_ids), user=user)


def status_filter(value: str | None) -> str | None:
    if value is None:
        return None
    if value.upper() not in STATUSES:
        raise validation_error("status", f"Must be one of {', '.join(STATUSES)}.")
    return value.upper()


def _where(table: PhysicalTable, status: str | None) -> tuple[str, list[Any]]:
    where, params = "TPA = ? AND SCHEMA_TABLE = ?", [table.tpa, table.schema_table]
    if status:
        where += " AND STATUS = ?"
        params.append(status)
    return where, params


def _ids(value: object) -> tuple[int, ...] | None:
    """The record ids to release; None (no list, or an empty one) releases every quarantined record."""
    if value is None:
        return None
    valid = isinstance(value, list) and len(value) <= MAX_RELEASE_IDS
    if not valid or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
        raise validation_error("record_ids", f"Give a list of at most {MAX_RELEASE_IDS} positive record ids.")
    return tuple(value) or None


async def open_counts() -> dict[str, int]:
    """Records still quarantined, per TPA."""
    rows = await warehouse().fetch_all(
        "SELECT TPA, COUNT(*) AS RECORDS FROM SILVER.QUARANTINE WHERE STATUS = 'QUARANTINED' GROUP BY TPA"
    )
    return {row["TPA"]: int(row["RECORDS"]) for row in rows}

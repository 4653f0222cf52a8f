"""Flagged records: loaded rows that a FLAG rule marked or a CORRECT rule corrected, listed with the rule and the
record's values, filterable by rule and action."""

from typing import Any

from medallion.errors import validation_error
from medallion.warehouse import warehouse
from silver.transform_catalog import PhysicalTable, counted_page, physical_table

ACTIONS = ("FLAG", "CORRECT")
FLAG_COLUMNS = "RECORD_ID, RULE_ID, RULE_NAME, ACTION, TARGET_COLUMN, BATCH_ID, FLAGGED_AT"


def action_filter(value: str | None) -> str | None:
    if not value:
        return None
    if value.upper() not in ACTIONS:
        raise validation_error("action", f"Must be one of {', '.join(ACTIONS)}.")
    return value.upper()


async def records(
    tpa: object, table: object, rule_name: str | None, action: str | None, limit: int, offset: int
) -> dict[str, Any]:
    """One row per (record, rule), newest first, each with the record's current values under RECORD."""
    physical = await physical_table(tpa, table)
    where, params = "TPA = ? AND SCHEMA_TABLE = ?", [physical.tpa, physical.schema_table]
    if rule_name:
        where += " AND RULE_NAME = ?"
        params.append(rule_name.strip().upper()[:200])
    if action:
        where += " AND ACTION = ?"
        params.append(action)
    total, rows = await counted_page(
        "SILVER.DQ_FLAGS", FLAG_COLUMNS, where, params, "FLAGGED_AT DESC, RECORD_ID, RULE_NAME", limit, offset
    )
    values = await _records(physical, sorted({row["RECORD_ID"] for row in rows}))
    rules = await warehouse().fetch_all(
        "SELECT DISTINCT RULE_NAME FROM SILVER.DQ_FLAGS WHERE TPA = ? AND SCHEMA_TABLE = ? ORDER BY RULE_NAME",
        (physical.tpa, physical.schema_table),
    )
    return {
        "data": [{**row, "RECORD": values.get(row["RECORD_ID"])} for row in rows],
        "total_count": total,
        "limit": limit,
        "offset": offset,
        "table_name": physical.name,
        "rule_names": [row["RULE_NAME"] for row in rules],
    }


async def rules_by_record(table: PhysicalTable, record_ids: list[int]) -> dict[int, list[str]]:
    """The rules that flagged or corrected each of these records (for marking them in the data viewer)."""
    if not record_ids:
        return {}
    rows = await warehouse().fetch_all(
        "SELECT RECORD_ID, RULE_NAME, ACTION FROM SILVER.DQ_FLAGS WHERE TPA = ? AND SCHEMA_TABLE = ? "
        f"AND RECORD_ID IN ({', '.join('?' for _ in record_ids)}) ORDER BY RULE_NAME",
        [table.tpa, table.schema_table, *record_ids],
    )
    marked: dict[int, list[str]] = {}
    for row in rows:
        marked.setdefault(row["RECORD_ID"], []).append(f"{row['RULE_NAME']} ({row['ACTION'].lower()})")
    return marked


async def _records(table: PhysicalTable, record_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not record_ids:
        return {}
    rows = await warehouse().fetch_all(
        f'SELECT * FROM {table.sql} WHERE "_RECORD_ID" IN ({", ".join("?" for _ in record_ids)})', record_ids
    )
    return {row["_RECORD_ID"]: row for row in rows}

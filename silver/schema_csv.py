"""The target schemas' CSV round trip: export every definition, parse a file back, import the new ones."""

from typing import Any

from medallion import audit
from medallion.caching import invalidate
from medallion.csv_export import read_records, safe_csv
from medallion.errors import ApiError, validation_error
from medallion.warehouse import warehouse
from medallion.warehouse.core import Queries
from medallion.warehouse.identifiers import quote
from silver.schema_types import NO_DEFAULT
from silver.schemas import (
    CACHE_NAMESPACES,
    DEFINITION_FIELDS,
    add_to_physical_tables,
    checked_column,
    list_schema_columns,
)


async def export_csv() -> str:
    return safe_csv(
        DEFINITION_FIELDS,
        (
            (
                row["TABLE_NAME"],
                row["COLUMN_NAME"],
                row["DATA_TYPE"],
                "Y" if row["NULLABLE"] else "N",
                _csv_default(row["DEFAULT_VALUE"]),
                row["DESCRIPTION"] or "",
            )
            for row in await list_schema_columns()
        ),
    )


def _csv_default(default: str | None) -> str:
    """The default as parse_csv reads it back: a text default N/A is written quoted, as bare N/A means none."""
    if default is None:
        return ""
    return f"'{default}'" if default.upper() == NO_DEFAULT else default


def parse_csv(text: str) -> list[dict[str, Any]]:
    """Definitions from CSV (header TABLE_NAME,COLUMN_NAME,DATA_TYPE,NULLABLE,DEFAULT_VALUE,DESCRIPTION).

    Errors name the line. DEFAULT_VALUE 'N/A' means none; imported non-nullable columns may lack a default,
    as in the shipped standard schemas."""
    header, records = read_records(text)
    missing = [key for key in DEFINITION_FIELDS[:3] if key not in header]
    if missing:
        raise validation_error("file", f"The CSV header lacks {', '.join(missing)}.")
    columns, seen = [], set()
    for line, record in enumerate(records, start=2):
        nullable = (record.get("NULLABLE") or "Y").strip().upper()
        default = (record.get("DEFAULT_VALUE") or "").strip()
        body = {
            "table_name": record.get("TABLE_NAME"),
            "column_name": record.get("COLUMN_NAME"),
            "data_type": record.get("DATA_TYPE"),
            "nullable": nullable not in {"N", "NO", "FALSE", "0"},
            "default_value": None if default.upper() == NO_DEFAULT else default,
            "description": record.get("DESCRIPTION"),
        }
        try:
            column = checked_column(body, require_default=False)
        except ApiError as error:
            raise validation_error("file", f"Line {line}: {error.detail}", code=error.code) from None
        key = (column["TABLE_NAME"], column["COLUMN_NAME"])
        if key in seen:
            raise validation_error("file", f"Line {line}: {key[0]}.{key[1]} appears twice.")
        seen.add(key)
        columns.append(column)
    return columns


async def import_columns(columns: list[dict[str, Any]], *, user: str | None) -> dict[str, Any]:
    """Add the definitions that do not exist yet (existing ones are left alone) and extend physical tables."""
    existing = {(row["TABLE_NAME"], row["COLUMN_NAME"]) for row in await list_schema_columns()}
    new = [column for column in columns if (column["TABLE_NAME"], column["COLUMN_NAME"]) not in existing]
    if new:
        await insert_definitions(warehouse(), new)
        await audit.record(user, "IMPORT", "TARGET_SCHEMA", f"{len(new)} columns", after=new)
    updated, not_updated = [], []
    for table in sorted({column["TABLE_NAME"] for column in new}):
        done, failed = await add_to_physical_tables(table, [c for c in new if c["TABLE_NAME"] == table])
        updated += done
        not_updated += failed
    await invalidate(*CACHE_NAMESPACES)
    return {
        "columns_created": len(new),
        "columns_skipped": len(columns) - len(new),
        "physical_tables_updated": updated,
        "physical_tables_not_updated": not_updated,
    }


async def insert_definitions(target: Queries, columns: list[dict[str, Any]]) -> int:
    """Bulk insert checked definitions in list order; COLUMN_ORDER continues each table's numbering."""
    if not columns:
        return 0
    tables = sorted({column["TABLE_NAME"] for column in columns})
    rows = await target.fetch_all(
        "SELECT TABLE_NAME, MAX(COLUMN_ORDER) AS LAST FROM SILVER.TARGET_SCHEMAS "
        f"WHERE TABLE_NAME IN ({', '.join('?' for _ in tables)}) GROUP BY TABLE_NAME",
        tables,
    )
    order = {row["TABLE_NAME"]: int(row["LAST"] or 0) for row in rows}
    values = []
    for column in columns:
        order[column["TABLE_NAME"]] = order.get(column["TABLE_NAME"], 0) + 1
        values.append((*(column[key] for key in DEFINITION_FIELDS), order[column["TABLE_NAME"]]))
    names = [quote(key) for key in (*DEFINITION_FIELDS, "COLUMN_ORDER")]
    return await target.insert_rows(quote("SILVER", "TARGET_SCHEMAS"), names, values)

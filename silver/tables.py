"""Physical Silver tables `SILVER."<TPA>_<TABLE>"`: creation from the definitions, registry, drop, purges."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from medallion import audit, locks
from medallion.caching import cached, invalidate
from medallion.errors import conflict, not_found
from medallion.scope import tpa_condition
from medallion.warehouse import Transaction, WarehouseError, warehouse
from medallion.warehouse.identifiers import InvalidIdentifier, quote, table_name, tpa_code
from silver.schema_types import column_ddl
from silver.schemas import (
    CACHE_NAMESPACES,
    create_column,
    list_schema_columns,
    purge_hooks,
    schema_columns,
    schema_table_or_404,
)
from tpa.services import get_tpa, require_active_tpa

METADATA_COLUMNS = (
    ("_RECORD_ID", "INTEGER"),
    ("_FILE_NAME", "VARCHAR"),
    ("_FILE_ROW_NUMBER", "INTEGER"),
    ("_TPA", "VARCHAR"),
    ("_BATCH_ID", "VARCHAR"),
    ("_LOAD_TIMESTAMP", "TIMESTAMP_NTZ"),
    ("_LOADED_BY", "VARCHAR"),
)
STARTER_COLUMN = {
    "column_name": "RECORD_KEY",
    "data_type": "VARCHAR(100)",
    "nullable": True,
    "description": "Starter column of a schema table created without columns; rename or replace it.",
}
REGISTRY_COLUMNS = "TABLE_NAME, SCHEMA_TABLE, TPA, CREATED_AT, CREATED_BY, DESCRIPTION, LAST_UPDATED"


def _lock_name(tpa: str, schema_table: str = "") -> str:
    return f"silver.table:{tpa}:{schema_table}"


@contextlib.asynccontextmanager
async def exclusive_operation(tpa: str, schema_table: str) -> AsyncIterator[None]:
    """Hold (TPA, schema table) for one run (auto-mapping, transform, create, delete) across every process;
    a second run gets 409 operation_in_progress."""
    async with locks.holding(_lock_name(tpa, schema_table), f"Another run for {tpa} {schema_table} is in progress."):
        yield


async def operation_running(tpa: str) -> bool:
    """Whether any process runs a long operation on one of the TPA's tables."""
    return await locks.any_held(_lock_name(tpa))


async def tpa_busy(tpa: str) -> bool:
    return await operation_running(tpa)


def physical_name(tpa: str, schema_table: str) -> str:
    return f"{tpa}_{schema_table}"


@cached("silver_tables", ttl=60)
async def list_tables(tpa: str | None = None) -> list[dict[str, Any]]:
    """Created tables, newest first, with row counts and sizes from INFORMATION_SCHEMA and mapping counts."""
    scoped, params = tpa_condition("c.TPA", tpa)
    where = f"WHERE {scoped}" if scoped else ""
    return await warehouse().fetch_all(
        "SELECT c.TABLE_NAME, c.SCHEMA_TABLE, c.TPA, c.CREATED_AT, c.CREATED_BY, c.DESCRIPTION, "
        "COALESCE(t.ROW_COUNT, 0) AS ROW_COUNT, COALESCE(t.BYTES, 0) AS BYTES, c.LAST_UPDATED, "
        "COALESCE(m.MAPPINGS, 0) AS MAPPING_COUNT, COALESCE(m.APPROVED, 0) AS APPROVED_MAPPING_COUNT "
        "FROM SILVER.CREATED_TABLES c "
        "LEFT JOIN INFORMATION_SCHEMA.TABLES t ON t.TABLE_SCHEMA = 'SILVER' AND t.TABLE_NAME = c.TABLE_NAME "
        "LEFT JOIN (SELECT TPA, TARGET_TABLE, COUNT(*) AS MAPPINGS, COUNT_IF(APPROVED) AS APPROVED "
        "FROM SILVER.FIELD_MAPPINGS WHERE ACTIVE = TRUE GROUP BY TPA, TARGET_TABLE) m "
        "ON m.TPA = c.TPA AND m.TARGET_TABLE = c.SCHEMA_TABLE "
        f"{where} ORDER BY c.CREATED_AT DESC, c.TABLE_NAME",
        params,
        timeout=30,
    )


async def _registry_row(tpa: str, schema_table: str) -> dict[str, Any] | None:
    return await warehouse().fetch_one(
        f"SELECT {REGISTRY_COLUMNS}, WATERMARK_RECORD_ID FROM SILVER.CREATED_TABLES WHERE TPA = ? AND SCHEMA_TABLE = ?",
        (tpa, schema_table),
    )


async def physical_table(tpa: object, schema_table: object) -> dict[str, Any]:
    """The registry row of (TPA, schema table): 404 tpa_not_found or table_not_found."""
    code = (await get_tpa(tpa))["TPA_CODE"]
    try:
        name = table_name(schema_table)
    except InvalidIdentifier:
        raise not_found("table_not_found", "Physical table not found.") from None
    row = await _registry_row(code, name)
    if row is None:
        raise not_found("table_not_found", f"Table {physical_name(code, name)} has not been created.")
    return row


@cached("silver_tables", ttl=60)
async def table_exists(tpa: str, schema_table: str) -> dict[str, Any]:
    """Whether the table exists, from the registry alone: unknown TPA or table means exists false."""
    name = physical_name(str(tpa).strip().upper(), str(schema_table).strip().upper())
    try:
        code, table = tpa_code(tpa), table_name(schema_table)
    except InvalidIdentifier:
        return {"exists": False, "physical_table_name": name}
    return {"exists": await _registry_row(code, table) is not None, "physical_table_name": name}


async def _new_schema_table(schema_table: object, *, user: str | None) -> bool:
    """The old client's "Add Schema" drawer creates a table with a brand-new name: give it a starter column."""
    name = schema_table_or_404(schema_table)
    if await list_schema_columns(name):
        return False
    await create_column({"table_name": name, **STARTER_COLUMN}, user=user)
    return True


async def create_table(tpa: object, schema_table: object, *, user: str | None) -> dict[str, Any]:
    """Create SILVER."<TPA>_<TABLE>" from the current definitions and register it; a schema table with no
    columns yet is created first, with one nullable starter column (columns added later reach the table too)."""
    code = (await get_tpa(tpa))["TPA_CODE"]
    await require_active_tpa(code)
    schema_created = await _new_schema_table(schema_table, user=user)
    columns = await schema_columns(schema_table)
    schema = columns[0]["TABLE_NAME"]
    name = physical_name(code, schema)
    target = quote("SILVER", name)
    async with exclusive_operation(code, schema):
        if await _registry_row(code, schema) or await _exists_in_warehouse(name):
            raise conflict("table_exists", f"Table {name} already exists.")
        definition = [column_ddl(column) for column in columns]
        definition += [f"{quote(column)} {data_type}" for column, data_type in METADATA_COLUMNS]
        try:
            await warehouse().execute(f"CREATE TABLE {target} ({', '.join(definition)})")
        except WarehouseError:
            if await _exists_in_warehouse(name):
                raise conflict("table_exists", f"Table {name} already exists.") from None
            raise
        try:
            async with warehouse().transaction() as tx:
                await tx.execute(
                    "INSERT INTO SILVER.CREATED_TABLES (TABLE_NAME, SCHEMA_TABLE, TPA, CREATED_BY, DESCRIPTION) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (name, schema, code, user, f"{schema} for {code}"),
                )
                after = {"schema_table": schema, "columns": len(columns)}
                await audit.record(user, "CREATE", "SILVER_TABLE", name, tpa=code, after=after, within=tx)
        except BaseException:
            await warehouse().execute(f"DROP TABLE IF EXISTS {target}")
            raise
    await invalidate("silver_tables")
    result = {
        "message": f"Table {name} created successfully",
        "physical_table_name": name,
        "result": f"Successfully created table: {name} ({len(columns)} columns + {len(METADATA_COLUMNS)} metadata "
        "columns)",
    }
    if schema_created:
        result["result"] += f"; new schema table {schema} with starter column {STARTER_COLUMN['column_name']}"
        result["schema_table_created"] = True
    return result


async def _exists_in_warehouse(name: str) -> bool:
    row = await warehouse().fetch_one(
        "SELECT 1 AS X FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'SILVER' AND TABLE_NAME = ?", (name,)
    )
    return row is not None


async def delete_table(tpa: object, schema_table: object, *, user: str | None) -> str:
    """Drop the physical table, then remove its registry row, mappings and other per-table rows."""
    row = await physical_table(tpa, schema_table)
    code, schema, name = row["TPA"], row["SCHEMA_TABLE"], row["TABLE_NAME"]
    async with exclusive_operation(code, schema):
        await warehouse().execute(f"DROP TABLE IF EXISTS {quote('SILVER', name)}")
        async with warehouse().transaction() as tx:
            await tx.execute("DELETE FROM SILVER.CREATED_TABLES WHERE TPA = ? AND SCHEMA_TABLE = ?", (code, schema))
            await tx.execute("DELETE FROM SILVER.FIELD_MAPPINGS WHERE TPA = ? AND TARGET_TABLE = ?", (code, schema))
            for purge in purge_hooks:
                await purge(tx, code, schema)
            await audit.record(user, "DELETE", "SILVER_TABLE", name, tpa=code, before=row, within=tx)
    await invalidate(*CACHE_NAMESPACES)
    return name


async def purge_tpa_mappings(tx: Transaction, tpa: str) -> None:
    """TPA delete, inside its transaction: the TPA's mappings and other per-table rows."""
    await tx.execute("DELETE FROM SILVER.FIELD_MAPPINGS WHERE TPA = ?", (tpa,))
    schemas = await tx.fetch_all("SELECT DISTINCT SCHEMA_TABLE FROM SILVER.CREATED_TABLES WHERE TPA = ?", (tpa,))
    for row in schemas:
        for purge in purge_hooks:
            await purge(tx, tpa, row["SCHEMA_TABLE"])


async def drop_tpa_tables(tpa: str) -> int:
    """TPA delete, after commit: drop its registered tables, then their registry rows (safe to retry)."""
    return len(await _drop_registered("WHERE TPA = ?", (tpa,)))


async def drop_all_registered_tables() -> list[str]:
    """Clear-all: drop every registered physical table (never an unregistered one) and empty the registry."""
    return await _drop_registered("", ())


async def _drop_registered(where: str, params: tuple[Any, ...]) -> list[str]:
    rows = await warehouse().fetch_all(f"SELECT TABLE_NAME FROM SILVER.CREATED_TABLES {where}", params)
    names = [row["TABLE_NAME"] for row in rows]
    for name in names:
        await warehouse().execute(f"DROP TABLE IF EXISTS {quote('SILVER', name)}")
    await warehouse().execute(f"DELETE FROM SILVER.CREATED_TABLES {where}", params)
    await invalidate("silver_tables")
    return names

"""Target schemas: TPA-agnostic table definitions (one row per column): reading, adding, changing and deleting them
and the columns of the physical tables made from them."""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from medallion import audit
from medallion.caching import cached, invalidate
from medallion.errors import ApiError, conflict, not_found, validation_error
from medallion.hooks import Hook
from medallion.warehouse import Transaction, WarehouseError, warehouse
from medallion.warehouse.core import Queries
from medallion.warehouse.identifiers import InvalidIdentifier, column_name, quote, table_name
from medallion.warehouse.sql import Sql
from silver.schema_types import column_ddl, normalize_default, parse_data_type

SCHEMA_COLUMNS = (
    "SCHEMA_ID, TABLE_NAME, COLUMN_NAME, DATA_TYPE, NULLABLE, DEFAULT_VALUE, DESCRIPTION, ACTIVE, "
    "CREATED_TIMESTAMP, UPDATED_TIMESTAMP"
)
# The fields of a definition, in the order of the schema CSV's columns.
DEFINITION_FIELDS = ("TABLE_NAME", "COLUMN_NAME", "DATA_TYPE", "NULLABLE", "DEFAULT_VALUE", "DESCRIPTION")
MAX_DESCRIPTION = 2000
CACHE_NAMESPACES = ("silver_schemas", "silver_tables", "silver_mappings", "silver_rules", "silver_quality")

# Rows other Silver modules keep per (TPA, schema table), e.g. transformation rules and quality results.
# Each hook deletes them inside the caller's transaction; a TPA of None means every TPA.
PurgeHook = Callable[[Transaction, str | None, str], Awaitable[Any]]
purge_hooks: Hook[PurgeHook] = Hook("silver.schema_table_purge")


def checked_table_name(value: object, field: str = "table_name") -> str:
    try:
        return table_name(value)
    except InvalidIdentifier:
        raise validation_error(
            field, "Use a letter, then up to 99 letters, digits or underscores (stored in capitals)."
        ) from None


def checked_column_name(value: object, field: str = "column_name") -> str:
    if isinstance(value, str) and value.strip().startswith("_"):
        message = "Names starting with _ are reserved for metadata columns."
        raise validation_error(field, message, "reserved_column_name")
    try:
        return column_name(value)
    except InvalidIdentifier:
        raise validation_error(
            field, "Use a letter, then up to 127 letters, digits or underscores (stored in capitals)."
        ) from None


def checked_description(value: object, field: str = "description") -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise validation_error(field, "Must be a string.")
    if len(value) > MAX_DESCRIPTION:
        raise validation_error(field, f"Must be at most {MAX_DESCRIPTION} characters.")
    return value.strip() or None


def schema_table_or_404(value: object) -> str:
    try:
        return table_name(value)
    except InvalidIdentifier:
        raise _schema_table_missing(str(value)[:100]) from None


def _schema_table_missing(name: str) -> ApiError:
    return not_found(
        "schema_table_not_found",
        f"Schema table '{name}' has no column definitions. Add at least one column first.",
    )


@cached("silver_schemas", ttl=300)
async def list_schema_columns(table: str | None = None) -> list[dict[str, Any]]:
    """API rows of the active definitions, ordered by TABLE_NAME then SCHEMA_ID."""
    where, params = ("AND TABLE_NAME = ?", (table.upper(),)) if table else ("", ())
    return await warehouse().fetch_all(
        f"SELECT {SCHEMA_COLUMNS} FROM SILVER.TARGET_SCHEMAS WHERE ACTIVE = TRUE {where} "
        "ORDER BY TABLE_NAME, SCHEMA_ID",
        params,
    )


async def schema_columns(schema_table: object) -> list[dict[str, Any]]:
    """API rows of one schema table in SCHEMA_ID order; 404 schema_table_not_found when it has none."""
    name = schema_table_or_404(schema_table)
    rows = await list_schema_columns(name)
    if not rows:
        raise _schema_table_missing(name)
    return rows


async def schema_tables() -> list[str]:
    return sorted({row["TABLE_NAME"] for row in await list_schema_columns()})


async def _column(schema_id: int, tx: Queries) -> dict[str, Any]:
    row = await tx.fetch_one(
        f"SELECT {SCHEMA_COLUMNS} FROM SILVER.TARGET_SCHEMAS WHERE SCHEMA_ID = ? AND ACTIVE = TRUE", (schema_id,)
    )
    if row is None:
        raise not_found("schema_column_not_found", f"Schema column {schema_id} not found.")
    return row


async def _physical_tables(schema_table: str) -> list[str]:
    rows = await warehouse().fetch_all(
        "SELECT TABLE_NAME FROM SILVER.CREATED_TABLES WHERE SCHEMA_TABLE = ? ORDER BY TABLE_NAME", (schema_table,)
    )
    return [row["TABLE_NAME"] for row in rows]


def checked_column(body: Mapping[str, Any], *, require_default: bool) -> dict[str, Any]:
    table = checked_table_name(body.get("table_name"))
    column = checked_column_name(body.get("column_name"))
    data_type = parse_data_type(body.get("data_type"))
    nullable = body.get("nullable", True)
    if not isinstance(nullable, bool):
        raise validation_error("nullable", "Must be true or false.")
    default = normalize_default(body.get("default_value"), data_type)
    if require_default and not nullable and default is None:
        raise validation_error(
            "default_value", "A non-nullable column needs a default value.", code="invalid_default_value"
        )
    return {
        "TABLE_NAME": table,
        "COLUMN_NAME": column,
        "DATA_TYPE": data_type.text,
        "NULLABLE": nullable,
        "DEFAULT_VALUE": default,
        "DESCRIPTION": checked_description(body.get("description")),
    }


async def create_column(body: Mapping[str, Any], *, user: str | None) -> dict[str, Any]:
    """Add a column definition, then add the column to every physical table of that schema."""
    column = checked_column(body, require_default=True)
    async with warehouse().transaction() as tx:
        existing = await tx.fetch_one(
            "SELECT 1 AS X FROM SILVER.TARGET_SCHEMAS WHERE TABLE_NAME = ? AND COLUMN_NAME = ? AND ACTIVE = TRUE",
            (column["TABLE_NAME"], column["COLUMN_NAME"]),
        )
        if existing:
            raise conflict("column_exists", f"Column {column['COLUMN_NAME']} already exists in {column['TABLE_NAME']}.")
        schema_id = await _insert_column(tx, column)
        await audit.record(user, "CREATE", "TARGET_SCHEMA", schema_id, after=column, within=tx)
    updated, not_updated = await add_to_physical_tables(column["TABLE_NAME"], [column])
    await invalidate(*CACHE_NAMESPACES)
    return {"schema_id": schema_id, "physical_tables_updated": updated, "physical_tables_not_updated": not_updated}


async def _insert_column(tx: Transaction, column: Mapping[str, Any]) -> int:
    next_order = Sql(
        "(SELECT COALESCE(MAX(COLUMN_ORDER), 0) + 1 FROM SILVER.TARGET_SCHEMAS WHERE TABLE_NAME = ?)",
        (column["TABLE_NAME"],),
    )
    definition = {key: column[key] for key in DEFINITION_FIELDS} | {"COLUMN_ORDER": next_order}
    return await tx.insert("SILVER.TARGET_SCHEMAS", definition, id_column="SCHEMA_ID")


async def add_to_physical_tables(
    schema_table: str, columns: Iterable[Mapping[str, Any]]
) -> tuple[list[str], list[str]]:
    updated, not_updated = [], []
    ddl = [column_ddl(column, for_alter=True) for column in columns]
    for physical in await _physical_tables(schema_table):
        try:
            for clause in ddl:
                await warehouse().execute(f"ALTER TABLE {quote('SILVER', physical)} ADD COLUMN {clause}")
        except WarehouseError:
            not_updated.append(physical)
        else:
            updated.append(physical)
    return updated, not_updated


async def update_column(schema_id: int, body: Mapping[str, Any], *, user: str | None) -> dict[str, Any]:
    """Change type, nullability, default or description; a new type or default is applied to empty physical
    tables (see _apply_to_physical_tables)."""
    changes = {key: body[key] for key in ("data_type", "nullable", "default_value", "description") if key in body}
    if not changes:
        raise validation_error("data_type", "Give at least one of data_type, nullable, default_value, description.")
    current = await _column(schema_id, warehouse())
    data_type = parse_data_type(changes.get("data_type", current["DATA_TYPE"]))
    nullable = changes.get("nullable", current["NULLABLE"])
    if not isinstance(nullable, bool):
        raise validation_error("nullable", "Must be true or false.")
    default = normalize_default(changes.get("default_value", current["DEFAULT_VALUE"]), data_type)
    if not nullable and default is None:
        raise validation_error("default_value", "A non-nullable column needs a default value.", "invalid_default_value")
    description = checked_description(changes["description"]) if "description" in changes else current["DESCRIPTION"]
    physical = await _physical_tables(current["TABLE_NAME"])
    if data_type.text != current["DATA_TYPE"]:
        await _refuse_type_change_with_data(current, physical)
    after = {"DATA_TYPE": data_type.text, "NULLABLE": nullable, "DEFAULT_VALUE": default, "DESCRIPTION": description}
    async with warehouse().transaction() as tx:
        await tx.execute(
            "UPDATE SILVER.TARGET_SCHEMAS SET DATA_TYPE = ?, NULLABLE = ?, DEFAULT_VALUE = ?, DESCRIPTION = ?, "
            "UPDATED_TIMESTAMP = CURRENT_TIMESTAMP() WHERE SCHEMA_ID = ?",
            (*after.values(), schema_id),
        )
        before = {key: current[key] for key in after}
        await audit.record(user, "UPDATE", "TARGET_SCHEMA", schema_id, before=before, after=after, within=tx)
    not_updated = await _apply_to_physical_tables(current, after, physical)
    await invalidate(*CACHE_NAMESPACES)
    return {"schema_id": schema_id, "physical_tables_not_updated": not_updated}


async def _apply_to_physical_tables(
    current: Mapping[str, Any], after: Mapping[str, Any], physical: list[str]
) -> list[str]:
    """A new type or default is applied to the physical column by rebuilding it, in the empty tables only (a type
    change with data was refused before); returns the tables that keep the old column. Transforms take
    defaults from the definition, so a table with data that keeps an old physical default still loads right."""
    if (after["DATA_TYPE"], after["DEFAULT_VALUE"]) == (current["DATA_TYPE"], current["DEFAULT_VALUE"]):
        return []
    column = {**current, **after}
    empty = set(physical) - await _tables_with_rows(physical)
    not_updated = []
    for name in physical:
        if name not in empty:
            not_updated.append(name)
            continue
        try:
            await _drop_physical_column(name, current["COLUMN_NAME"])
            await warehouse().execute(
                f"ALTER TABLE {quote('SILVER', name)} ADD COLUMN {column_ddl(column, for_alter=True)}"
            )
        except WarehouseError:
            not_updated.append(name)
    return not_updated


async def _tables_with_rows(physical: list[str]) -> set[str]:
    if not physical:
        return set()
    rows = await warehouse().fetch_all(
        "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'SILVER' AND ROW_COUNT > 0 "
        f"AND TABLE_NAME IN ({', '.join('?' for _ in physical)}) ORDER BY TABLE_NAME",
        physical,
    )
    return {row["TABLE_NAME"] for row in rows}


async def _drop_physical_column(table: str, column: str) -> None:
    present = await warehouse().fetch_one(
        "SELECT 1 AS X FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'SILVER' AND TABLE_NAME = ? "
        "AND COLUMN_NAME = ?",
        (table, column),
    )
    if present:
        await warehouse().execute(f"ALTER TABLE {quote('SILVER', table)} DROP COLUMN {quote(column_name(column))}")


async def _refuse_type_change_with_data(column: Mapping[str, Any], physical: list[str]) -> None:
    with_rows = await _tables_with_rows(physical)
    if with_rows:
        names = ", ".join(sorted(with_rows))
        raise conflict(
            "schema_in_use",
            f"The type of {column['COLUMN_NAME']} cannot change while physical tables hold data ({names}); "
            "delete or empty those tables first, or add a new column.",
        )


async def delete_column(schema_id: int, *, user: str | None) -> int:
    """Remove the definition and every mapping (all TPAs) to it, and the column from the physical tables."""
    async with warehouse().transaction() as tx:
        current = await _column(schema_id, tx)
        mappings = await tx.execute(
            "DELETE FROM SILVER.FIELD_MAPPINGS WHERE TARGET_TABLE = ? AND TARGET_COLUMN = ?",
            (current["TABLE_NAME"], current["COLUMN_NAME"]),
        )
        await tx.execute("DELETE FROM SILVER.TARGET_SCHEMAS WHERE SCHEMA_ID = ?", (schema_id,))
        await audit.record(user, "DELETE", "TARGET_SCHEMA", schema_id, before=current, within=tx)
    for physical in await _physical_tables(current["TABLE_NAME"]):
        await _drop_physical_column(physical, current["COLUMN_NAME"])
    await invalidate(*CACHE_NAMESPACES)
    return mappings


async def delete_schema_table(schema_table: object, *, user: str | None) -> dict[str, int]:
    """Remove every definition of a schema table and its mappings, unless physical tables still exist."""
    name = (await schema_columns(schema_table))[0]["TABLE_NAME"]
    physical = await _physical_tables(name)
    if physical:
        raise conflict(
            "schema_in_use", f"Schema table {name} still has physical tables: {', '.join(physical)}. Delete them first."
        )
    async with warehouse().transaction() as tx:
        mappings = await tx.execute("DELETE FROM SILVER.FIELD_MAPPINGS WHERE TARGET_TABLE = ?", (name,))
        columns = await tx.execute("DELETE FROM SILVER.TARGET_SCHEMAS WHERE TABLE_NAME = ?", (name,))
        for purge in purge_hooks:
            await purge(tx, None, name)
        await audit.record(
            user, "DELETE", "SCHEMA_TABLE", name, before={"columns": columns, "mappings": mappings}, within=tx
        )
    await invalidate(*CACHE_NAMESPACES)
    return {"columns_deleted": columns, "mappings_deleted": mappings}

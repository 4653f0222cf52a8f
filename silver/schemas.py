"""Target schemas: TPA-agnostic table definitions (one row per column), their types and defaults."""

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from medallion import audit
from medallion.caching import cached, invalidate
from medallion.csv_export import read_records, safe_csv
from medallion.errors import ApiError, conflict, not_found, validation_error
from medallion.hooks import Hook
from medallion.warehouse import Transaction, WarehouseError, warehouse
from medallion.warehouse.core import Queries
from medallion.warehouse.identifiers import InvalidIdentifier, column_name, quote, string_literal, table_name

SCHEMA_COLUMNS = (
    "SCHEMA_ID, TABLE_NAME, COLUMN_NAME, DATA_TYPE, NULLABLE, DEFAULT_VALUE, DESCRIPTION, ACTIVE, "
    "CREATED_TIMESTAMP, UPDATED_TIMESTAMP"
)
CSV_HEADER = ("TABLE_NAME", "COLUMN_NAME", "DATA_TYPE", "NULLABLE", "DEFAULT_VALUE", "DESCRIPTION")
MAX_DESCRIPTION = 2000
NO_DEFAULT = "N/A"  # DEFAULT_VALUE in schema CSV files for none
MAX_DEFAULT = 500
MAX_VARCHAR = 16_777_216
CACHE_NAMESPACES = ("silver_schemas", "silver_tables", "silver_mappings", "silver_rules", "silver_quality")

# Rows other Silver modules keep per (TPA, schema table), e.g. transformation rules and quality results.
# Each hook deletes them inside the caller's transaction; a TPA of None means every TPA.
PurgeHook = Callable[[Transaction, str | None, str], Awaitable[Any]]
purge_hooks: Hook[PurgeHook] = Hook("silver.schema_table_purge")

_TEXT = {"VARCHAR", "CHAR", "STRING", "TEXT"}
_DECIMAL = {"NUMBER", "DECIMAL", "NUMERIC"}
_INTEGERS = {"INT", "INTEGER", "BIGINT", "SMALLINT"}
_FAMILIES = {
    **dict.fromkeys(_TEXT, "text"),
    **dict.fromkeys(_DECIMAL, "number"),
    **dict.fromkeys((*_INTEGERS, "FLOAT", "DOUBLE"), "number"),
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIME": "time",
    **dict.fromkeys(("TIMESTAMP", "TIMESTAMP_NTZ", "TIMESTAMP_LTZ", "TIMESTAMP_TZ"), "timestamp"),
    "VARIANT": "variant",
}
_DATA_TYPE = re.compile(r"^\s*([A-Za-z_]+)\s*(?:\(\s*(\d{1,9})\s*(?:,\s*(\d{1,2})\s*)?\))?\s*$")
_FUNCTION_DEFAULT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\(\s*\)$")
_DEFAULT_FUNCTIONS = {
    "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_USER", "SYSDATE", "GETDATE", "UUID_STRING"
}  # fmt: skip
_FUNCTIONS_BY_FAMILY = {
    "date": {"CURRENT_DATE"},
    "time": {"CURRENT_TIME"},
    "timestamp": {"CURRENT_TIMESTAMP", "SYSDATE", "GETDATE"},
    "text": _DEFAULT_FUNCTIONS,
}
_DATE_LITERAL = re.compile(r"^'(\d{4}-\d{2}-\d{2})'$")
_TIME_LITERAL = re.compile(r"^'(\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)'$")
_TIMESTAMP_LITERAL = re.compile(
    r"^'(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?)'$"
)
_FRACTION = re.compile(r"\.\d+")  # seconds' fractions, which Python reads only to six digits
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^[+-]?\.\d+$")


@dataclass(frozen=True)
class DataType:
    text: str
    family: str


def parse_data_type(value: object) -> DataType:
    """The normalised type (e.g. 'NUMBER(18,2)') from the allowed grammar; 422 invalid_data_type otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise validation_error("data_type", "This field is required.", code="invalid_data_type")
    match = _DATA_TYPE.fullmatch(value)
    name = match.group(1).upper() if match else ""
    if not match or name not in _FAMILIES:
        raise validation_error("data_type", f"Unsupported data type {value[:60]!r}.", code="invalid_data_type")
    first, second = match.group(2), match.group(3)
    if first is None:
        return DataType(name, _FAMILIES[name])
    if name in _TEXT and name not in {"STRING", "TEXT"} and second is None and 1 <= int(first) <= MAX_VARCHAR:
        return DataType(f"{name}({int(first)})", "text")
    if name in _DECIMAL and 1 <= int(first) <= 38 and (second is None or int(second) <= int(first)):
        scale = "" if second is None else f",{int(second)}"
        return DataType(f"{name}({int(first)}{scale})", "number")
    raise validation_error(
        "data_type",
        f"{value[:60]!r} has an invalid length, precision or scale (VARCHAR(1..{MAX_VARCHAR}), NUMBER(1..38, 0..p)).",
        code="invalid_data_type",
    )


def type_family(data_type: str) -> str:
    """text, number, date, ... of a declared type or of a type the warehouse catalogue reports (e.g. DECIMAL(18,2),
    TIMESTAMP WITH TIME ZONE): what a physical column must keep to hold its definition's values."""
    name = re.match(r"\s*([A-Za-z_]*)", data_type).group(1).upper()  # type: ignore[union-attr]
    return _FAMILIES.get(name, name.lower())


def normalize_default(value: object, data_type: DataType) -> str | None:
    """The stored default (None for none), checked against the type; 422 invalid_default_value otherwise."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise validation_error("default_value", "Must be a string.", code="invalid_default_value")
    text = value.strip()
    if not text or text.upper() == "NULL":
        return None
    if any(ord(char) < 32 for char in text):
        raise validation_error(
            "default_value",
            "Must not contain control characters (NUL, line breaks, tabs).",
            code="invalid_default_value",
        )
    if len(text) > MAX_DEFAULT:
        raise validation_error(
            "default_value", f"Must be at most {MAX_DEFAULT} characters.", code="invalid_default_value"
        )
    function = _FUNCTION_DEFAULT.fullmatch(text)
    family = data_type.family
    if function and family != "variant":
        name = function.group(1).upper()
        if name in _FUNCTIONS_BY_FAMILY.get(family, set()):
            return f"{name}()"
        if family != "text":
            raise _default_error(text, data_type)
    if family == "variant" or _literal_fits(text, data_type):
        return text
    raise _default_error(text, data_type)


def _literal_fits(text: str, data_type: DataType) -> bool:
    """Whether the literal is a value of the type: a real calendar day and clock time, a number within the
    precision and scale, a text within the length."""
    family = data_type.family
    if family == "text":
        length = _declared(data_type)
        return length is None or len(_unquoted(text)) <= length[0]
    if family == "number":
        return bool(_NUMBER.fullmatch(text)) and _number_fits(text.replace(",", ""), data_type)
    if family == "boolean":
        return text.upper() in {"TRUE", "FALSE", "1", "0"}
    pattern = {"date": _DATE_LITERAL, "time": _TIME_LITERAL, "timestamp": _TIMESTAMP_LITERAL}[family]
    match = pattern.fullmatch(text)
    if not match:
        return False
    parse = {"date": date.fromisoformat, "time": time.fromisoformat, "timestamp": datetime.fromisoformat}[family]
    try:
        parse(_FRACTION.sub("", match.group(1)))
    except ValueError:
        return False
    return True


def _declared(data_type: DataType) -> tuple[int, int] | None:
    """(length or precision, scale) written in the type, None when the type has none."""
    match = _DATA_TYPE.fullmatch(data_type.text)
    if match is None or match.group(2) is None:
        return None
    return int(match.group(2)), int(match.group(3) or 0)


def _number_fits(text: str, data_type: DataType) -> bool:
    whole, _, fraction = text.lstrip("+-").partition(".")
    name = data_type.text.split("(")[0]
    if name in _INTEGERS:
        return not fraction.strip("0")
    if name not in _DECIMAL:
        return True
    precision, scale = _declared(data_type) or (38, 0)
    return len(whole.lstrip("0")) <= precision - scale and len(fraction.rstrip("0")) <= scale


def _unquoted(text: str) -> str:
    quoted = len(text) >= 2 and text[0] == text[-1] == "'"
    return text[1:-1].replace("''", "'") if quoted else text


def _default_error(text: str, data_type: DataType) -> ApiError:
    hints = {
        "text": "a text that fits its length",
        "number": "a number that fits its precision and scale",
        "boolean": "TRUE, FALSE, 1 or 0",
        "date": "CURRENT_DATE() or a quoted 'YYYY-MM-DD' that is a real day",
        "time": "CURRENT_TIME() or a quoted 'HH:MM[:SS]'",
        "timestamp": "CURRENT_TIMESTAMP(), SYSDATE(), GETDATE() or a quoted ISO timestamp",
    }
    return validation_error(
        "default_value",
        f"{text[:60]!r} does not fit {data_type.text}: use {hints[data_type.family]}.",
        code="invalid_default_value",
    )


def default_sql(default_value: str | None, data_type: str, *, constant_only: bool = False) -> str | None:
    """The stored default as a SQL expression (validated again, never pasted): for DDL and transforms."""
    parsed = parse_data_type(data_type)
    default = normalize_default(default_value, parsed)
    if default is None or parsed.family == "variant":
        return None
    if _FUNCTION_DEFAULT.fullmatch(default) and default[:-2] in _FUNCTIONS_BY_FAMILY.get(parsed.family, set()):
        return None if constant_only else default
    if parsed.family == "number":
        return default.replace(",", "")
    if parsed.family == "boolean":
        return "TRUE" if default.upper() in {"TRUE", "1"} else "FALSE"
    if parsed.family == "text":
        return string_literal(_unquoted(default))
    return f"{default}::{parsed.text}"


def column_ddl(column: Mapping[str, Any], *, for_alter: bool = False) -> str:
    """`"NAME" TYPE [DEFAULT ...]`. Columns stay nullable: NOT NULL would fail whole transform batches, so
    nullability is a quality rule. ALTER ... ADD COLUMN gets constant defaults only (Snowflake refuses others)."""
    name = quote(column_name(column["COLUMN_NAME"]))
    data_type = parse_data_type(column["DATA_TYPE"]).text
    default = default_sql(column["DEFAULT_VALUE"], column["DATA_TYPE"], constant_only=for_alter)
    return f"{name} {data_type}" + (f" DEFAULT {default}" if default else "")


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
    """O6 rows of the active definitions, ordered by TABLE_NAME then SCHEMA_ID."""
    where, params = ("AND TABLE_NAME = ?", (table.upper(),)) if table else ("", ())
    return await warehouse().fetch_all(
        f"SELECT {SCHEMA_COLUMNS} FROM SILVER.TARGET_SCHEMAS WHERE ACTIVE = TRUE {where} "
        "ORDER BY TABLE_NAME, SCHEMA_ID",
        params,
    )


async def schema_columns(schema_table: object) -> list[dict[str, Any]]:
    """O6 rows of one schema table in SCHEMA_ID order; 404 schema_table_not_found when it has none."""
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


def _checked_column(body: Mapping[str, Any], *, require_default: bool) -> dict[str, Any]:
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
    """S4: add a column definition, then add the column to every physical table of that schema."""
    column = _checked_column(body, require_default=True)
    async with warehouse().transaction() as tx:
        existing = await tx.fetch_one(
            "SELECT 1 AS X FROM SILVER.TARGET_SCHEMAS WHERE TABLE_NAME = ? AND COLUMN_NAME = ? AND ACTIVE = TRUE",
            (column["TABLE_NAME"], column["COLUMN_NAME"]),
        )
        if existing:
            raise conflict("column_exists", f"Column {column['COLUMN_NAME']} already exists in {column['TABLE_NAME']}.")
        schema_id = await _insert_column(tx, column)
        await audit.record(user, "CREATE", "TARGET_SCHEMA", schema_id, after=column, within=tx)
    updated, not_updated = await _add_to_physical_tables(column["TABLE_NAME"], [column])
    await invalidate(*CACHE_NAMESPACES)
    return {"schema_id": schema_id, "physical_tables_updated": updated, "physical_tables_not_updated": not_updated}


async def _insert_column(tx: Transaction, column: Mapping[str, Any]) -> int:
    await tx.execute(
        "INSERT INTO SILVER.TARGET_SCHEMAS (TABLE_NAME, COLUMN_NAME, DATA_TYPE, NULLABLE, DEFAULT_VALUE, DESCRIPTION, "
        "COLUMN_ORDER) SELECT ?, ?, ?, ?, ?, ?, COALESCE(MAX(COLUMN_ORDER), 0) + 1 FROM SILVER.TARGET_SCHEMAS "
        "WHERE TABLE_NAME = ?",
        (*(column[key] for key in CSV_HEADER), column["TABLE_NAME"]),
    )
    return int(
        await tx.fetch_value(
            "SELECT MAX(SCHEMA_ID) FROM SILVER.TARGET_SCHEMAS WHERE TABLE_NAME = ? AND COLUMN_NAME = ?",
            (column["TABLE_NAME"], column["COLUMN_NAME"]),
        )
    )


async def _add_to_physical_tables(
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
    """S5: change type, nullability, default or description; a new type or default is applied to empty physical
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
    """S6: remove the definition and every mapping (all TPAs) to it, and the column from the physical tables."""
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
    """S7: remove every definition of a schema table and its mappings, unless physical tables still exist."""
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


async def export_csv() -> str:
    return safe_csv(
        CSV_HEADER,
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
    missing = [key for key in CSV_HEADER[:3] if key not in header]
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
            column = _checked_column(body, require_default=False)
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
        done, failed = await _add_to_physical_tables(table, [c for c in new if c["TABLE_NAME"] == table])
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
        values.append((*(column[key] for key in CSV_HEADER), order[column["TABLE_NAME"]]))
    names = [quote(key) for key in (*CSV_HEADER, "COLUMN_ORDER")]
    return await target.insert_rows(quote("SILVER", "TARGET_SCHEMAS"), names, values)

"""Transform rules per (TPA, schema table): validation, storage and compilation into SQL predicates.

Every rule becomes a predicate over the converted column values: values reach SQL as bound parameters,
names as validated identifiers, expressions through the expression compiler's allow-list. A row fails a
rule when the predicate is FALSE (a NULL value passes every rule except NOT_NULL).
"""

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from medallion import audit
from medallion.caching import cached, invalidate
from medallion.errors import conflict, not_found, validation_error
from medallion.scope import in_scope, tpa_condition
from medallion.warehouse import QueryError, Transaction, warehouse
from medallion.warehouse.identifiers import InvalidIdentifier, column_name, quote, table_name
from medallion.warehouse.sql import Sql, bound, join
from silver.expressions import ExpressionError, compile_expression
from silver.transform_catalog import Column, schema_columns, schema_table
from tpa.services import get_tpa

RULE_TYPES = ("NOT_NULL", "RANGE", "REGEX", "ALLOWED_VALUES", "NOT_FUTURE_DATE", "LOOKUP", "CUSTOM")
ACTIONS = ("REJECT", "FLAG", "CORRECT")
SEVERITIES = ("CRITICAL", "ERROR", "WARNING", "INFO")
LOOKUP_SCHEMAS = ("SILVER", "GOLD")
RULE_COLUMNS = (
    "RULE_ID, TPA, SCHEMA_TABLE, RULE_NAME, RULE_TYPE, TARGET_COLUMN, PARAMETERS, ACTION, CORRECTION_EXPRESSION, "
    "SEVERITY, DESCRIPTION, ACTIVE, CREATED_BY, CREATED_TIMESTAMP, UPDATED_TIMESTAMP"
)
# The definition columns a create or update stores.
STORED_COLUMNS = (
    "RULE_NAME", "RULE_TYPE", "TARGET_COLUMN", "PARAMETERS", "ACTION", "CORRECTION_EXPRESSION", "SEVERITY",
    "DESCRIPTION", "ACTIVE",
)  # fmt: skip
_DATE_TYPES = ("DATE", "TIMESTAMP")
_NUMERIC_TYPES = ("NUMBER", "DECIMAL", "NUMERIC", "INT", "INTEGER", "BIGINT", "SMALLINT", "FLOAT", "DOUBLE")
MAX_ALLOWED_VALUES = 1000


@dataclass(frozen=True)
class CompiledRule:
    rule_id: int
    name: str
    action: str
    column: str | None
    failure_sql: str
    params: tuple[Any, ...]
    correction_sql: str | None


@cached("silver_rules", ttl=300)
async def list_rules(tpa: str | None = None, table: str | None = None) -> list[dict[str, Any]]:
    conditions, params = [], []
    scoped, scope_params = tpa_condition("TPA", (await get_tpa(tpa))["TPA_CODE"] if tpa else None)
    if scoped:
        conditions.append(scoped)
        params += scope_params
    if table:
        conditions.append("SCHEMA_TABLE = ?")
        params.append(schema_table(table))
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = await warehouse().fetch_all(
        f"SELECT {RULE_COLUMNS} FROM SILVER.TRANSFORM_RULES {where} ORDER BY TPA, SCHEMA_TABLE, RULE_ID", params
    )
    return [_decoded(row) for row in rows]


async def get_rule(rule_id: int) -> dict[str, Any]:
    row = await warehouse().fetch_one(
        f"SELECT {RULE_COLUMNS} FROM SILVER.TRANSFORM_RULES WHERE RULE_ID = ?", (rule_id,)
    )
    if row is None or not in_scope(row["TPA"]):
        raise not_found("rule_not_found", f"Rule {rule_id} not found.")
    return _decoded(row)


async def create_rule(body: dict[str, Any], *, user: str | None) -> dict[str, Any]:
    tpa = (await get_tpa(body.get("tpa")))["TPA_CODE"]
    table = _required_table(body.get("table_name"))
    rule = await _validated(tpa, table, body)
    async with warehouse().transaction() as tx:
        await _refuse_duplicate_name(tx, tpa, table, rule["RULE_NAME"], None)
        stored = {"TPA": tpa, "SCHEMA_TABLE": table, **_stored(rule), "CREATED_BY": user}
        rule_id = await tx.insert("SILVER.TRANSFORM_RULES", stored, id_column="RULE_ID")
        await audit.record(user, "CREATE", "SILVER_RULE", rule_id, tpa=tpa, after=rule, within=tx)
    await invalidate("silver_rules")
    return await get_rule(rule_id)


async def update_rule(rule_id: int, body: dict[str, Any], *, user: str | None) -> dict[str, Any]:
    current = await get_rule(rule_id)
    merged = {key.lower(): value for key, value in current.items()} | body
    rule = await _validated(current["TPA"], current["SCHEMA_TABLE"], merged)
    async with warehouse().transaction() as tx:
        await _refuse_duplicate_name(tx, current["TPA"], current["SCHEMA_TABLE"], rule["RULE_NAME"], rule_id)
        assignments = join(", ", [f"{column} = " + bound(value) for column, value in _stored(rule).items()])
        await tx.execute(
            "UPDATE SILVER.TRANSFORM_RULES SET "
            + assignments
            + Sql(", UPDATED_TIMESTAMP = CURRENT_TIMESTAMP() WHERE RULE_ID = ?", (rule_id,))
        )
        await audit.record(
            user, "UPDATE", "SILVER_RULE", rule_id, tpa=current["TPA"], before=current, after=rule, within=tx
        )
    await invalidate("silver_rules")
    return await get_rule(rule_id)


async def delete_rule(rule_id: int, *, user: str | None) -> None:
    current = await get_rule(rule_id)
    async with warehouse().transaction() as tx:
        await tx.execute("DELETE FROM SILVER.TRANSFORM_RULES WHERE RULE_ID = ?", (rule_id,))
        await audit.record(user, "DELETE", "SILVER_RULE", rule_id, tpa=current["TPA"], before=current, within=tx)
    await invalidate("silver_rules")


async def active_rules(tpa: str, table: str) -> list[dict[str, Any]]:
    return [rule for rule in await list_rules(tpa, table) if rule["ACTIVE"]]


def compile_rules(rules: list[dict[str, Any]], columns: list[Column]) -> list[CompiledRule]:
    """Compile stored rules against the schema columns; a rule that no longer fits raises 422."""
    by_name = {column.name: column for column in columns}
    variables = {column.name: quote(column.name) for column in columns}
    compiled = []
    for rule in rules:
        try:
            column = by_name[rule["TARGET_COLUMN"]] if rule["TARGET_COLUMN"] else None
            predicate, params = _predicate(rule["RULE_TYPE"], column, rule["PARAMETERS"] or {}, variables)
            correction = (
                compile_expression(rule["CORRECTION_EXPRESSION"], variables=variables)
                if rule["ACTION"] == "CORRECT"
                else None
            )
        except (KeyError, ExpressionError, InvalidIdentifier) as error:
            raise validation_error("rules", f"Rule {rule['RULE_NAME']} no longer fits the table: {error}") from None
        failure = f"NOT COALESCE({predicate}, TRUE)"
        compiled.append(
            CompiledRule(
                rule["RULE_ID"], rule["RULE_NAME"], rule["ACTION"], rule["TARGET_COLUMN"], failure, params, correction
            )
        )
    return compiled


def _predicate(
    rule_type: str, column: Column | None, parameters: dict[str, Any], variables: dict[str, str]
) -> tuple[str, tuple[Any, ...]]:
    if rule_type == "CUSTOM":
        return compile_expression(parameters["expression"], variables=variables, boolean=True), ()
    assert column is not None
    target = quote(column.name)
    if rule_type == "NOT_NULL":
        return f"{target} IS NOT NULL", ()
    if rule_type == "RANGE":
        bounds = [(operator, parameters[key]) for key, operator in (("min", ">="), ("max", "<=")) if key in parameters]
        sql = " AND ".join(f"{target} {operator} CAST(? AS {column.data_type})" for operator, _ in bounds)
        return f"({sql})", tuple(value for _, value in bounds)
    if rule_type == "REGEX":
        return f"REGEXP_LIKE(CAST({target} AS VARCHAR), ?)", (parameters["pattern"],)
    if rule_type == "ALLOWED_VALUES":
        return (
            f"CAST({target} AS VARCHAR) IN (SELECT f.VALUE::VARCHAR FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) AS f)",
            (json.dumps([str(value) for value in parameters["values"]]),),
        )
    if rule_type == "NOT_FUTURE_DATE":
        return f"CAST({target} AS DATE) <= CURRENT_DATE()", ()
    if rule_type == "LOOKUP":
        lookup = quote(parameters["schema"], table_name(parameters["table"]))
        lookup_column = quote(column_name(parameters["column"]))
        return f"CAST({target} AS VARCHAR) IN (SELECT CAST(l.{lookup_column} AS VARCHAR) FROM {lookup} AS l)", ()
    raise KeyError(rule_type)


async def _validated(tpa: str, table: str, body: dict[str, Any]) -> dict[str, Any]:
    columns = await schema_columns(table)
    by_name = {column.name: column for column in columns}
    rule_type = _choice(body, "rule_type", RULE_TYPES)
    action = _choice(body, "action", ACTIONS, default="REJECT")
    target = body.get("target_column")
    column = None
    if target or rule_type != "CUSTOM" or action == "CORRECT":
        try:
            column = by_name[column_name(target)]
        except (InvalidIdentifier, KeyError):
            raise validation_error(
                "target_column", f"Must be a column of {table}.", "target_column_not_found"
            ) from None
    parameters = await _parameters(rule_type, column, body.get("parameters") or {})
    variables = {name: quote(name) for name in by_name}
    correction = _text(body, "correction_expression", 2000) if action == "CORRECT" else None
    if action == "CORRECT":
        if not correction:
            raise validation_error("correction_expression", "A CORRECT rule needs a correction expression.")
        _compiled(correction, variables, boolean=False, field="correction_expression")
    if rule_type == "CUSTOM":
        _compiled(parameters["expression"], variables, boolean=True, field="parameters.expression")
    if not isinstance(body.get("active", True), bool):
        raise validation_error("active", "Must be true or false.")
    return {
        "RULE_NAME": _rule_name(body.get("rule_name")),
        "RULE_TYPE": rule_type,
        "TARGET_COLUMN": column.name if column else None,
        "PARAMETERS": parameters,
        "ACTION": action,
        "CORRECTION_EXPRESSION": correction,
        "SEVERITY": _choice(body, "severity", SEVERITIES, default="ERROR"),
        "DESCRIPTION": _text(body, "description", 1000),
        "ACTIVE": body.get("active", True),
    }


async def _parameters(rule_type: str, column: Column | None, raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise validation_error("parameters", "Must be an object.")
    if rule_type == "RANGE":
        assert column is not None
        bounds = {key: _bound(raw[key], column, key) for key in ("min", "max") if raw.get(key) is not None}
        if not bounds:
            raise validation_error("parameters", "A RANGE rule needs min, max or both.")
        return bounds
    if rule_type == "REGEX":
        pattern = _text(raw, "pattern", 500, field="parameters.pattern", required=True)
        await _check_pattern(pattern)
        return {"pattern": pattern}
    if rule_type == "ALLOWED_VALUES":
        values = raw.get("values")
        if not isinstance(values, list) or not 1 <= len(values) <= MAX_ALLOWED_VALUES:
            raise validation_error("parameters.values", f"Give a list of 1 to {MAX_ALLOWED_VALUES} values.")
        if not all(isinstance(v, str | int | float) and not isinstance(v, bool) and len(str(v)) <= 500 for v in values):
            raise validation_error("parameters.values", "Values must be strings or numbers of at most 500 characters.")
        return {"values": values}
    if rule_type == "NOT_FUTURE_DATE":
        assert column is not None
        if not column.data_type.startswith(_DATE_TYPES):
            raise validation_error("target_column", "NOT_FUTURE_DATE needs a DATE or TIMESTAMP column.")
        return {}
    if rule_type == "LOOKUP":
        return await _lookup_parameters(raw)
    if rule_type == "CUSTOM":
        return {"expression": _text(raw, "expression", 2000, field="parameters.expression", required=True)}
    return {}


async def _check_pattern(pattern: str) -> None:
    """The warehouse runs the rule, so its regular-expression dialect decides (RE2 on the embedded engine, POSIX
    on Snowflake): Python's `re` accepts back-references and huge repeats that the warehouse refuses at run time."""
    try:
        re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as error:
        raise validation_error("parameters.pattern", f"Not a valid regular expression: {error}") from None
    try:
        await warehouse().fetch_value("SELECT REGEXP_LIKE('', ?) AS MATCHED", (pattern,))
    except QueryError:
        raise validation_error(
            "parameters.pattern",
            "The warehouse cannot run this regular expression (back-references, look-around "
            "and very large repeat counts are not supported).",
        ) from None


async def _lookup_parameters(raw: dict[str, Any]) -> dict[str, Any]:
    schema = str(raw.get("schema") or "SILVER").upper()
    if schema not in LOOKUP_SCHEMAS:
        raise validation_error("parameters.schema", "Must be SILVER or GOLD.")
    try:
        table, lookup_column = table_name(raw.get("table")), column_name(raw.get("column"))
    except InvalidIdentifier as error:
        raise validation_error("parameters.table", str(error)) from None
    exists = await warehouse().fetch_one(
        "SELECT 1 AS X FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?",
        (schema, table, lookup_column),
    )
    registered = schema == "GOLD" or await warehouse().fetch_one(
        "SELECT 1 AS X FROM SILVER.CREATED_TABLES WHERE TABLE_NAME = ?", (table,)
    )
    if not exists or not registered:
        raise validation_error("parameters.table", f"{schema}.{table}.{lookup_column} is not a lookup column.")
    return {"schema": schema, "table": table, "column": lookup_column}


def _bound(value: object, column: Column, key: str) -> Any:
    field = f"parameters.{key}"
    if column.data_type.startswith(_NUMERIC_TYPES):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise validation_error(field, "Must be a number for a numeric column.")
        return value
    if not isinstance(value, str) or len(value) > 40:
        raise validation_error(field, "Must be a short text value.")
    if column.data_type.startswith(_DATE_TYPES):
        try:
            (date if column.data_type == "DATE" else datetime).fromisoformat(value)
        except ValueError:
            raise validation_error(field, "Must be an ISO date (YYYY-MM-DD) for a date column.") from None
    return value


def _compiled(text: str, variables: dict[str, str], *, boolean: bool, field: str) -> str:
    try:
        return compile_expression(text, variables=variables, boolean=boolean)
    except ExpressionError as error:
        raise validation_error(field, str(error), "invalid_transformation_logic") from None


def _rule_name(value: object) -> str:
    try:
        return table_name(value)
    except InvalidIdentifier:
        raise validation_error(
            "rule_name", "Use 1-100 letters, digits or underscores, starting with a letter."
        ) from None


def _required_table(value: object) -> str:
    if not value:
        raise validation_error("table_name", "This field is required.")
    return schema_table(value)


def _choice(body: dict[str, Any], key: str, choices: tuple[str, ...], default: str | None = None) -> str:
    value = body.get(key) or default
    if not isinstance(value, str) or value.upper() not in choices:
        raise validation_error(key, f"Must be one of {', '.join(choices)}.")
    return value.upper()


def _text(
    body: dict[str, Any], key: str, max_length: int, *, field: str | None = None, required: bool = False
) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise validation_error(field or key, "This field is required.")
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise validation_error(field or key, f"Must be text of at most {max_length} characters.")
    return value


async def _refuse_duplicate_name(tx: Transaction, tpa: str, table: str, name: str, rule_id: int | None) -> None:
    clash = await tx.fetch_one(
        "SELECT RULE_ID FROM SILVER.TRANSFORM_RULES WHERE TPA = ? AND SCHEMA_TABLE = ? AND RULE_NAME = ? "
        "AND RULE_ID <> ?",
        (tpa, table, name, rule_id or 0),
    )
    if clash:
        raise conflict("rule_exists", f"A rule named {name} already exists for {tpa} {table}.")


def _stored(rule: dict[str, Any]) -> dict[str, Any]:
    stored = {column: rule[column] for column in STORED_COLUMNS}
    return stored | {"PARAMETERS": Sql("PARSE_JSON(?)", (json.dumps(rule["PARAMETERS"]),))}


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    parameters = row["PARAMETERS"]
    return {**row, "PARAMETERS": json.loads(parameters) if isinstance(parameters, str) else parameters or {}}

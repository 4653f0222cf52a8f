"""The transform's SQL compiler: from a plan (target columns, their sources, rules, scope) to the statement that
stages the converted and checked records, the counts of that stage and the statements that move its outcome
(quarantine, flags, the upsert into the physical table, claim versions)."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from medallion.clock import utc_now
from medallion.errors import validation_error
from medallion.warehouse.identifiers import quote
from medallion.warehouse.sql import Sql, join
from silver import claim_versions
from silver.expressions import ExpressionError, GuardedConversion, compile_guarded_conversion
from silver.mappings import expression_variables, field_sql
from silver.rules import CompiledRule
from silver.schema_types import default_sql
from silver.transform_catalog import Column, PhysicalTable
from tpa.conversions import Conversions

SOURCE = "BRONZE.RAW_DATA_TABLE"
CAST_RULE = "TYPE_CONVERSION"


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
    record_ids: tuple[int, ...] | None = None  # a release of only these records; None: every quarantined one
    source_files: tuple[str, ...] = ()

    @property
    def marked_rules(self) -> list[CompiledRule]:
        return [rule for rule in self.rules if rule.action in ("FLAG", "CORRECT")]


SOURCE_FILE_KEY = "CAST(r.QUEUE_ID AS VARCHAR) || '|' || COALESCE(r.SHEET_NAME, '')"


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


def stage_sql(plan: Plan, stage: str) -> Sql:
    raw = Sql(
        'SELECT r.RECORD_ID AS "_RECORD_ID", r.FILE_NAME AS "_FILE_NAME", r.FILE_ROW_NUMBER AS "_FILE_ROW_NUMBER", '
        'r.LOAD_TIMESTAMP AS "_LOAD_TIMESTAMP", r.LOADED_BY AS "_LOADED_BY", '
        + ", ".join(_source_columns(index, plan.sources.get(column.name)) for index, column in enumerate(plan.columns))
        + f" FROM {SOURCE} AS r WHERE r.TPA = ?"
        f" AND (r.QUEUE_ID IS NULL OR {SOURCE_FILE_KEY} IN "
        "(SELECT f.VALUE::VARCHAR FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) AS f))",
        [plan.table.tpa, json.dumps(list(plan.source_files))],
    ) + _scope(plan)
    typed = _wrap(raw, [_typed(index, column, plan.conversions) for index, column in enumerate(plan.columns)])
    checked = _wrap(typed, [_rule_columns(rule, plan.columns) for rule in plan.rules])
    return f"CREATE TABLE {stage} AS SELECT " + _final_projection(plan) + " FROM (" + checked + ") AS s"


def _source_columns(index: int, source: Source | None) -> str:
    if source is None:
        return f"CAST(NULL AS VARCHAR) AS {_raw(index)}"
    if source.conversion_failed is None:
        return f"{source.value} AS {_raw(index)}"
    return (
        f"{source.value} AS {_raw(index)}, COALESCE({source.conversion_failed}, FALSE) AS {_conversion_failed(index)}, "
        f"{source.source_text} AS {_source_text(index)}"
    )


def _scope(plan: Plan) -> Sql:
    if plan.mode == "INCREMENTAL":
        # The records no earlier run has read: in neither the table nor its quarantine. Not "ids above the last
        # one": Snowflake's IDENTITY is NOORDER unless declared ORDER, so a later load can get lower ids.
        return Sql(
            f' AND NOT EXISTS (SELECT 1 FROM {plan.table.sql} AS t WHERE t."_RECORD_ID" = r.RECORD_ID)'
            " AND NOT EXISTS (SELECT 1 FROM SILVER.QUARANTINE AS q WHERE q.TPA = ? AND q.SCHEMA_TABLE = ? "
            "AND q.RECORD_ID = r.RECORD_ID)",
            (plan.table.tpa, plan.table.schema_table),
        )
    if plan.mode != "RELEASE":
        return Sql()
    released = Sql(
        " AND r.RECORD_ID IN (SELECT q.RECORD_ID FROM SILVER.QUARANTINE AS q WHERE q.TPA = ? "
        "AND q.SCHEMA_TABLE = ? AND q.STATUS = 'QUARANTINED'",
        (plan.table.tpa, plan.table.schema_table),
    )
    if plan.record_ids is not None:
        released += Sql(
            " AND q.RECORD_ID IN (SELECT f.VALUE::INTEGER FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) AS f)",
            (json.dumps(list(plan.record_ids)),),
        )
    return released + ")"


def _wrap(inner: Sql, projections: list[Sql]) -> Sql:
    if not projections:
        return inner
    return "SELECT s.*, " + join(", ", projections) + " FROM (" + inner + ") AS s"


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
    return Sql(f"CAST({default_sql(column.default_value, column.data_type) or 'NULL'} AS {column.data_type})")


def _rule_columns(rule: CompiledRule, columns: list[Column]) -> Sql:
    flag = Sql(f"{rule.failure_sql} AS {_failed(rule)}", rule.params)
    if rule.correction_sql is None:
        return flag
    data_type = next(column.data_type for column in columns if column.name == rule.column)
    return flag + f", {try_cast_text(f'({rule.correction_sql})', data_type)} AS {_corrected(rule)}"


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


def counts_sql(plan: Plan, stage: str) -> str:
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


def load_statements(plan: Plan, batch_id: str, stage: str, user: str | None) -> Iterator[Sql]:
    table, now = plan.table, utc_now()
    scope = [table.tpa, table.schema_table]
    in_stage = f'SELECT "_RECORD_ID" FROM {stage}'
    yield Sql(
        "UPDATE SILVER.QUARANTINE SET STATUS = 'RELEASED', RELEASED_AT = CAST(? AS TIMESTAMP_NTZ), RELEASED_BY = ?, "
        "RELEASE_BATCH_ID = ? WHERE TPA = ? AND SCHEMA_TABLE = ? AND STATUS = 'QUARANTINED' "
        f'AND RECORD_ID IN ({in_stage} WHERE "_REJECT" IS NULL)',
        [now, user, batch_id, *scope],
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
        [*scope, table.name, batch_id, now, *described.params],
    )
    yield Sql(f"DELETE FROM SILVER.DQ_FLAGS WHERE TPA = ? AND SCHEMA_TABLE = ? AND RECORD_ID IN ({in_stage})", scope)
    if plan.marked_rules:
        branches = [
            Sql(
                f'SELECT ?, ?, ?, s."_RECORD_ID", ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP_NTZ) FROM {stage} AS s '
                f'WHERE s."_REJECT" IS NULL AND {_failed(rule, "s.")}',
                [*scope, table.name, batch_id, rule.rule_id, rule.name, rule.action, rule.column, now],
            )
            for rule in plan.marked_rules
        ]
        yield (
            "INSERT INTO SILVER.DQ_FLAGS (TPA, SCHEMA_TABLE, TARGET_TABLE, RECORD_ID, BATCH_ID, RULE_ID, RULE_NAME, "
            "ACTION, TARGET_COLUMN, FLAGGED_AT) " + join(" UNION ALL ", branches)
        )
    yield Sql(f'DELETE FROM {table.sql} WHERE "_RECORD_ID" IN ({in_stage})')
    names = ", ".join(quote(column.name) for column in plan.columns)
    yield Sql(
        f'INSERT INTO {table.sql} ({names}, "_RECORD_ID", "_FILE_NAME", "_FILE_ROW_NUMBER", "_TPA", "_BATCH_ID", '
        f'"_LOAD_TIMESTAMP", "_LOADED_BY") SELECT {names}, "_RECORD_ID", "_FILE_NAME", "_FILE_ROW_NUMBER", ?, ?, '
        f'"_LOAD_TIMESTAMP", "_LOADED_BY" FROM {stage} WHERE "_REJECT" IS NULL',
        [table.tpa, batch_id],
    )
    # Claim versions: one row per claim id with net amounts, every version kept in SILVER.CLAIM_VERSIONS.
    for text, params in claim_versions.statements(table, plan.columns, stage, batch_id, now):
        yield Sql(text, params)


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

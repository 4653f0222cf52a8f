"""Transformation and quality rules are data: validated on the way in, compiled through the expression
allow-list (never pasted into SQL) on the way out."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from medallion import audit
from medallion.caching import cached, invalidate
from medallion.errors import not_found, validation_error
from medallion.scope import in_scope
from medallion.warehouse import warehouse
from medallion.warehouse.identifiers import InvalidIdentifier, tpa_code
from silver.expressions import ExpressionError, compile_expression

from .feeds import FEED_TYPES

GOLD_TABLES = ("CLAIMS_ANALYTICS", "MEMBER_360", "PROVIDER_PERFORMANCE", "FINANCIAL_SUMMARY")
CLAIMS_FEED = "CLAIMS"
ALL_TPAS = "ALL"
SEVERITIES = ("CRITICAL", "ERROR", "WARNING", "INFO")
QUALITY_RULE_TYPES = ("COMPLETENESS", "VALIDITY", "CONSISTENCY", "ACCURACY", "TIMELINESS", "UNIQUENESS")
TRANSFORMATION_RULE_TYPES = ("FILTER",)
THRESHOLD_OPERATORS = (">=", ">", "<=", "<", "=")
FEED_COLUMNS = ("TPA", "CLAIM_TYPE", *FEED_TYPES)

# Columns a rule may refer to, per table it checks.
RULE_COLUMNS: dict[str, tuple[str, ...]] = {
    CLAIMS_FEED: FEED_COLUMNS,
    "CLAIMS_ANALYTICS": (
        "TPA", "CLAIM_YEAR", "CLAIM_MONTH", "CLAIM_TYPE", "CLAIM_COUNT", "UNIQUE_MEMBERS", "TOTAL_BILLED",
        "TOTAL_ALLOWED", "TOTAL_PAID", "TOTAL_MEMBER_RESPONSIBILITY", "AVG_PAID_PER_CLAIM", "AVG_PAID_PER_MEMBER",
        "DISCOUNT_RATE",
    ),
    "MEMBER_360": (
        "TPA", "MEMBER_ID", "MEMBER_NAME", "DATE_OF_BIRTH", "AGE", "GENDER", "ZIP_CODE", "PLAN_ID",
        "ENROLLMENT_DATE", "TERMINATION_DATE", "IS_ACTIVE", "HAS_ELIGIBILITY", "AS_OF_DATE", "TOTAL_CLAIMS_YTD",
        "TOTAL_PAID_YTD", "LIFETIME_CLAIMS", "LIFETIME_PAID", "PAID_LAST_12_MONTHS", "LAST_VISIT_DATE", "RISK_TIER",
        "RISK_SCORE",
    ),
    "PROVIDER_PERFORMANCE": (
        "TPA", "PROVIDER_ID", "PROVIDER_NAME", "PROVIDER_TYPE", "PERIOD_YEAR", "PERIOD_QUARTER", "UNIQUE_MEMBERS",
        "TOTAL_CLAIMS", "TOTAL_BILLED", "TOTAL_ALLOWED", "TOTAL_PAID", "AVG_COST_PER_MEMBER", "AVG_COST_PER_CLAIM",
        "DISCOUNT_RATE",
    ),
    "FINANCIAL_SUMMARY": (
        "TPA", "FISCAL_YEAR", "FISCAL_MONTH", "FISCAL_QUARTER", "CLAIM_TYPE", "TOTAL_BILLED", "TOTAL_ALLOWED",
        "TOTAL_PAID", "TOTAL_MEMBER_RESPONSIBILITY", "CLAIM_COUNT", "MEMBER_COUNT", "MEMBER_MONTHS", "PMPM",
    ),
}  # fmt: skip

TRANSFORMATION_COLUMNS = (
    "RULE_ID, TPA, RULE_NAME, RULE_TYPE, SOURCE_TABLE, TARGET_TABLE, RULE_LOGIC, RULE_DESCRIPTION, "
    "BUSINESS_JUSTIFICATION, PRIORITY, EXECUTION_ORDER, IS_ACTIVE, CREATED_AT, UPDATED_AT"
)
QUALITY_COLUMNS = (
    "QUALITY_RULE_ID, TPA, RULE_NAME, RULE_TYPE, TABLE_NAME, FIELD_NAME, CHECK_LOGIC, THRESHOLD_VALUE, "
    "THRESHOLD_OPERATOR, SEVERITY, ACTION_ON_FAILURE, RULE_DESCRIPTION, IS_ACTIVE, CREATED_AT, UPDATED_AT"
)
SEVERITY_RANK = "CASE SEVERITY WHEN 'CRITICAL' THEN 1 WHEN 'ERROR' THEN 2 WHEN 'WARNING' THEN 3 ELSE 4 END"


@dataclass(frozen=True)
class RuleKind:
    name: str
    table: str
    key: str
    columns: str
    order_by: str
    entity: str


TRANSFORMATION = RuleKind(
    "transformation",
    "GOLD.TRANSFORMATION_RULES",
    "RULE_ID",
    TRANSFORMATION_COLUMNS,
    "EXECUTION_ORDER NULLS LAST, PRIORITY, RULE_ID",
    "GOLD_TRANSFORMATION_RULE",
)
QUALITY = RuleKind(
    "quality",
    "GOLD.QUALITY_RULES",
    "QUALITY_RULE_ID",
    QUALITY_COLUMNS,
    f"{SEVERITY_RANK}, RULE_NAME, QUALITY_RULE_ID",
    "GOLD_QUALITY_RULE",
)
RULE_KINDS = {kind.name: kind for kind in (TRANSFORMATION, QUALITY)}


def scope_code(value: object, field: str = "tpa") -> str:
    """A TPA code or ALL, canonical; 422 otherwise."""
    try:
        return tpa_code(value)
    except InvalidIdentifier:
        raise validation_error(field, "Use a TPA code (letters, digits, underscore) or ALL.") from None


def rule_variables(table: str) -> dict[str, str]:
    return {column: f'"{column}"' for column in RULE_COLUMNS[table]}


def compile_rule(text: str, table: str, *, boolean: bool, field: str) -> str:
    try:
        return compile_expression(text, variables=rule_variables(table), boolean=boolean)
    except ExpressionError as error:
        raise validation_error(field, str(error), code="invalid_transformation_logic") from None


@cached("gold", ttl=300)
async def list_rules(kind_name: str, tpa: str) -> list[dict[str, Any]]:
    kind = RULE_KINDS[kind_name]
    rows = await warehouse().fetch_all(
        f"SELECT {kind.columns} FROM {kind.table} WHERE (? = 'ALL' OR TPA IN (?, 'ALL')) ORDER BY {kind.order_by}",
        (tpa, tpa),
    )
    return [row for row in rows if row["TPA"] == ALL_TPAS or in_scope(row["TPA"])]


async def get_rule(kind: RuleKind, rule_id: int) -> dict[str, Any]:
    row = await warehouse().fetch_one(f"SELECT {kind.columns} FROM {kind.table} WHERE {kind.key} = ?", (rule_id,))
    if row is None or (row["TPA"] != ALL_TPAS and not in_scope(row["TPA"])):
        raise not_found("rule_not_found", f"Gold {kind.name} rule {rule_id} not found.")
    return row


async def set_rule_active(kind_name: str, rule_id: int, active: bool, *, user: str | None) -> dict[str, Any]:
    kind = RULE_KINDS[kind_name]
    before = await get_rule(kind, rule_id)
    async with warehouse().transaction() as tx:
        await tx.execute(
            f"UPDATE {kind.table} SET IS_ACTIVE = ?, UPDATED_AT = CURRENT_TIMESTAMP() WHERE {kind.key} = ?",
            (active, rule_id),
        )
        await audit.record(
            user,
            "ACTIVATE" if active else "DEACTIVATE",
            kind.entity,
            rule_id,
            tpa=before["TPA"],
            before={"IS_ACTIVE": before["IS_ACTIVE"]},
            after={"IS_ACTIVE": active},
            within=tx,
        )
    await invalidate("gold")
    return {**before, "IS_ACTIVE": active}


def _choice(source: Mapping[str, Any], name: str, choices: tuple[str, ...], default: str | None = None) -> str:
    value = source.get(name, default)
    if not isinstance(value, str) or value.strip().upper() not in choices:
        raise validation_error(name, f"Must be one of {', '.join(choices)}.")
    return value.strip().upper()


def _text(source: Mapping[str, Any], name: str, *, max_length: int, required: bool = True) -> str | None:
    value = source.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise validation_error(name, "This field is required.")
        return None
    if not isinstance(value, str):
        raise validation_error(name, "Must be a string.")
    if len(value.strip()) > max_length:
        raise validation_error(name, f"Must be at most {max_length} characters.")
    return value.strip()


def _number(source: Mapping[str, Any], name: str, *, default: float | None, low: float, high: float) -> float | None:
    value = source.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise validation_error(name, "Must be a number.")
    if not low <= value <= high:
        raise validation_error(name, f"Must be between {low:g} and {high:g}.")
    return value


def _integer(source: Mapping[str, Any], name: str, *, default: int | None) -> int | None:
    value = source.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
        raise validation_error(name, "Must be an integer between 0 and 1000000.")
    return value


def _active(source: Mapping[str, Any]) -> bool:
    value = source.get("is_active", True)
    if not isinstance(value, bool):
        raise validation_error("is_active", "Must be true or false.")
    return value


def clean_transformation_rule(body: Mapping[str, Any]) -> dict[str, Any]:
    target = _choice(body, "target_table", (*GOLD_TABLES, ALL_TPAS), default=ALL_TPAS)
    logic = _text(body, "rule_logic", max_length=2000)
    compile_rule(logic or "", CLAIMS_FEED, boolean=True, field="rule_logic")
    return {
        "TPA": scope_code(body.get("tpa", ALL_TPAS)),
        "RULE_NAME": _text(body, "rule_name", max_length=200),
        "RULE_TYPE": _choice(body, "rule_type", TRANSFORMATION_RULE_TYPES, default="FILTER"),
        "SOURCE_TABLE": _choice(body, "source_table", (CLAIMS_FEED,), default=CLAIMS_FEED),
        "TARGET_TABLE": target,
        "RULE_LOGIC": logic,
        "RULE_DESCRIPTION": _text(body, "rule_description", max_length=2000, required=False),
        "BUSINESS_JUSTIFICATION": _text(body, "business_justification", max_length=2000, required=False),
        "PRIORITY": _integer(body, "priority", default=100),
        "EXECUTION_ORDER": _integer(body, "execution_order", default=None),
        "IS_ACTIVE": _active(body),
    }


def clean_quality_rule(body: Mapping[str, Any]) -> dict[str, Any]:
    table = _choice(body, "table_name", (CLAIMS_FEED, *GOLD_TABLES))
    rule_type = _choice(body, "rule_type", QUALITY_RULE_TYPES)
    logic = _text(body, "check_logic", max_length=2000)
    compile_rule(logic or "", table, boolean=rule_type != "UNIQUENESS", field="check_logic")
    field_name = _text(body, "field_name", max_length=128, required=False)
    if field_name is not None and field_name.upper() not in RULE_COLUMNS[table]:
        raise validation_error("field_name", f"{table} has no column {field_name[:60]}.")
    return {
        "TPA": scope_code(body.get("tpa", ALL_TPAS)),
        "RULE_NAME": _text(body, "rule_name", max_length=200),
        "RULE_TYPE": rule_type,
        "TABLE_NAME": table,
        "FIELD_NAME": field_name.upper() if field_name else None,
        "CHECK_LOGIC": logic,
        "THRESHOLD_VALUE": _number(body, "threshold_value", default=100.0, low=0, high=100),
        "THRESHOLD_OPERATOR": _choice(body, "threshold_operator", THRESHOLD_OPERATORS, default=">="),
        "SEVERITY": _choice(body, "severity", SEVERITIES, default="ERROR"),
        "ACTION_ON_FAILURE": _text(body, "action_on_failure", max_length=500, required=False),
        "RULE_DESCRIPTION": _text(body, "rule_description", max_length=2000, required=False),
        "IS_ACTIVE": _active(body),
    }


CLEANERS = {"transformation": clean_transformation_rule, "quality": clean_quality_rule}


async def create_rule(kind_name: str, body: Mapping[str, Any], *, user: str | None) -> dict[str, Any]:
    kind = RULE_KINDS[kind_name]
    values = CLEANERS[kind_name](body)
    async with warehouse().transaction() as tx:
        rule_id = await tx.insert(kind.table, {**values, "CREATED_BY": user}, id_column=kind.key)
        await audit.record(user, "CREATE", kind.entity, rule_id, tpa=values["TPA"], after=values, within=tx)
    await invalidate("gold")
    return await get_rule(kind, rule_id)


async def update_rule(kind_name: str, rule_id: int, body: Mapping[str, Any], *, user: str | None) -> dict[str, Any]:
    """Replace a rule's definition; keys left out keep their current value."""
    kind = RULE_KINDS[kind_name]
    before = await get_rule(kind, rule_id)
    current = {key.lower(): value for key, value in before.items()}
    values = CLEANERS[kind_name]({**current, **body})
    assignments = ", ".join(f"{column} = ?" for column in values)
    async with warehouse().transaction() as tx:
        await tx.execute(
            f"UPDATE {kind.table} SET {assignments}, UPDATED_AT = CURRENT_TIMESTAMP() WHERE {kind.key} = ?",
            (*values.values(), rule_id),
        )
        before_values = {column: before[column] for column in values}
        await audit.record(
            user, "UPDATE", kind.entity, rule_id, tpa=values["TPA"], before=before_values, after=values, within=tx
        )
    await invalidate("gold")
    return await get_rule(kind, rule_id)

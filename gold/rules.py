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


async def create_rule(kind_name: str, values: Mapping[str, Any], *, user: str | None) -> dict[str, Any]:
    """Store a rule from its checked columns (gold/forms.py `rule_columns`)."""
    kind = RULE_KINDS[kind_name]
    async with warehouse().transaction() as tx:
        rule_id = await tx.insert(kind.table, {**values, "CREATED_BY": user}, id_column=kind.key)
        await audit.record(user, "CREATE", kind.entity, rule_id, tpa=values["TPA"], after=values, within=tx)
    await invalidate("gold")
    return await get_rule(kind, rule_id)


async def stored_definition(kind_name: str, rule_id: int) -> dict[str, Any]:
    """The rule as the API shapes it (lower-case keys), for an update to apply its changes to."""
    return {key.lower(): value for key, value in (await get_rule(RULE_KINDS[kind_name], rule_id)).items()}


async def update_rule(kind_name: str, rule_id: int, values: Mapping[str, Any], *, user: str | None) -> dict[str, Any]:
    """Replace a rule's definition with its checked columns."""
    kind = RULE_KINDS[kind_name]
    before = await get_rule(kind, rule_id)
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

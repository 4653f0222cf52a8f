"""Input parsing for Gold views: rules, refresh scope and the lineage cell."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from gold.feeds import CLAIM_TYPES
from gold.rules import (
    ALL_TPAS,
    CLAIMS_FEED,
    GOLD_TABLES,
    QUALITY_RULE_TYPES,
    RULE_COLUMNS,
    SEVERITIES,
    THRESHOLD_OPERATORS,
    TRANSFORMATION_RULE_TYPES,
    rule_variables,
)
from medallion.forms import Choice, EdgeForm, Flag, Integer, Number, Text, use_one_of
from silver.expressions import ExpressionError, compile_expression
from tpa.forms import TpaCode

MAX_LOGIC = 2000


class RuleForm(EdgeForm):
    """A rule's definition; `columns()` gives it keyed by the rule table's columns."""

    tpa = TpaCode()
    rule_name = Text(max_length=200, required=True)
    rule_description = Text(max_length=MAX_LOGIC)
    is_active = Flag()

    def columns(self) -> dict[str, Any]:
        return {name.upper(): value for name, value in self.valid().items()}

    def _check_logic(self, field: str, table: str, *, boolean: bool) -> None:
        logic = self.cleaned_data.get(field)
        if logic is None:
            return
        try:
            compile_expression(logic, variables=rule_variables(table), boolean=boolean)
        except ExpressionError as error:
            self.add_error(field, ValidationError(str(error), code="invalid_transformation_logic"))


class TransformationRuleForm(RuleForm):
    rule_type = Choice(TRANSFORMATION_RULE_TYPES)
    source_table = Choice((CLAIMS_FEED,))
    target_table = Choice((*GOLD_TABLES, ALL_TPAS))
    rule_logic = Text(max_length=MAX_LOGIC, required=True)
    business_justification = Text(max_length=MAX_LOGIC)
    priority = Integer(minimum=0, maximum=1_000_000)
    execution_order = Integer(minimum=0, maximum=1_000_000)
    defaults = {
        "tpa": ALL_TPAS,
        "rule_type": "FILTER",
        "source_table": CLAIMS_FEED,
        "target_table": ALL_TPAS,
        "priority": 100,
        "is_active": True,
    }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._check_logic("rule_logic", CLAIMS_FEED, boolean=True)
        return cleaned


class QualityRuleForm(RuleForm):
    rule_type = Choice(QUALITY_RULE_TYPES, required=True)
    table_name = Choice((CLAIMS_FEED, *GOLD_TABLES), required=True)
    field_name = Text(max_length=128)
    check_logic = Text(max_length=MAX_LOGIC, required=True)
    threshold_value = Number(minimum=0, maximum=100)
    threshold_operator = Choice(THRESHOLD_OPERATORS)
    severity = Choice(SEVERITIES)
    action_on_failure = Text(max_length=500)
    defaults = {"tpa": ALL_TPAS, "threshold_value": 100.0, "threshold_operator": ">=", "severity": "ERROR",
                "is_active": True}  # fmt: skip

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        table = cleaned.get("table_name")
        if table is None:
            return cleaned
        self._check_logic("check_logic", table, boolean=cleaned.get("rule_type") != "UNIQUENESS")
        field_name = cleaned.get("field_name")
        if field_name is not None:
            if field_name.upper() not in RULE_COLUMNS[table]:
                self.add_error("field_name", f"{table} has no column {field_name[:60]}.")
            else:
                cleaned["field_name"] = field_name.upper()
        return cleaned


RULE_FORMS: dict[str, type[RuleForm]] = {"transformation": TransformationRuleForm, "quality": QualityRuleForm}


def rule_columns(kind: str, body: Any) -> dict[str, Any]:
    """A rule's columns from a JSON body (the API's and the rule page's shape); 422 naming the first bad field."""
    return RULE_FORMS[kind](body).columns()


class RuleStatusForm(EdgeForm):
    is_active = Flag(required=True)


class ScopeForm(EdgeForm):
    """One TPA, or every TPA when absent or ALL (None)."""

    tpa = Text(max_length=100)
    full = Flag()


class LineageCellForm(EdgeForm):
    tpa = Text(max_length=100, required=True)
    year = Integer(minimum=1900, maximum=2999, required=True)
    month = Integer(minimum=1, maximum=12, required=True)
    claim_type = Choice(CLAIM_TYPES, error_messages=use_one_of(CLAIM_TYPES))


@dataclass(frozen=True)
class LineageCell:
    tpa: str
    year: int
    month: int
    claim_type: str | None


def lineage_cell(source: Any) -> LineageCell:
    return LineageCell(**LineageCellForm.parse(source))

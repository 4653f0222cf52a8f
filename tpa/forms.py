"""Input parsing for TPA views: the same forms read the API's JSON bodies and the TPA page's form posts."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

from medallion.forms import Choice, EdgeForm, Flag, Text
from medallion.warehouse.identifiers import InvalidIdentifier, tpa_code
from tpa.conversions import DATE_ORDERS


class TpaCode(Text):
    """A TPA code in any case, answered in capitals (the stored spelling)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=50, placeholder="CODE", **kwargs)
        self.widget.attrs["pattern"] = "[A-Za-z0-9_]{1,50}"

    def clean(self, value: Any) -> str | None:
        code = super().clean(value)
        if code is None:
            return None
        try:
            return tpa_code(code.upper())
        except InvalidIdentifier:
            raise ValidationError("Use 1-50 letters, digits or underscores.", code="invalid") from None


class TpaForm(EdgeForm):
    tpa_code = TpaCode(required=True)
    tpa_name = Text(max_length=200, required=True, placeholder="Display name")
    tpa_description = Text(max_length=500, placeholder="Description (optional)")
    active = Flag()


class TpaChangesForm(TpaForm):
    """An update names only what changes; a differing code is the service's to refuse (codes are permanent)."""

    tpa_code = Text(max_length=200)


class TpaParamForm(EdgeForm):
    """The TPA a request is about, as the other apps' views take it (`?tpa=` or a body's "tpa")."""

    tpa = Text(max_length=100, required=True)


def tpa_param(source: Mapping[str, Any]) -> str:
    return TpaParamForm.parse(source)["tpa"]


def tpa_filter(source: Mapping[str, Any]) -> str | None:
    """An optional `tpa` (None: every TPA)."""
    return TpaParamForm.parse(source, partial=True).get("tpa")


class ListFilterForm(EdgeForm):
    active = Flag()


class StatusForm(EdgeForm):
    active = Flag(required=True)


class ConversionsForm(EdgeForm):
    date_order = Choice(DATE_ORDERS, required=True)
    decimal_comma = Flag(required=True)
    accounting_negatives = Flag(required=True)


class DeleteForm(EdgeForm):
    confirm = Text(max_length=50, required=True)

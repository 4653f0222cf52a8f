"""Input parsing for TPA views: the same forms read the API's JSON bodies and the TPA page's form posts."""

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from medallion.forms import Choice, EdgeForm, Flag, Text
from medallion.warehouse.identifiers import InvalidIdentifier, tpa_code
from tpa.conversions import DATE_ORDERS


class TpaCode(Text):
    """A TPA code in any case, answered in capitals (the stored spelling)."""

    def __init__(self, **kwargs: Any) -> None:
        attrs = {"pattern": "[A-Za-z0-9_]{1,50}", "placeholder": "CODE"}
        super().__init__(max_length=50, widget=forms.TextInput(attrs=attrs), **kwargs)

    def clean(self, value: Any) -> str | None:
        code = super().clean(value)
        if code is None:
            return None
        try:
            return tpa_code(code.upper())
        except InvalidIdentifier:
            raise ValidationError("Use 1-50 letters, digits or underscores.", code="invalid") from None


def _placeholder(text: str) -> forms.TextInput:
    return forms.TextInput(attrs={"placeholder": text})


class TpaForm(EdgeForm):
    tpa_code = TpaCode(required=True)
    tpa_name = Text(max_length=200, required=True, widget=_placeholder("Display name"))
    tpa_description = Text(max_length=500, widget=_placeholder("Description (optional)"))
    active = Flag()


class TpaChangesForm(TpaForm):
    """An update names only what changes; a differing code is the service's to refuse (codes are permanent)."""

    tpa_code = Text(max_length=200)


class TpaParamForm(EdgeForm):
    """The TPA a request is about, as the other apps' views take it (`?tpa=` or a body's "tpa")."""

    tpa = Text(max_length=100, required=True)


def tpa_param(source: Mapping[str, Any]) -> str:
    return TpaParamForm.parse(source)["tpa"]


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

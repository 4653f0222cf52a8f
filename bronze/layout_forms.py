"""The layouts page's forms: they turn a page post into the API's JSON body, so `layouts.parse_layout` judges a
page save exactly as it judges `POST /api/bronze/layouts`, and put its 422 back on the field it names."""

from typing import Any

from django import forms

from bronze.layouts import FORMATS, MAX_FIELDS, MAX_NAME_LENGTH
from medallion.errors import ApiError


class LayoutForm(forms.Form):
    layout_name = forms.CharField(max_length=MAX_NAME_LENGTH)
    file_pattern = forms.CharField(max_length=200, required=False, help_text="Which files it applies to, e.g. *.txt")
    format = forms.ChoiceField(choices=[(name, name) for name in FORMATS])
    fields_text = forms.CharField(
        label="Fields", required=False, widget=forms.Textarea(attrs={"rows": 4, "cols": 40}),
        help_text="Fixed width: one field per line as name, start, length (start counts from 1).",
    )  # fmt: skip
    control_field = forms.CharField(label="Control record field", max_length=MAX_NAME_LENGTH, required=False)
    control_value = forms.CharField(label="marks it with value", max_length=200, required=False)
    count_field = forms.CharField(label="Record count field", max_length=MAX_NAME_LENGTH, required=False)
    paid_field = forms.CharField(label="Total paid field", max_length=MAX_NAME_LENGTH, required=False)

    # The API's field names (as `validation_error` reports them) and the inputs that hold them here.
    INPUTS = {"layout_name": "layout_name", "file_pattern": "file_pattern", "format": "format",
              "fields": "fields_text", "control": "control_field"}  # fmt: skip

    def clean_fields_text(self) -> list[dict[str, Any]]:
        lines = [line for line in self.cleaned_data["fields_text"].splitlines() if line.strip()]
        if len(lines) > MAX_FIELDS:
            raise forms.ValidationError(f"Give at most {MAX_FIELDS} fields.")
        return [_field_line(number, line) for number, line in enumerate(lines, start=1)]

    def body(self) -> dict[str, Any]:
        """The API's JSON body for `layouts.save_layout` (call after is_valid)."""
        data = self.cleaned_data
        control = None
        if data["control_field"] or data["control_value"]:
            control = {
                "field": data["control_field"],
                "value": data["control_value"],
                "count_field": data["count_field"] or None,
                "paid_field": data["paid_field"] or None,
            }
        return {
            "layout_name": data["layout_name"],
            "file_pattern": data["file_pattern"] or "*",
            "format": data["format"],
            "fields": data["fields_text"],
            "control": control,
        }

    def refused(self, error: ApiError) -> None:
        """Show the service's refusal on the input it is about."""
        for failure in error.errors or [{"field": "", "message": error.detail}]:
            self.add_error(self.INPUTS.get(failure["field"]), failure["message"])


class FieldForm(forms.Form):
    name = forms.CharField(max_length=MAX_NAME_LENGTH)
    start = forms.IntegerField(min_value=1)
    length = forms.IntegerField(min_value=1)


def _field_line(number: int, line: str) -> dict[str, Any]:
    parts = [part.strip() for part in line.split(",")]
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        raise forms.ValidationError(f"Line {number}: write name, start, length (e.g. claim_id, 1, 10).")
    return {"name": parts[0], "start": int(parts[1]), "length": int(parts[2])}

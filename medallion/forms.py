"""Validation at the edge: Django forms that read a JSON object as well as `request.POST` and fail in the contract's
error shape. One field class per kind of value, so every view strips, treats blanks and words its messages alike:
text is stripped and a blank value counts as absent; a JSON value of the wrong type is refused, never coerced."""

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.http import QueryDict

from medallion.errors import ApiError

# No parameter needs more: it is the largest integer JSON carries exactly, and well inside the warehouse's.
MAX_INTEGER = 2**53
REQUIRED = "This field is required."
BETWEEN = "Must be between %(low)s and %(high)s."
# Field failures the contract names with their own code (api.md's error catalogue); any other is validation_error.
CONTRACT_CODES = frozenset(
    {
        "invalid_file_name",
        "invalid_data_type",
        "invalid_default_value",
        "reserved_column_name",
        "target_column_not_found",
        "invalid_transformation_logic",
        "model_not_allowed",
        "invalid_schedule",
        "tpa_code_immutable",
        "confirmation_required",
    }
)


def every_failure(message: str) -> dict[str, str]:
    """`error_messages` that word every failure of a field alike (one instruction instead of several)."""
    return dict.fromkeys(("required", "invalid", "not_text", "max_length", "out_of_range", "invalid_choice"), message)


def use_one_of(names: Iterable[str]) -> dict[str, str]:
    """`error_messages` for a `Choice` whose failure reads as an instruction (the older endpoints' wording)."""
    return {"invalid_choice": f"Use one of {', '.join(names)}."}


class Text(forms.CharField):
    """A string, stripped (unless `strip=False`, for secrets); blank is absent. `max_length` is checked on the
    stripped value and rendered as maxlength."""

    default_error_messages = {
        "required": REQUIRED,
        "not_text": "Must be a string.",
        "max_length": "Must be at most %(limit_value)d characters.",
    }

    def __init__(self, *, max_length: int, required: bool = False, placeholder: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("empty_value", None)
        kwargs.setdefault("strip", True)
        super().__init__(max_length=max_length, required=required, **kwargs)
        self.validators = [MaxLengthValidator(max_length, self.error_messages["max_length"])]
        if placeholder:
            self.widget.attrs["placeholder"] = placeholder

    def to_python(self, value: Any) -> str | None:
        if value not in self.empty_values and not isinstance(value, str):
            raise ValidationError(self.error_messages["not_text"], code="invalid")
        return super().to_python(value)


class _Ranged(forms.Field):
    """A number (a JSON number or its digits as text, never a boolean) within `minimum`..`maximum`; one message for
    both ends, so the range reads the same in every view."""

    def __init__(self, *, minimum: float, maximum: float, placeholder: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(min_value=minimum, max_value=maximum, **kwargs)  # type: ignore[call-arg]
        self.minimum, self.maximum = minimum, maximum
        self.validators = [self._in_range]
        if placeholder:
            self.widget.attrs["placeholder"] = placeholder

    def to_python(self, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)

    def _in_range(self, value: float) -> None:
        if not self.minimum <= value <= self.maximum:
            low, high = (f"{end:g}" if isinstance(end, float) else str(end) for end in (self.minimum, self.maximum))
            raise ValidationError(self.error_messages["out_of_range"], "out_of_range", {"low": low, "high": high})


class Integer(_Ranged, forms.IntegerField):
    default_error_messages = {"required": REQUIRED, "invalid": "Must be an integer.", "out_of_range": BETWEEN}

    def __init__(self, *, minimum: int = -MAX_INTEGER, maximum: int = MAX_INTEGER, **kwargs: Any) -> None:
        super().__init__(minimum=minimum, maximum=maximum, **kwargs)
        self.widget.attrs.pop("step", None)


class Number(_Ranged, forms.FloatField):
    default_error_messages = {"required": REQUIRED, "invalid": "Must be a number.", "out_of_range": BETWEEN}


class _Checkbox(forms.CheckboxInput):
    """The value as sent; `Flag` reads it (Django's checkbox would read "0" or "no" as ticked)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


class Flag(forms.Field):
    """true or false: a JSON boolean, "true"/"false"/"1"/"0" in a query string, a ticked box ("on") in a page form."""

    widget = _Checkbox
    default_error_messages = {"required": REQUIRED, "invalid": "Must be true or false."}
    _WORDS = {"true": True, "1": True, "on": True, "false": False, "0": False}

    def __init__(self, *, required: bool = False, **kwargs: Any) -> None:
        super().__init__(required=required, **kwargs)

    def to_python(self, value: Any) -> bool | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in self._WORDS:
            return self._WORDS[value.lower()]
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class Choice(forms.ChoiceField):
    """One of `choices` (names, or names with what they mean), compared in capitals, the stored spelling; blank is
    absent."""

    default_error_messages = {"required": REQUIRED}

    def __init__(
        self, choices: Iterable[str] | Mapping[str, str], *, required: bool = False, blank: str = "", **kwargs: Any
    ) -> None:
        names = tuple(choices)
        labels = [(name, f"{name}: {choices[name]}" if isinstance(choices, Mapping) else name) for name in names]
        if blank:
            labels.insert(0, ("", blank))
        messages = {"invalid_choice": f"Must be one of {', '.join(names)}.", **kwargs.pop("error_messages", {})}
        super().__init__(choices=labels, required=required, error_messages=messages, **kwargs)

    def to_python(self, value: Any) -> str | None:
        if value not in self.empty_values and not isinstance(value, str):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value).strip().upper() or None


class EdgeForm(forms.Form):
    """A form for one request's input: a JSON object, a query string or a page's form post (`posted=True`, where an
    unticked box sends nothing and so means false). `partial=True` (an update) keeps only the fields the input names.
    Rendered in a page, its fields carry the same constraints (required, maxlength, min/max, choices)."""

    # Values for fields the input leaves out or blank (Django's `initial` only shows in an unbound form).
    defaults: ClassVar[Mapping[str, Any]] = {}

    def __init__(
        self, data: Mapping[str, Any] | None = None, *, partial: bool = False, posted: bool = False, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", False)
        if posted and data is not None:
            data = _unticked_as_false(data, self.base_fields)
        super().__init__(data, **kwargs)
        if partial and data is not None:
            for name in set(self.fields) - set(data):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, value in self.defaults.items():
            if name in self.fields and name not in self.errors and cleaned.get(name) is None:
                cleaned[name] = value
        return cleaned

    @classmethod
    def parse(cls, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        """The cleaned values (absent optional fields as None), or the contract's 422 for the first bad field."""
        return cls(data, **kwargs).valid()

    def valid(self) -> dict[str, Any]:
        if not self.is_valid():
            raise self.api_error()
        return self.cleaned_data

    def api_error(self) -> ApiError:
        failures = [(field, error) for field, errors in self.errors.as_data().items() for error in errors]
        errors = [{"field": field, "message": _message(error)} for field, error in failures]
        field, first = failures[0]
        code = first.code if first.code in CONTRACT_CODES else "validation_error"
        return ApiError(422, code, f"{field}: {errors[0]['message']}", errors)


def _unticked_as_false(data: Mapping[str, Any], fields: Mapping[str, forms.Field]) -> QueryDict:
    filled = QueryDict(mutable=True)
    filled.update(data)
    for name, field in fields.items():
        if isinstance(field, Flag) and name not in data:
            filled[name] = "false"
    return filled


def _message(error: ValidationError) -> str:
    return error.message % error.params if error.params else str(error.message)

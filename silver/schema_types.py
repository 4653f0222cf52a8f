"""Target column types and defaults: parsing a DATA_TYPE, checking a default against it, and the DDL of a column."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from medallion.errors import ApiError, validation_error
from medallion.warehouse.identifiers import column_name, quote, string_literal

NO_DEFAULT = "N/A"  # DEFAULT_VALUE in schema CSV files for none
MAX_DEFAULT = 500
MAX_VARCHAR = 16_777_216

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

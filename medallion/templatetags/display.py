"""One readable format for dates, numbers, rule parameters and raw records on every page (built in: no `load`)."""

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django import template

from medallion.http import encode_value

register = template.Library()


@register.filter
def when(value: Any) -> str:
    """`2026-12-03 09:03` for a timestamp, `2026-12-03` for a date, "" for nothing."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


@register.filter
def number(value: Any, decimals: int | None = None) -> str:
    """Thousands separators; integers stay whole, other numbers get `decimals` (default 1) places."""
    if value is None or value == "" or isinstance(value, bool):
        return "" if value in (None, "") else str(value)
    try:
        numeric = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    if decimals is None and numeric == numeric.to_integral_value():
        return f"{int(numeric):,}"
    return f"{numeric:,.{1 if decimals is None else int(decimals)}f}"


def _decoded(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_text(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key} {_text(item)}" for key, item in value.items())
    return str(value)


@register.filter
def parameters(value: Any) -> str:
    """Rule parameters as text: `min 0; max 100`, `values PAID, DENIED`."""
    value = _decoded(value)
    if isinstance(value, str):
        return value
    return "" if value in (None, {}, []) else _text(value)


@register.filter
def one_line(value: Any) -> str:
    """A record as compact one-line JSON (the page shows it collapsed, expandable)."""
    value = _decoded(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, default=encode_value, ensure_ascii=False, separators=(", ", ": "))


@register.filter
def pretty(value: Any) -> str:
    """A record as indented JSON for the expanded view."""
    value = _decoded(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, default=encode_value, ensure_ascii=False, indent=2)

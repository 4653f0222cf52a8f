"""Tenant scope: the TPAs the current request may see. The view decorators resolve it once per request; services
filter by it, so a scoped user never sees another TPA's code, rows or counts, and another TPA's resources answer
404. `None` means unscoped (every TPA), the behaviour of unscoped users, the worker and management commands."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from medallion.roles import rank
from medallion.warehouse.identifiers import InvalidIdentifier, tpa_code
from medallion.warehouse.sql import Sql

_allowed: ContextVar[frozenset[str] | None] = ContextVar("medallion_tpa_scope", default=None)


def allowed_tpas() -> frozenset[str] | None:
    return _allowed.get()


@contextmanager
def tpa_scope(codes: Iterable[str] | None) -> Iterator[None]:
    reset = _allowed.set(None if codes is None else frozenset(code.upper() for code in codes))
    try:
        yield
    finally:
        _allowed.reset(reset)


def scope_from_codes(codes: Iterable[str]) -> frozenset[str] | None:
    """A user's scope from their scope rows: `None` (every TPA) when they have none."""
    return frozenset(codes) or None


def in_scope(code: object) -> bool:
    allowed = _allowed.get()
    return allowed is None or (isinstance(code, str) and code.upper() in allowed)


def visible(rows: Iterable[dict[str, Any]], column: str) -> list[dict[str, Any]]:
    return [row for row in rows if in_scope(row.get(column))]


def tpa_condition(column: str, tpa: str | None) -> tuple[str, list[str]]:
    """SQL condition and parameters for an optional TPA filter: "this TPA" (matching nothing outside the scope,
    exactly like an unknown code) or, without one, "every TPA the request may see" ("" for all). `column` is a
    trusted column reference written by the caller."""
    if tpa:
        return (f"{column} = ?", [tpa.upper()]) if in_scope(tpa) else ("1 = 0", [])
    allowed = _allowed.get()
    if allowed is None:
        return "", []
    if not allowed:
        return "1 = 0", []
    return f"{column} IN ({', '.join('?' for _ in allowed)})", sorted(allowed)


def tpa_filter(value: str | None) -> Sql:
    """The condition on a TPA column for an optional TPA filter within the request's TPA scope (empty for every
    TPA); an unknown, malformed or out-of-scope code matches nothing."""
    try:
        return Sql(*tpa_condition("TPA", tpa_code(value) if value else None))
    except InvalidIdentifier:
        return Sql("1 = 0")


def effective_role(role: str | None, *, read_only: bool, scoped: bool) -> str | None:
    """Read-only tokens act as viewers; scoped users and tokens act at most as operators, since admin actions
    (TPAs, tasks, logs, clearing data) span every TPA."""
    cap = "viewer" if read_only else "operator" if scoped else None
    if cap is None or role is None or rank(role) <= rank(cap):
        return role
    return cap

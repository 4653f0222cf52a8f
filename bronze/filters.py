"""The WHERE clauses shared by the queue and the raw-record reads: conditions joined with AND, an IN list, and an
optional TPA filter within the request's TPA scope."""

from collections.abc import Sequence
from typing import Any

from medallion.scope import tpa_condition
from medallion.warehouse.identifiers import InvalidIdentifier, tpa_code


def where_clause(conditions: Sequence[tuple[str, Sequence[Any]]]) -> tuple[str, list[Any]]:
    clauses = [clause for clause, _ in conditions]
    params = [value for _, values in conditions for value in values]
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def in_list(column: str, values: Sequence[Any]) -> tuple[str, Sequence[Any]]:
    return f"{column} IN ({', '.join('?' for _ in values)})", values


def tpa_filter(value: str | None) -> list[tuple[str, Sequence[Any]]]:
    """An optional TPA filter within the request's TPA scope; an unknown, malformed or out-of-scope code matches
    nothing."""
    try:
        clause, params = tpa_condition("TPA", tpa_code(value) if value else None)
    except InvalidIdentifier:
        return [("1 = 0", ())]
    return [(clause, params)] if clause else []

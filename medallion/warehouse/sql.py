"""Composable SQL: an immutable fragment of statement text and the values bound to its `?` marks, in order.
Values go in only as parameters; identifiers are validated and quoted by `identifiers` before they reach the
text; LIMIT and OFFSET are inline integers from `identifiers.limit` (Snowflake binds no row count). The door's
fetch and execute methods take a fragment in place of text and parameters."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .backends.base import Params


@dataclass(frozen=True)
class Sql:
    text: str = ""
    params: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", tuple(self.params))

    def __add__(self, other: "Sql | str") -> "Sql":
        other = fragment(other)
        return Sql(self.text + other.text, self.params + other.params)

    def __radd__(self, other: str) -> "Sql":
        return fragment(other) + self


Query = Sql | str


def fragment(part: Query) -> Sql:
    return part if isinstance(part, Sql) else Sql(part)


def join(separator: str, parts: Iterable[Query]) -> Sql:
    """Like `str.join`: the parts with `separator` between them, their parameters in order."""
    fragments = [fragment(part) for part in parts]
    return Sql(separator.join(part.text for part in fragments), tuple(v for part in fragments for v in part.params))


def where(conditions: Iterable[Query]) -> Sql:
    """`WHERE` and the non-empty conditions joined with AND; nothing without one."""
    present = [condition for condition in map(fragment, conditions) if condition.text]
    return "WHERE " + join(" AND ", present) if present else Sql()


def in_(column: str, values: Sequence[Any]) -> Sql:
    """`column IN (?, ...)` with the values bound; `column` is a trusted reference written by the caller. No values
    match nothing (an empty IN list is not SQL)."""
    if not values:
        return Sql("1 = 0")
    return Sql(f"{column} IN ({', '.join('?' for _ in values)})", tuple(values))


def statement(query: Query, params: Params) -> tuple[str, Params]:
    """Text and parameters for the backend: a fragment carries its own, plain text comes with them."""
    if isinstance(query, Sql):
        if params is not None:
            raise TypeError("A Sql fragment carries its own parameters")
        return query.text, query.params
    return query, params

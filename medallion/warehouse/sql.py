"""Composable SQL: an immutable fragment of statement text and the values bound to its `?` marks, in order.
Values go in only as parameters; identifiers are validated and quoted by `identifiers` before they reach the
text; LIMIT and OFFSET are inline integers from `identifiers.limit` (Snowflake binds no row count). The door's
fetch and execute methods take a fragment in place of text and parameters."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .backends.base import Params
from .identifiers import quote


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


def bound(value: Any) -> Sql:
    """A value as a bound parameter; a fragment (an expression such as `PARSE_JSON(?)`) as it is."""
    return value if isinstance(value, Sql) else Sql("?", (value,))


def insert_into(table: str, row: Mapping[str, Any]) -> Sql:
    """The INSERT of one row: column -> value, or a fragment such as `PARSE_JSON(?)` (Snowflake takes no function
    call in VALUES, hence INSERT ... SELECT)."""
    columns = ", ".join(quote(column) for column in row)
    return f"INSERT INTO {quote(*table.split('.'))} ({columns}) SELECT " + join(", ", map(bound, row.values()))


def inserted_id(table: str, row: Mapping[str, Any], id_column: str) -> Sql:
    """The IDENTITY id of a row just inserted, read on the inserting transaction: Snowflake returns no generated
    id (no RETURNING), so it is the largest id among the rows with the same text and whole-number values."""
    same = [
        Sql(f"{quote(column)} IS NULL") if value is None else Sql(f"{quote(column)} = ?", (value,))
        for column, value in row.items()
        if value is None or (isinstance(value, str | int) and not isinstance(value, bool))
    ]
    return f"SELECT MAX({quote(id_column)}) FROM {quote(*table.split('.'))} " + where(same)


def statement(query: Query, params: Params) -> tuple[str, Params]:
    """Text and parameters for the backend: a fragment carries its own, plain text comes with them."""
    if isinstance(query, Sql):
        if params is not None:
            raise TypeError("A Sql fragment carries its own parameters")
        return query.text, query.params
    return query, params

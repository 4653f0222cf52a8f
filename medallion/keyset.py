"""Pages of millions of rows without OFFSET scans: keyset reads over one unique integer key, and a page index for
jumps to any page.

An OFFSET makes the warehouse sort and skip every row before the page (seconds at 2,000,000 rows of VARIANT
data). Here a page is read as a key range:
`key <= first key of the page AND key > first key of the next page`, which the warehouse answers from the few
row groups (DuckDB zone maps) or micro-partitions (Snowflake pruning) whose key range overlaps. The first keys of
every block of `BLOCK_ROWS` rows come from one narrow scan of the key column (`page_index`), which also counts
the rows; callers cache it with their other reads, in a namespace their writes invalidate. The first page needs
no index.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from medallion.paging import PAGE_SIZES
from medallion.warehouse import identifiers, warehouse
from medallion.warehouse.backends.base import Row
from medallion.warehouse.identifiers import quote

BLOCK_ROWS = PAGE_SIZES[0]
"""Every page size of the shared pager is a multiple of this, so one index serves every page size."""


@dataclass(frozen=True)
class Keyed:
    """One listing: `SELECT columns FROM source WHERE conditions ORDER BY key`, `key` a unique integer column."""

    columns: str
    source: str
    key: str
    conditions: tuple[str, ...] = ()
    params: tuple[Any, ...] = ()
    descending: bool = True

    def sql(self, columns: str, extra: Sequence[str] = (), tail: str = "") -> str:
        conditions = [*self.conditions, *extra]
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        return f"SELECT {columns} FROM {self.source}{where} {tail}".rstrip()

    @property
    def order(self) -> str:
        return f"ORDER BY {quote(self.key)} {'DESC' if self.descending else 'ASC'}"

    def compared(self, listed: str) -> str:
        """The condition on a bound key for rows listed "from" it (itself included) or "before" it."""
        later, earlier = ("<=", ">") if self.descending else (">=", "<")
        return f"{quote(self.key)} {later if listed == 'from' else earlier} ?"


@dataclass(frozen=True)
class PageIndex:
    """The row count and the key of the first row of every block of BLOCK_ROWS rows, in listing order."""

    total: int
    starts: list[int]


async def page_index(listing: Keyed) -> PageIndex:
    numbered = listing.sql(
        f"{quote(listing.key)} AS K, ROW_NUMBER() OVER ({listing.order}) AS N, COUNT(*) OVER () AS T"
    )
    rows = await warehouse().fetch_all(
        f"SELECT K, T FROM ({numbered}) AS numbered WHERE MOD(N - 1, {BLOCK_ROWS}) = 0 ORDER BY N", listing.params
    )
    return PageIndex(int(rows[0]["T"]) if rows else 0, [int(row["K"]) for row in rows])


async def count(listing: Keyed) -> int:
    return int(await warehouse().fetch_value(listing.sql("COUNT(*) AS N"), listing.params) or 0)


async def first_rows(listing: Keyed, limit: int) -> list[Row]:
    """The first page: the warehouse keeps only the top `limit` keys, no index needed."""
    return await warehouse().fetch_all(
        listing.sql(listing.columns, tail=f"{listing.order} {identifiers.limit(limit)}"), listing.params
    )


async def rows_at(listing: Keyed, index: PageIndex, limit: int, offset: int) -> list[Row]:
    """`limit` rows from row `offset` on, read as one key range of at most `limit + BLOCK_ROWS` rows."""
    block, skip = divmod(offset, BLOCK_ROWS)
    if block >= len(index.starts):
        return []
    bounds, params = [listing.compared("from")], [index.starts[block]]
    end = -(-(offset + limit) // BLOCK_ROWS)
    if end < len(index.starts):
        bounds.append(listing.compared("before"))
        params.append(index.starts[end])
    sql = listing.sql(listing.columns, bounds, f"{listing.order} {identifiers.limit(limit, skip)}")
    return await warehouse().fetch_all(sql, (*listing.params, *params))

"""Silver data viewer: paged, sorted, filtered and searched reads of a physical table, and streamed CSV."""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from medallion import keyset
from medallion.caching import cached
from medallion.csv_export import csv_chunks
from medallion.errors import validation_error
from medallion.keyset import Keyed
from medallion.warehouse import identifiers, warehouse
from medallion.warehouse.identifiers import InvalidIdentifier, column_name, quote
from silver.transform_catalog import Column, PhysicalTable, physical_table, table_columns

EXPORT_BATCH_ROWS = 1000
RECORD_KEY = "_RECORD_ID"  # one Silver row per Bronze record: unique, and increasing with load order


@dataclass(frozen=True)
class Browse:
    sort: str | None = None
    descending: bool = False
    filter_column: str | None = None
    filter_value: str | None = None
    search: str | None = None


@dataclass(frozen=True)
class Selection:
    table: PhysicalTable
    columns: list[Column]
    conditions: tuple[str, ...]
    params: tuple[Any, ...]
    order: str | None
    """The asked sort; None for the default, newest record first, which pages by key (`medallion.keyset`)."""

    @property
    def listing(self) -> Keyed:
        listed = ", ".join(quote(column.name) for column in self.columns)
        return Keyed(listed, self.table.sql, RECORD_KEY, self.conditions, self.params)

    @property
    def sql(self) -> str:
        listing = self.listing
        return listing.sql(listing.columns, tail=self.order or listing.order)


async def page(tpa: object, table: object, browse: Browse, limit: int, offset: int) -> dict[str, Any]:
    """The Silver data envelope: rows keyed in table column order, newest record first unless another sort is
    asked."""
    selection = await select(tpa, table, browse)
    if selection.order is not None:
        total, rows = await _sorted_page(selection, limit, offset)
    elif offset == 0:
        total = await _count(*_cache_key(selection, browse))
        rows = await keyset.first_rows(selection.listing, limit)
    else:
        index = await _page_index(*_cache_key(selection, browse))
        total, rows = index.total, await keyset.rows_at(selection.listing, index, limit, offset)
    return {
        "data": rows,
        "total_count": total,
        "limit": limit,
        "offset": offset,
        "table_name": selection.table.name,
        "columns": [column.name for column in selection.columns],
    }


async def _sorted_page(selection: Selection, limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    """A page in another column's order: an OFFSET read (an index per sort column is not kept)."""
    wh = warehouse()
    total = await wh.fetch_value(f"SELECT COUNT(*) AS N FROM ({selection.sql}) AS counted", selection.params)
    return int(total or 0), await wh.fetch_all(f"{selection.sql} {identifiers.limit(limit, offset)}", selection.params)


def _cache_key(selection: Selection, browse: Browse) -> tuple[str, str, str | None, str | None, str | None]:
    return selection.table.tpa, selection.table.schema_table, browse.filter_column, browse.filter_value, browse.search


# Cached with the table list: every write to a Silver table (transform, create, delete, clear-all) invalidates it.
@cached("silver_tables", ttl=60)
async def _count(tpa: str, table: str, filter_column: str | None, filter_value: str | None, search: str | None) -> int:
    browse = Browse(filter_column=filter_column, filter_value=filter_value, search=search)
    return await keyset.count((await select(tpa, table, browse)).listing)


@cached("silver_tables", ttl=60)
async def _page_index(
    tpa: str, table: str, filter_column: str | None, filter_value: str | None, search: str | None
) -> keyset.PageIndex:
    browse = Browse(filter_column=filter_column, filter_value=filter_value, search=search)
    return await keyset.page_index((await select(tpa, table, browse)).listing)


async def select(tpa: object, table: object, browse: Browse) -> Selection:
    physical = await physical_table(tpa, table)
    columns = await table_columns(physical)
    names = {column.name for column in columns}
    conditions, params = [], []
    if browse.filter_column:
        conditions.append(f"CAST({_known(browse.filter_column, names, 'filter_column')} AS VARCHAR) = ?")
        params.append(browse.filter_value or "")
    searchable = [column for column in columns if column.is_text]
    if browse.search and searchable:
        conditions.append("(" + " OR ".join(f"POSITION(? IN LOWER({quote(c.name)})) > 0" for c in searchable) + ")")
        params += [browse.search.lower()] * len(searchable)
    order = None
    if browse.sort:
        direction = "DESC" if browse.descending else "ASC"
        order = f"ORDER BY {_known(browse.sort, names, 'sort')} {direction} NULLS LAST, {quote(RECORD_KEY)}"
    return Selection(physical, columns, tuple(conditions), tuple(params), order)


async def export(tpa: object, table: object, browse: Browse) -> tuple[str, AsyncIterator[str]]:
    """The selection as CSV. Unsorted unless a sort is asked: an ORDER BY makes the warehouse sort the whole
    table before the first row (hundreds of MB at millions of rows), a plain scan streams from the first batch."""
    selection = await select(tpa, table, browse)
    listing = selection.listing
    sql = selection.sql if selection.order is not None else listing.sql(listing.columns)
    return f"{selection.table.name}.csv", csv_stream([c.name for c in selection.columns], sql, selection.params)


def csv_stream(header: Sequence[str], sql: str, params: Sequence[Any]) -> AsyncIterator[str]:
    """CSV text in chunks of one warehouse batch each: memory stays constant whatever the table size."""
    return csv_chunks(warehouse().stream(sql, list(params), batch_size=EXPORT_BATCH_ROWS), header)


def _known(value: str, names: set[str], field: str) -> str:
    try:
        name = column_name(value) if not value.startswith("_") else value.upper()
    except InvalidIdentifier:
        raise validation_error(field, "Unknown column.") from None
    if name not in names:
        raise validation_error(field, "Unknown column.")
    return quote(name)

"""Silver data viewer: paged, sorted, filtered and searched reads of a physical table, and streamed CSV."""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from medallion.csv_export import csv_chunks
from medallion.errors import validation_error
from medallion.warehouse import identifiers, warehouse
from medallion.warehouse.identifiers import InvalidIdentifier, column_name, quote
from silver.transform_catalog import Column, PhysicalTable, physical_table, table_columns

EXPORT_BATCH_ROWS = 1000


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
    sql: str
    params: list[Any]


async def page(tpa: object, table: object, browse: Browse, limit: int, offset: int) -> dict[str, Any]:
    """The Silver data envelope: rows keyed in table column order, newest load first unless another sort is asked."""
    selection = await select(tpa, table, browse)
    wh = warehouse()
    total = await wh.fetch_value(f"SELECT COUNT(*) AS N FROM ({selection.sql}) AS counted", selection.params)
    rows = await wh.fetch_all(f"{selection.sql} {identifiers.limit(limit, offset)}", selection.params)
    return {
        "data": rows,
        "total_count": int(total or 0),
        "limit": limit,
        "offset": offset,
        "table_name": selection.table.name,
        "columns": [column.name for column in selection.columns],
    }


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
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    if browse.sort:
        direction = "DESC" if browse.descending else "ASC"
        order = f'{_known(browse.sort, names, "sort")} {direction} NULLS LAST, "_RECORD_ID"'
    else:
        order = '"_LOAD_TIMESTAMP" DESC, "_RECORD_ID"'
    listed = ", ".join(quote(column.name) for column in columns)
    return Selection(physical, columns, f"SELECT {listed} FROM {physical.sql}{where} ORDER BY {order}", params)


async def export(tpa: object, table: object, browse: Browse) -> tuple[str, AsyncIterator[str]]:
    selection = await select(tpa, table, browse)
    return f"{selection.table.name}.csv", csv_stream(
        [c.name for c in selection.columns], selection.sql, selection.params
    )


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

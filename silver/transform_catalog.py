"""Look-ups the transform, rules, quality and viewer modules share: the physical table of a (TPA, schema
table), its schema columns, its approved mappings and the columns the physical table really has."""

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from medallion.warehouse import identifiers, warehouse
from medallion.warehouse.identifiers import InvalidIdentifier, quote, table_name
from silver import mappings, schema_types, schemas, tables

METADATA_COLUMNS = tuple(name for name, _type in tables.METADATA_COLUMNS)
_SQL_TYPE = re.compile(r"^[A-Z_]+(\(\s*\d+\s*(,\s*\d+\s*)?\))?$")
_TEXT_TYPES = ("VARCHAR", "CHAR", "STRING", "TEXT")


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    nullable: bool = True
    default_value: str | None = None

    @property
    def is_text(self) -> bool:
        return self.data_type.startswith(_TEXT_TYPES)


@dataclass(frozen=True)
class PhysicalTable:
    tpa: str
    schema_table: str
    name: str
    watermark: int

    @property
    def sql(self) -> str:
        return quote("SILVER", self.name)


def sql_type(data_type: str) -> str:
    """A stored DATA_TYPE checked again before it is written into a statement."""
    candidate = data_type.strip().upper()
    if not _SQL_TYPE.fullmatch(candidate):
        raise InvalidIdentifier(f"Data type {data_type[:40]!r} is not valid")
    return candidate


def schema_table(value: object) -> str:
    return schemas.schema_table_or_404(value)


async def schema_columns(table: str) -> list[Column]:
    return [
        Column(r["COLUMN_NAME"], sql_type(r["DATA_TYPE"]), bool(r["NULLABLE"]), r["DEFAULT_VALUE"])
        for r in await schemas.schema_columns(table)
    ]


async def physical_table(tpa: object, table: object) -> PhysicalTable:
    """The registered physical table for (TPA, schema table); 404 tpa_not_found / table_not_found."""
    row = await tables.physical_table(tpa, table)
    return PhysicalTable(
        row["TPA"], row["SCHEMA_TABLE"], table_name(row["TABLE_NAME"]), row["WATERMARK_RECORD_ID"] or 0
    )


async def tables_of(tpa: str) -> list[PhysicalTable]:
    rows = await warehouse().fetch_all(
        "SELECT TABLE_NAME, SCHEMA_TABLE, WATERMARK_RECORD_ID FROM SILVER.CREATED_TABLES WHERE TPA = ? "
        "ORDER BY TABLE_NAME",
        (tpa,),
    )
    return [PhysicalTable(tpa, r["SCHEMA_TABLE"], r["TABLE_NAME"], r["WATERMARK_RECORD_ID"] or 0) for r in rows]


async def table_columns(table: PhysicalTable) -> list[Column]:
    """The physical table's columns in table order (the warehouse's own catalogue)."""
    rows = await warehouse().fetch_all(
        "SELECT COLUMN_NAME, DATA_TYPE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'SILVER' "
        "AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
        (table.name,),
    )
    return [Column(r["COLUMN_NAME"], r["DATA_TYPE"].upper()) for r in rows]


async def approved_mappings(tpa: str, table: str) -> list[dict[str, Any]]:
    return await mappings.approved_mappings(tpa, table)


async def column_drift() -> list[str]:
    """How each registered physical table's columns differ from its schema definition: a declared column that is
    missing, a column that is not declared (metadata columns aside), a column of another type family."""
    registered, physical, declared = await asyncio.gather(
        warehouse().fetch_all("SELECT TABLE_NAME, SCHEMA_TABLE FROM SILVER.CREATED_TABLES ORDER BY TABLE_NAME"),
        warehouse().fetch_all(
            "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'SILVER'"
        ),
        schemas.list_schema_columns(),
    )
    found: dict[str, dict[str, str]] = {}
    for row in physical:
        found.setdefault(row["TABLE_NAME"], {})[row["COLUMN_NAME"].upper()] = row["DATA_TYPE"]
    wanted: dict[str, dict[str, str]] = {}
    for row in declared:
        wanted.setdefault(row["TABLE_NAME"], {})[row["COLUMN_NAME"]] = row["DATA_TYPE"]
    drift = []
    for table in registered:
        name, has = table["TABLE_NAME"], found.get(table["TABLE_NAME"])
        if has is None:
            continue  # a missing table is reported as missing, not as drift
        declared_columns = wanted.get(table["SCHEMA_TABLE"], {})
        drift += [f"{name}.{column} is missing" for column in declared_columns if column not in has]
        drift += [
            f"{name}.{column} is not in the definition" for column in has
            if column not in declared_columns and column not in METADATA_COLUMNS
        ]  # fmt: skip
        drift += [
            f"{name}.{column} is {has[column]}, the definition says {data_type}"
            for column, data_type in declared_columns.items()
            if column in has and schema_types.type_family(has[column]) != schema_types.type_family(data_type)
        ]
    return drift


async def counted_page(
    table: str, columns: str, where: str, params: list[Any], order: str, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """(rows matching `where` in `table`, one page of them in `order`) for the record lists of a Silver table."""
    wh = warehouse()
    total = await wh.fetch_value(f"SELECT COUNT(*) AS N FROM {table} WHERE {where}", params)
    rows = await wh.fetch_all(
        f"SELECT {columns} FROM {table} WHERE {where} ORDER BY {order} {identifiers.limit(limit, offset)}", params
    )
    return int(total or 0), rows

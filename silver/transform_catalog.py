"""Look-ups the transform, rules, quality and viewer modules share: the physical table of a (TPA, schema
table), its schema columns, its approved mappings and the columns the physical table really has."""

import re
from dataclasses import dataclass
from typing import Any

from medallion.warehouse import warehouse
from medallion.warehouse.identifiers import InvalidIdentifier, quote, table_name
from silver import mappings, schemas, tables

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

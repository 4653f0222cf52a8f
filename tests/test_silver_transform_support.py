"""Shared fixtures for the Silver transform, quality and viewer tests (no tests in here)."""

import json
import uuid
from dataclasses import dataclass
from typing import Any

from medallion.caching import invalidate
from medallion.warehouse import warehouse
from medallion.warehouse.identifiers import quote
from silver import tables

COLUMNS = (
    {"column_name": "CLAIM_ID", "data_type": "VARCHAR(20)", "nullable": False, "default_value": "'NONE'"},
    {"column_name": "PAID_AMOUNT", "data_type": "NUMBER(18,2)"},
    {"column_name": "SERVICE_DATE", "data_type": "DATE"},
    {"column_name": "STATUS", "data_type": "VARCHAR(20)", "nullable": False, "default_value": "'UNKNOWN'"},
    {"column_name": "UNITS", "data_type": "INTEGER"},
)
SOURCES = {
    "CLAIM_ID": ("Claim ID", None),
    "PAID_AMOUNT": ("Paid $", None),
    "SERVICE_DATE": ("Service Date", None),
    "STATUS": ("status", "UPPER(TRIM(src))"),
    "UNITS": ('it\'s "units"', None),
}


def record(claim: str, paid: str = "10.50", date: str = "2024-01-15", status: str = " paid ", units: str = "1") -> dict:
    return {"Claim ID": claim, "Paid $": paid, "Service Date": date, "status": status, 'it\'s "units"': units}


@dataclass
class SilverFixture:
    tpa: str
    schema_table: str

    @property
    def physical(self) -> str:
        return f"{self.tpa}_{self.schema_table}"

    @property
    def sql(self) -> str:
        return quote("SILVER", self.physical)

    async def load(self, *records: dict[str, Any], file_name: str = "claims.csv") -> None:
        await load_bronze(self.tpa, list(records), file_name)

    async def rows(self) -> list[dict[str, Any]]:
        return await warehouse().fetch_all(f'SELECT * FROM {self.sql} ORDER BY "_RECORD_ID"')

    async def quarantined(self) -> list[dict[str, Any]]:
        return await warehouse().fetch_all(
            "SELECT RECORD_ID, RULE_NAME, TARGET_COLUMN, REASON, STATUS, RAW_DATA FROM SILVER.QUARANTINE "
            "WHERE TPA = ? AND SCHEMA_TABLE = ? ORDER BY RECORD_ID, STATUS",
            (self.tpa, self.schema_table),
        )


async def load_bronze(tpa: str, records: list[dict[str, Any]], file_name: str = "claims.csv") -> None:
    await warehouse().execute(
        "INSERT INTO BRONZE.RAW_DATA_TABLE (TPA, FILE_NAME, FILE_ROW_NUMBER, RAW_DATA, FILE_TYPE, LOADED_BY) "
        "SELECT ?, ?, f.INDEX + 1, f.VALUE, 'CSV', 'tests' FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) AS f",
        (tpa, file_name, json.dumps(records)),
    )


async def build_table(
    tpa: str, *, columns: tuple[dict[str, Any], ...] = COLUMNS, sources: dict = SOURCES
) -> SilverFixture:
    """Schema rows and approved mappings by direct SQL (explicit ids), the physical table by the definitions service."""
    schema_table = f"C{uuid.uuid4().hex[:8].upper()}"
    base = uuid.uuid4().int % 10**9
    await warehouse().execute_many(
        "INSERT INTO SILVER.TARGET_SCHEMAS (SCHEMA_ID, TABLE_NAME, COLUMN_NAME, DATA_TYPE, NULLABLE, DEFAULT_VALUE) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (base + i, schema_table, c["column_name"], c["data_type"], c.get("nullable", True), c.get("default_value"))
            for i, c in enumerate(columns)
        ],
    )
    await invalidate("silver_schemas")
    await tables.create_table(tpa, schema_table, user="tests")
    fixture = SilverFixture(tpa, schema_table)
    await fixture.load(record("SEED"))
    await warehouse().execute_many(
        "INSERT INTO SILVER.FIELD_MAPPINGS (MAPPING_ID, TPA, SOURCE_FIELD, TARGET_TABLE, TARGET_COLUMN, "
        "MAPPING_METHOD, TRANSFORMATION_LOGIC, TRANSFORM_EXPRESSION, APPROVED) "
        "VALUES (?, ?, ?, ?, ?, 'MANUAL', ?, ?, TRUE)",
        [
            (base + i, tpa, source, schema_table, target, expression, expression)
            for i, (target, (source, expression)) in enumerate(sources.items())
        ],
    )
    return fixture

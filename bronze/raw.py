"""Raw records: the loaded rows of every file, their counts and statistics, and the source fields they carry."""

import json
from collections.abc import Sequence
from typing import Any

from django.conf import settings

from bronze.filters import tpa_filter, where_clause
from medallion.caching import cached
from medallion.warehouse import identifiers, warehouse
from tpa.services import get_tpa

RAW = "BRONZE.RAW_DATA_TABLE"
RAW_COLUMNS = "RECORD_ID, FILE_NAME, SHEET_NAME, FILE_ROW_NUMBER, TPA, RAW_DATA, FILE_TYPE, LOAD_TIMESTAMP, LOADED_BY"
RAW_NAMESPACE = "bronze_raw"
MAX_SOURCE_FIELDS = 1000
FIELD_PROFILE_RECORDS = 10000
FIELD_SAMPLE_VALUES = 5


def _raw_conditions(tpa: str | None, file_name: str | None, search: str | None) -> list[tuple[str, Sequence[Any]]]:
    conditions = tpa_filter(tpa)
    if file_name:
        conditions.append(("POSITION(LOWER(?) IN LOWER(FILE_NAME)) > 0", (file_name.rsplit("/", 1)[-1],)))
    if search:
        conditions.append(("POSITION(LOWER(?) IN LOWER(TO_JSON(RAW_DATA))) > 0", (search,)))
    return conditions


@cached(RAW_NAMESPACE, ttl=60)
async def raw_records(
    tpa: str | None = None,
    file_name: str | None = None,
    search: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    where, params = where_clause(_raw_conditions(tpa, file_name, search))
    rows = await warehouse().fetch_all(
        f"SELECT {RAW_COLUMNS} FROM {RAW} {where} "
        f"ORDER BY LOAD_TIMESTAMP DESC, FILE_NAME, FILE_ROW_NUMBER, RECORD_ID {identifiers.limit(limit, offset)}",
        params,
    )
    for row in rows:
        row["RAW_DATA"] = json.loads(row["RAW_DATA"]) if isinstance(row["RAW_DATA"], str) else row["RAW_DATA"]
    return rows


@cached(RAW_NAMESPACE, ttl=60)
async def raw_count(tpa: str | None = None, file_name: str | None = None, search: str | None = None) -> int:
    where, params = where_clause(_raw_conditions(tpa, file_name, search))
    return int(await warehouse().fetch_value(f"SELECT COUNT(*) AS N FROM {RAW} {where}", params) or 0)


@cached(RAW_NAMESPACE, ttl=60)
async def raw_stats(tpa: str | None = None) -> dict[str, Any]:
    where, params = where_clause(tpa_filter(tpa))
    row = await warehouse().fetch_one(
        "SELECT COUNT(*) AS TOTAL_ROWS, COUNT(DISTINCT TPA || '/' || FILE_NAME) AS TOTAL_FILES, "
        "COUNT(DISTINCT TPA) AS TOTAL_TPAS, MIN(LOAD_TIMESTAMP) AS EARLIEST_LOAD, "
        f"MAX(LOAD_TIMESTAMP) AS LATEST_LOAD FROM {RAW} {where}",
        params,
    )
    row = row or {}
    return {
        "total_rows": int(row.get("TOTAL_ROWS") or 0),
        "total_files": int(row.get("TOTAL_FILES") or 0),
        "total_tpas": int(row.get("TOTAL_TPAS") or 0),
        "earliest_load": row.get("EARLIEST_LOAD"),
        "latest_load": row.get("LATEST_LOAD"),
    }


@cached(RAW_NAMESPACE, ttl=120)
async def source_fields(tpa: str) -> list[str]:
    """Distinct top-level keys; every record of one file and sheet has the same keys, so one record each suffices."""
    code = (await get_tpa(tpa))["TPA_CODE"]
    rows = await warehouse().fetch_all(
        "SELECT DISTINCT f.KEY AS FIELD FROM (SELECT RAW_DATA FROM BRONZE.RAW_DATA_TABLE WHERE TPA = ? "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY QUEUE_ID, FILE_NAME, SHEET_NAME ORDER BY RECORD_ID) = 1) r, "
        f"LATERAL FLATTEN(input => r.RAW_DATA) f ORDER BY FIELD {identifiers.limit(MAX_SOURCE_FIELDS)}",
        (code,),
        timeout=settings.WAREHOUSE_LONG_STATEMENT_TIMEOUT,
    )
    return [row["FIELD"] for row in rows]


@cached(RAW_NAMESPACE, ttl=120)
async def field_profile(tpa: str) -> list[dict[str, Any]]:
    """Per source field: how many of the latest records fill it, and a few distinct sample values."""
    code = (await get_tpa(tpa))["TPA_CODE"]
    rows = await warehouse().fetch_all(
        "SELECT f.KEY AS FIELD, COUNT(*) AS RECORDS, COUNT(f.VALUE::STRING) AS FILLED, "
        "ARRAY_AGG(DISTINCT f.VALUE::STRING) AS SAMPLES FROM (SELECT RAW_DATA FROM BRONZE.RAW_DATA_TABLE "
        f"WHERE TPA = ? ORDER BY RECORD_ID DESC {identifiers.limit(FIELD_PROFILE_RECORDS)}) r, "
        "LATERAL FLATTEN(input => r.RAW_DATA) f GROUP BY f.KEY ORDER BY f.KEY",
        (code,),
        timeout=settings.WAREHOUSE_LONG_STATEMENT_TIMEOUT,
    )
    for row in rows:
        samples = json.loads(row["SAMPLES"]) if isinstance(row["SAMPLES"], str) else row["SAMPLES"] or []
        row["SAMPLES"] = [value for value in samples if value is not None][:FIELD_SAMPLE_VALUES]
    return rows

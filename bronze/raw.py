"""Raw records: the loaded rows of every file, their counts and statistics, and the source fields they carry."""

import json
from typing import Any

from django.conf import settings

from medallion import keyset
from medallion.caching import cached
from medallion.keyset import Keyed
from medallion.scope import tpa_filter
from medallion.warehouse import identifiers, warehouse
from medallion.warehouse.sql import Sql, where
from tpa.services import get_tpa

RAW = "BRONZE.RAW_DATA_TABLE"
RAW_COLUMNS = "RECORD_ID, FILE_NAME, SHEET_NAME, FILE_ROW_NUMBER, TPA, RAW_DATA, FILE_TYPE, LOAD_TIMESTAMP, LOADED_BY"
RAW_NAMESPACE = "bronze_raw"
MAX_SOURCE_FIELDS = 1000
FIELD_PROFILE_RECORDS = 10000
FIELD_SAMPLE_VALUES = 5


def _raw_conditions(tpa: str | None, file_name: str | None, search: str | None) -> list[Sql]:
    conditions = [tpa_filter(tpa)]
    if file_name:
        conditions.append(Sql("POSITION(LOWER(?) IN LOWER(FILE_NAME)) > 0", (file_name.rsplit("/", 1)[-1],)))
    if search:
        # The key fields (bronze.search_keys); records loaded before SEARCH_KEYS existed by their JSON text.
        conditions.append(Sql("POSITION(LOWER(?) IN COALESCE(SEARCH_KEYS, LOWER(TO_JSON(RAW_DATA)))) > 0", (search,)))
    return [condition for condition in conditions if condition.text]


def _raw_listing(tpa: str | None, file_name: str | None, search: str | None) -> Keyed:
    """Newest record first (RECORD_ID is IDENTITY ORDER: load order); one file's records in file order."""
    conditions = _raw_conditions(tpa, file_name, search)
    return Keyed(
        RAW_COLUMNS,
        RAW,
        "RECORD_ID",
        tuple(condition.text for condition in conditions),
        tuple(value for condition in conditions for value in condition.params),
        descending=not file_name,
    )


@cached(RAW_NAMESPACE, ttl=60)
async def raw_records(
    tpa: str | None = None,
    file_name: str | None = None,
    search: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """A page read as one RECORD_ID range (medallion.keyset); a search's first page too, from the index its count
    built in the same scan."""
    listing = _raw_listing(tpa, file_name, search)
    if offset == 0 and not search:
        rows = await keyset.first_rows(listing, limit)
    else:
        rows = await keyset.rows_at(listing, await raw_page_index(tpa, file_name, search), limit, offset)
    for row in rows:
        row["RAW_DATA"] = json.loads(row["RAW_DATA"]) if isinstance(row["RAW_DATA"], str) else row["RAW_DATA"]
    return rows


@cached(RAW_NAMESPACE, ttl=60)
async def raw_page_index(tpa: str | None, file_name: str | None, search: str | None) -> keyset.PageIndex:
    return await keyset.page_index(_raw_listing(tpa, file_name, search))


@cached(RAW_NAMESPACE, ttl=60)
async def raw_count(tpa: str | None = None, file_name: str | None = None, search: str | None = None) -> int:
    """Without a search a count is cheap; a search's count is its page index's (one scan for both)."""
    if search:
        return (await raw_page_index(tpa, file_name, search)).total
    return await keyset.count(_raw_listing(tpa, file_name, search))


@cached(RAW_NAMESPACE, ttl=60)
async def raw_stats(tpa: str | None = None) -> dict[str, Any]:
    row = await warehouse().fetch_one(
        "SELECT COUNT(*) AS TOTAL_ROWS, COUNT(DISTINCT TPA || '/' || FILE_NAME) AS TOTAL_FILES, "
        "COUNT(DISTINCT TPA) AS TOTAL_TPAS, MIN(LOAD_TIMESTAMP) AS EARLIEST_LOAD, "
        f"MAX(LOAD_TIMESTAMP) AS LATEST_LOAD FROM {RAW} " + where([tpa_filter(tpa)])
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

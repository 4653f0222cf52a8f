"""Record lineage, both ways: a Silver row's Bronze record (by _RECORD_ID) and the file it came from, and a
Bronze record's rows in every Silver table of its TPA, its quarantine entries and its claim versions."""

import json
from typing import Any

from medallion.errors import not_found
from medallion.scope import in_scope
from medallion.warehouse import warehouse
from silver.claim_versions import VERSION_COLUMNS, VERSIONS
from silver.transform_catalog import tables_of

RAW = "BRONZE.RAW_DATA_TABLE"
QUEUE = "BRONZE.FILE_PROCESSING_QUEUE"


async def record_lineage(record_id: int) -> dict[str, Any]:
    wh = warehouse()
    record = await wh.fetch_one(
        "SELECT RECORD_ID, TPA, FILE_NAME, SHEET_NAME, FILE_ROW_NUMBER, FILE_TYPE, QUEUE_ID, RAW_DATA, LOAD_TIMESTAMP, "
        f"LOADED_BY FROM {RAW} WHERE RECORD_ID = ?",
        (record_id,),
    )
    if record is None or not in_scope(record["TPA"]):
        raise not_found("record_not_found", f"Bronze record {record_id} not found.")
    if isinstance(record["RAW_DATA"], str):
        record["RAW_DATA"] = json.loads(record["RAW_DATA"])
    file = None
    if record["QUEUE_ID"] is not None:
        file = await wh.fetch_one(
            f"SELECT QUEUE_ID, FILE_NAME, TPA, FILE_TYPE, STATUS, CONTENT_HASH, PROCESSED_TIMESTAMP FROM {QUEUE} "
            "WHERE QUEUE_ID = ?",
            (record["QUEUE_ID"],),
        )
    silver_rows = []
    for table in await tables_of(record["TPA"]):
        row = await wh.fetch_one(f'SELECT * FROM {table.sql} WHERE "_RECORD_ID" = ?', (record_id,))
        if row is not None:
            silver_rows.append({"table_name": table.name, "schema_table": table.schema_table, "row": row})
    quarantine = await wh.fetch_all(
        "SELECT SCHEMA_TABLE, TARGET_TABLE, BATCH_ID, RULE_NAME, TARGET_COLUMN, REASON, STATUS, QUARANTINED_AT "
        "FROM SILVER.QUARANTINE WHERE TPA = ? AND RECORD_ID = ? ORDER BY QUARANTINED_AT",
        (record["TPA"], record_id),
    )
    versions = await wh.fetch_all(
        f"SELECT SCHEMA_TABLE, {VERSION_COLUMNS} FROM {VERSIONS} WHERE TPA = ? AND CLAIM_ID IN "
        f"(SELECT CLAIM_ID FROM {VERSIONS} WHERE TPA = ? AND RECORD_ID = ?) ORDER BY SCHEMA_TABLE, VERSION_NUMBER",
        (record["TPA"], record["TPA"], record_id),
    )
    return {
        "record_id": record_id,
        "queue_id": record["QUEUE_ID"],
        "bronze_record": record,
        "file": file,
        "silver_rows": silver_rows,
        "quarantine": quarantine,
        "claim_versions": versions,
    }

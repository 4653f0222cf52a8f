"""What "clear all data" (B18) would remove, shown before anyone confirms it."""

import asyncio
from typing import Any

from medallion.warehouse import warehouse
from medallion.warehouse.identifiers import STAGES

CLEARED_TABLES = ("BRONZE.RAW_DATA_TABLE", "BRONZE.FILE_PROCESSING_QUEUE")


async def clear_all_preview() -> dict[str, Any]:
    wh = warehouse()
    stage_files, counts, silver_tables = await asyncio.gather(
        asyncio.gather(*(wh.stage_list(stage) for stage in STAGES)),
        wh.fetch_one(
            "SELECT (SELECT COUNT(*) FROM BRONZE.RAW_DATA_TABLE) AS RAW_ROWS, "
            "(SELECT COUNT(*) FROM BRONZE.FILE_PROCESSING_QUEUE) AS QUEUE_ROWS"
        ),
        wh.fetch_all("SELECT TABLE_NAME, SCHEMA_TABLE, TPA FROM SILVER.CREATED_TABLES ORDER BY TABLE_NAME"),
    )
    return {
        "stages": [
            {"stage": stage, "files": len(files), "bytes": sum(file.size for file in files)}
            for stage, files in zip(STAGES, stage_files, strict=True)
        ],
        "tables": [
            {"table": table, "rows": int(counts[key]) if counts else 0}
            for table, key in zip(CLEARED_TABLES, ("RAW_ROWS", "QUEUE_ROWS"), strict=True)
        ],
        "silver_tables": silver_tables,
    }

"""What "clear all data" (`POST /api/bronze/clear-all-data`) would remove, shown before anyone confirms it."""

import asyncio
from typing import Any

from bronze.cleanup import cleared_tables
from medallion.warehouse import warehouse
from medallion.warehouse.identifiers import STAGES, quote


async def clear_all_preview() -> dict[str, Any]:
    wh = warehouse()
    tables = cleared_tables()
    counts = ", ".join(
        f"(SELECT COUNT(*) FROM {quote(*table.split('.'))}) AS N{index}" for index, table in enumerate(tables)
    )
    stage_files, row_counts, silver_tables = await asyncio.gather(
        asyncio.gather(*(wh.stage_list(stage) for stage in STAGES)),
        wh.fetch_one(f"SELECT {counts}"),
        wh.fetch_all("SELECT TABLE_NAME, SCHEMA_TABLE, TPA FROM SILVER.CREATED_TABLES ORDER BY TABLE_NAME"),
    )
    return {
        "stages": [
            {"stage": stage, "files": len(files), "bytes": sum(file.size for file in files)}
            for stage, files in zip(STAGES, stage_files, strict=True)
        ],
        "tables": [
            {"table": table, "rows": int((row_counts or {}).get(f"N{index}") or 0)}
            for index, table in enumerate(tables)
        ],
        "silver_tables": silver_tables,
    }

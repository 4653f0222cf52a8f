"""A schema column may have a 2000-character description; 0300 declared VARCHAR(1000). Snowflake enforces
lengths (widening is allowed in place); the embedded engine does not, so it needs no change."""

from medallion.warehouse import Warehouse


async def apply(wh: Warehouse) -> None:
    if wh.backend.kind != "snowflake":
        return
    await wh.execute("ALTER TABLE SILVER.TARGET_SCHEMAS ALTER COLUMN DESCRIPTION SET DATA TYPE VARCHAR(2000)")

from medallion.warehouse import Warehouse
from medallion.warehouse.identifiers import STAGES


async def apply(wh: Warehouse) -> None:
    if wh.backend.kind != "snowflake":
        return
    for stage in STAGES:
        await wh.execute(f"CREATE STAGE IF NOT EXISTS OPS.{stage} DIRECTORY = (ENABLE = TRUE)")

"""Load the four standard target schemas from silver/seed/target_schemas.csv, each only when absent."""

from pathlib import Path

from medallion.warehouse import Warehouse
from silver.schema_csv import insert_definitions, parse_csv

SEED = Path(__file__).resolve().parent.parent / "seed" / "target_schemas.csv"


async def apply(wh: Warehouse) -> None:
    rows = await wh.fetch_all("SELECT DISTINCT TABLE_NAME FROM SILVER.TARGET_SCHEMAS")
    present = {row["TABLE_NAME"] for row in rows}
    columns = parse_csv(SEED.read_text(encoding="utf-8"))
    await insert_definitions(wh, [column for column in columns if column["TABLE_NAME"] not in present])

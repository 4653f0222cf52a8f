"""Lineage of Gold figures: the files (queue entries) whose rows make up a TPA-month cell of claims analytics,
with their row counts and amounts. A row feeds Gold when it has a service date and passes Gold's filters."""

from typing import Any

from bronze.queue import QUEUE
from bronze.raw import RAW
from medallion.warehouse import warehouse
from medallion.warehouse.sql import Sql
from tpa.services import get_tpa

from .feeds import SilverTable, claims_feed, discover
from .refresh import filter_rules, filters_for

GOLD_TABLE = "CLAIMS_ANALYTICS"
AMOUNT_COLUMNS = ("BILLED_AMOUNT", "ALLOWED_AMOUNT", "PAID_AMOUNT")


def included_feed(table: SilverTable, gold_filters: str) -> Sql:
    """`m`: the claims feed of one Silver table with INCLUDED (the row reaches Gold). The filters name feed
    columns, so they are evaluated over the feed alone, before any join."""
    return (
        "WITH c AS ("
        + claims_feed([table])
        + f"), m AS (SELECT RECORD_ID, CLAIM_TYPE, SERVICE_DATE, {', '.join(AMOUNT_COLUMNS)}, "
        f"COALESCE(SERVICE_DATE IS NOT NULL{gold_filters}, FALSE) AS INCLUDED FROM c)"
    )


async def gold_filters(tpa: str) -> str:
    return filters_for(tpa, await filter_rules()).get(GOLD_TABLE, "")


async def cell_sources(tpa: str, year: int, month: int, claim_type: str | None = None) -> dict[str, Any]:
    code = (await get_tpa(tpa))["TPA_CODE"]
    wh = warehouse()
    sources = (await discover(wh, code)).get(code)
    filters = await gold_filters(code)
    files: dict[int, dict[str, Any]] = {}
    for table in sources.claims if sources else []:
        rows = await wh.fetch_all(
            included_feed(table, filters)
            + Sql(
                " SELECT q.QUEUE_ID, q.FILE_NAME, q.PROCESSED_TIMESTAMP, m.CLAIM_TYPE, COUNT(*) AS CLAIMS, "
                "SUM(m.BILLED_AMOUNT) AS TOTAL_BILLED, SUM(m.ALLOWED_AMOUNT) AS TOTAL_ALLOWED, "
                f"SUM(m.PAID_AMOUNT) AS TOTAL_PAID FROM m JOIN {RAW} AS r ON r.RECORD_ID = m.RECORD_ID "
                f"JOIN {QUEUE} AS q ON q.QUEUE_ID = r.QUEUE_ID "
                "WHERE m.INCLUDED AND YEAR(m.SERVICE_DATE) = ? AND MONTH(m.SERVICE_DATE) = ? "
                "AND m.CLAIM_TYPE = COALESCE(?, m.CLAIM_TYPE) "
                "GROUP BY q.QUEUE_ID, q.FILE_NAME, q.PROCESSED_TIMESTAMP, m.CLAIM_TYPE ORDER BY q.QUEUE_ID",
                (year, month, claim_type.upper() if claim_type else None),
            )
        )
        for row in rows:
            row["FILE_NAME"] = row["FILE_NAME"].split("/", 1)[-1]
            files[int(row["QUEUE_ID"])] = row
    found = sorted(files.values(), key=lambda row: row["QUEUE_ID"])
    return {
        "tpa": code,
        "year": year,
        "month": month,
        "claim_type": claim_type.upper() if claim_type else None,
        "files": found,
        "claims": sum(int(row["CLAIMS"]) for row in found),
        "total_paid": sum(row["TOTAL_PAID"] or 0 for row in found),
    }

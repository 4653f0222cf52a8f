"""Claim versions. The same claim id arriving again (a resubmission, an adjustment, a reversal with negative
amounts) is a new version of the claim: SILVER.CLAIM_VERSIONS keeps every version as received, and the physical
Silver table keeps one row per claim, the current (latest) version, carrying the claim's net amounts: the
latest full version plus the reversals after it (original 100 then reversal -100 nets to 0; original 100,
reversal -100, new version 120 nets to 120). Gold reads the physical table, so it counts each claim once.

`statements` is one step of the transform's load transaction, run after the physical insert; it is
idempotent, so full, incremental and release runs all leave the same result."""

from datetime import datetime
from typing import Any

from medallion.caching import cached
from medallion.warehouse import warehouse
from medallion.warehouse.identifiers import quote
from silver.schema_types import default_sql
from silver.transform_catalog import Column, PhysicalTable

VERSIONS = "SILVER.CLAIM_VERSIONS"
VERSIONED_TABLES = ("MEDICAL_CLAIMS", "DENTAL_CLAIMS", "PHARMACY_CLAIMS")
AMOUNTS = ("BILLED_AMOUNT", "ALLOWED_AMOUNT", "PAID_AMOUNT")
VERSION_COLUMNS = (
    "CLAIM_ID, RECORD_ID, BATCH_ID, FILE_NAME, VERSION_NUMBER, VERSION_KIND, IS_CURRENT, BILLED_AMOUNT, "
    "ALLOWED_AMOUNT, PAID_AMOUNT, CLAIM_STATUS, RECORDED_AT"
)
Statement = tuple[str, list[Any]]


def is_versioned(table: PhysicalTable, columns: list[Column]) -> bool:
    return table.schema_table in VERSIONED_TABLES and any(column.name == "CLAIM_ID" for column in columns)


def statements(
    table: PhysicalTable, columns: list[Column], stage: str, batch_id: str, now: datetime
) -> list[Statement]:
    if not is_versioned(table, columns):
        return []
    scope = [table.tpa, table.schema_table]
    names = {column.name for column in columns}
    claim = next(column for column in columns if column.name == "CLAIM_ID")
    # A claim id the row did not carry comes out as the column default; such rows are not versions of anything.
    default = default_sql(claim.default_value, claim.data_type, constant_only=True)
    identified = '"CLAIM_ID" IS NOT NULL' + (f' AND "CLAIM_ID" <> {default}' if default else "")
    accepted = f'"_REJECT" IS NULL AND {identified}'
    affected = f'SELECT CAST("CLAIM_ID" AS VARCHAR) FROM {stage} WHERE {accepted}'
    of_claims = f"TPA = ? AND SCHEMA_TABLE = ? AND CLAIM_ID IN ({affected})"
    values = ", ".join(quote(name) if name in names else "NULL" for name in (*AMOUNTS, "CLAIM_STATUS"))
    same = " AND ".join(f"{name} IS NOT DISTINCT FROM LAG({name}) OVER {_ORDER}" for name in AMOUNTS)
    nets = ", ".join(f"SUM(v.{name}) AS {name}" for name in AMOUNTS)
    present = [name for name in AMOUNTS if name in names]
    result = [
        (f'DELETE FROM {VERSIONS} WHERE TPA = ? AND SCHEMA_TABLE = ? AND RECORD_ID IN (SELECT "_RECORD_ID" '
         f"FROM {stage})", scope),
        (f"INSERT INTO {VERSIONS} (TPA, SCHEMA_TABLE, CLAIM_ID, RECORD_ID, BATCH_ID, FILE_NAME, BILLED_AMOUNT, "
         "ALLOWED_AMOUNT, PAID_AMOUNT, CLAIM_STATUS, RECORDED_AT) "
         f'SELECT ?, ?, "CLAIM_ID", "_RECORD_ID", ?, "_FILE_NAME", {values}, CAST(? AS TIMESTAMP_NTZ) '
         f"FROM {stage} WHERE {accepted}", [*scope, batch_id, now]),
        (f"UPDATE {VERSIONS} AS v SET VERSION_NUMBER = r.N, IS_CURRENT = r.N = r.TOTAL, VERSION_KIND = CASE "
         "WHEN r.N = 1 THEN 'ORIGINAL' WHEN r.PAID_AMOUNT < 0 OR r.BILLED_AMOUNT < 0 THEN 'REVERSAL' "
         "WHEN r.SAME THEN 'RESUBMISSION' ELSE 'ADJUSTMENT' END "
         f"FROM (SELECT RECORD_ID, ROW_NUMBER() OVER {_ORDER} AS N, COUNT(*) OVER (PARTITION BY CLAIM_ID) AS TOTAL, "
         f"PAID_AMOUNT, BILLED_AMOUNT, {same} AS SAME FROM {VERSIONS} WHERE {of_claims}) AS r "
         "WHERE v.TPA = ? AND v.SCHEMA_TABLE = ? AND v.RECORD_ID = r.RECORD_ID",
         [*scope, *scope]),
        (f'DELETE FROM {table.sql} WHERE "_RECORD_ID" IN (SELECT RECORD_ID FROM {VERSIONS} WHERE {of_claims} '
         "AND NOT IS_CURRENT)",
         scope),
    ]  # fmt: skip
    if present:
        assignments = ", ".join(f"{quote(name)} = n.{name}" for name in present)
        result.append((
            f"UPDATE {table.sql} AS t SET {assignments} FROM (SELECT MAX(IFF(v.IS_CURRENT, v.RECORD_ID, NULL)) "
            f"AS RECORD_ID, {nets} FROM {VERSIONS} AS v JOIN (SELECT CLAIM_ID, MAX(IFF(VERSION_KIND <> 'REVERSAL', "
            f"VERSION_NUMBER, 1)) AS BASE FROM {VERSIONS} WHERE {of_claims} GROUP BY CLAIM_ID HAVING COUNT(*) > 1) "
            "AS b ON b.CLAIM_ID = v.CLAIM_ID WHERE v.TPA = ? AND v.SCHEMA_TABLE = ? AND v.VERSION_NUMBER >= b.BASE "
            'GROUP BY v.CLAIM_ID) AS n WHERE t."_RECORD_ID" = n.RECORD_ID',
            [*scope, *scope],
        ))  # fmt: skip
    return result


_ORDER = "(PARTITION BY CLAIM_ID ORDER BY RECORD_ID)"


@cached("silver_tables", ttl=60)
async def claim_history(tpa: str, schema_table: str, claim_id: str) -> list[dict[str, Any]]:
    return await warehouse().fetch_all(
        f"SELECT {VERSION_COLUMNS} FROM {VERSIONS} WHERE TPA = ? AND SCHEMA_TABLE = ? AND CLAIM_ID = ? "
        "ORDER BY VERSION_NUMBER",
        (tpa, schema_table, claim_id),
    )

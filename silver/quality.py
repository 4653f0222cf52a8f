"""Silver data quality: metrics per physical table and run, summaries, failures and score trends.

Metrics of one run share a BATCH_ID and a MEASURED_TIMESTAMP:
  ROW_COUNT                rows in the table (passes when > 0)
  DATA_FRESHNESS_HOURS     hours since the newest _LOAD_TIMESTAMP (passes when <= 24)
  NULL_RATE_<COL>          % of NULL values (passes when 0 for NOT NULL columns, <= 50 otherwise)
  CAST_FAILURES_<COL>      quarantined records whose value could not be converted (passes when 0)
  RULE_PASS_RATE_<RULE>    % of the table's records (loaded + quarantined) not failing the rule (passes >= 95);
                           a record a CORRECT rule corrected does not fail it
  RULE_CORRECTIONS_<RULE>  records a CORRECT rule corrected (a count: no threshold, not a check)
  OVERALL_QUALITY_SCORE    0.4 x completeness + 0.3 x validity + 0.3 x conformance (passes >= 80), where
                           completeness = mean of (100 - null rate) over the columns,
                           validity = 100 x (1 - cast failures / (rows + quarantined)),
                           conformance = mean rule pass rate (100 without rules); 0 for an empty table.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from medallion.caching import cached, invalidate
from medallion.scope import tpa_condition
from medallion.warehouse import identifiers, warehouse
from medallion.warehouse.identifiers import quote
from silver.rules import active_rules
from silver.transform_catalog import PhysicalTable, physical_table, schema_columns, table_columns, tables_of
from tpa.services import get_tpa

METRICS_TABLE = '"SILVER"."DATA_QUALITY_METRICS"'
METRIC_COLUMNS = (
    "TPA",
    "TARGET_TABLE",
    "SCHEMA_TABLE",
    "BATCH_ID",
    "METRIC_NAME",
    "METRIC_VALUE",
    "METRIC_THRESHOLD",
    "PASSED",
    "DESCRIPTION",
    "MEASURED_TIMESTAMP",
)
OVERALL = "OVERALL_QUALITY_SCORE"
CORRECTIONS = "RULE_CORRECTIONS_"  # a count, not a check: it has no threshold
FRESHNESS_HOURS = 24.0
NULLABLE_NULL_RATE = 50.0
RULE_PASS_RATE = 95.0
SCORE_THRESHOLD = 80.0


@dataclass(frozen=True)
class Metric:
    name: str
    value: float | None
    threshold: float | None
    passed: bool
    description: str


async def measure(table: PhysicalTable, batch_id: str) -> float:
    """Measure one physical table and store the metrics under `batch_id` (a re-check replaces them)."""
    metrics = await _metrics(table)
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        (
            table.tpa,
            table.name,
            table.schema_table,
            batch_id,
            m.name,
            m.value,
            m.threshold,
            m.passed,
            m.description,
            now,
        )
        for m in metrics
    ]
    async with warehouse().transaction() as tx:
        await tx.execute(
            "DELETE FROM SILVER.DATA_QUALITY_METRICS WHERE TPA = ? AND TARGET_TABLE = ? AND BATCH_ID = ?",
            (table.tpa, table.name, batch_id),
        )
        await tx.insert_rows(METRICS_TABLE, [quote(c) for c in METRIC_COLUMNS], rows)
    await invalidate("silver_quality")
    return next(m.value for m in metrics if m.name == OVERALL) or 0.0


async def check(tpa: object, table: str, batch_id: str | None) -> tuple[PhysicalTable, str, float]:
    """Check one table's quality: `table` is a schema-table name or the physical name of one of the TPA's tables."""
    code = (await get_tpa(tpa))["TPA_CODE"]
    named = next((t for t in await tables_of(code) if t.name == table.strip().upper()), None)
    physical = named or await physical_table(code, table)
    batch = batch_id or new_batch_id()
    return physical, batch, await measure(physical, batch)


async def check_all(tpa: object, batch_id: str | None) -> tuple[str, str, int]:
    code = (await get_tpa(tpa))["TPA_CODE"]
    batch = batch_id or new_batch_id()
    tables = await tables_of(code)
    for table in tables:
        await measure(table, batch)
    return code, batch, len(tables)


def new_batch_id() -> str:
    return f"DQ_{datetime.now(UTC):%Y%m%d%H%M%S}_{uuid.uuid4().hex[:6].upper()}"


@cached("silver_quality", ttl=120)
async def summary(tpa: str | None) -> list[dict[str, Any]]:
    scoped, params = tpa_condition("TPA", (await get_tpa(tpa))["TPA_CODE"] if tpa else None)
    where = f"WHERE {scoped}" if scoped else ""
    return await warehouse().fetch_all(
        "SELECT TPA, TARGET_TABLE, BATCH_ID, QUALITY_SCORE, CAST(ROW_COUNT AS INTEGER) AS ROW_COUNT, "
        "HOURS_SINCE_LOAD, CHECKS_PASSED, TOTAL_CHECKS, LAST_CHECK_TIMESTAMP FROM ("
        "SELECT TPA, TARGET_TABLE, BATCH_ID, MAX(MEASURED_TIMESTAMP) AS LAST_CHECK_TIMESTAMP, "
        f"MAX(IFF(METRIC_NAME = '{OVERALL}', METRIC_VALUE, NULL)) AS QUALITY_SCORE, "
        "MAX(IFF(METRIC_NAME = 'ROW_COUNT', METRIC_VALUE, NULL)) AS ROW_COUNT, "
        "MAX(IFF(METRIC_NAME = 'DATA_FRESHNESS_HOURS', METRIC_VALUE, NULL)) AS HOURS_SINCE_LOAD, "
        f"COUNT_IF(PASSED AND METRIC_NAME <> '{OVERALL}' AND METRIC_THRESHOLD IS NOT NULL) AS CHECKS_PASSED, "
        f"COUNT_IF(METRIC_NAME <> '{OVERALL}' AND METRIC_THRESHOLD IS NOT NULL) AS TOTAL_CHECKS "
        f"FROM SILVER.DATA_QUALITY_METRICS {where} GROUP BY TPA, TARGET_TABLE, BATCH_ID) AS runs "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY TPA, TARGET_TABLE "
        "ORDER BY LAST_CHECK_TIMESTAMP DESC, BATCH_ID DESC) = 1 "
        "ORDER BY QUALITY_SCORE ASC NULLS FIRST, TPA, TARGET_TABLE",
        params,
    )


async def failures(tpa: str | None, table: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    conditions, params = _filters(await _code(tpa), table)
    return await warehouse().fetch_all(
        "SELECT TPA, TARGET_TABLE, BATCH_ID, METRIC_NAME, METRIC_VALUE, METRIC_THRESHOLD, DESCRIPTION, "
        f"MEASURED_TIMESTAMP FROM SILVER.DATA_QUALITY_METRICS WHERE NOT PASSED{conditions} "
        f"ORDER BY MEASURED_TIMESTAMP DESC, TARGET_TABLE, METRIC_NAME {identifiers.limit(limit, offset)}",
        params,
    )


async def trends(tpa: str, table: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    conditions, params = _filters(await _code(tpa), table)
    return await warehouse().fetch_all(
        "SELECT TPA, TARGET_TABLE, BATCH_ID, QUALITY_SCORE, MEASURED_TIMESTAMP, PREVIOUS_SCORE, "
        "QUALITY_SCORE - PREVIOUS_SCORE AS SCORE_CHANGE FROM (SELECT TPA, TARGET_TABLE, BATCH_ID, "
        "METRIC_VALUE AS QUALITY_SCORE, MEASURED_TIMESTAMP, LAG(METRIC_VALUE) OVER (PARTITION BY TPA, TARGET_TABLE "
        "ORDER BY MEASURED_TIMESTAMP, BATCH_ID) AS PREVIOUS_SCORE FROM SILVER.DATA_QUALITY_METRICS "
        f"WHERE METRIC_NAME = '{OVERALL}'{conditions}) AS scores "
        f"ORDER BY MEASURED_TIMESTAMP DESC, TARGET_TABLE, BATCH_ID DESC {identifiers.limit(limit, offset)}",
        params,
    )


@cached("silver_quality", ttl=120)
async def run_metrics(tpa: str, table: str, batch_id: str | None) -> tuple[str | None, list[dict[str, Any]]]:
    """The quality metrics of one run of the physical table of (tpa, table): `batch_id`, else the latest by time."""
    physical = await physical_table(tpa, table)
    rows = await warehouse().fetch_all(
        "SELECT BATCH_ID, METRIC_NAME, METRIC_VALUE, METRIC_THRESHOLD, PASSED, DESCRIPTION, MEASURED_TIMESTAMP "
        "FROM SILVER.DATA_QUALITY_METRICS WHERE TPA = ? AND TARGET_TABLE = ? AND BATCH_ID = COALESCE(?, "
        "(SELECT BATCH_ID FROM SILVER.DATA_QUALITY_METRICS WHERE TPA = ? AND TARGET_TABLE = ? "
        "ORDER BY MEASURED_TIMESTAMP DESC, BATCH_ID DESC LIMIT 1)) ORDER BY METRIC_NAME",
        (physical.tpa, physical.name, batch_id, physical.tpa, physical.name),
    )
    metrics = [{key.lower(): value for key, value in row.items() if key != "BATCH_ID"} for row in rows]
    return (rows[0]["BATCH_ID"] if rows else None), metrics


async def table_stats(tpa: str, table: str) -> dict[str, Any]:
    physical = await physical_table(tpa, table)
    row = await warehouse().fetch_one(
        f'SELECT COUNT(*) AS TOTAL, MAX("_LOAD_TIMESTAMP") AS LAST_UPDATED FROM {physical.sql}'
    ) or {"TOTAL": 0, "LAST_UPDATED": None}
    _, metrics = await run_metrics(physical.tpa, physical.schema_table, None)
    score = next((m["metric_value"] for m in metrics if m["metric_name"] == OVERALL), None)
    return {
        "total_records": int(row["TOTAL"] or 0),
        "last_updated": row["LAST_UPDATED"],
        "data_quality_score": score or 0,
        "quality_metrics": metrics,
    }


async def _metrics(table: PhysicalTable) -> list[Metric]:
    present = {column.name for column in await table_columns(table)}
    columns = [column for column in await schema_columns(table.schema_table) if column.name in present]
    counts = ", ".join(f"COUNT({quote(column.name)}) AS {quote(column.name)}" for column in columns)
    profile = (
        await warehouse().fetch_one(
            f'SELECT COUNT(*) AS "_ROWS", MAX("_LOAD_TIMESTAMP") AS "_LAST_LOAD"{", " if counts else ""}{counts} '
            f"FROM {table.sql}"
        )
        or {}
    )
    rows = int(profile.get("_ROWS") or 0)
    scope = (table.tpa, table.schema_table)
    failures_by_key = {
        (r["KIND"], r["KEY"]): int(r["N"])
        for r in await warehouse().fetch_all(
            "SELECT 'CAST' AS KIND, TARGET_COLUMN AS KEY, COUNT(*) AS N FROM SILVER.QUARANTINE WHERE TPA = ? "
            "AND SCHEMA_TABLE = ? AND STATUS = 'QUARANTINED' AND RULE_ID IS NULL GROUP BY TARGET_COLUMN "
            "UNION ALL SELECT 'QUARANTINED', 'ALL', COUNT(*) FROM SILVER.QUARANTINE WHERE TPA = ? AND SCHEMA_TABLE = ? "
            "AND STATUS = 'QUARANTINED' UNION ALL SELECT 'RULE', TO_VARCHAR(RULE_ID), COUNT(*) FROM ("
            "SELECT RULE_ID FROM SILVER.QUARANTINE WHERE TPA = ? AND SCHEMA_TABLE = ? AND STATUS = 'QUARANTINED' "
            "AND RULE_ID IS NOT NULL UNION ALL SELECT RULE_ID FROM SILVER.DQ_FLAGS WHERE TPA = ? AND SCHEMA_TABLE = ? "
            "AND ACTION <> 'CORRECT') AS failed GROUP BY RULE_ID "
            "UNION ALL SELECT 'CORRECTED', TO_VARCHAR(RULE_ID), COUNT(*) FROM SILVER.DQ_FLAGS WHERE TPA = ? "
            "AND SCHEMA_TABLE = ? AND ACTION = 'CORRECT' GROUP BY RULE_ID",
            scope * 5,
        )
    }
    seen = rows + failures_by_key.get(("QUARANTINED", "ALL"), 0)
    metrics = [Metric("ROW_COUNT", rows, 1, rows > 0, "Rows in the table")]
    metrics.append(_freshness(profile.get("_LAST_LOAD")))
    null_rates = []
    for column in columns:
        rate = round(100 * (rows - int(profile.get(column.name) or 0)) / rows, 2) if rows else 0.0
        limit = NULLABLE_NULL_RATE if column.nullable else 0.0
        null_rates.append(rate)
        metrics.append(Metric(f"NULL_RATE_{column.name}", rate, limit, rate <= limit, f"% of NULL {column.name}"))
    cast_failures = 0
    for column in columns:
        failed = failures_by_key.get(("CAST", column.name), 0)
        cast_failures += failed
        metrics.append(
            Metric(
                f"CAST_FAILURES_{column.name}", failed, 0, failed == 0, f"Values not convertible to {column.data_type}"
            )
        )
    pass_rates = []
    for rule in await active_rules(table.tpa, table.schema_table):
        failed = failures_by_key.get(("RULE", str(rule["RULE_ID"])), 0)
        rate = round(100 * (1 - failed / seen), 2) if seen else 100.0
        pass_rates.append(rate)
        metrics.append(
            Metric(
                f"RULE_PASS_RATE_{rule['RULE_NAME']}",
                rate,
                RULE_PASS_RATE,
                rate >= RULE_PASS_RATE,
                f"{rule['RULE_TYPE']} rule ({rule['ACTION']}); {failed} records failed",
            )
        )
        if rule["ACTION"] == "CORRECT":
            corrected = failures_by_key.get(("CORRECTED", str(rule["RULE_ID"])), 0)
            metrics.append(
                Metric(f"{CORRECTIONS}{rule['RULE_NAME']}", corrected, None, True, f"{corrected} records corrected")
            )
    completeness = 100 - sum(null_rates) / len(null_rates) if null_rates else 100.0
    validity = 100 * (1 - cast_failures / seen) if seen else 0.0
    conformance = sum(pass_rates) / len(pass_rates) if pass_rates else 100.0
    score = round(0.4 * completeness + 0.3 * validity + 0.3 * conformance, 2) if seen else 0.0
    metrics.append(Metric(OVERALL, score, SCORE_THRESHOLD, score >= SCORE_THRESHOLD, "Weighted quality score"))
    return metrics


def _freshness(last_load: datetime | None) -> Metric:
    if last_load is None:
        return Metric("DATA_FRESHNESS_HOURS", None, FRESHNESS_HOURS, False, "No data loaded yet")
    now = datetime.now(UTC).replace(tzinfo=None)
    hours = round((now - last_load.replace(tzinfo=None)).total_seconds() / 3600, 2)
    return Metric("DATA_FRESHNESS_HOURS", hours, FRESHNESS_HOURS, hours <= FRESHNESS_HOURS, "Hours since the last load")


async def _code(tpa: str | None) -> str | None:
    return (await get_tpa(tpa))["TPA_CODE"] if tpa else None


def _filters(tpa: str | None, table: str | None) -> tuple[str, list[Any]]:
    scoped, params = tpa_condition("TPA", tpa)
    conditions = f" AND {scoped}" if scoped else ""
    if table:
        conditions += " AND POSITION(UPPER(?) IN TARGET_TABLE) > 0"
        params.append(table)
    return conditions, params


async def score_history(since: datetime) -> list[dict[str, Any]]:
    """Overall quality scores per TPA and check run since `since`, oldest first (averaged over its tables)."""
    return await warehouse().fetch_all(
        "SELECT TPA, MEASURED_TIMESTAMP, AVG(METRIC_VALUE) AS QUALITY_SCORE FROM SILVER.DATA_QUALITY_METRICS "
        "WHERE METRIC_NAME = ? AND MEASURED_TIMESTAMP >= ? GROUP BY TPA, MEASURED_TIMESTAMP "
        "ORDER BY TPA, MEASURED_TIMESTAMP",
        (OVERALL, since),
    )

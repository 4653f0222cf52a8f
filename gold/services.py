"""Gold read use-cases: analytics rows and stats, quality results and stats, refresh runs, the
dashboard's five aggregates and CSV export. TPA scope: a code's rows plus rows stored for ALL; ALL means all."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from django.conf import settings

from medallion import keyset
from medallion.caching import cached
from medallion.errors import not_found
from medallion.keyset import Keyed
from medallion.scope import allowed_tpas
from medallion.warehouse import identifiers, warehouse

from .refresh import RUN_COLUMNS
from .rules import ALL_TPAS, GOLD_TABLES, SEVERITY_RANK

SCOPE = "(? = 'ALL' OR TPA IN (?, 'ALL'))"
OUTSIDE_SCOPE = "-"  # never a TPA code
ID_COLUMNS = {
    "CLAIMS_ANALYTICS": "CLAIM_ANALYTICS_ID",
    "MEMBER_360": "MEMBER_360_ID",
    "PROVIDER_PERFORMANCE": "PROVIDER_PERF_ID",
    "FINANCIAL_SUMMARY": "FINANCIAL_ID",
}
QUALITY_RESULT_COLUMNS = (
    "q.CHECK_ID, q.RUN_ID, q.QUALITY_RULE_ID, q.TABLE_NAME, q.TPA, q.CHECK_TIMESTAMP, q.CHECK_STATUS, "
    "q.RECORDS_CHECKED, q.RECORDS_PASSED, q.RECORDS_FAILED, q.PASS_RATE, q.THRESHOLD_MET, q.DETAILS AS ERROR_MESSAGE, "
    "q.EXECUTION_TIME_MS, q.CHECKED_BY, r.RULE_NAME, r.SEVERITY, r.CHECK_LOGIC, r.ACTION_ON_FAILURE, "
    "r.ACTION_ON_FAILURE AS ACTION_TAKEN"
)


def analytics_table(value: str) -> str:
    name = value.strip().upper()
    if name not in GOLD_TABLES:
        raise not_found("analytics_table_not_found", f"Unknown Gold table; use one of {', '.join(GOLD_TABLES)}.")
    return name


def _scoped(tpa: str) -> tuple[str, str]:
    """Parameters for SCOPE. Within a TPA scope, ALL means the one TPA of a single-TPA scope; ALL for a wider
    scope, or a TPA outside it, matches no TPA's rows (Gold keeps no per-scope totals to combine)."""
    code = tpa.strip().upper()
    allowed = allowed_tpas()
    if allowed is not None and code not in allowed:
        code = next(iter(allowed)) if code == ALL_TPAS and len(allowed) == 1 else OUTSIDE_SCOPE
    return code, code


def _decoded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        if isinstance(row.get("CHRONIC_CONDITIONS"), str):
            row["CHRONIC_CONDITIONS"] = json.loads(row["CHRONIC_CONDITIONS"])
    return rows


def _listing(name: str, tpa: str) -> Keyed:
    """A Gold table in the scope, newest row first (ids grow with each refresh's inserts)."""
    return Keyed("* EXCLUDE (REFRESH_RUN_ID)", f"GOLD.{name}", ID_COLUMNS[name], (SCOPE,), _scoped(tpa))


@cached("gold", ttl=120)
async def analytics_rows(table: str, tpa: str, limit: int, offset: int) -> list[dict[str, Any]]:
    name = analytics_table(table)
    listing = _listing(name, tpa)
    if offset == 0:
        return _decoded(await keyset.first_rows(listing, limit))
    return _decoded(await keyset.rows_at(listing, await _analytics_index(name, tpa), limit, offset))


@cached("gold", ttl=120)
async def _analytics_index(name: str, tpa: str) -> keyset.PageIndex:
    return await keyset.page_index(_listing(name, tpa))


@cached("gold", ttl=120)
async def analytics_count(table: str, tpa: str) -> int:
    name = analytics_table(table)
    return int(await warehouse().fetch_value(f"SELECT COUNT(*) FROM GOLD.{name} WHERE {SCOPE}", _scoped(tpa)) or 0)


@cached("gold", ttl=120)
async def analytics_stats(table: str, tpa: str) -> dict[str, Any]:
    name = analytics_table(table)
    row = await warehouse().fetch_one(
        f"WITH latest AS (SELECT RECORDS_CHECKED, RECORDS_PASSED FROM GOLD.QUALITY_CHECK_RESULTS "
        f"WHERE TABLE_NAME = ? AND {SCOPE} "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY QUALITY_RULE_ID, TPA "
        "ORDER BY CHECK_TIMESTAMP DESC, CHECK_ID DESC) = 1) "
        f"SELECT (SELECT COUNT(*) FROM GOLD.{name} WHERE {SCOPE}) AS TOTAL, "
        f"(SELECT MAX(UPDATED_AT) FROM GOLD.{name} WHERE {SCOPE}) AS LAST_UPDATED, "
        "(SELECT SUM(RECORDS_CHECKED) FROM latest) AS CHECKED, (SELECT SUM(RECORDS_PASSED) FROM latest) AS PASSED",
        (name, *_scoped(tpa), *_scoped(tpa), *_scoped(tpa)),
    )
    total = int(row["TOTAL"] or 0) if row else 0
    checked = float(row["CHECKED"] or 0) if row else 0.0
    if total == 0:
        score = 0.0
    elif checked == 0:
        score = 100.0
    else:
        score = round(100.0 * float(row["PASSED"] or 0) / checked, 2)
    return {
        "total_records": total,
        "last_updated": row["LAST_UPDATED"] if row else None,
        "status": "Active" if total > 0 else "No Data",
        "quality_score": score,
    }


@cached("gold", ttl=120)
async def quality_results(tpa: str, limit: int, offset: int) -> list[dict[str, Any]]:
    return await warehouse().fetch_all(
        f"SELECT {QUALITY_RESULT_COLUMNS} FROM GOLD.QUALITY_CHECK_RESULTS AS q "
        "JOIN GOLD.QUALITY_RULES AS r ON r.QUALITY_RULE_ID = q.QUALITY_RULE_ID "
        "WHERE (? = 'ALL' OR q.TPA IN (?, 'ALL')) ORDER BY q.CHECK_TIMESTAMP DESC, q.CHECK_ID DESC "
        f"{identifiers.limit(limit, offset)}",
        _scoped(tpa),
    )


@cached("gold", ttl=120)
async def latest_quality_results(tpa: str) -> list[dict[str, Any]]:
    """The newest result of every rule for the TPA, worst first (the quality page)."""
    return await warehouse().fetch_all(
        f"SELECT {QUALITY_RESULT_COLUMNS} FROM GOLD.QUALITY_CHECK_RESULTS AS q "
        "JOIN GOLD.QUALITY_RULES AS r ON r.QUALITY_RULE_ID = q.QUALITY_RULE_ID "
        "WHERE (? = 'ALL' OR q.TPA IN (?, 'ALL')) "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY q.QUALITY_RULE_ID, q.TPA ORDER BY q.CHECK_TIMESTAMP DESC, "
        f"q.CHECK_ID DESC) = 1 ORDER BY CASE q.CHECK_STATUS WHEN 'FAILED' THEN 1 WHEN 'WARNING' THEN 2 ELSE 3 END, "
        f"{SEVERITY_RANK.replace('SEVERITY', 'r.SEVERITY')}, r.RULE_NAME, q.TPA",
        _scoped(tpa),
    )


@cached("gold", ttl=120)
async def quality_stats(tpa: str) -> dict[str, Any]:
    row = await warehouse().fetch_one(
        "SELECT COUNT(*) AS TOTAL, COUNT_IF(CHECK_STATUS = 'PASSED') AS PASSED, "
        "COUNT_IF(CHECK_STATUS = 'FAILED') AS FAILED, COUNT_IF(CHECK_STATUS = 'WARNING') AS WARNING "
        f"FROM GOLD.QUALITY_CHECK_RESULTS WHERE {SCOPE}",
        _scoped(tpa),
    )
    total, passed = int(row["TOTAL"] or 0), int(row["PASSED"] or 0)
    return {
        "total_checks": total,
        "passed_checks": passed,
        "failed_checks": int(row["FAILED"] or 0),
        "warning_checks": int(row["WARNING"] or 0),
        "pass_rate": round(100.0 * passed / total, 2) if total else 0.0,
    }


@cached("gold", ttl=60)
async def refresh_runs(tpa: str, limit: int = 10) -> list[dict[str, Any]]:
    return await warehouse().fetch_all(
        f"SELECT {RUN_COLUMNS} FROM GOLD.REFRESH_RUNS WHERE {SCOPE} "
        f"ORDER BY STARTED_AT DESC {identifiers.limit(limit)}",
        _scoped(tpa),
    )


# --- dashboard: five independent aggregates, fetched side by side --------------------------------


@cached("gold", ttl=300)
async def kpis(tpa: str) -> dict[str, Any]:
    row = await warehouse().fetch_one(
        f"SELECT (SELECT SUM(TOTAL_PAID) FROM GOLD.CLAIMS_ANALYTICS WHERE {SCOPE}) AS TOTAL_PAID, "
        f"(SELECT SUM(TOTAL_BILLED) FROM GOLD.CLAIMS_ANALYTICS WHERE {SCOPE}) AS TOTAL_BILLED, "
        f"(SELECT SUM(TOTAL_ALLOWED) FROM GOLD.CLAIMS_ANALYTICS WHERE {SCOPE}) AS TOTAL_ALLOWED, "
        f"(SELECT SUM(CLAIM_COUNT) FROM GOLD.CLAIMS_ANALYTICS WHERE {SCOPE}) AS CLAIMS, "
        f"(SELECT COUNT(*) FROM GOLD.MEMBER_360 WHERE {SCOPE}) AS MEMBERS, "
        f"(SELECT COUNT_IF(RISK_TIER = 'HIGH') FROM GOLD.MEMBER_360 WHERE {SCOPE}) AS HIGH_RISK",
        _scoped(tpa) * 6,
    )
    values = {key: float(value or 0) for key, value in (row or {}).items()}
    billed = values.get("TOTAL_BILLED", 0.0)
    members = values.get("MEMBERS", 0.0)
    return {
        **values,
        "DISCOUNT_RATE": (billed - values.get("TOTAL_ALLOWED", 0.0)) / billed if billed else None,
        "PAID_PER_MEMBER": values.get("TOTAL_PAID", 0.0) / members if members else None,
    }


@cached("gold", ttl=300)
async def monthly_paid(tpa: str, months: int = 24) -> list[dict[str, Any]]:
    rows = await warehouse().fetch_all(
        "SELECT CLAIM_YEAR, CLAIM_MONTH, SUM(TOTAL_PAID) AS TOTAL_PAID, SUM(CLAIM_COUNT) AS CLAIMS "
        f"FROM GOLD.CLAIMS_ANALYTICS WHERE {SCOPE} GROUP BY CLAIM_YEAR, CLAIM_MONTH "
        f"ORDER BY CLAIM_YEAR DESC, CLAIM_MONTH DESC {identifiers.limit(months)}",
        _scoped(tpa),
    )
    return rows[::-1]


@cached("gold", ttl=300)
async def claim_type_mix(tpa: str) -> list[dict[str, Any]]:
    return await warehouse().fetch_all(
        "SELECT CLAIM_TYPE, SUM(TOTAL_PAID) AS TOTAL_PAID, SUM(CLAIM_COUNT) AS CLAIMS "
        f"FROM GOLD.CLAIMS_ANALYTICS WHERE {SCOPE} GROUP BY CLAIM_TYPE ORDER BY CLAIM_TYPE",
        _scoped(tpa),
    )


@cached("gold", ttl=300)
async def top_providers(tpa: str, limit: int = 10) -> list[dict[str, Any]]:
    return await warehouse().fetch_all(
        "SELECT PROVIDER_ID, MAX(PROVIDER_NAME) AS PROVIDER_NAME, SUM(TOTAL_PAID) AS TOTAL_PAID, "
        f"SUM(TOTAL_CLAIMS) AS CLAIMS FROM GOLD.PROVIDER_PERFORMANCE WHERE {SCOPE} GROUP BY PROVIDER_ID "
        f"ORDER BY TOTAL_PAID DESC, PROVIDER_ID {identifiers.limit(limit)}",
        _scoped(tpa),
    )


@cached("gold", ttl=300)
async def risk_tiers(tpa: str) -> list[dict[str, Any]]:
    return await warehouse().fetch_all(
        "SELECT RISK_TIER, COUNT(*) AS MEMBERS, SUM(PAID_LAST_12_MONTHS) AS PAID "
        f"FROM GOLD.MEMBER_360 WHERE {SCOPE} GROUP BY RISK_TIER "
        "ORDER BY CASE RISK_TIER WHEN 'LOW' THEN 1 WHEN 'MEDIUM' THEN 2 ELSE 3 END",
        _scoped(tpa),
    )


async def dashboard(tpa: str) -> dict[str, Any]:
    """The dashboard's five queries, issued concurrently (each one cached)."""
    results = await asyncio.gather(
        kpis(tpa), monthly_paid(tpa), claim_type_mix(tpa), top_providers(tpa), risk_tiers(tpa)
    )
    return dict(zip(("kpis", "monthly", "mix", "providers", "risk"), results, strict=True))


async def export_rows(table: str, tpa: str) -> AsyncIterator[list[dict[str, Any]]]:
    name = analytics_table(table)
    async for batch in warehouse().stream(
        f"SELECT * EXCLUDE (REFRESH_RUN_ID) FROM GOLD.{name} WHERE {SCOPE} ORDER BY {ID_COLUMNS[name]}",
        _scoped(tpa),
        batch_size=5000,
        timeout=settings.WAREHOUSE_LONG_STATEMENT_TIMEOUT,
    ):
        yield batch


async def latest_refresh_by_tpa() -> list[dict[str, Any]]:
    """The newest refresh run per scope (a TPA code, or ALL for runs over every TPA)."""
    return await warehouse().fetch_all(
        "SELECT TPA, MAX(STARTED_AT) AS STARTED_AT, MAX_BY(STATUS, STARTED_AT) AS STATUS "
        "FROM GOLD.REFRESH_RUNS GROUP BY TPA"
    )

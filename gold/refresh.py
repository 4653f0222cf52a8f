"""Gold refresh: per TPA, one transaction that finds the Silver batches not yet in Gold, deletes the Gold rows of
the months they touch and rebuilds them with INSERT ... SELECT (everything in full mode or when eligibility
changed). Each refresh is a recorded run; quality rules and business metrics follow it."""

import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings

from medallion import locks, stream
from medallion.caching import invalidate
from medallion.clock import utc_now
from medallion.events import log_error, log_event
from medallion.warehouse import Transaction, warehouse
from medallion.warehouse.sql import Sql

from . import metrics, quality
from .builds import GOLD_BUILDS, BuildInput
from .config import RiskTiers, risk_tiers
from .feeds import TpaSources, claims_feed, discover, eligibility_feed
from .rules import ALL_TPAS, CLAIMS_FEED, GOLD_TABLES, TRANSFORMATION, compile_rule, scope_code

REFRESH_LOCK = "gold.refresh"
DERIVED_TABLES = (*GOLD_TABLES, "REFRESHED_BATCHES")
TPA_OWNED_TABLES = (
    *DERIVED_TABLES, "QUALITY_CHECK_RESULTS", "BUSINESS_METRIC_VALUES", "BUSINESS_METRICS", "QUALITY_RULES",
    "TRANSFORMATION_RULES",
)  # fmt: skip


@dataclass
class RefreshCounts:
    tpas_refreshed: int = 0
    months_refreshed: int = 0
    batches_processed: int = 0
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GOLD_TABLES, 0))

    def add(self, other: "RefreshCounts") -> None:
        self.tpas_refreshed += other.tpas_refreshed
        self.months_refreshed += other.months_refreshed
        self.batches_processed += other.batches_processed
        for name, count in other.rows.items():
            self.rows[name] += count


async def refresh(tpa: str | None = None, *, full: bool = False, user: str | None = None) -> dict[str, Any]:
    """Refresh Gold for one TPA or all; returns the recorded run."""
    scope = scope_code(tpa) if tpa else ALL_TPAS
    async with locks.holding(REFRESH_LOCK, "A Gold refresh is already running."):
        run_id = uuid.uuid4().hex
        started, clock = utc_now(), time.monotonic()
        wh = warehouse()
        await wh.execute(
            "INSERT INTO GOLD.REFRESH_RUNS (RUN_ID, TPA, REFRESH_MODE, STATUS, STARTED_AT, TRIGGERED_BY) "
            "VALUES (?, ?, ?, 'RUNNING', ?, ?)",
            (run_id, scope, "FULL" if full else "INCREMENTAL", started, user),
        )
        await invalidate("gold")  # the run list pages re-read on the event below
        stream.publish("refresh", run_id=run_id, tpa=scope, status="RUNNING", full=full)
        try:
            counts, checks = await _refresh(scope, full, run_id, user)
        except Exception as error:
            await _finish(run_id, clock, "FAILED", RefreshCounts(), None, str(error)[:4000])
            log_error("gold.refresh", error, user=user, tpa=None if scope == ALL_TPAS else scope)
            raise
        finally:
            await invalidate("gold")
        await _finish(run_id, clock, "SUCCESS", counts, checks, None)
    log_event("INFO", "gold.refresh", f"Gold refresh {run_id} of {scope} finished", user=user, details=asdict(counts))
    return await get_run(run_id)


async def _refresh(
    scope: str, full: bool, run_id: str, user: str | None
) -> tuple[RefreshCounts, quality.QualitySummary]:
    wh = warehouse()
    sources = await discover(wh, None if scope == ALL_TPAS else scope)
    if full:
        await _purge_missing(scope, set(sources))
    tiers = await risk_tiers(wh)
    filters = await filter_rules()
    counts = RefreshCounts()
    for sources_of_tpa in sources.values():
        counts.add(await _refresh_tpa(sources_of_tpa, full, run_id, tiers, filters))
    checks = await quality.run_checks(sorted(sources), run_id=run_id, user=user)
    await metrics.compute_metrics(run_id)
    return counts, checks


async def filter_rules() -> list[dict[str, Any]]:
    return await warehouse().fetch_all(
        f"SELECT {TRANSFORMATION.columns} FROM {TRANSFORMATION.table} WHERE IS_ACTIVE AND RULE_TYPE = 'FILTER' "
        f"ORDER BY {TRANSFORMATION.order_by}"
    )


def filters_for(tpa: str, rules: list[dict[str, Any]]) -> dict[str, str]:
    """Per Gold table, the AND-ed filter conditions that apply to this TPA's feed."""
    compiled = {
        table: "".join(
            f" AND COALESCE({compile_rule(rule['RULE_LOGIC'], CLAIMS_FEED, boolean=True, field='rule_logic')}, FALSE)"
            for rule in rules
            if rule["TPA"] in (ALL_TPAS, tpa) and rule["TARGET_TABLE"] in (ALL_TPAS, table)
        )
        for table in GOLD_TABLES
    }
    return compiled


async def _refresh_tpa(
    sources: TpaSources, full: bool, run_id: str, tiers: RiskTiers, rules: list[dict[str, Any]]
) -> RefreshCounts:
    tpa = sources.tpa
    claims, eligibility = claims_feed(sources.claims), eligibility_feed(sources.eligibility)
    counts = RefreshCounts()
    async with warehouse().transaction(timeout=settings.WAREHOUSE_LONG_STATEMENT_TIMEOUT) as tx:
        if full:
            await tx.execute("DELETE FROM GOLD.REFRESHED_BATCHES WHERE TPA = ?", (tpa,))
        new_claims = await _new_batches(tx, tpa, claims, "YEAR(SERVICE_DATE) * 100 + MONTH(SERVICE_DATE)")
        new_eligibility = await _new_batches(tx, tpa, eligibility, "NULL")
        if not (full or new_claims or new_eligibility):
            return counts
        months = None if full or new_eligibility else sorted({r["PERIOD"] for r in new_claims if r["PERIOD"]})
        source = BuildInput(tpa, run_id, claims, eligibility, filters_for(tpa, rules), tiers)
        for table in GOLD_BUILDS:
            if months == [] and table.stored_period is not None:
                continue
            await tx.execute(table.delete(tpa, months))
            counts.rows[table.name] = await tx.execute(table.insert(source, months))
        batches = sorted({(row["SOURCE_TABLE"], row["BATCH_ID"]) for row in [*new_claims, *new_eligibility]})
        await tx.insert_rows(
            '"GOLD"."REFRESHED_BATCHES"',
            ('"TPA"', '"SOURCE_TABLE"', '"BATCH_ID"', '"RUN_ID"'),
            [(tpa, table, batch, run_id) for table, batch in batches],
        )
        counts.tpas_refreshed = 1
        counts.batches_processed = len(batches)
        counts.months_refreshed = int(
            await tx.fetch_value(
                "SELECT COUNT(DISTINCT CLAIM_YEAR * 100 + CLAIM_MONTH) FROM GOLD.CLAIMS_ANALYTICS "
                "WHERE TPA = ? AND REFRESH_RUN_ID = ?",
                (tpa, run_id),
            )
            or 0
        )
    return counts


async def _new_batches(tx: Transaction, tpa: str, feed: Sql, period: str) -> list[dict[str, Any]]:
    return await tx.fetch_all(
        f"SELECT DISTINCT SOURCE_TABLE, COALESCE(BATCH_ID, '') AS BATCH_ID, {period} AS PERIOD FROM ("
        + feed
        + Sql(
            ") AS f WHERE NOT EXISTS (SELECT 1 FROM GOLD.REFRESHED_BATCHES AS r WHERE r.TPA = ? "
            "AND r.SOURCE_TABLE = f.SOURCE_TABLE AND r.BATCH_ID = COALESCE(f.BATCH_ID, ''))",
            (tpa,),
        )
    )


async def _purge_missing(scope: str, present: set[str]) -> None:
    """A full refresh drops the Gold rows of TPAs that no longer have Silver tables."""
    stored = {
        row["TPA"]
        for row in await warehouse().fetch_all(
            "SELECT DISTINCT TPA FROM GOLD.REFRESHED_BATCHES WHERE (? = 'ALL' OR TPA = ?) "
            "UNION SELECT DISTINCT TPA FROM GOLD.CLAIMS_ANALYTICS WHERE (? = 'ALL' OR TPA = ?)",
            (scope, scope, scope, scope),
        )
    }
    for tpa in sorted(stored - present):
        async with warehouse().transaction() as tx:
            await _delete_rows(tx, tpa, DERIVED_TABLES)


async def _delete_rows(tx: Transaction, tpa: str, tables: tuple[str, ...]) -> None:
    for table in tables:
        await tx.execute(f"DELETE FROM GOLD.{table} WHERE TPA = ?", (tpa,))


async def purge_tpa(tx: Transaction, tpa: str) -> None:
    """TPA deletion hook: everything Gold holds for the TPA goes with it."""
    await _delete_rows(tx, tpa, TPA_OWNED_TABLES)


async def forget_purged_tpa(tpa: str) -> int:
    await invalidate("gold")
    return 0


async def _finish(
    run_id: str,
    clock: float,
    status: str,
    counts: RefreshCounts,
    checks: quality.QualitySummary | None,
    error: str | None,
) -> None:
    await warehouse().execute(
        "UPDATE GOLD.REFRESH_RUNS SET STATUS = ?, FINISHED_AT = ?, DURATION_MS = ?, TPAS_REFRESHED = ?, "
        "MONTHS_REFRESHED = ?, BATCHES_PROCESSED = ?, CLAIMS_ANALYTICS_ROWS = ?, MEMBER_360_ROWS = ?, "
        "PROVIDER_PERFORMANCE_ROWS = ?, FINANCIAL_SUMMARY_ROWS = ?, QUALITY_CHECKS = ?, QUALITY_FAILURES = ?, "
        "ERROR_MESSAGE = ? WHERE RUN_ID = ?",
        (
            status,
            utc_now(),
            int((time.monotonic() - clock) * 1000),
            counts.tpas_refreshed,
            counts.months_refreshed,
            counts.batches_processed,
            counts.rows["CLAIMS_ANALYTICS"],
            counts.rows["MEMBER_360"],
            counts.rows["PROVIDER_PERFORMANCE"],
            counts.rows["FINANCIAL_SUMMARY"],
            checks.checks if checks else None,
            checks.failures if checks else None,
            error,
            run_id,
        ),
    )
    await invalidate("gold")
    stream.publish("refresh", run_id=run_id, status=status, error=error, tpas_refreshed=counts.tpas_refreshed)


RUN_COLUMNS = (
    "RUN_ID, TPA, REFRESH_MODE, STATUS, STARTED_AT, FINISHED_AT, DURATION_MS, TPAS_REFRESHED, MONTHS_REFRESHED, "
    "BATCHES_PROCESSED, CLAIMS_ANALYTICS_ROWS, MEMBER_360_ROWS, PROVIDER_PERFORMANCE_ROWS, FINANCIAL_SUMMARY_ROWS, "
    "QUALITY_CHECKS, QUALITY_FAILURES, ERROR_MESSAGE, TRIGGERED_BY"
)


async def get_run(run_id: str) -> dict[str, Any]:
    row = await warehouse().fetch_one(f"SELECT {RUN_COLUMNS} FROM GOLD.REFRESH_RUNS WHERE RUN_ID = ?", (run_id,))
    if row is None:
        raise LookupError(run_id)
    return row


async def scheduled_refresh() -> dict[str, Any]:
    run = await refresh(user="scheduler")
    return {"records_processed": sum(run[f"{name}_ROWS"] or 0 for name in GOLD_TABLES), "records_failed": 0}


async def check_quality(tpa: str | None = None, *, user: str | None = None) -> quality.QualitySummary:
    """Run the quality rules outside a refresh, for one TPA or every TPA with Silver tables."""
    tpas = [tpa] if tpa else sorted(await discover(warehouse()))
    summary = await quality.run_checks(tpas, user=user)
    await invalidate("gold")
    return summary


async def scheduled_quality() -> dict[str, Any]:
    summary = await check_quality(user="scheduler")
    return {"records_processed": summary.checks, "records_failed": summary.failures}

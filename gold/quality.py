"""Gold quality rules at work: one aggregate query per active rule counts checked and failed rows per TPA; the
results are stored with their status and details, keeping the history."""

import operator
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from medallion.warehouse import warehouse
from medallion.warehouse.sql import Sql, in_

from .feeds import claims_feed, discover
from .rules import CLAIMS_FEED, QUALITY, RuleKind, compile_rule

_COMPARE = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "=": operator.eq}
RESULT_COLUMNS = (
    "RUN_ID", "QUALITY_RULE_ID", "TABLE_NAME", "TPA", "CHECK_TIMESTAMP", "CHECK_STATUS", "RECORDS_CHECKED",
    "RECORDS_PASSED", "RECORDS_FAILED", "PASS_RATE", "THRESHOLD_MET", "DETAILS", "EXECUTION_TIME_MS", "CHECKED_BY",
)  # fmt: skip


@dataclass(frozen=True)
class QualitySummary:
    run_id: str
    checks: int
    failures: int
    warnings: int


async def active_rules(kind: RuleKind, tpas: Sequence[str]) -> list[dict[str, Any]]:
    return await warehouse().fetch_all(
        f"SELECT {kind.columns} FROM {kind.table} WHERE IS_ACTIVE AND TPA IN ('ALL', {', '.join('?' for _ in tpas)}) "
        f"ORDER BY {kind.order_by}",
        tuple(tpas),
    )


def outcome(rule: dict[str, Any], checked: int, failed: int) -> tuple[str, float, bool, str]:
    """(status, pass rate 0-100, threshold met, details) of one rule on one TPA."""
    pass_rate = 100.0 if checked == 0 else round(100.0 * (checked - failed) / checked, 4)
    threshold = 100.0 if rule["THRESHOLD_VALUE"] is None else float(rule["THRESHOLD_VALUE"])
    met = _COMPARE[rule["THRESHOLD_OPERATOR"]](pass_rate, threshold)
    if met:
        status = "PASSED"
    else:
        status = "FAILED" if rule["SEVERITY"] in ("CRITICAL", "ERROR") else "WARNING"
    if checked == 0:
        details = "No rows to check."
    else:
        details = (
            f"{failed} of {checked} rows failed: {rule['CHECK_LOGIC']}. Pass rate {pass_rate:.2f}% "
            f"(needs {rule['THRESHOLD_OPERATOR']} {threshold:g}%)."
        )
    return status, pass_rate, met, details


async def run_checks(tpas: Sequence[str], *, run_id: str | None = None, user: str | None = None) -> QualitySummary:
    """Run every active rule that applies to these TPAs and store one result per (rule, TPA)."""
    run_id = run_id or uuid.uuid4().hex
    if not tpas:
        return QualitySummary(run_id, 0, 0, 0)
    wh = warehouse()
    sources = await discover(wh)
    results: list[tuple[Any, ...]] = []
    for rule in await active_rules(QUALITY, tpas):
        targets = list(tpas) if rule["TPA"] == "ALL" else [rule["TPA"]]
        started = time.monotonic()
        counts = await _count(rule, targets, sources)
        elapsed = int((time.monotonic() - started) * 1000)
        checked_at = datetime.now(UTC).replace(tzinfo=None)
        for tpa in targets:
            checked, failed = counts.get(tpa, (0, 0))
            status, pass_rate, met, details = outcome(rule, checked, failed)
            results.append(
                (run_id, rule["QUALITY_RULE_ID"], rule["TABLE_NAME"], tpa, checked_at, status, checked,
                 checked - failed, failed, pass_rate, met, details[:4000], elapsed, user)
            )  # fmt: skip
    await wh.insert_rows('"GOLD"."QUALITY_CHECK_RESULTS"', [f'"{column}"' for column in RESULT_COLUMNS], results)
    statuses = [row[5] for row in results]
    return QualitySummary(run_id, len(results), statuses.count("FAILED"), statuses.count("WARNING"))


async def _count(rule: dict[str, Any], tpas: list[str], sources: dict[str, Any]) -> dict[str, tuple[int, int]]:
    table = rule["TABLE_NAME"]
    unique = rule["RULE_TYPE"] == "UNIQUENESS"
    expression = compile_rule(rule["CHECK_LOGIC"], table, boolean=not unique, field="check_logic")
    if table == CLAIMS_FEED:
        feed = claims_feed(silver for tpa in tpas if tpa in sources for silver in sources[tpa].claims)
        source = "(" + feed + ") AS checked_rows"
    else:
        source = Sql(f"GOLD.{table}")
    checked = source + " WHERE " + in_("TPA", tpas)
    if unique:
        query = (
            "SELECT TPA, SUM(N) AS CHECKED, COALESCE(SUM(IFF(K IS NOT NULL AND N > 1, N, 0)), 0) AS FAILED "
            f"FROM (SELECT TPA, {expression} AS K, COUNT(*) AS N FROM " + checked
            + f" GROUP BY TPA, {expression}) AS keyed GROUP BY TPA"
        )  # fmt: skip
    else:
        query = (
            f"SELECT TPA, COUNT(*) AS CHECKED, COUNT_IF(NOT COALESCE({expression}, FALSE)) AS FAILED FROM "
            + checked
            + " GROUP BY TPA"
        )
    rows = await warehouse().fetch_all(query, timeout=settings.WAREHOUSE_LONG_STATEMENT_TIMEOUT)
    return {row["TPA"]: (int(row["CHECKED"]), int(row["FAILED"])) for row in rows}

"""The operations overview on the home page: every TPA at a glance, the whole pipeline's counters, the last 30
days of files, and what needs attention. Other apps add attention checks through `attention_checks`."""

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bronze import queue as bronze_queue
from gold import services as gold
from medallion import charts
from medallion.clock import utc_now
from medallion.hooks import Hook
from medallion.rendering import named_url
from medallion.scope import in_scope, visible
from ops import cadence
from silver import quality, quarantine, transform
from tpa.services import list_tpas

CHART_DAYS = 30
SPARKLINE_DAYS = 30
QUALITY_FLOOR = 80.0
QUALITY_DROP = 5.0


@dataclass(frozen=True)
class Attention:
    """One thing a person should look at, with the page that shows it."""

    tpa: str | None
    severity: str  # "bad" or "warn"
    message: str
    link: str


@dataclass
class TpaOverview:
    code: str
    name: str
    active: bool
    activity: dict[str, Any] = field(default_factory=dict)
    last_transform: dict[str, Any] | None = None
    last_refresh: dict[str, Any] | None = None
    quarantined: int = 0
    scores: list[float] = field(default_factory=list)
    late_kinds: list[str] = field(default_factory=list)

    @property
    def score(self) -> float | None:
        return self.scores[-1] if self.scores else None

    @property
    def previous_score(self) -> float | None:
        return self.scores[-2] if len(self.scores) > 1 else None

    @property
    def sparkline(self) -> str:
        return charts.sparkline(self.scores, label=f"Quality score trend of {self.code}")


AttentionCheck = Callable[[TpaOverview], Iterable[Attention]]
attention_checks: Hook[AttentionCheck] = Hook("attention_checks")


def failed_and_stuck_files(tpa: TpaOverview) -> Iterable[Attention]:
    failed, stuck = tpa.activity.get("FAILED_7D", 0), tpa.activity.get("STUCK", 0)
    if failed:
        link = named_url("bronze-status", tpa=tpa.code, status="FAILED")
        yield Attention(tpa.code, "bad", f"{failed:,} failed file(s) in the last 7 days", link)
    if stuck:
        link = named_url("bronze-status", tpa=tpa.code, status="PROCESSING")
        yield Attention(tpa.code, "bad", f"{stuck:,} file(s) stuck in PROCESSING past the worker's lease", link)


def quality_drops(tpa: TpaOverview) -> Iterable[Attention]:
    score, previous = tpa.score, tpa.previous_score
    link = named_url("silver-quality", tpa=tpa.code)
    if score is not None and score < QUALITY_FLOOR:
        yield Attention(tpa.code, "warn", f"Quality score {score:.1f}% is below {QUALITY_FLOOR:.0f}%", link)
    elif score is not None and previous is not None and previous - score >= QUALITY_DROP:
        yield Attention(tpa.code, "warn", f"Quality score fell from {previous:.1f}% to {score:.1f}%", link)


def failed_runs(tpa: TpaOverview) -> Iterable[Attention]:
    if tpa.last_transform and tpa.last_transform["STATUS"] == "FAILED":
        yield Attention(
            tpa.code, "bad", "The last Silver transform failed", named_url("silver-transform", tpa=tpa.code)
        )
    if tpa.last_refresh and tpa.last_refresh["STATUS"] == "FAILED":
        yield Attention(tpa.code, "bad", "The last Gold refresh failed", named_url("gold-analytics", tpa=tpa.code))


def late_files(tpa: TpaOverview) -> Iterable[Attention]:
    if tpa.late_kinds:
        message = f"LATE: {', '.join(tpa.late_kinds)} not received by the deadline"
        yield Attention(tpa.code, "bad", message, named_url("bronze-status", tpa=tpa.code))


for check in (late_files, failed_and_stuck_files, quality_drops, failed_runs):
    attention_checks.connect(check)


@dataclass
class Overview:
    tpas: list[TpaOverview]
    attention: list[Attention]
    counters: dict[str, int]
    files_chart: str


def _latest(*runs: dict[str, Any] | None) -> dict[str, Any] | None:
    present = [run for run in runs if run]
    return max(present, key=lambda run: run["STARTED_AT"]) if present else None


def _files_chart(rows: list[dict[str, Any]], today: datetime) -> str:
    days = [(today - timedelta(days=offset)).date() for offset in range(CHART_DAYS - 1, -1, -1)]
    statuses = sorted({row["STATUS"] for row in rows})
    counts = {(row["DAY"], row["STATUS"]): int(row["FILES"]) for row in rows}
    series = {status: [counts.get((day, status), 0) for day in days] for status in statuses}
    return charts.stacked_bar_chart(
        [day.strftime("%m-%d") for day in days],
        series,
        title=f"Files per day by status, last {CHART_DAYS} days",
        value_format=charts.format_count,
    )


async def overview() -> Overview:
    now = utc_now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    results: tuple[Any, ...] = await asyncio.gather(
        list_tpas(),
        bronze_queue.activity_by_tpa(today, today - timedelta(days=6)),
        bronze_queue.files_per_day(today - timedelta(days=CHART_DAYS - 1)),
        transform.latest_by_tpa(),
        gold.latest_refresh_by_tpa(),
        quarantine.open_counts(),
        quality.score_history(now - timedelta(days=SPARKLINE_DAYS)),
        cadence.late_tpas(),
    )
    tpas, every_activity, per_day, transforms, refreshes, every_quarantined, scores, late = results
    activity = visible(every_activity, "TPA")  # the pipeline counters sum these: the scope's TPAs only
    quarantined = {code: count for code, count in every_quarantined.items() if in_scope(code)}
    by_code = {row["TPA"]: row for row in activity}
    transform_by_code = {row["TPA"]: row for row in transforms}
    refresh_by_scope = {row["TPA"]: row for row in refreshes}
    rows = [
        TpaOverview(
            code=tpa["TPA_CODE"],
            name=tpa["TPA_NAME"],
            active=bool(tpa["ACTIVE"]),
            activity=by_code.get(tpa["TPA_CODE"], {}),
            last_transform=transform_by_code.get(tpa["TPA_CODE"]),
            last_refresh=_latest(refresh_by_scope.get(tpa["TPA_CODE"]), refresh_by_scope.get("ALL")),
            quarantined=quarantined.get(tpa["TPA_CODE"], 0),
            scores=[float(row["QUALITY_SCORE"]) for row in scores if row["TPA"] == tpa["TPA_CODE"]],
            late_kinds=late["late_tpas"].get(tpa["TPA_CODE"], []),
        )
        for tpa in tpas
    ]
    attention = [item for tpa in rows for check in attention_checks for item in check(tpa)]
    counters = {
        key: sum(int(row.get(key) or 0) for row in activity)
        for key in ("FILES_TODAY", "ROWS_TODAY", "FILES_7D", "ROWS_7D", "FAILED_7D", "DUPLICATES_7D", "IN_QUEUE")
    }
    counters["QUARANTINED"] = sum(quarantined.values())
    counters["TPAS"] = len(rows)
    return Overview(rows, attention, counters, _files_chart(per_day, today))

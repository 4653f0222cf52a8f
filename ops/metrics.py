"""Process metrics for `/metrics` (Prometheus text format) and the System page."""

import asyncio
import bisect
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from medallion import caching, events
from medallion.clock import days_ago
from medallion.middleware import api_request_log
from medallion.warehouse import WarehouseError, warehouse
from ops.scheduler import run_counts

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
QUERY_QUANTILES = (0.5, 0.9, 0.99)


@dataclass
class RouteLatency:
    buckets: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total_seconds: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        self.buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.total_seconds += seconds
        self.count += 1


@dataclass
class RequestMetrics:
    counts: dict[tuple[str, str, int], int] = field(default_factory=lambda: defaultdict(int))
    latency: dict[str, RouteLatency] = field(default_factory=lambda: defaultdict(RouteLatency))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.counts[(method, route, status)] += 1
        self.latency[route].observe(seconds)


requests = RequestMetrics()


@dataclass(frozen=True)
class Snapshot:
    warehouse_up: bool
    queue_depth: dict[str, int]
    task_runs_24h: dict[tuple[str, str], int]
    gauges: dict[str, int]
    counters: dict[str, float]
    query_latency: dict[float, float]


async def _queue_depth() -> dict[str, int]:
    rows = await warehouse().fetch_all(
        "SELECT STATUS, COUNT(*) AS N FROM BRONZE.FILE_PROCESSING_QUEUE GROUP BY STATUS ORDER BY STATUS"
    )
    return {row["STATUS"]: int(row["N"]) for row in rows}


async def _task_runs_24h() -> dict[tuple[str, str], int]:
    rows = await warehouse().fetch_all(
        "SELECT TASK_NAME, EXECUTION_STATUS, COUNT(*) AS N FROM OPS.TASK_EXECUTION_LOG WHERE EXECUTION_START >= ? "
        "GROUP BY TASK_NAME, EXECUTION_STATUS ORDER BY TASK_NAME, EXECUTION_STATUS",
        (days_ago(1),),
    )
    return {(row["TASK_NAME"], row["EXECUTION_STATUS"]): int(row["N"]) for row in rows}


def _quantiles(latencies: list[float]) -> dict[float, float]:
    if len(latencies) < 2:
        return {q: latencies[0] if latencies else 0.0 for q in QUERY_QUANTILES}
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {q: cuts[round(q * 100) - 1] for q in QUERY_QUANTILES}


async def collect() -> Snapshot:
    wh = warehouse()
    try:
        queue_depth, task_runs = await asyncio.gather(_queue_depth(), _task_runs_24h())
        up = True
    except WarehouseError:
        queue_depth, task_runs, up = {}, {}, False
    figures = wh.metrics
    counters = {
        "queries": figures.queries,
        "errors": figures.errors,
        "timeouts": figures.timeouts,
        "cancellations": figures.cancellations,
        "busy_rejections": figures.busy_rejections,
        "connections_opened": figures.connections_opened,
        "wait_seconds": figures.wait_seconds_total,
        "execute_seconds": figures.execute_seconds_total,
    }
    return Snapshot(up, queue_depth, task_runs, wh.gauges(), counters, _quantiles(list(figures.recent_latencies)))


def _label_value(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: object) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{name}="{_label_value(value)}"' for name, value in labels.items()) + "}"


class _Exposition:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]

    def sample(self, name: str, value: float, **labels: object) -> None:
        self.lines.append(f"{name}{_labels(**labels)} {value}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _request_families(out: _Exposition) -> None:
    out.family("medallion_http_requests_total", "counter", "HTTP requests by method, route and status.")
    for (method, route, status), count in sorted(requests.counts.items()):
        out.sample("medallion_http_requests_total", count, method=method, route=route, status=status)
    out.family("medallion_http_request_duration_seconds", "histogram", "HTTP request latency by route.")
    for route, latency in sorted(requests.latency.items()):
        cumulative = 0
        for bound, in_bucket in zip((*LATENCY_BUCKETS, float("inf")), latency.buckets, strict=True):
            cumulative += in_bucket
            edge = "+Inf" if bound == float("inf") else f"{bound:g}"
            out.sample("medallion_http_request_duration_seconds_bucket", cumulative, route=route, le=edge)
        out.sample("medallion_http_request_duration_seconds_sum", latency.total_seconds, route=route)
        out.sample("medallion_http_request_duration_seconds_count", latency.count, route=route)


def _warehouse_families(out: _Exposition, snapshot: Snapshot) -> None:
    out.family("medallion_warehouse_up", "gauge", "1 when the last metrics queries reached the warehouse.")
    out.sample("medallion_warehouse_up", int(snapshot.warehouse_up))
    for gauge, value in snapshot.gauges.items():
        out.family(f"medallion_warehouse_{gauge}", "gauge", f"Warehouse {gauge.replace('_', ' ')}.")
        out.sample(f"medallion_warehouse_{gauge}", value)
    for counter, value in snapshot.counters.items():
        name = f"medallion_warehouse_{counter}_total"
        out.family(name, "counter", f"Warehouse {counter.replace('_', ' ')} since the process started.")
        out.sample(name, value)
    out.family("medallion_warehouse_query_seconds", "summary", "Recent warehouse statement latency.")
    for quantile, seconds in snapshot.query_latency.items():
        out.sample("medallion_warehouse_query_seconds", seconds, quantile=quantile)


def _cache_families(out: _Exposition) -> None:
    for kind in ("hits", "misses", "invalidations"):
        out.family(f"medallion_cache_{kind}_total", "counter", f"Cache {kind} by namespace (this process).")
        for name, stats in sorted(caching.namespaces.items()):
            out.sample(f"medallion_cache_{kind}_total", getattr(stats, kind), namespace=name)


def _pipeline_families(out: _Exposition, snapshot: Snapshot) -> None:
    out.family("medallion_queue_files", "gauge", "Bronze queue entries by status.")
    for status, count in snapshot.queue_depth.items():
        out.sample("medallion_queue_files", count, status=status)
    out.family("medallion_task_runs_last_24h", "gauge", "Task runs recorded in the last 24 hours.")
    for (task, status), count in snapshot.task_runs_24h.items():
        out.sample("medallion_task_runs_last_24h", count, task=task, status=status)
    out.family("medallion_task_runs_total", "counter", "Task runs finished by this process.")
    for (task, status), count in sorted(run_counts.items()):
        out.sample("medallion_task_runs_total", count, task=task, status=status)


def log_buffers() -> list[dict[str, Any]]:
    return [
        {
            "table": buffer.table.replace('"', ""),
            "pending": len(buffer.pending),
            "written": buffer.written,
            "dropped": buffer.dropped,
        }
        for buffer in (*events.buffers, api_request_log)
    ]


def _log_buffer_families(out: _Exposition) -> None:
    for kind in ("pending", "written", "dropped"):
        name = f"medallion_log_entries_{kind}" + ("" if kind == "pending" else "_total")
        out.family(name, "gauge" if kind == "pending" else "counter", f"Log entries {kind} by table.")
        for buffer in log_buffers():
            out.sample(name, buffer[kind], table=buffer["table"])


def render(snapshot: Snapshot) -> str:
    out = _Exposition()
    _request_families(out)
    _warehouse_families(out, snapshot)
    _cache_families(out)
    _pipeline_families(out, snapshot)
    _log_buffer_families(out)
    return out.text()

"""Scenarios 1-6: the web tier against the real app, each figure next to its baseline from the same run."""

import asyncio
import math
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import profile
from bench.load import LoadResult, percentile_ms, run_load
from bench.queries import SEEDED_TPAS, seeded_tpa
from bench.raw_app import TPAS_PATH
from bench.server import AppServer, RawServer, ServerSpec

UNCACHED = "/api/bench/tpas/async"
ASYNC = "async (Medallion)"
NAIVE = "naive to_thread"
RAW = "raw Starlette + DuckDB"
VARIANTS = {
    ASYNC: UNCACHED,
    "sync view": "/api/bench/tpas/sync",
    NAIVE: "/api/bench/tpas/naive",
}
# Server CPU per request, measured on a server without injected latency, and the goal for each.
CPU_PATHS = {
    "/api/health": ("/api/health", False, 0.5),
    "cached /api/tpas": ("/api/tpas", True, 1.5),
    "uncached one-query read": (UNCACHED, True, 3.0),
}
CPU_CONCURRENCY = 4
BUSY_POOL_SIZE = 2
COMPARISON_ROUNDS = 4


@dataclass(frozen=True)
class Mode:
    name: str
    duration: float
    warmup: float
    concurrencies: tuple[int, ...]
    stampede: int
    fanout_requests: int
    probe_duration: float
    slow_requests: int
    busy_burst: int
    pipeline_rows: tuple[int, ...]
    upload_mb: int
    cpu_requests: int
    profile_seconds: float
    slow_ms: float = 2000.0
    pipeline_latency_ms: float = 100.0
    scale_rows: int = 2_000_000

    @property
    def busy_acquire_timeout(self) -> float:
        return self.slow_ms / 2000


QUICK = Mode("quick", 2.0, 0.5, (1, 16, 64, 256), 200, 10, 3.0, 100, 20, (10_000, 100_000), 50, 400, 4.0)
FULL = Mode("full", 10.0, 2.0, (1, 16, 64, 256), 200, 50, 10.0, 100, 40, (10_000, 100_000, 1_000_000), 500, 2000, 10.0)
# `python -m bench --smoke`: every scenario once, tiny, so the harness cannot rot (CI runs it); figures are noise.
SMOKE = Mode("smoke", 0.5, 0.2, (1, 64), 20, 2, 0.3, 8, 4, (200, 400), 1, 40, 0.0, 500.0, 0.0, 2_000)


@dataclass
class Run:
    mode: Mode
    data_dir: Path
    secret_key: str
    token: str
    results: dict[str, Any] = field(default_factory=dict)

    def server(self, spec: ServerSpec) -> AppServer:
        return AppServer(self.data_dir, spec, self.secret_key)

    def raw_server(self, spec: ServerSpec) -> RawServer:
        return RawServer(self.data_dir, spec, self.secret_key)

    async def load(
        self,
        server: AppServer,
        path: str,
        concurrency: int,
        duration: float,
        max_requests: int | None = None,
        *,
        authenticated: bool = True,
        stagger: float = 0.0,
    ) -> tuple[LoadResult, dict[str, float]]:
        """The load result and the CPU (cores) the server and the whole machine used while it ran."""
        cpu_before, busy_before = server.cpu_seconds(), machine_busy_seconds()
        result = await run_load(
            server.base_url,
            path,
            token=self.token if authenticated else None,
            concurrency=concurrency,
            duration=duration,
            max_requests=max_requests,
            stagger=stagger,
        )
        return result, {
            "server_cpu": round((server.cpu_seconds() - cpu_before) / result.elapsed, 2),
            "machine_cpu": round((machine_busy_seconds() - busy_before) / result.elapsed, 2),
        }

    async def call(self, server: AppServer, method: str, path: str, **kwargs: Any) -> Any:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30.0) as http:
            response = await http.request(method, path, headers={"Authorization": f"Bearer {self.token}"}, **kwargs)
        response.raise_for_status()
        return response.json()


def machine_busy_seconds() -> float:
    """CPU time all processes of the machine spent busy, from /proc/stat (others' work included)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle, iowait = ticks[3], ticks[4]
    return (sum(ticks) - idle - iowait) / os.sysconf("SC_CLK_TCK")


def averaged(first: dict[str, float], second: dict[str, float]) -> dict[str, float]:
    return {key: round((first[key] + second[key]) / 2, 2) for key in first}


def row(label: str, result: LoadResult, cpu: dict[str, float], **extra: Any) -> dict[str, Any]:
    per_request = 1000 * cpu["server_cpu"] / result.rps if result.rps else math.nan
    return {"variant": label, **result.summary(), **cpu, "cpu_ms_per_request": round(per_request, 1), **extra}


def ratio(value: float, baseline: float) -> float:
    return round(value / baseline, 3) if baseline and not math.isnan(baseline) else math.nan


async def seed_tpas(run: Run, server: AppServer) -> None:
    """The TPAs every TPA listing returns; servers of a run share a data directory, so they may exist already."""
    existing = {tpa["TPA_CODE"] for tpa in await run.call(server, "GET", "/api/tpas")}
    for number in range(SEEDED_TPAS):
        code, name = seeded_tpa(number)
        if code not in existing:
            await run.call(server, "POST", "/api/tpas", json={"tpa_code": code, "tpa_name": name})


async def throughput(
    run: Run, server: AppServer, latency_ms: float, pool_size: int, raw: RawServer | None = None
) -> dict[str, Any]:
    """Scenario 1: the one-query endpoint three ways (and the raw near-limit app), interleaved per concurrency."""
    variants = [(label, server, path) for label, path in VARIANTS.items()]
    if raw is not None:
        variants.append((RAW, raw, TPAS_PATH))
    for _label, target, path in variants:
        await run.load(target, path, 16, run.mode.warmup)
    rows = []
    for concurrency in run.mode.concurrencies:
        limit = min(concurrency, pool_size) / (latency_ms / 1000)
        measured = {}
        for label, target, path in variants:
            result, cpu = await run.load(target, path, concurrency, run.mode.duration)
            measured[label] = row(
                label, result, cpu, limit_rps=round(limit, 1), ratio_to_limit=ratio(result.rps, limit)
            )
        medallion = measured[ASYNC]
        medallion["ratio_to_naive"] = ratio(medallion["rps"], measured[NAIVE]["rps"])
        if RAW in measured:
            medallion["ratio_to_raw"] = ratio(medallion["rps"], measured[RAW]["rps"])
        rows += measured.values()
    return {"latency_ms": latency_ms, "pool_size": pool_size, "rows": rows}


async def cpu_per_request(run: Run) -> dict[str, Any]:
    """Server CPU per request on a server without injected latency, and (with py-spy) where it goes."""
    rows = []
    with run.server(ServerSpec(latency_ms=0.0)) as server:
        await seed_tpas(run, server)
        for label, (path, authenticated, goal_ms) in CPU_PATHS.items():
            await run.load(server, path, CPU_CONCURRENCY, 60.0, run.mode.cpu_requests // 4, authenticated=authenticated)
            result, cpu = await run.load(
                server, path, CPU_CONCURRENCY, 120.0, run.mode.cpu_requests, authenticated=authenticated
            )
            entry = row(label, result, cpu, goal_ms=goal_ms)
            if run.mode.profile_seconds and profile.available():
                with profile.recording(server.pid) as samples:
                    await run.load(server, path, CPU_CONCURRENCY, run.mode.profile_seconds, authenticated=authenticated)
                entry["profile"] = profile.top(samples.collapsed)
            rows.append(entry)
    return {"concurrency": CPU_CONCURRENCY, "rows": rows}


async def stampede(run: Run, server: AppServer) -> dict[str, Any]:
    """Scenario 2: a burst of requests for one cold key; the cached endpoint should query once."""
    rows = []
    for label, path in (("cached /api/tpas", "/api/tpas"), ("uncached (baseline)", UNCACHED)):
        await run.call(server, "POST", "/api/bench/invalidate")
        before = await run.call(server, "GET", "/api/bench/metrics")
        result, cpu = await run.load(server, path, run.mode.stampede, 60.0, max_requests=run.mode.stampede)
        after = await run.call(server, "GET", "/api/bench/metrics")
        rows.append(
            row(
                label,
                result,
                cpu,
                cache_computes=after["cache_computes"] - before["cache_computes"],
                warehouse_statements=after["warehouse_queries"] - before["warehouse_queries"],
            )
        )
    return {"burst": run.mode.stampede, "rows": rows}


async def cached_vs_bare(run: Run, server: AppServer) -> dict[str, Any]:
    """Scenario 3: a cache hit against the same JSON returned from memory, same auth and middleware."""
    pairs = (("cached /api/tpas", "/api/tpas"), ("bare async view", "/api/bench/tpas/bare"))
    for _, path in pairs:
        await run.load(server, path, 4, run.mode.warmup)
    rows = []
    for concurrency in (1, 16):
        measured: dict[str, tuple[LoadResult, dict[str, float]]] = {}
        for _round in range(COMPARISON_ROUNDS):
            for label, path in pairs:
                result, cpu = await run.load(server, path, concurrency, run.mode.duration / COMPARISON_ROUNDS)
                if label in measured:
                    result, cpu = result.merge(measured[label][0]), averaged(measured[label][1], cpu)
                measured[label] = (result, cpu)
        rows += [row(label, result, cpu) for label, (result, cpu) in measured.items()]
    for cached, bare in zip(rows[::2], rows[1::2], strict=True):
        cached["ratio_to_bare"] = ratio(cached["rps"], bare["rps"])
    return {"rows": rows}


async def fan_out(run: Run, server: AppServer) -> dict[str, Any]:
    """Scenario 4: five independent queries gathered, against one query and against five in sequence."""
    rows = []
    for mode in ("single", "gather", "sequential"):
        path = f"/api/bench/dashboard/{mode}"
        await run.load(server, path, 1, 60.0, max_requests=2)
        result, cpu = await run.load(server, path, 1, 120.0, max_requests=run.mode.fanout_requests)
        rows.append(row(mode, result, cpu))
    single = rows[0]["p50_ms"]
    for entry in rows:
        entry["ratio_to_single"] = ratio(entry["p50_ms"], single)
    return {"rows": rows}


async def loop_health(run: Run) -> dict[str, Any]:
    """Scenario 5: `/api/health` latency while slow queries hold every warehouse thread."""
    spec = ServerSpec(pool_size=run.mode.slow_requests + 28, latency_ms=run.mode.slow_ms, acquire_timeout=30.0)
    with run.server(spec) as server:
        idle, idle_cpu = await run.load(server, "/api/health", 1, run.mode.probe_duration, authenticated=False)
        spread = run.mode.slow_ms / 1000
        slow_load = asyncio.create_task(
            run.load(server, UNCACHED, run.mode.slow_requests, run.mode.probe_duration + 2 * spread, stagger=spread)
        )
        await asyncio.sleep(spread + 0.5)
        gauges = await run.call(server, "GET", "/api/bench/metrics")
        loaded, loaded_cpu = await run.load(server, "/api/health", 1, run.mode.probe_duration, authenticated=False)
        slow, slow_cpu = await slow_load
    return {
        "slow_query_ms": run.mode.slow_ms,
        "in_flight_sampled": gauges["pool_in_use"] + gauges["pool_waiting"],
        "rows": [
            row("health, idle", idle, idle_cpu),
            row("health, slow queries in flight", loaded, loaded_cpu),
            row("slow queries", slow, slow_cpu),
        ],
    }


async def pool_exhausted(run: Run) -> dict[str, Any]:
    """Scenario 6: more requests than connections: the extra ones get 503 after the acquire timeout."""
    timeout = run.mode.busy_acquire_timeout
    spec = ServerSpec(pool_size=BUSY_POOL_SIZE, latency_ms=run.mode.slow_ms, acquire_timeout=timeout)
    with run.server(spec) as server:
        burst = run.mode.busy_burst
        result, cpu = await run.load(server, UNCACHED, burst, 60.0, max_requests=burst)
    rejected = result.by_status.get(503, [])
    return {
        "pool_size": BUSY_POOL_SIZE,
        "acquire_timeout_s": timeout,
        "slow_query_ms": run.mode.slow_ms,
        "burst": burst,
        "ok": len(result.by_status.get(200, [])),
        "rejected_503": len(rejected),
        "other": result.requests - len(rejected) - len(result.by_status.get(200, [])),
        "hung": result.failures,
        "p50_503_ms": round(percentile_ms(rejected, 0.5), 1),
        "max_503_ms": round(percentile_ms(rejected, 1.0), 1),
        "max_ms": round(result.max_ms, 1),
        **cpu,
    }


async def web_scenarios(run: Run, report: Callable[[str], None]) -> None:
    await timed(run, "cpu_per_request", lambda: cpu_per_request(run), report)
    spec = ServerSpec()
    with run.server(spec) as server, run.raw_server(spec) as raw:
        await seed_tpas(run, server)
        steps: list[tuple[str, Callable[[], Awaitable[dict[str, Any]]]]] = [
            ("throughput", lambda: throughput(run, server, spec.latency_ms, spec.pool_size, raw)),
            ("stampede", lambda: stampede(run, server)),
            ("cached_vs_bare", lambda: cached_vs_bare(run, server)),
            ("fan_out", lambda: fan_out(run, server)),
        ]
        for name, scenario in steps:
            await timed(run, name, scenario, report)
        run.results["web_server_peak_rss_mb"] = round(server.peak_rss_mb(), 1)
    await timed(run, "loop_health", lambda: loop_health(run), report)
    await timed(run, "pool_exhausted", lambda: pool_exhausted(run), report)


async def timed(
    run: Run, name: str, scenario: Callable[[], Awaitable[dict[str, Any]]], report: Callable[[str], None]
) -> None:
    report(f"scenario {name} ...")
    started = time.perf_counter()
    try:
        run.results[name] = await scenario()
    except Exception as error:
        run.results[name] = {"failed": f"{type(error).__name__}: {error}"[:2000]}
    run.results[name]["seconds"] = round(time.perf_counter() - started, 1)
    report(f"scenario {name} done in {run.results[name]['seconds']} s")


async def in_thread(
    run: Run, report: Callable[[str], None], names: tuple[str, ...], work: Callable[[Run, Callable[[str], None]], None]
) -> None:
    """Blocking scenarios (their own HTTP clients and servers) on a thread; a failure marks each of `names`."""
    report(f"scenarios {', '.join(names)} ...")
    started = time.perf_counter()
    try:
        await asyncio.to_thread(work, run, report)
    except Exception as error:
        failure = {"failed": f"{type(error).__name__}: {error}"[:2000]}
        for name in names:
            run.results.setdefault(name, failure)
    report(f"scenarios {', '.join(names)} done in {time.perf_counter() - started:.1f} s")

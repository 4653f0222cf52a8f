"""Scenarios 13-16 (issue 14, items 18-21): a big load's memory, then reads at millions of rows.

One generated CSV (PROVIDER_A medical claims, `demo.samples.write_csv`) is loaded twice through the app: once
with DuckDB's memory left at its own default (80 % of RAM) as the baseline, once with the app's settings
(`WAREHOUSE_MEMORY_LIMIT`, `WAREHOUSE_THREADS`); the second load stays and is transformed to Silver and
refreshed into Gold. Then every read a user makes of those rows is timed as the page they open: Bronze raw data
(first, middle and last page, text search), Silver data and a Gold table (first, middle, last page), and the
Silver CSV export (time to first byte, the server's resident memory while it streams, `/api/health` latency
meanwhile). Each page position is timed on distinct pages, so no figure is a cache hit of an earlier one.
"""

import asyncio
import shutil
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.load import run_load
from bench.pipeline import KIND, LAYOUT, TABLE, Api, ingest, map_fields, transform
from bench.scenarios import Run, in_thread
from bench.server import AppServer, ServerSpec, prepare_data_dir, status_mb
from demo.samples import write_csv

TPA = "SCALE_READS"
GOLD_TABLE = "MEMBER_360"
UNCAPPED_MEMORY = "1000GB"  # DuckDB caps at 80 % of RAM whatever is asked beyond it: its own default
SAMPLES_PER_POSITION = 3
RSS_SAMPLE_SECONDS = 0.1
PAGE_TIMEOUT = 600.0
READ_GOAL_MS = 200.0
SEARCH_GOAL_MS = 1000.0
HEALTH_GOAL_MS = 50.0


class RssSampler:
    """The server's resident memory (VmRSS) every 0.1 s on a thread, while the block runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()

    def rss_mb(self) -> float:
        return status_mb(self.pid, "VmRSS")

    def _sample(self) -> None:
        while not self._stop.wait(RSS_SAMPLE_SECONDS):
            self.samples.append((time.perf_counter(), self.rss_mb()))

    @contextmanager
    def running(self) -> Iterator["RssSampler"]:
        self.samples = [(time.perf_counter(), self.rss_mb())]
        thread = threading.Thread(target=self._sample, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
            self._stop.clear()
            self.samples.append((time.perf_counter(), self.rss_mb()))

    @property
    def before_mb(self) -> float:
        return self.samples[0][1]

    @property
    def peak_mb(self) -> float:
        return max(rss for _, rss in self.samples)

    @property
    def after_mb(self) -> float:
        return self.samples[-1][1]

    def growth_between(self, start: float, end: float) -> float:
        """How far the memory rose above its value at `start` until `end`."""
        window = [rss for at, rss in self.samples if start <= at <= end]
        base = next((rss for at, rss in reversed(self.samples) if at <= start), self.before_mb)
        return max(window, default=base) - base


def memory_row(label: str, memory_limit: str, sampler: RssSampler, figures: dict[str, Any]) -> dict[str, Any]:
    return {
        "variant": label,
        "memory_limit": memory_limit,
        "rss_before_mb": round(sampler.before_mb, 1),
        "rss_peak_mb": round(sampler.peak_mb, 1),
        "rss_growth_mb": round(sampler.peak_mb - sampler.before_mb, 1),
        "rss_after_mb": round(sampler.after_mb, 1),
        "ingestion_s": round(figures["ingestion_s"], 1),
    }


def load_once(run: Run, data_dir: Path, csv_path: Path, spec: ServerSpec, label: str) -> tuple[dict[str, Any], Any]:
    """Upload and process the file on a fresh server; returns the memory figures (and the server, still
    running, for the reads when it is the app-settings load)."""
    token = run.token if data_dir == run.data_dir else prepare_data_dir(data_dir, run.secret_key)
    server = AppServer(data_dir, spec, run.secret_key)
    server.start()
    api = Api(server, token)
    api.call("POST", "/api/tpas", json={"tpa_code": TPA, "tpa_name": "Scale reads"})
    api.call("POST", "/api/silver/tables/create", params={"tpa": TPA, "table_name": TABLE})
    sampler = RssSampler(server.pid)
    with sampler.running():
        figures = ingest(api, csv_path, TPA)
    return memory_row(label, spec.memory_limit or "settings default", sampler, figures), (server, api)


def timed_get(http: httpx.Client, path: str, params: dict[str, Any]) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = http.get(path, params=params)
    elapsed = 1000 * (time.perf_counter() - started)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} {params} answered {response.status_code}: {response.text[:300]}")
    return elapsed, response


def positions(total: int, size: int) -> dict[str, list[int]]:
    """Distinct page numbers at the start, the middle and the end, SAMPLES_PER_POSITION each."""
    last = max(1, -(-total // size))
    middle = max(1, last // 2)
    spread = range(SAMPLES_PER_POSITION)
    return {
        "first": [1 + step for step in spread],
        "middle": [max(1, middle + step) for step in spread],
        "last": [max(1, last - step) for step in spread],
    }


def page_timings(
    http: httpx.Client, read: tuple[str, dict[str, Any]], page: tuple[str, dict[str, Any]], total: int, size: int
) -> list[dict[str, Any]]:
    """Per position: the API read of that page (`limit`/`offset`) and the HTML page (`page`/`size`), each on
    distinct pages."""
    rows = []
    for where, numbers in positions(total, size).items():
        api = [timed_get(http, read[0], {**read[1], "limit": size, "offset": (n - 1) * size})[0] for n in numbers]
        shift = -SAMPLES_PER_POSITION if where == "last" else SAMPLES_PER_POSITION
        html = [timed_get(http, page[0], {**page[1], "page": max(1, n + shift), "size": size})[0] for n in numbers]
        rows.append(
            {"page": where, "pages": ", ".join(map(str, numbers)), "api_median_ms": round(statistics.median(api), 1),
             "api_max_ms": round(max(api), 1), "html_median_ms": round(statistics.median(html), 1),
             "html_max_ms": round(max(html), 1)}
        )  # fmt: skip
    return rows


def searches(http: httpx.Client, rows: int) -> list[dict[str, Any]]:
    """What users type: a claim number, a member id, a provider's name, a diagnosis code."""
    claim = f"MC{max(1, rows // 3):010d}"
    terms = (("claim id", claim), ("member id", "M000123"), ("provider name", "Cohen, Barbara"), ("code", "M17.12"))
    measured = []
    for label, term in terms:
        elapsed, response = timed_get(http, "/bronze/data", {"tpa": TPA, "q": term})
        measured.append(
            {"search": label, "term": term, "ms": round(elapsed, 1), "found": term.lower() in response.text.lower()}
        )
    return measured


def health_while(server: AppServer, action: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
    """Run `action` on a thread while one client asks `/api/health` back to back; the probe's summary."""
    outcome: dict[str, Any] = {}

    def work() -> None:
        outcome["value"] = action()

    async def probe() -> Any:
        thread = threading.Thread(target=work)
        thread.start()
        result = await run_load(server.base_url, "/api/health", token=None, concurrency=1, duration=PAGE_TIMEOUT,
                                until=lambda: not thread.is_alive())  # fmt: skip
        thread.join()
        return result

    result = asyncio.run(probe())
    return outcome.get("value"), result.summary()


def stream_export(server: AppServer, token: str, sampler: RssSampler) -> dict[str, Any]:
    started = time.perf_counter()
    first_byte = None
    received = chunks = 0
    with (
        httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=PAGE_TIMEOUT) as h,
        h.stream("GET", "/api/silver/data/export", params={"tpa": TPA, "table_name": TABLE}) as response,
    ):
        response.raise_for_status()
        for chunk in response.iter_bytes():
            if first_byte is None:
                first_byte = time.perf_counter()
            received += len(chunk)
            chunks += 1
    ended = time.perf_counter()
    first_byte = first_byte or ended
    return {
        "first_byte_ms": round(1000 * (first_byte - started), 1),
        "seconds": round(ended - started, 1),
        "mb": round(received / 2**20, 1),
        "chunks": chunks,
        "rss_growth_to_first_byte_mb": round(sampler.growth_between(started, first_byte), 1),
        "rss_growth_first_5s_mb": round(sampler.growth_between(started, started + 5), 1),
        "rss_growth_whole_export_mb": round(sampler.growth_between(started, ended), 1),
    }


def reads(run: Run, server: AppServer, api: Api, rows: int) -> None:
    http = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {run.token}"},
                        timeout=PAGE_TIMEOUT)  # fmt: skip
    bronze_total = int(api.call("GET", "/api/bronze/stats", params={"tpa": TPA})["total_rows"])
    silver_total = int(api.call("GET", "/api/silver/data", params={"tpa": TPA, "table_name": TABLE, "limit": 1})
                       ["total_count"])  # fmt: skip
    gold_total = int(api.call("GET", f"/api/gold/analytics/{GOLD_TABLE}/stats", params={"tpa": TPA})["total_records"])
    run.results["scale_reads"] = {
        "rows": {"bronze": bronze_total, "silver": silver_total, "gold": gold_total},
        "bronze": page_timings(
            http, ("/api/bronze/raw-data", {"tpa": TPA}), ("/bronze/data", {"tpa": TPA}), bronze_total, 50
        ),
        "bronze_search": searches(http, rows),
        "silver": page_timings(
            http,
            ("/api/silver/data", {"tpa": TPA, "table_name": TABLE}),
            ("/silver/data", {"tpa": TPA, "table": TABLE}),
            silver_total,
            100,
        ),
        "gold": page_timings(
            http,
            (f"/api/gold/analytics/{GOLD_TABLE}", {"tpa": TPA}),
            ("/gold/analytics", {"tpa": TPA, "table": GOLD_TABLE}),
            gold_total,
            50,
        ),
    }
    sampler = RssSampler(server.pid)
    _, idle = health_while(server, lambda: time.sleep(3))
    with sampler.running():
        export, loaded = health_while(server, lambda: stream_export(server, run.token, sampler))
    run.results["scale_export"] = export | {
        "rss_before_mb": round(sampler.before_mb, 1),
        "rss_peak_mb": round(sampler.peak_mb, 1),
        "health_idle": idle,
        "health_during_export": loaded,
    }


def scale(run: Run, report: Callable[[str], None]) -> None:
    rows = run.mode.scale_rows
    started = time.perf_counter()
    csv_path = write_csv(run.data_dir / f"scale-{rows}.csv", LAYOUT, KIND, rows)
    report(f"  {rows:,}-row CSV written in {time.perf_counter() - started:.0f} s")
    spec = ServerSpec(latency_ms=0.0, upload_max_bytes=4 * 1024**3)
    baseline_dir = run.data_dir / "uncapped"
    baseline_dir.mkdir()
    uncapped, (baseline_server, _) = load_once(
        run, baseline_dir, csv_path, ServerSpec(**{**spec.__dict__, "memory_limit": UNCAPPED_MEMORY}), "uncapped"
    )
    baseline_server.stop()
    shutil.rmtree(baseline_dir, ignore_errors=True)
    report(f"  uncapped load: RSS {uncapped['rss_before_mb']} -> {uncapped['rss_peak_mb']} MB")
    capped, (server, api) = load_once(run, run.data_dir, csv_path, spec, "app settings")
    report(f"  load with the app's settings: RSS {capped['rss_before_mb']} -> {capped['rss_peak_mb']} MB")
    run.results["scale_memory"] = {"rows": [uncapped, capped], "file_rows": rows}
    try:
        map_fields(api, TPA)
        silver = transform(api, TPA)
        gold = api.call("POST", "/api/gold/refresh", json={"tpa": TPA, "full": True})
        report(f"  Silver {silver['inserted']:,} rows, Gold refresh {gold.get('status')}")
        reads(run, server, api, rows)
    finally:
        server.stop()


async def scale_scenarios(run: Run, report: Callable[[str], None]) -> None:
    await in_thread(run, report, ("scale_memory", "scale_reads", "scale_export"), scale)

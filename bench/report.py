"""The Markdown report, its charts, the machine description and the README's latest-results block."""

import math
import os
import platform
import re
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent / "README.md"
BLOCK = re.compile(r"<!-- latest:start -->.*<!-- latest:end -->", re.DOTALL)
PACKAGES = ("Django", "uvicorn", "duckdb", "fakesnow", "httpx")
GOLD_READ_TABLE = "MEMBER_360"
FLAT_EXPORT_MB = 50  # a streamed export holds a few batches, whatever the table size


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "")
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else "MemTotal: 0 kB"
    total_kb = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))  # type: ignore[union-attr]
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "memory_gib": round(total_kb / 1024**2, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES},
    }


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    lines = ["| " + " | ".join(title for _, title in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(entry.get(key)) for key, _ in columns) + " |" for entry in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


LOAD_COLUMNS = (
    ("variant", "variant"),
    ("concurrency", "conc."),
    ("requests", "requests"),
    ("rps", "req/s"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("errors", "errors"),
    ("error_kinds", "error kinds"),
    ("server_cpu", "server CPU"),
    ("cpu_ms_per_request", "server CPU ms/req"),
    ("machine_cpu", "machine CPU"),
)


def _rows(results: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return results.get(name, {}).get("rows", [])


def goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One line per goal of the issue: what was measured, and whether the goal is met."""
    checks: list[tuple[str, str, Callable[[dict[str, Any]], tuple[str, bool | None]]]] = [
        ("1", "uncached async req/s ÷ (pool ÷ latency), concurrency ≥ 16", ">= 0.9", _goal_throughput),
        ("2", "warehouse queries for 1 cold key, burst of 200", "1", _goal_stampede),
        ("3", "cached req/s ÷ bare async view req/s (conc. 16)", ">= 0.9", _goal_cached),
        ("4", "5-query page (gather) p50 ÷ 1-query p50", "<= 1.3", _goal_fan_out),
        ("5", "`/api/health` p99 with 100 slow queries in flight", "< 20 ms, 0 errors", _goal_health),
        ("6", "pool exhausted: extra requests get 503 within acquire timeout", "all, none hang", _goal_busy),
        ("7", "ingestion through the app ÷ plain DuckDB `read_csv`", "<= 1.3", _goal_ingestion),
        ("8", "transform through the app ÷ hand-written `INSERT ... SELECT`", "<= 1.2", _goal_transform),
        ("9", "cost vs rows (log-log slope; 1 = linear)", "~1", _goal_scaling),
        ("10", "server CPU per request: /api/health, cached, uncached one-query", "<= 0.5, 1.5, 3 ms", _goal_cpu),
        ("11", "uncached async req/s ÷ raw Starlette + DuckDB req/s, concurrency ≥ 16", ">= 0.95", _goal_raw),
        ("12", "uncached async req/s ÷ naive connection-per-query req/s, concurrency 64", ">= 10", _goal_naive),
        (
            "13",
            "Bronze raw data page (first, middle, last), slowest; text search, slowest",
            "< 200 ms; < 1 s",
            _goal_raw_reads,
        ),
        ("14", "Silver data page and Gold table page (first, middle, last), slowest", "< 200 ms", _goal_layer_reads),
        (
            "15",
            "Silver CSV export: server memory growth; `/api/health` p99 while it streams",
            "flat; < 50 ms",
            _goal_export,
        ),
        ("16", "Bronze load: server memory, app settings (DuckDB left uncapped)", "below uncapped", _goal_load_memory),
    ]
    lines = []
    for number, what, goal, check in checks:
        try:
            measured, met = check(results)
        except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError, StopIteration):
            failure = _failure(results, number)
            measured, met = (f"not measured: {failure}" if failure else "not measured"), None
        lines.append({"number": number, "what": what, "goal": goal, "measured": measured, "met": _met(met)})
    return lines


def _failure(results: dict[str, Any], number: str) -> str:
    names = {
        "1": "throughput",
        "2": "stampede",
        "3": "cached_vs_bare",
        "4": "fan_out",
        "5": "loop_health",
        "6": "pool_exhausted",
        "7": "ingestion",
        "8": "transform",
        "9": "scaling",
        "10": "cpu_per_request",
        "11": "throughput",
        "12": "throughput",
        "13": "scale_reads",
        "14": "scale_reads",
        "15": "scale_export",
        "16": "scale_memory",
    }
    return str(results.get(names[number], {}).get("failed", ""))[:200]


def _met(met: bool | None) -> str:
    return "-" if met is None else ("met" if met else "**gap**")


def _goal_throughput(results: dict[str, Any]) -> tuple[str, bool]:
    ratios = [r["ratio_to_limit"] for r in _rows(results, "throughput") if r["variant"].startswith("async")]
    loaded = [r for r in _rows(results, "throughput") if r["variant"].startswith("async") and r["concurrency"] >= 16]
    worst = min(r["ratio_to_limit"] for r in loaded)
    text = ", ".join(f"c={r['concurrency']}: {r['ratio_to_limit']:.2f}" for r in loaded)
    return f"{text} (c=1: {ratios[0]:.2f})", worst >= 0.9


def _goal_raw(results: dict[str, Any]) -> tuple[str, bool]:
    loaded = [r for r in _rows(results, "throughput") if "ratio_to_raw" in r and r["concurrency"] >= 16]
    text = ", ".join(f"c={r['concurrency']}: {r['ratio_to_raw']:.2f}" for r in loaded)
    return text, min(r["ratio_to_raw"] for r in loaded) >= 0.95


def _goal_naive(results: dict[str, Any]) -> tuple[str, bool]:
    at_64 = next(r for r in _rows(results, "throughput") if "ratio_to_naive" in r and r["concurrency"] == 64)
    return f"{at_64['ratio_to_naive']:.1f}", at_64["ratio_to_naive"] >= 10


def _goal_cpu(results: dict[str, Any]) -> tuple[str, bool]:
    health, cached, uncached = rows = _rows(results, "cpu_per_request")
    text = ", ".join(f"{r['variant']} {r['cpu_ms_per_request']:.2f} ms" for r in (health, cached, uncached))
    return text, all(r["cpu_ms_per_request"] <= r["goal_ms"] for r in rows)


def _goal_stampede(results: dict[str, Any]) -> tuple[str, bool]:
    cached, baseline = _rows(results, "stampede")
    return (
        f"{cached['cache_computes']} (uncached baseline: {baseline['warehouse_statements']} statements); "
        f"p99 {cached['p99_ms']:.0f} ms vs {baseline['p99_ms']:.0f} ms",
        cached["cache_computes"] == 1,
    )


def _goal_cached(results: dict[str, Any]) -> tuple[str, bool]:
    loaded = next(r for r in _rows(results, "cached_vs_bare") if "ratio_to_bare" in r and r["concurrency"] == 16)
    return f"{loaded['ratio_to_bare']:.2f} ({loaded['rps']:.0f} req/s)", loaded["ratio_to_bare"] >= 0.9


def _goal_fan_out(results: dict[str, Any]) -> tuple[str, bool]:
    gather = next(r for r in _rows(results, "fan_out") if r["variant"] == "gather")
    sequential = next(r for r in _rows(results, "fan_out") if r["variant"] == "sequential")
    return (
        f"{gather['ratio_to_single']:.2f} (sequential: {sequential['ratio_to_single']:.2f})",
        gather["ratio_to_single"] <= 1.3,
    )


def _goal_health(results: dict[str, Any]) -> tuple[str, bool]:
    idle, loaded, slow = _rows(results, "loop_health")
    errors = loaded["errors"] + slow["errors"]
    return (
        f"{loaded['p99_ms']:.1f} ms (idle {idle['p99_ms']:.1f} ms), {errors} errors, "
        f"{results['loop_health']['in_flight_sampled']} in flight",
        loaded["p99_ms"] < 20 and errors == 0,
    )


def _goal_busy(results: dict[str, Any]) -> tuple[str, bool]:
    busy = results["pool_exhausted"]
    limit_ms = 1000 * busy["acquire_timeout_s"]
    within = busy["rejected_503"] > 0 and busy["max_503_ms"] <= limit_ms + 500
    return (
        f"{busy['rejected_503']} × 503 (max {busy['max_503_ms']:.0f} ms, timeout {limit_ms:.0f} ms), "
        f"{busy['ok']} × 200, {busy['other']} other, {busy['hung']} hung",
        within and busy["hung"] == 0 and busy["other"] == 0,
    )


def _slowest_page(rows: list[dict[str, Any]]) -> float:
    return max(entry["api_max_ms"] for entry in rows)


def _goal_raw_reads(results: dict[str, Any]) -> tuple[str, bool]:
    reads = results["scale_reads"]
    page = _slowest_page(reads["bronze"])
    search = max(entry["ms"] for entry in reads["bronze_search"])
    found = all(entry["found"] for entry in reads["bronze_search"])
    return (
        f"{reads['rows']['bronze']:,} rows: page {page:,.0f} ms, search {search:,.0f} ms"
        + ("" if found else " (**a search missed its row**)"),
        page < 200 and search < 1000 and found,
    )


def _goal_layer_reads(results: dict[str, Any]) -> tuple[str, bool]:
    reads = results["scale_reads"]
    silver, gold = _slowest_page(reads["silver"]), _slowest_page(reads["gold"])
    return (
        f"Silver ({reads['rows']['silver']:,} rows) {silver:,.0f} ms, Gold {GOLD_READ_TABLE} "
        f"({reads['rows']['gold']:,} rows) {gold:,.0f} ms",
        max(silver, gold) < 200,
    )


def _goal_export(results: dict[str, Any]) -> tuple[str, bool]:
    export = results["scale_export"]
    during, idle = export["health_during_export"], export["health_idle"]
    return (
        f"+{export['rss_growth_first_5s_mb']:.0f} MB in the first 5 s, +{export['rss_growth_whole_export_mb']:.0f} MB "
        f"over {export['mb']:,.0f} MB in {export['seconds']:.0f} s; health p99 {during['p99_ms']:.0f} ms "
        f"(idle {idle['p99_ms']:.0f} ms)",
        export["rss_growth_whole_export_mb"] < FLAT_EXPORT_MB and during["p99_ms"] < 50,
    )


def _goal_load_memory(results: dict[str, Any]) -> tuple[str, bool]:
    uncapped, capped = results["scale_memory"]["rows"]
    rows = results["scale_memory"]["file_rows"]
    return (
        f"{rows:,} rows: {capped['rss_before_mb']:.0f} -> {capped['rss_peak_mb']:.0f} MB "
        f"({uncapped['rss_before_mb']:.0f} -> {uncapped['rss_peak_mb']:.0f} MB uncapped)",
        capped["rss_growth_mb"] < uncapped["rss_growth_mb"],
    )


def _goal_ingestion(results: dict[str, Any]) -> tuple[str, bool]:
    return _pipeline_goal(results["ingestion"], 1.3)


def _pipeline_goal(entry: dict[str, Any], goal: float) -> tuple[str, bool]:
    without = entry["ratio_without_injected_latency"]
    without_text = "n/a" if without is None else f"{without:.2f}"
    return (
        f"{entry['ratio']:.2f} ({entry['rows']:,} rows: {entry['app_seconds']:.1f} s vs "
        f"{entry['duckdb_seconds']:.1f} s; {without_text} without the "
        f"{entry['injected_latency_s']:.1f} s of injected latency, whose statements partly overlap)",
        entry["ratio"] <= goal,
    )


def _goal_transform(results: dict[str, Any]) -> tuple[str, bool]:
    return _pipeline_goal(results["transform"], 1.2)


def _goal_scaling(results: dict[str, Any]) -> tuple[str, bool]:
    slopes = results["scaling"]["slopes"]
    text = ", ".join(f"{name} {slope:.2f}" for name, slope in slopes.items())
    return text, all(slope <= 1.15 for slope in slopes.values())


def write(results: dict[str, Any], directory: Path) -> str:
    """Write latest.md and the charts into `directory`; returns the same report with links for the README."""
    charts = _charts(results, directory)
    (directory / "latest.md").write_text(render(results, charts, ""))
    return render(results, charts, "results/")


def render(results: dict[str, Any], charts: Sequence[str], chart_prefix: str) -> str:
    meta = results["meta"]
    host = meta["machine"]
    packages = ", ".join(f"{name} {version}" for name, version in host["packages"].items())
    parts = [
        f"### Latest run: {meta['date']}, {meta['mode']} mode ({meta['suite_seconds']:.0f} s)",
        f"Machine: {host['cpus']} CPUs ({host['cpu_model']}), {host['memory_gib']} GiB, {host['os']}, "
        f"Python {host['python']}; {packages}. Load generator and server share these CPUs.",
        table(
            goals(results),
            (("number", "#"), ("what", "measure"), ("goal", "goal"), ("measured", "measured"), ("met", "")),
        ),
        *(f"![{name}]({chart_prefix}{name})" for name in charts),
        *_details(results),
    ]
    return "\n\n".join(parts) + "\n"


def _details(results: dict[str, Any]) -> list[str]:
    sections = []
    if rows := _rows(results, "cpu_per_request"):
        sections += [
            f"#### 10. Server CPU per request (no injected latency, concurrency "
            f"{results['cpu_per_request']['concurrency']})",
            table(rows, (*LOAD_COLUMNS, ("goal_ms", "goal ms/req"))),
        ]
        for entry in rows:
            if entry.get("profile"):
                sections += [
                    f"Where `{entry['variant']}` spends the GIL (py-spy, own time, top {len(entry['profile'])}):",
                    table(entry["profile"], (("function", "function"), ("share", "share"), ("samples", "samples"))),
                ]
    if rows := _rows(results, "throughput"):
        spec = results["throughput"]
        sections += [
            f"#### 1. Uncached one-query endpoint ({spec['latency_ms']:.0f} ms injected latency, "
            f"pool {spec['pool_size']})",
            table(
                rows,
                (
                    *LOAD_COLUMNS,
                    ("limit_rps", "limit req/s"),
                    ("ratio_to_limit", "÷ limit"),
                    ("ratio_to_raw", "÷ raw"),
                    ("ratio_to_naive", "÷ naive"),
                ),
            ),
            f"Peak RSS of the `serve` process after scenarios 1-4: {_cell(results.get('web_server_peak_rss_mb'))} MB.",
        ]
    if rows := _rows(results, "stampede"):
        sections += [
            f"#### 2. Cache stampede (burst of {results['stampede']['burst']} for one cold key)",
            table(rows, (*LOAD_COLUMNS, ("cache_computes", "cache computes"), ("warehouse_statements", "statements"))),
        ]
    if rows := _rows(results, "cached_vs_bare"):
        columns = (*LOAD_COLUMNS, ("ratio_to_bare", "÷ bare"))
        sections += ["#### 3. Cached endpoint vs bare async view (same auth and middleware)", table(rows, columns)]
    if rows := _rows(results, "fan_out"):
        columns = (*LOAD_COLUMNS, ("ratio_to_single", "p50 ÷ single"))
        sections += ["#### 4. Dashboard fan-out (5 independent queries)", table(rows, columns)]
    if rows := _rows(results, "loop_health"):
        sections += [
            f"#### 5. Event-loop health ({results['loop_health']['slow_query_ms']:.0f} ms queries)",
            table(rows, LOAD_COLUMNS),
        ]
    if "rejected_503" in results.get("pool_exhausted", {}):
        busy = results["pool_exhausted"]
        sections += [
            f"#### 6. Pool exhausted (pool {busy['pool_size']}, acquire timeout {busy['acquire_timeout_s']:g} s, "
            f"{busy['slow_query_ms']:.0f} ms queries, burst of {busy['burst']})",
            table(
                [busy],
                (
                    ("ok", "200"),
                    ("rejected_503", "503"),
                    ("other", "other"),
                    ("hung", "hung"),
                    ("p50_503_ms", "p50 of 503 ms"),
                    ("max_503_ms", "max of 503 ms"),
                    ("max_ms", "max ms"),
                ),
            ),
        ]
    sections += _pipeline_details(results)
    sections += _scale_details(results)
    failed = [f"- {name}: {value['failed']}" for name, value in results.items() if _failed(value)]
    if failed:
        sections += ["#### Scenarios that failed", "\n".join(failed)]
    return sections


def _failed(value: Any) -> bool:
    return isinstance(value, dict) and "failed" in value


def _pipeline_details(results: dict[str, Any]) -> list[str]:
    sections = []
    columns = (
        ("rows", "rows"),
        ("app_seconds", "app s"),
        ("duckdb_seconds", "DuckDB s"),
        ("ratio", "ratio"),
        ("app_rows_per_s", "app rows/s"),
        ("statements", "statements"),
        ("injected_latency_s", "injected latency s"),
        ("ratio_without_injected_latency", "ratio without it"),
    )
    for name, title in (("ingestion", "7. Ingestion (upload + worker into Bronze)"), ("transform", "8. Transform")):
        if "ratio" in results.get(name, {}):
            entry = results[name]
            extra = {k: v for k, v in entry.items() if k not in dict(columns) and k not in {"seconds", "note"}}
            sections += [f"#### {title}", table([entry], columns), _key_values(extra)]
            if entry.get("note"):
                sections.append(entry["note"])
    if rows := results.get("scaling", {}).get("rows"):
        sections += [
            "#### 9. Scaling",
            table(
                rows,
                (
                    ("rows", "rows"),
                    ("ingestion_s", "ingestion s"),
                    ("ingestion_duckdb_s", "read_csv s"),
                    ("transform_s", "transform s"),
                    ("transform_duckdb_s", "INSERT SELECT s"),
                ),
            ),
        ]
    return sections


def _scale_details(results: dict[str, Any]) -> list[str]:
    sections = []
    if "rows" in results.get("scale_memory", {}):
        columns = (
            ("variant", "variant"),
            ("memory_limit", "WAREHOUSE_MEMORY_LIMIT"),
            ("rss_before_mb", "RSS before MB"),
            ("rss_peak_mb", "RSS peak MB"),
            ("rss_growth_mb", "growth MB"),
            ("rss_after_mb", "RSS after MB"),
            ("ingestion_s", "load s"),
        )
        rows = results["scale_memory"]["file_rows"]
        sections += [
            f"#### 16. Bronze load of {rows:,} rows: server memory",
            table(results["scale_memory"]["rows"], columns),
        ]
    if "bronze" in results.get("scale_reads", {}):
        reads = results["scale_reads"]
        page_columns = (
            ("page", "page"),
            ("pages", "page numbers"),
            ("api_median_ms", "API read median ms"),
            ("api_max_ms", "API read max ms"),
            ("html_median_ms", "HTML page median ms"),
            ("html_max_ms", "HTML page max ms"),
        )
        for key, title in (
            ("bronze", "Bronze raw data"),
            ("silver", "Silver data"),
            ("gold", f"Gold {GOLD_READ_TABLE}"),
        ):
            sections += [f"#### 13-14. {title} page ({reads['rows'][key]:,} rows)", table(reads[key], page_columns)]
        sections += [
            "#### 13. Bronze raw data search (page with the count)",
            table(reads["bronze_search"], (("search", "search"), ("term", "term"), ("ms", "ms"), ("found", "found"))),
        ]
    if "seconds" in results.get("scale_export", {}) and "mb" in results["scale_export"]:
        export = results["scale_export"]
        figures = {k: v for k, v in export.items() if not isinstance(v, dict)}
        health = [
            {"variant": "idle", **export["health_idle"]},
            {"variant": "while exporting", **export["health_during_export"]},
        ]
        sections += [
            "#### 15. Silver CSV export while `/api/health` is probed",
            _key_values(figures),
            table(health, LOAD_COLUMNS[:8]),
        ]
    return sections


def _key_values(values: dict[str, Any]) -> str:
    return "; ".join(f"{key.replace('_', ' ')}: {_cell(value)}" for key, value in values.items())


def _charts(results: dict[str, Any], directory: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    if rows := _rows(results, "throughput"):
        figure, axis = plt.subplots(figsize=(6.4, 3.6), dpi=80)
        for variant in dict.fromkeys(r["variant"] for r in rows):
            points = [r for r in rows if r["variant"] == variant]
            axis.plot([p["concurrency"] for p in points], [p["rps"] for p in points], marker="o", label=variant)
        limits = [r for r in rows if r["variant"].startswith("async")]
        axis.plot([p["concurrency"] for p in limits], [p["limit_rps"] for p in limits], "k--", label="pool ÷ latency")
        axis.set(xscale="log", xlabel="concurrent clients", ylabel="requests/s", title="1. Uncached one-query endpoint")
        axis.legend(fontsize=8)
        written.append(_save(figure, directory / "throughput.png"))
    if rows := results.get("scaling", {}).get("rows"):
        figure, axis = plt.subplots(figsize=(6.4, 3.6), dpi=80)
        for key, label in (
            ("ingestion_s", "ingestion (app)"),
            ("ingestion_duckdb_s", "read_csv (DuckDB)"),
            ("transform_s", "transform (app)"),
            ("transform_duckdb_s", "INSERT SELECT (DuckDB)"),
        ):
            points = [r for r in rows if r.get(key) is not None]
            if points:
                axis.plot([p["rows"] for p in points], [p[key] for p in points], marker="o", label=label)
        axis.set(xscale="log", yscale="log", xlabel="rows", ylabel="seconds", title="9. Scaling")
        axis.legend(fontsize=8)
        written.append(_save(figure, directory / "scaling.png"))
    return written


def _save(figure: Any, path: Path) -> str:
    import matplotlib.pyplot as plt

    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path.name


def update_readme(markdown: str) -> None:
    text = README.read_text() if README.exists() else ""
    block = f"<!-- latest:start -->\n{markdown}<!-- latest:end -->"
    if BLOCK.search(text):
        README.write_text(BLOCK.sub(lambda _match: block, text))
    else:
        README.write_text(f"{text}\n{block}\n")

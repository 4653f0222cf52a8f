import asyncio
import json
import math
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bench import profile, report
from bench.load import LoadResult, percentile_ms
from bench.pipeline import slope
from bench.queries import SEEDED_TPAS
from bench.raw_app import TPAS_PATH
from bench.scenarios import CPU_PATHS, RAW, SMOKE, Run, seed_tpas
from bench.server import ServerSpec, new_secret_key, prepare_data_dir

SAME_JSON_PATHS = ("/api/tpas", "/api/bench/tpas/async", "/api/bench/tpas/sync", "/api/bench/tpas/naive")


def test_percentiles_and_rates_come_from_the_samples() -> None:
    result = LoadResult(concurrency=2, elapsed=2.0)
    result.by_status[200].extend([0.010, 0.020, 0.030, 0.040])
    result.by_status[503].append(1.0)
    result.failures = 1
    assert result.requests == 6
    assert result.errors == 2
    assert result.rps == 2.5
    assert result.p50_ms == pytest.approx(30.0)
    assert result.max_ms == pytest.approx(1000.0)
    assert math.isnan(percentile_ms([], 0.5))


def test_scaling_slope_is_one_for_linear_cost() -> None:
    rows = [{"rows": 10, "s": 1.0}, {"rows": 1000, "s": 100.0}]
    assert slope(rows, "s") == pytest.approx(1.0)
    assert slope([{"rows": 10, "s": 1.0}, {"rows": 1000, "s": 1.0}], "s") == pytest.approx(0.0)


def test_report_lists_every_goal_even_when_nothing_was_measured(tmp_path: Path) -> None:
    results = {"meta": {"mode": "quick", "date": "today", "suite_seconds": 1.0, "machine": report.machine()}}
    markdown = report.write(results, tmp_path)
    lines = report.goals(results)
    assert [line["number"] for line in lines] == [str(n) for n in range(1, 17)]
    assert all(line["met"] == "-" and line["measured"] == "not measured" for line in lines)
    assert "Latest run: today, quick mode" in (tmp_path / "latest.md").read_text()
    assert "Latest run" in markdown


@pytest.mark.slow
def test_bench_endpoints_answer_the_same_json_and_keep_the_app_rules(tmp_path: Path) -> None:
    secret = new_secret_key()
    run = Run(SMOKE, tmp_path, secret, prepare_data_dir(tmp_path, secret))
    spec = ServerSpec(pool_size=4, latency_ms=20.0)
    with run.server(spec) as server, run.raw_server(spec) as raw:
        asyncio.run(seed_tpas(run, server))
        asyncio.run(seed_tpas(run, server))
        headers = {"Authorization": f"Bearer {run.token}"}
        bodies = [httpx.get(server.base_url + path, headers=headers).json() for path in SAME_JSON_PATHS]
        assert len(bodies[0]) == SEEDED_TPAS
        assert all(body == bodies[0] for body in bodies)
        raw_body = httpx.get(raw.base_url + TPAS_PATH).json()
        assert [tpa["TPA_CODE"] for tpa in raw_body] == [tpa["TPA_CODE"] for tpa in bodies[0]]
        assert httpx.get(f"{server.base_url}/api/bench/tpas/sync").status_code == 401
        injection = "x';DROP TABLE BRONZE.TPA_MASTER;--"
        assert httpx.get(f"{server.base_url}/api/bench/dashboard/{injection}", headers=headers).status_code == 404
        assert httpx.get(f"{server.base_url}/api/bench/invalidate", headers=headers).status_code == 405


@pytest.mark.slow
def test_smoke_run_measures_every_scenario(tmp_path: Path) -> None:
    """`python -m bench --smoke`, as CI runs it: every scenario once, none failing, the report complete."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--output", str(tmp_path)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    results = json.loads((tmp_path / "latest.json").read_text())
    assert [line["met"] for line in report.goals(results) if line["met"] == "-"] == []
    throughput = results["throughput"]["rows"]
    assert {row["variant"] for row in throughput} == {"async (Medallion)", "sync view", "naive to_thread", RAW}
    assert all(row["errors"] == 0 and row["rps"] > 0 for row in throughput)
    assert results["stampede"]["rows"][0]["cache_computes"] == 1
    assert [row["variant"] for row in results["cpu_per_request"]["rows"]] == list(CPU_PATHS)
    assert "Uncached one-query endpoint" in (tmp_path / "latest.md").read_text()
    assert 0 < (tmp_path / "throughput.png").stat().st_size < 200_000


@pytest.mark.pure
def test_profile_top_is_own_time_per_function() -> None:
    collapsed = (
        "<module> (app.py:1);handler (/venv/lib/python3.11/site-packages/django/core.py:10) 3\n"
        "<module> (app.py:1) 1\n"
        "not a sample\n"
    )
    assert profile.top(collapsed) == [
        {"function": "handler (django/core.py)", "share": 0.75, "samples": 3},
        {"function": "<module> (app.py)", "share": 0.25, "samples": 1},
    ]

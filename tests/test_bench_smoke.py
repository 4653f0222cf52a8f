import asyncio
import math
from pathlib import Path

import httpx
import pytest

from bench import report
from bench.load import LoadResult, percentile_ms
from bench.pipeline import slope
from bench.scenarios import Mode, Run, seed_tpas, stampede, throughput
from bench.server import ServerSpec, new_secret_key, prepare_data_dir

MICRO = Mode("micro", 0.5, 0.2, (1, 4), 20, 2, 0.5, 4, 4, (100, 1000), 1)
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
    assert [line["number"] for line in lines] == [str(n) for n in range(1, 10)]
    assert all(line["met"] == "-" and line["measured"] == "not measured" for line in lines)
    assert "Latest run: today, quick mode" in (tmp_path / "latest.md").read_text()
    assert "Latest run" in markdown


@pytest.mark.slow
def test_harness_runs_a_micro_scenario_against_the_real_server(tmp_path: Path) -> None:
    secret = new_secret_key()
    run = Run(MICRO, tmp_path, secret, prepare_data_dir(tmp_path, secret))
    with run.server(ServerSpec(pool_size=4, latency_ms=20.0)) as server:
        asyncio.run(seed_tpas(run, server))
        headers = {"Authorization": f"Bearer {run.token}"}
        bodies = [httpx.get(server.base_url + path, headers=headers).json() for path in SAME_JSON_PATHS]
        assert len(bodies[0]) == 10
        assert all(body == bodies[0] for body in bodies)
        assert httpx.get(f"{server.base_url}/api/bench/tpas/sync").status_code == 401
        injection = "x';DROP TABLE BRONZE.TPA_MASTER;--"
        assert httpx.get(f"{server.base_url}/api/bench/dashboard/{injection}", headers=headers).status_code == 404
        assert httpx.get(f"{server.base_url}/api/bench/invalidate", headers=headers).status_code == 405

        measured = asyncio.run(throughput(run, server, 20.0, 4))
        burst = asyncio.run(stampede(run, server))

    assert [(r["variant"], r["concurrency"]) for r in measured["rows"]][:3] == [
        ("async (Medallion)", 1),
        ("sync view", 1),
        ("naive to_thread", 1),
    ]
    assert all(r["errors"] == 0 and r["rps"] > 0 for r in measured["rows"])
    assert [r["limit_rps"] for r in measured["rows"]] == [50.0] * 3 + [200.0] * 3
    cached, uncached = burst["rows"]
    assert cached["requests"] == uncached["requests"] == 20
    assert cached["cache_computes"] <= 2
    assert uncached["warehouse_statements"] >= 20

    output = tmp_path / "results"
    output.mkdir()
    meta = {"mode": "micro", "date": "now", "suite_seconds": 1.0, "machine": report.machine()}
    results = {"throughput": measured, "stampede": burst, "meta": meta}
    report.write(results, output)
    assert "Uncached one-query endpoint" in (output / "latest.md").read_text()
    assert 0 < (output / "throughput.png").stat().st_size < 200_000

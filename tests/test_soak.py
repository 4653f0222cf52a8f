"""A bounded soak on loopback: many concurrent clients over a mix of endpoints against a live `manage.py serve`.
No 5xx, and the server's memory and thread count stop growing after warm-up. SOAK_FULL=1: 200 clients, 60 s."""

import asyncio
import json
import os
import statistics
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.e2e_support import BASE_DIR, Site

pytestmark = pytest.mark.soak

FULL = os.environ.get("SOAK_FULL") == "1"
CLIENTS = 200
DURATION = 60.0 if FULL else 10.0
WARM_UP = 10.0 if FULL else 3.0
RSS_MARGIN_KB = 60_000
THREAD_MARGIN = 4
TPA = "SOAK"
MIX = (
    "/api/health",
    "/api/user/current",
    "/api/tpas",
    f"/api/bronze/queue?tpa={TPA}",
    f"/api/bronze/stats?tpa={TPA}",
    f"/api/bronze/raw-data?tpa={TPA}&limit=50",
    "/api/bronze/stages/COMPLETED",
    "/api/silver/schemas",
    "/api/silver/tables",
    f"/api/silver/mappings?tpa={TPA}",
    f"/api/gold/metrics?tpa={TPA}",
    "/api/bronze/tasks",
    "/bronze/status",
    "/silver/schemas",
)


@pytest.fixture(scope="module")
def server():
    site = Site()
    token = site.token("soaker", "admin")
    running = site.serve()
    with running.client(token) as client:
        assert client.post("/api/tpas", json={"tpa_code": TPA, "tpa_name": "Soak"}).status_code == 201
        files = {"file": ("claims.csv", b"claim_id,amount\r\n" + b"C1,10\r\nC2,20\r\n" * 200, "text/csv")}
        assert client.post("/api/bronze/upload", data={"tpa": TPA}, files=files).status_code == 201
    running.token = token
    yield running
    running.stop()
    site.remove()


async def _client_loop(client: httpx.AsyncClient, index: int, until: float, results: list, statuses: Counter) -> None:
    position = index
    while time.monotonic() < until:
        path = MIX[position % len(MIX)]
        position += 1
        started = time.monotonic()
        try:
            response = await client.get(path)
            statuses[response.status_code] += 1
        except httpx.HTTPError as error:
            statuses[type(error).__name__] += 1
            continue
        results.append(time.monotonic() - started)


async def _load(server, seconds: float) -> tuple[list[float], Counter]:
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    results: list[float] = []
    statuses: Counter = Counter()
    async with server.async_client(server.token, timeout=30.0, limits=limits) as client:
        until = time.monotonic() + seconds
        await asyncio.gather(*(_client_loop(client, i, until, results, statuses) for i in range(CLIENTS)))
    return results, statuses


def test_soak_holds_without_errors_or_growth(server):
    _, warm_statuses = asyncio.run(_load(server, WARM_UP))
    before = server.status()
    started = time.monotonic()
    latencies, statuses = asyncio.run(_load(server, DURATION))
    elapsed = time.monotonic() - started
    after = server.status()
    latencies.sort()
    figures = {
        "clients": CLIENTS,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99) - 1], 1),
        "statuses": {str(key): value for key, value in sorted(statuses.items(), key=str)},
        "rss_kb_before": before["VmRSS"],
        "rss_kb_after": after["VmRSS"],
        "threads_before": before["Threads"],
        "threads_after": after["Threads"],
    }
    artifacts = BASE_DIR / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    Path(artifacts / f"soak-{'full' if FULL else 'quick'}.json").write_text(json.dumps(figures, indent=2))
    print("soak figures:", json.dumps(figures))
    failures = {key: count for key, count in statuses.items() if not isinstance(key, int) or key >= 500}
    assert not failures and not [k for k in warm_statuses if not isinstance(k, int) or k >= 500], figures
    assert set(statuses) == {200}, figures
    assert figures["requests"] > CLIENTS, figures
    assert after["VmRSS"] - before["VmRSS"] < RSS_MARGIN_KB, figures
    assert after["Threads"] - before["Threads"] <= THREAD_MARGIN, figures
    assert "Traceback" not in server.log(), server.log()[-3000:]

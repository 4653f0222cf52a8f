"""`python -m bench.sse --streams 500`: Server-Sent Events against a real `serve` process.

Opens N streams on /api/events at once, reads the server's resident memory before and after (memory per
stream), then uploads files and measures, on every stream, the time from the status write (the event's
`published_at`, stamped where the service publishes right after its commit) to the line arriving at the client.
Writes bench/results/sse.json.
"""

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.server import AppServer, ServerSpec, new_secret_key, prepare_data_dir

RESULTS = Path(__file__).resolve().parent / "results" / "sse.json"
TPA = "SSEBENCH"
CONNECT_SECONDS = 120


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def listen(
    client: httpx.AsyncClient, streams: int, all_connected: asyncio.Event, arrivals: list[float], ready: list[int]
) -> None:
    async with client.stream("GET", "/api/events?topics=queue") as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line.startswith("retry:"):
                ready.append(1)
                if len(ready) == streams:
                    all_connected.set()
            elif line.startswith("data:"):
                event = json.loads(line[5:])
                if event.get("status") == "PENDING":
                    arrivals.append(time.time() - event["published_at"])


async def measure(base_url: str, token: str, pid: int, streams: int, uploads: int) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=streams + 10, max_keepalive_connections=streams + 10)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=None, limits=limits) as client:
        assert (await client.post("/api/tpas", json={"tpa_code": TPA, "tpa_name": "SSE bench"})).status_code == 201
        await asyncio.sleep(1)
        before = rss_mb(pid)
        arrivals: list[float] = []
        ready: list[int] = []
        all_connected = asyncio.Event()
        listeners = [
            asyncio.create_task(listen(client, streams, all_connected, arrivals, ready)) for _ in range(streams)
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_connected.wait(), CONNECT_SECONDS)
        await asyncio.sleep(1)
        held = len(ready)
        after = rss_mb(pid)
        for number in range(uploads):
            files = {"file": (f"claims-{number}.csv", b"claim_id,member_id\nC1,M1\n")}
            sent = await client.post("/api/bronze/upload", data={"tpa": TPA}, files=files)
            assert sent.status_code == 201, sent.text
            await asyncio.sleep(1.5)
        for listener in listeners:
            listener.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
    latencies = sorted(arrivals)
    return {
        "streams_requested": streams,
        "streams_held_open": held,
        "rss_before_mb": round(before, 1),
        "rss_with_streams_mb": round(after, 1),
        "memory_per_stream_kb": round((after - before) * 1024 / held, 1) if held else float("nan"),
        "events_received": len(latencies),
        "events_expected": held * uploads,
        "latency_p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else float("nan"),
        "latency_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1) if latencies else float("nan"),
        "latency_max_ms": round(latencies[-1] * 1000, 1) if latencies else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sse", description=__doc__)
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--uploads", type=int, default=3)
    options = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="medallion-sse-bench-"))
    secret = new_secret_key()
    token = prepare_data_dir(data_dir, secret)
    os.environ["EVENT_STREAMS_PER_USER"] = str(options.streams + 10)
    with AppServer(data_dir, ServerSpec(latency_ms=0.0), secret) as server:
        figures = asyncio.run(measure(server.base_url, token, server.pid, options.streams, options.uploads))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

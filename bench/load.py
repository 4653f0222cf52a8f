"""A bounded load generator: an async httpx client on loopback that stops by itself (count and time)."""

import asyncio
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

REQUEST_TIMEOUT = 30.0


def percentile_ms(latencies: list[float], fraction: float) -> float:
    if not latencies:
        return math.nan
    ordered = sorted(latencies)
    return 1000 * ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class LoadResult:
    concurrency: int
    elapsed: float = 0.0
    by_status: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: int = 0

    @property
    def latencies(self) -> list[float]:
        return [latency for latencies in self.by_status.values() for latency in latencies]

    @property
    def statuses(self) -> Counter[int]:
        return Counter({status: len(latencies) for status, latencies in self.by_status.items()})

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.failures

    @property
    def errors(self) -> int:
        return self.failures + sum(n for status, n in self.statuses.items() if status >= 400)

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile_ms(self, fraction: float) -> float:
        return percentile_ms(self.latencies, fraction)

    @property
    def p50_ms(self) -> float:
        return self.percentile_ms(0.50)

    @property
    def p99_ms(self) -> float:
        return self.percentile_ms(0.99)

    @property
    def max_ms(self) -> float:
        return self.percentile_ms(1.0)

    def summary(self) -> dict[str, float | int]:
        return {
            "concurrency": self.concurrency,
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 1),
            "p99_ms": round(self.p99_ms, 1),
            "max_ms": round(self.max_ms, 1),
            "errors": self.errors,
            "error_kinds": " ".join(f"{status}×{n}" for status, n in sorted(self.statuses.items()) if status >= 400)
            + (f" failed×{self.failures}" if self.failures else ""),
        }

    def merge(self, other: "LoadResult") -> "LoadResult":
        """Two measurements of the same thing taken at different times, as one."""
        merged = LoadResult(self.concurrency, self.elapsed + other.elapsed, failures=self.failures + other.failures)
        for source in (self, other):
            for status, latencies in source.by_status.items():
                merged.by_status[status].extend(latencies)
        return merged


def client(base_url: str, token: str | None, concurrency: int) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=REQUEST_TIMEOUT)


async def run_load(
    base_url: str,
    path: str,
    *,
    token: str | None,
    concurrency: int,
    duration: float,
    max_requests: int | None = None,
    stagger: float = 0.0,
    until: Callable[[], bool] | None = None,
) -> LoadResult:
    """`concurrency` workers send GET `path` back to back until `duration` has passed, `max_requests` were sent
    or `until()` is true.

    With `stagger`, worker i starts i/concurrency of that many seconds late, so slow requests stay spread out.
    """
    result = LoadResult(concurrency)
    budget = [max_requests if max_requests is not None else math.inf]
    async with client(base_url, token, concurrency) as http:
        started = time.perf_counter()
        deadline = started + duration

        async def worker(index: int) -> None:
            await asyncio.sleep(stagger * index / concurrency)
            while time.perf_counter() < deadline and budget[0] > 0 and not (until and until()):
                budget[0] -= 1
                sent = time.perf_counter()
                try:
                    response = await http.get(path)
                except httpx.HTTPError:
                    result.failures += 1
                    continue
                result.by_status[response.status_code].append(time.perf_counter() - sent)

        await asyncio.gather(*(worker(index) for index in range(concurrency)))
        result.elapsed = time.perf_counter() - started
    return result

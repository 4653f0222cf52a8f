"""Time the Gold dashboard's five warehouse queries with injected latency: side by side (as the page issues them)
against one after another, relative to a single query. Caches are bypassed."""

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandParser

from gold import services
from medallion.warehouse import close_warehouse, warehouse

QUERIES = (services.kpis, services.monthly_paid, services.claim_type_mix, services.top_providers, services.risk_tiers)


async def _timed(action: Callable[[], Awaitable[Any]]) -> float:
    cache.clear()
    started = time.monotonic()
    await action()
    return time.monotonic() - started


async def _sequential(tpa: str) -> None:
    for query in QUERIES:
        await query(tpa)


class Command(BaseCommand):
    help = "Benchmark the Gold dashboard queries (concurrent vs sequential) with injected warehouse latency."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--latency-ms", type=float, default=100.0)
        parser.add_argument("--rounds", type=int, default=10)
        parser.add_argument("--tpa", default="ALL")

    def handle(self, *args: Any, latency_ms: float, rounds: int, tpa: str, **options: Any) -> None:
        results = asyncio.run(self._bench(latency_ms / 1000, rounds, tpa.upper()))
        single, concurrent, sequential = (statistics.median(results[key]) for key in ("single", "gather", "serial"))
        self.stdout.write(
            f"pool size {warehouse().pool.max_size}, latency {latency_ms:g} ms, {rounds} rounds (medians):\n"
            f"  one query            {single * 1000:8.1f} ms\n"
            f"  five, asyncio.gather {concurrent * 1000:8.1f} ms  ({concurrent / single:.2f}x one query)\n"
            f"  five, one by one     {sequential * 1000:8.1f} ms  ({sequential / single:.2f}x one query)"
        )
        close_warehouse()

    async def _bench(self, latency: float, rounds: int, tpa: str) -> dict[str, list[float]]:
        wh = warehouse()
        await _sequential(tpa)
        wh.backend.inject_latency = latency
        results: dict[str, list[float]] = {"single": [], "gather": [], "serial": []}
        try:
            for _ in range(rounds):
                results["single"].append(await _timed(lambda: services.kpis(tpa)))
                results["gather"].append(await _timed(lambda: services.dashboard(tpa)))
                results["serial"].append(await _timed(lambda: _sequential(tpa)))
        finally:
            wh.backend.inject_latency = 0.0
        return results

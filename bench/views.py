"""Bench-only endpoints, mounted by `bench.settings` only: the same one-query TPA listing written the ways
apps usually write it, a five-query dashboard, and the counters the harness reads."""

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from medallion.caching import invalidate, query_counter
from medallion.decorators import api
from medallion.errors import not_found
from medallion.http import error_response, json_response
from medallion.warehouse import warehouse
from tpa import services as tpa_services

# The statement `tpa.services.list_tpas` runs when called without a filter.
TPA_QUERY = (
    f"SELECT {tpa_services.TPA_COLUMNS} FROM BRONZE.TPA_MASTER ORDER BY ACTIVE DESC, CREATED_TIMESTAMP DESC, TPA_CODE"
)
# What a connection-per-query app sends after connecting (fakesnow has no ALTER SESSION).
SESSION_SETUP = ("USE WAREHOUSE COMPUTE_WH", "USE SCHEMA BRONZE")
DASHBOARD_QUERIES = (
    "SELECT COUNT(*) AS N FROM BRONZE.TPA_MASTER",
    "SELECT STATUS, COUNT(*) AS N FROM BRONZE.FILE_PROCESSING_QUEUE GROUP BY STATUS ORDER BY STATUS",
    "SELECT COUNT(*) AS N FROM BRONZE.RAW_DATA_TABLE",
    "SELECT COUNT(*) AS N FROM SILVER.CREATED_TABLES",
    "SELECT COUNT(*) AS N FROM OPS.APPLICATION_LOG",
)
uncached_list_tpas = tpa_services.list_tpas.__wrapped__  # type: ignore[attr-defined]


class BlockingPool:
    """The classic sync pattern: threads block on a bounded queue of connections (like SQLAlchemy's QueuePool)."""

    def __init__(self, size: int, acquire_timeout: float) -> None:
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self.acquire_timeout = acquire_timeout

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        if not self._slots.acquire(timeout=self.acquire_timeout):
            raise TimeoutError
        with self._lock:
            raw = self._idle.pop() if self._idle else None
        try:
            if raw is None:
                raw = warehouse().backend.connect()
            yield raw
        finally:
            with self._lock:
                self._idle.append(raw)
            self._slots.release()


_blocking_pool = BlockingPool(settings.WAREHOUSE_POOL_SIZE, settings.WAREHOUSE_ACQUIRE_TIMEOUT)
_snapshot: list[dict[str, Any]] = []


@api("viewer")
async def tpas_async(request: HttpRequest) -> list[dict[str, Any]]:
    """The production service function without its cache: bounded pool, dedicated executor."""
    return await uncached_list_tpas()


def tpas_sync(request: HttpRequest) -> HttpResponse:
    """A sync view: Django runs it on a thread of its own, which blocks on a pooled connection."""
    if not request.user.is_authenticated:
        return error_response(request, 401, "not_authenticated", "Authentication is required.")
    backend = warehouse().backend
    try:
        with _blocking_pool.connection() as raw:
            rows = backend.execute(raw, TPA_QUERY, None).dicts()
    except TimeoutError:
        return error_response(request, 503, "upstream_unavailable", "No connection became free in time.")
    return json_response(rows)


def _query_on_new_connection() -> list[dict[str, Any]]:
    backend = warehouse().backend
    raw = backend.connect()
    try:
        for statement in SESSION_SETUP:
            backend.execute(raw, statement, None)
        return backend.execute(raw, TPA_QUERY, None).dicts()
    finally:
        backend.close(raw)


@api("viewer")
async def tpas_naive(request: HttpRequest) -> list[dict[str, Any]]:
    """The pattern many apps ship: a new connection plus session setup per query, on the default thread pool."""
    return await asyncio.to_thread(_query_on_new_connection)


@api("viewer")
async def tpas_bare(request: HttpRequest) -> list[dict[str, Any]]:
    """The same JSON as the cached `/api/tpas`, held in memory: what a cache hit costs is the difference."""
    if not _snapshot:
        _snapshot.extend(await uncached_list_tpas())
    return _snapshot


@api("viewer")
async def dashboard(request: HttpRequest, mode: str) -> dict[str, Any]:
    wh = warehouse()
    if mode == "single":
        results = [await wh.fetch_all(DASHBOARD_QUERIES[0])]
    elif mode == "gather":
        results = list(await asyncio.gather(*(wh.fetch_all(sql) for sql in DASHBOARD_QUERIES)))
    elif mode == "sequential":
        results = [await wh.fetch_all(sql) for sql in DASHBOARD_QUERIES]
    else:
        raise not_found("not_found", "Use single, gather or sequential.")
    return {"panels": results}


@api("viewer")
async def metrics(request: HttpRequest) -> dict[str, Any]:
    wh = warehouse()
    return {
        "warehouse_queries": wh.metrics.queries,
        "connections_opened": wh.metrics.connections_opened,
        "busy_rejections": wh.metrics.busy_rejections,
        "cache_computes": sum(query_counter.values()),
        **wh.gauges(),
    }


@api("admin")
async def invalidate_tpas(request: HttpRequest) -> HttpResponse:
    await invalidate("tpas")
    return json_response({"invalidated": ["tpas"]})

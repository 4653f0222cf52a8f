"""Result caching for service functions: TTL per namespace, generation-based invalidation, single-flight.

A cached value is stored together with the namespace generation it was computed under, so one
`get_many` round trip fetches both and a bumped generation (from any process sharing the cache)
turns every older value into a miss.
"""

import asyncio
import functools
import hashlib
import inspect
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.serializers.json import DjangoJSONEncoder

from medallion.scope import allowed_tpas

P = ParamSpec("P")
R = TypeVar("R")

GENERATION_TTL = 30 * 24 * 3600
_cache_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="cache")


@dataclass
class NamespaceStats:
    name: str
    ttl: int
    hits: int = 0
    misses: int = 0
    invalidations: int = 0
    last_invalidated_at: datetime | None = None

    @property
    def hit_rate(self) -> float | None:
        total = self.hits + self.misses
        return self.hits / total if total else None


namespaces: dict[str, NamespaceStats] = {}
_in_flight: dict[tuple[int, str], asyncio.Future[Any]] = {}
query_counter: Counter[str] = Counter()
TPA_PARAMETERS = frozenset({"tpa", "tpa_code"})


async def _cache_call(function: Callable[..., R], *args: Any) -> R:
    if isinstance(caches["default"], LocMemCache):
        return function(*args)
    return await asyncio.get_running_loop().run_in_executor(_cache_executor, function, *args)


async def _cache_read(function: Callable[..., R], *args: Any) -> R:
    """Reads from a cache on this machine (memory, or small files that are page-cache hits) cost less than a
    thread hop; a network cache is read through the executor."""
    if isinstance(caches["default"], FileBasedCache):
        return function(*args)
    return await _cache_call(function, *args)


def _generation_key(namespace: str) -> str:
    return f"medallion:gen:{namespace}"


def _value_key(namespace: str, function_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    # The TPA scope is part of the key: a scoped request never gets a result computed for a wider one.
    scope = allowed_tpas()
    fingerprint = json.dumps(
        [args, sorted(kwargs.items()), None if scope is None else sorted(scope)], cls=DjangoJSONEncoder, default=repr
    )
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
    return f"medallion:val:{namespace}:{function_name}:{digest}"


def _canonical_arguments(
    signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The same call spelled differently gets one key: defaults filled in, keyword or positional alike, and TPA
    codes (parameters named tpa or tpa_code) trimmed and upper-cased as the services read them."""
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    for name in TPA_PARAMETERS & bound.arguments.keys():
        if isinstance(bound.arguments[name], str):
            bound.arguments[name] = bound.arguments[name].strip().upper()
    return bound.args, bound.kwargs


def register_namespace(namespace: str, ttl: int | None = None) -> NamespaceStats:
    if namespace not in namespaces:
        namespaces[namespace] = NamespaceStats(namespace, ttl or settings.CACHE_DEFAULT_TTL)
    return namespaces[namespace]


def cached(namespace: str, ttl: int | None = None) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Cache an async service function's result. Arguments must be JSON-like values (never objects)."""
    stats = register_namespace(namespace, ttl)

    def decorate(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        function_name = f"{function.__module__}.{function.__qualname__}"
        signature = inspect.signature(function)

        @functools.wraps(function)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            key = _value_key(namespace, function_name, *_canonical_arguments(signature, args, kwargs))
            generation_key = _generation_key(namespace)
            found = await _cache_read(cache.get_many, [generation_key, key])
            generation = found.get(generation_key)
            entry = found.get(key)
            if entry is not None and entry[0] == generation:
                stats.hits += 1
                return entry[1]
            stats.misses += 1
            return await _single_flight(key, lambda: _compute(function, args, kwargs, key, generation, stats.ttl))

        wrapper.namespace = namespace  # type: ignore[attr-defined]
        return wrapper

    return decorate


async def _compute(
    function: Callable[..., Awaitable[R]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    key: str,
    generation: str | None,
    ttl: int,
) -> R:
    query_counter[key] += 1
    value = await function(*args, **kwargs)
    await _cache_call(cache.set, key, (generation, value), ttl)
    return value


async def _single_flight(key: str, compute: Callable[[], Awaitable[R]]) -> R:
    loop = asyncio.get_running_loop()
    flight_key = (id(loop), key)
    running = _in_flight.get(flight_key)
    if running is not None:
        return await asyncio.shield(running)
    future: asyncio.Future[R] = loop.create_future()
    _in_flight[flight_key] = future
    try:
        value = await compute()
    except BaseException as error:
        future.set_exception(error)
        future.exception()
        raise
    else:
        future.set_result(value)
        return value
    finally:
        _in_flight.pop(flight_key, None)


async def invalidate(*names: str) -> None:
    """Make every cached value of these namespaces stale, in every process sharing the cache."""
    await _cache_call(invalidate_sync, *names)


async def invalidate_every_namespace() -> None:
    """For writes that reach into every layer (a TPA purge, clear-all): every registered namespace is stale."""
    await invalidate(*namespaces)


def invalidate_sync(*names: str) -> None:
    now = datetime.now(UTC)
    cache.set_many({_generation_key(n): uuid.uuid4().hex for n in names}, GENERATION_TTL)
    cache.set_many({f"medallion:invalidated:{n}": now.isoformat() for n in names}, GENERATION_TTL)
    for name in names:
        stats = register_namespace(name)
        stats.invalidations += 1
        stats.last_invalidated_at = now


async def current_generation(namespace: str) -> str:
    """The namespace's generation in the shared cache, started afresh when the cache lost it."""
    key = _generation_key(namespace)
    generation = await _cache_read(cache.get, key)
    return generation if generation is not None else await _cache_call(_start_generation, key)


def _start_generation(key: str) -> str:
    cache.add(key, uuid.uuid4().hex, GENERATION_TTL)
    return cache.get(key)


def last_invalidations() -> dict[str, str | None]:
    keys = {f"medallion:invalidated:{n}": n for n in namespaces}
    found = cache.get_many(list(keys))
    return {name: found.get(key) for key, name in keys.items()}


def clear_all() -> None:
    cache.clear()
    for stats in namespaces.values():
        stats.invalidations += 1
        stats.last_invalidated_at = datetime.now(UTC)

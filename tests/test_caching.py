import asyncio
import os
import subprocess
import sys

import pytest

from medallion import caching
from medallion.caching import cached, invalidate

pytestmark = pytest.mark.pure

calls: list[int] = []


@cached("test_numbers", ttl=60)
async def slow_square(value: int) -> int:
    calls.append(value)
    await asyncio.sleep(0.1)
    return value * value


@pytest.fixture(autouse=True)
def _reset_calls():
    calls.clear()


async def test_hit_after_miss_and_keys_from_arguments():
    assert await slow_square(3) == 9
    assert await slow_square(3) == 9
    assert await slow_square(4) == 16
    assert calls == [3, 4]
    stats = caching.namespaces["test_numbers"]
    assert stats.hits >= 1 and stats.misses >= 2


async def test_concurrent_misses_run_the_query_once():
    results = await asyncio.gather(*(slow_square(7) for _ in range(200)))
    assert set(results) == {49}
    assert calls == [7]


async def test_invalidation_makes_values_stale():
    await slow_square(5)
    await invalidate("test_numbers")
    await slow_square(5)
    assert calls == [5, 5]
    assert caching.namespaces["test_numbers"].last_invalidated_at is not None


async def test_failures_are_not_cached_and_reach_every_waiter():
    attempts = []

    @cached("test_failures", ttl=60)
    async def failing() -> int:
        attempts.append(1)
        await asyncio.sleep(0.05)
        raise ValueError("nope")

    outcomes = await asyncio.gather(*(failing() for _ in range(5)), return_exceptions=True)
    assert all(isinstance(o, ValueError) for o in outcomes)
    assert len(attempts) == 1
    with pytest.raises(ValueError):
        await failing()
    assert len(attempts) == 2


def _redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


INVALIDATE_IN_OTHER_PROCESS = """
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
django.setup()
from medallion.caching import invalidate_sync
invalidate_sync("shared_ns")
"""


@pytest.mark.services
def test_invalidation_in_one_process_is_seen_by_another(require_redis, settings):
    from django.core.cache import caches

    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": _redis_url()}}
    counter = []

    @cached("shared_ns", ttl=600)
    async def value() -> int:
        counter.append(1)
        return len(counter)

    async def read() -> int:
        return await value()

    try:
        first = asyncio.run(read())
        assert asyncio.run(read()) == first
        env = {**os.environ, "CACHE_URL": _redis_url()}
        subprocess.run(
            [sys.executable, "-c", INVALIDATE_IN_OTHER_PROCESS], check=True, env=env, cwd=settings.BASE_DIR, timeout=60
        )
        assert asyncio.run(read()) == first + 1
    finally:
        caches["default"].clear()

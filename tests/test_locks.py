"""Cluster-wide locks in the warehouse, on both backends: each `WarehouseLock` is an acquirer of its own, as a
second web or worker process would be."""

import asyncio
import uuid
from datetime import timedelta

import pytest

from gold import refresh
from medallion import locks
from medallion.clock import utc_now
from medallion.errors import ApiError
from silver import tables

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lock_name() -> str:
    return f"test.{uuid.uuid4().hex}"


async def test_a_held_lock_refuses_a_second_acquirer_until_released(warehouse_backend, lock_name):
    first, second = locks.WarehouseLock(lock_name), locks.WarehouseLock(lock_name)

    assert await first.acquire()
    assert not await second.acquire()
    assert not await first.acquire()  # not reentrant: a second run in the same process is refused too
    await second.release()  # releasing a lock one does not hold changes nothing
    assert not await second.acquire()
    await first.release()
    assert await second.acquire()
    assert await locks.any_held(lock_name)


async def test_acquirers_at_once_get_one_holder(warehouse_backend, lock_name):
    acquirers = [locks.WarehouseLock(lock_name) for _ in range(3)]

    won = await asyncio.gather(*(acquirer.acquire() for acquirer in acquirers))

    assert sorted(won) == [False, False, True]


async def test_an_expired_holder_is_taken_over(warehouse_backend, settings, lock_name):
    dead, alive = locks.WarehouseLock(lock_name), locks.WarehouseLock(lock_name)
    started = utc_now()
    assert await dead.acquire(started)
    assert await dead.renew(started + timedelta(seconds=settings.LOCK_LEASE_SECONDS - 1))

    expired = started + timedelta(seconds=2 * settings.LOCK_LEASE_SECONDS)
    assert not await locks.any_held(lock_name, expired)
    assert await alive.acquire(expired)

    assert not await dead.renew(expired)  # the old holder learns it lost the lock
    await dead.release()
    assert await locks.any_held(lock_name, expired)


async def test_holding_answers_409_while_another_process_holds_the_lock(warehouse_backend, lock_name):
    other_process = locks.WarehouseLock(lock_name)
    assert await other_process.acquire()

    with pytest.raises(ApiError) as refused:
        async with locks.holding(lock_name, "busy elsewhere"):
            pass

    assert (refused.value.status, refused.value.code) == (409, "operation_in_progress")
    await other_process.release()
    async with locks.holding(lock_name, "busy elsewhere"):
        assert await locks.any_held(lock_name)
    assert not await locks.any_held(lock_name)


async def test_a_silver_run_and_a_gold_refresh_held_elsewhere_answer_409(
    warehouse_backend, operator_client, admin_client, tpa
):
    silver_run = locks.WarehouseLock(tables._lock_name(tpa, "MEDICAL_CLAIMS"))
    gold_run = locks.WarehouseLock(refresh.REFRESH_LOCK)
    assert await silver_run.acquire() and await gold_run.acquire()
    try:
        assert await tables.operation_running(tpa)
        tpa_delete = await admin_client.delete(f"/api/tpas/{tpa}")
        gold = await operator_client.post("/api/gold/refresh", {"tpa": tpa}, content_type="application/json")
    finally:
        await silver_run.release()
        await gold_run.release()

    assert tpa_delete.status_code == 409 and tpa_delete.json()["code"] == "operation_in_progress"
    assert gold.status_code == 409 and gold.json()["code"] == "operation_in_progress"
    assert not await tables.operation_running(tpa)

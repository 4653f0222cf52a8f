import asyncio
import threading
import time

import pytest

from medallion.warehouse import Warehouse, WarehouseBusy, WarehouseTimeout, WarehouseUnavailable
from medallion.warehouse.backends.embedded import EmbeddedBackend

SLOW_QUERY = "SELECT COUNT(*) AS N FROM range(20000000000) a"


class FlakyBackend(EmbeddedBackend):
    """The embedded backend with a switch that makes the warehouse unreachable."""

    down = False

    def connect(self):
        if self.down:
            raise WarehouseUnavailable("The warehouse is down (test).")
        return super().connect()

    def ping(self, raw):
        if self.down:
            raise WarehouseUnavailable("The warehouse is down (test).")
        super().ping(raw)

    def execute(self, raw, sql, params):
        if self.down:
            raise WarehouseUnavailable("The warehouse is down (test).")
        return super().execute(raw, sql, params)


@pytest.fixture
def make_warehouse(tmp_path):
    created = []

    def make(
        pool_size=2,
        acquire_timeout=5.0,
        statement_timeout=30.0,
        latency_ms=0.0,
        max_age=3600.0,
        backend_class=EmbeddedBackend,
    ):
        backend = backend_class(tmp_path / f"wh{len(created)}", "TESTDB", tmp_path / "stages", latency_ms)
        wh = Warehouse(
            backend,
            pool_size=pool_size,
            acquire_timeout=acquire_timeout,
            statement_timeout=statement_timeout,
            max_connection_age=max_age,
        )
        created.append(wh)
        return wh

    yield make
    for wh in created:
        wh.close()


async def test_round_trip_and_bound_parameters(make_warehouse):
    wh = make_warehouse()
    await wh.execute("CREATE SCHEMA IF NOT EXISTS S")
    await wh.execute("CREATE TABLE S.T (ID INTEGER, NAME VARCHAR)")
    evil = "x'); DROP TABLE S.T; --"
    await wh.execute("INSERT INTO S.T VALUES (?, ?)", (1, evil))
    assert await wh.fetch_all("SELECT ID, NAME FROM S.T") == [{"ID": 1, "NAME": evil}]
    assert await wh.fetch_value("SELECT COUNT(*) FROM S.T WHERE NAME = ?", (evil,)) == 1


async def test_pool_exhaustion_answers_busy_within_acquire_timeout(make_warehouse):
    wh = make_warehouse(pool_size=2, acquire_timeout=0.3, latency_ms=1500)
    slow = [asyncio.create_task(wh.fetch_value("SELECT 1")) for _ in range(2)]
    await asyncio.sleep(0.05)
    started = time.monotonic()
    with pytest.raises(WarehouseBusy):
        await wh.fetch_value("SELECT 1")
    assert 0.25 < time.monotonic() - started < 1.0
    assert await asyncio.gather(*slow) == [1, 1]
    assert wh.metrics.busy_rejections == 1


async def test_executor_is_bounded_by_pool_size(make_warehouse):
    wh = make_warehouse(pool_size=2, latency_ms=200)
    running, peak, lock = 0, 0, threading.Lock()
    original = wh.backend.execute

    def counting_execute(raw, sql, params):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return original(raw, sql, params)
        finally:
            with lock:
                running -= 1

    wh.backend.execute = counting_execute
    started = time.monotonic()
    results = await asyncio.gather(*(wh.fetch_value("SELECT ?", (i,)) for i in range(6)))
    elapsed = time.monotonic() - started
    assert results == list(range(6))
    assert peak == 2
    assert 0.55 < elapsed < 1.5
    assert wh.gauges()["pool_in_use"] == 0


async def test_statement_timeout_interrupts_the_query_and_the_connection_stays_usable(make_warehouse):
    wh = make_warehouse(pool_size=1, statement_timeout=0.3)
    assert await wh.fetch_value("SELECT 1", timeout=30) == 1  # the connection is open, so the timeout meets the query
    started = time.monotonic()
    with pytest.raises(WarehouseTimeout):
        await wh.fetch_value(SLOW_QUERY)
    assert time.monotonic() - started < 3
    assert await wh.fetch_value("SELECT 42") == 42
    assert wh.metrics.timeouts == 1


async def test_cancelling_the_caller_cancels_the_query(make_warehouse):
    wh = make_warehouse(pool_size=1)
    assert await wh.fetch_value("SELECT 1", timeout=30) == 1  # the connection is open, so the cancel meets the query
    task = asyncio.create_task(wh.fetch_value(SLOW_QUERY))
    await asyncio.sleep(0.3)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 3
    assert wh.gauges()["pool_in_use"] == 0
    assert await wh.fetch_value("SELECT 7") == 7
    assert wh.metrics.cancellations == 1


async def test_injected_latency_is_cancelled_too(make_warehouse):
    wh = make_warehouse(pool_size=1, statement_timeout=0.2)
    assert await wh.fetch_value("SELECT 1", timeout=30) == 1  # the connection is open before the latency starts
    wh.backend.inject_latency = 3600.0
    with pytest.raises(WarehouseTimeout):
        await wh.fetch_value("SELECT 1")
    wh.backend.inject_latency = 0.0
    assert await wh.fetch_value("SELECT 2") == 2
    assert wh.metrics.connections_opened == 1  # the cancel stopped the wait, so the connection was kept


class SlowToConnectBackend(EmbeddedBackend):
    """Opening a connection waits until the test lets it through (or fails it)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.connecting = threading.Event()
        self.let_through = threading.Event()
        self.fail = False
        self.statements = 0

    def connect(self):
        self.connecting.set()
        assert self.let_through.wait(30)
        if self.fail:
            raise WarehouseUnavailable("The warehouse refused the login (test).")
        return super().connect()

    def execute(self, raw, sql, params):
        self.statements += 1
        return super().execute(raw, sql, params)


async def wait_until(condition):
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


@pytest.mark.parametrize("connect_fails", [False, True])
async def test_a_timeout_while_the_first_connect_runs_answers_and_the_late_connection_goes_back(
    make_warehouse, connect_fails
):
    wh = make_warehouse(pool_size=1, statement_timeout=0.2, backend_class=SlowToConnectBackend)
    wh.backend.fail = connect_fails

    with pytest.raises(WarehouseTimeout):
        await wh.fetch_value("SELECT 1")

    assert wh.backend.connecting.is_set() and not wh.backend.let_through.is_set()  # answered while connecting
    assert wh.pool.in_use == 1  # the slot stays with the opening thread until it is done
    wh.backend.let_through.set()
    await wait_until(lambda: wh.pool.in_use == 0)
    assert wh.backend.statements == 0  # the abandoned statement never ran on the late connection
    assert wh.pool.idle == (0 if connect_fails else 1)
    wh.backend.fail = False
    assert await wh.fetch_value("SELECT 1", timeout=30) == 1
    assert wh.metrics.connections_opened == 1


async def test_a_timeout_while_queued_for_a_thread_gives_the_slot_back(make_warehouse):
    wh = make_warehouse(pool_size=1, statement_timeout=0.2, backend_class=SlowToConnectBackend)
    wh.executor.submit(wh.backend.let_through.wait)  # the only warehouse thread is busy

    with pytest.raises(WarehouseTimeout):
        await wh.fetch_value("SELECT 1")

    assert not wh.backend.connecting.is_set()
    wh.backend.let_through.set()
    await wait_until(lambda: wh.pool.in_use == 0)
    assert wh.pool.idle == 0 and wh.backend.statements == 0


def test_a_cancel_that_arrives_after_its_statement_does_not_fail_the_next_one(make_warehouse):
    backend = make_warehouse(latency_ms=20).backend
    raw = backend.connect()
    try:
        backend.execute(raw, "CREATE TABLE LATE_CANCEL (N INTEGER)", None)
        backend.cancel(raw)
        backend.rollback(raw)  # what the warehouse does after every cancel, once the statement is over
        assert backend.insert_rows(raw, "LATE_CANCEL", ["N"], [(1,), (2,)]) == 2
        assert backend.execute(raw, "SELECT COUNT(*) AS N FROM LATE_CANCEL", None).rows == [(2,)]
    finally:
        backend.close(raw)


async def test_transaction_commits_or_rolls_back_together(make_warehouse):
    wh = make_warehouse()
    await wh.execute("CREATE SCHEMA IF NOT EXISTS S")
    await wh.execute("CREATE TABLE S.T (ID INTEGER)")
    async with wh.transaction() as tx:
        await tx.execute("INSERT INTO S.T VALUES (1)")
        await tx.execute("INSERT INTO S.T VALUES (2)")
    with pytest.raises(RuntimeError):
        async with wh.transaction() as tx:
            await tx.execute("INSERT INTO S.T VALUES (3)")
            raise RuntimeError("boom")
    assert [r["ID"] for r in await wh.fetch_all("SELECT ID FROM S.T ORDER BY ID")] == [1, 2]


async def test_warehouse_down_then_recovers(make_warehouse):
    wh = make_warehouse(backend_class=FlakyBackend)
    assert await wh.fetch_value("SELECT 1") == 1
    wh.backend.down = True
    with pytest.raises(WarehouseUnavailable):
        await wh.fetch_value("SELECT 1")
    with pytest.raises(WarehouseUnavailable):
        await wh.fetch_value("SELECT 1")
    wh.backend.down = False
    assert await wh.fetch_value("SELECT 2") == 2


async def test_connections_are_recycled_by_age(make_warehouse):
    wh = make_warehouse(pool_size=1, max_age=0.0)
    for _ in range(3):
        await wh.fetch_value("SELECT 1")
    assert wh.metrics.connections_opened == 3
    reused = make_warehouse(pool_size=1)
    for _ in range(3):
        await reused.fetch_value("SELECT 1")
    assert reused.metrics.connections_opened == 1


async def test_stream_yields_batches(make_warehouse):
    wh = make_warehouse()
    batches = [batch async for batch in wh.stream("SELECT range AS N FROM range(25)", batch_size=10)]
    assert [len(b) for b in batches] == [10, 10, 5]
    assert batches[2][-1] == {"N": 24}


async def test_stages_put_list_move_remove(make_warehouse, tmp_path):
    wh = make_warehouse()
    source = tmp_path / "claims.csv"
    source.write_text("a,b\n1,2\n")
    await wh.stage_put(source, "SRC", "ACME/claims.csv")
    [listed] = await wh.stage_list("SRC")
    assert (listed.name, listed.size) == ("ACME/claims.csv", 8) and len(listed.md5) == 32
    await wh.stage_move("SRC", "ACME/claims.csv", "COMPLETED")
    assert await wh.stage_list("SRC") == []
    assert [f.name for f in await wh.stage_list("COMPLETED")] == ["ACME/claims.csv"]
    assert await wh.stage_remove("COMPLETED", "ACME/claims.csv") is True
    assert await wh.stage_remove("COMPLETED", "ACME/claims.csv") is False


async def test_stage_paths_cannot_escape(make_warehouse, tmp_path):
    from medallion.warehouse import QueryError

    wh = make_warehouse()
    source = tmp_path / "x.csv"
    source.write_text("a\n")
    with pytest.raises(QueryError):
        await wh.stage_put(source, "SRC", "../../escape.csv")
    with pytest.raises(QueryError):
        await wh.stage_list("NOT_A_STAGE")


async def test_the_embedded_engine_runs_with_the_configured_memory_limit_and_threads():
    import os

    import duckdb
    from django.conf import settings

    from medallion.warehouse import warehouse

    if not isinstance(warehouse().backend, EmbeddedBackend):
        pytest.skip("embedded warehouse only")
    row = await warehouse().fetch_one(
        "SELECT CURRENT_SETTING('memory_limit') AS MEMORY, CURRENT_SETTING('threads') AS THREADS"
    )
    reference = duckdb.connect()
    reference.execute(f"SET memory_limit = '{settings.WAREHOUSE_MEMORY_LIMIT}'")
    assert row["MEMORY"] == reference.execute("SELECT CURRENT_SETTING('memory_limit')").fetchone()[0]
    assert int(row["THREADS"]) == settings.WAREHOUSE_THREADS <= (os.cpu_count() or 1)

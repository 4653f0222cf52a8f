import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .backends.base import Backend, BackendInfo, DelimitedSource, DocumentSource, Params, Row, StageFile
from .errors import WarehouseConflict, WarehouseError, WarehouseTimeout, WarehouseUnavailable
from .pool import ConnectionPool, PooledConnection
from .sql import Query, insert_into, inserted_id, statement

T = TypeVar("T")
log = logging.getLogger(__name__)

HEALTH_CHECK_AFTER_IDLE = 30.0
CONFLICT_RETRIES = 3
# After a timeout or cancellation the caller waits at most this long for the statement to stop.
INTERRUPT_GRACE = 2.0


@dataclass
class WarehouseMetrics:
    queries: int = 0
    errors: int = 0
    timeouts: int = 0
    cancellations: int = 0
    busy_rejections: int = 0
    connections_opened: int = 0
    wait_seconds_total: float = 0.0
    execute_seconds_total: float = 0.0
    recent_latencies: list[float] = field(default_factory=list)

    def observe(self, waited: float, executed: float) -> None:
        self.queries += 1
        self.wait_seconds_total += waited
        self.execute_seconds_total += executed
        self.recent_latencies.append(executed)
        if len(self.recent_latencies) > 2048:
            del self.recent_latencies[:1024]


@dataclass(eq=False)
class Lease:
    """A pool slot and its connection. A caller that gives up while the connection is still being opened
    abandons the lease: the opening thread then hands the slot and the late connection back to the pool."""

    connection: PooledConnection | None
    waited: float = 0.0
    abandoned: bool = False
    settled: bool = False
    _settling: threading.Lock = field(default_factory=threading.Lock)

    def abandon_if_connecting(self) -> bool:
        """True when no connection is there yet (nor will be, after a failed open): the lease is then the
        opening thread's to give back."""
        with self._settling:
            if self.connection is None and not self.settled:
                self.abandoned = True
            return self.abandoned

    def begin_opening(self) -> bool:
        """Drop a connection found unusable before opening another; False when the caller has gone."""
        with self._settling:
            self.connection, self.settled = None, False
            return not self.abandoned

    def settle(self, connection: PooledConnection | None) -> bool:
        """Attach a newly opened connection (None: opening failed); False when the caller has gone."""
        with self._settling:
            if not self.abandoned:
                self.connection, self.settled = connection, True
            return not self.abandoned


def _retrieve_quietly(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


class Queries:
    """The statement API shared by the warehouse (a connection per call) and a transaction (one connection)."""

    warehouse: "Warehouse"

    async def _run(self, operation: Callable[[Any], T], timeout: float | None = None) -> T:
        raise NotImplementedError

    async def fetch_all(self, sql: Query, params: Params = None, *, timeout: float | None = None) -> list[Row]:
        backend, (text, values) = self.warehouse.backend, statement(sql, params)
        return (await self._run(lambda raw: backend.execute(raw, text, values), timeout)).dicts()

    async def fetch_one(self, sql: Query, params: Params = None, *, timeout: float | None = None) -> Row | None:
        rows = await self.fetch_all(sql, params, timeout=timeout)
        return rows[0] if rows else None

    async def fetch_value(self, sql: Query, params: Params = None, *, timeout: float | None = None) -> Any:
        row = await self.fetch_one(sql, params, timeout=timeout)
        return next(iter(row.values())) if row else None

    async def execute(self, sql: Query, params: Params = None, *, timeout: float | None = None) -> int:
        backend, (text, values) = self.warehouse.backend, statement(sql, params)
        return (await self._run(lambda raw: backend.execute(raw, text, values), timeout)).rowcount

    async def execute_many(self, sql: str, rows: Sequence[Sequence[Any]], *, timeout: float | None = None) -> int:
        backend = self.warehouse.backend
        return await self._run(lambda raw: backend.execute_many(raw, sql, rows), timeout)

    async def insert(self, table: str, row: Mapping[str, Any], *, id_column: str) -> int:
        """One row from a dict of column values (or `Sql` expressions); returns the IDENTITY id it was given."""
        await self.execute(insert_into(table, row))
        return int(await self.fetch_value(inserted_id(table, row, id_column)))

    async def insert_rows(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        json_columns: Sequence[str] = (),
        timeout: float | None = None,
    ) -> int:
        backend = self.warehouse.backend
        return await self._run(lambda raw: backend.insert_rows(raw, table, columns, rows, json_columns), timeout)

    async def load_staged_as_json(
        self,
        table: str,
        stage: str,
        path: str,
        source: DelimitedSource | DocumentSource,
        *,
        json_column: str,
        row_number_column: str,
        timeout: float | None = None,
    ) -> int:
        backend = self.warehouse.backend
        return await self._run(
            lambda raw: backend.load_staged_as_json(raw, table, stage, path, source, json_column, row_number_column),
            timeout,
        )

    async def stage_put(self, local_path: Path, stage: str, path: str) -> None:
        backend = self.warehouse.backend
        await self._run(lambda raw: backend.stage_put(raw, local_path, stage, path))

    async def stage_list(self, stage: str, prefix: str = "") -> list[StageFile]:
        backend = self.warehouse.backend
        return await self._run(lambda raw: backend.stage_list(raw, stage, prefix))

    async def stage_remove(self, stage: str, path: str) -> bool:
        backend = self.warehouse.backend
        return await self._run(lambda raw: backend.stage_remove(raw, stage, path))

    async def stage_get(self, stage: str, path: str, local_dir: Path) -> Path:
        backend = self.warehouse.backend
        return await self._run(lambda raw: backend.stage_get(raw, stage, path, local_dir))

    async def stage_move(self, source_stage: str, path: str, target_stage: str, target_path: str | None = None) -> None:
        backend = self.warehouse.backend
        await self._run(lambda raw: backend.stage_move(raw, source_stage, path, target_stage, target_path or path))


class Transaction(Queries):
    def __init__(self, warehouse: "Warehouse", lease: Lease) -> None:
        self.warehouse = warehouse
        self.lease = lease

    async def _run(self, operation: Callable[[Any], T], timeout: float | None = None) -> T:
        return await self.warehouse._on_lease(self.lease, operation, timeout)

    async def statement_progress(self) -> float | None:
        """How far the statement this transaction runs now has got (0..1), asked beside it like a cancel."""
        connection = self.lease.connection
        if connection is None:
            return None
        ask = self.warehouse.backend.statement_progress
        return await asyncio.get_running_loop().run_in_executor(self.warehouse.cancel_executor, ask, connection.raw)


class Warehouse(Queries):
    """The only door to the warehouse: bounded pool, bounded executor, timeouts, cancellation, metrics."""

    def __init__(
        self,
        backend: Backend,
        *,
        pool_size: int,
        acquire_timeout: float,
        statement_timeout: float,
        max_connection_age: float,
    ) -> None:
        self.warehouse = self
        self.backend = backend
        self.pool = ConnectionPool(pool_size, acquire_timeout)
        self.executor = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="warehouse")
        self.cancel_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="warehouse-cancel")
        self.statement_timeout = statement_timeout
        self.max_connection_age = max_connection_age
        self.metrics = WarehouseMetrics()

    @property
    def info(self) -> BackendInfo:
        return self.backend.info()

    async def _run(self, operation: Callable[[Any], T], timeout: float | None = None) -> T:
        for attempt in range(CONFLICT_RETRIES):
            lease = await self._lease()
            try:
                return await self._on_lease(lease, operation, timeout)
            except WarehouseConflict:
                if attempt == CONFLICT_RETRIES - 1:
                    raise
                await asyncio.sleep(0.02 * (attempt + 1))
            finally:
                self._release(lease)
        raise AssertionError("unreachable")

    async def insert(self, table: str, row: Mapping[str, Any], *, id_column: str) -> int:
        """On one connection: the id is read back within the inserting transaction."""
        async with self.transaction() as tx:
            return await tx.insert(table, row, id_column=id_column)

    @contextlib.asynccontextmanager
    async def transaction(self, *, timeout: float | None = None) -> AsyncIterator[Transaction]:
        lease = await self._lease()
        try:
            transaction = Transaction(self, lease)
            await self._on_lease(lease, self.backend.begin, timeout)
            try:
                yield transaction
            except BaseException:
                await asyncio.shield(self._rollback(lease))
                raise
            await self._on_lease(lease, self.backend.commit, timeout)
        finally:
            self._release(lease)

    async def stream(
        self, sql: Query, params: Params = None, *, batch_size: int = 5000, timeout: float | None = None
    ) -> AsyncIterator[list[Row]]:
        text, values = statement(sql, params)
        lease = await self._lease()
        try:
            open_batches = lambda raw: self.backend.stream(raw, text, values, batch_size)  # noqa: E731
            batches = await self._on_lease(lease, open_batches, timeout)
            while True:
                batch = await self._on_lease(lease, lambda _raw: next(batches, None), timeout)
                if batch is None:
                    return
                yield batch
        finally:
            self._release(lease)

    async def ping(self, timeout: float) -> BackendInfo:
        await self._run(self.backend.ping, timeout)
        return self.backend.info()

    async def _lease(self) -> Lease:
        started = time.monotonic()
        try:
            connection = await self.pool.acquire()
        except WarehouseError:
            self.metrics.busy_rejections += 1
            raise
        return Lease(connection, time.monotonic() - started)

    def _release(self, lease: Lease) -> None:
        if lease.abandoned:
            return  # the thread still opening its connection gives the slot back
        connection = lease.connection
        if connection is not None and connection.broken:
            self.executor.submit(self.backend.close, connection.raw)
            connection = None
        self.pool.release(connection)

    async def _rollback(self, lease: Lease) -> None:
        if lease.connection is not None and not lease.connection.broken:
            try:
                await self._on_lease(lease, self.backend.rollback, self.statement_timeout)
            except WarehouseError:
                lease.connection.broken = True

    async def _on_lease(self, lease: Lease, operation: Callable[[Any], T], timeout: float | None) -> T:
        limit = self.statement_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        future = loop.run_in_executor(self.executor, self._blocking, lease, operation, limit)
        try:
            result = await asyncio.wait_for(asyncio.shield(future), limit)
        except TimeoutError:
            self.metrics.timeouts += 1
            await self._interrupt(lease, future)
            raise WarehouseTimeout(f"The warehouse statement took longer than {limit:g} s and was cancelled.") from None
        except asyncio.CancelledError:
            self.metrics.cancellations += 1
            await self._interrupt(lease, future)
            raise
        except WarehouseError:
            self.metrics.errors += 1
            raise
        self.metrics.observe(lease.waited, time.monotonic() - started)
        lease.waited = 0.0
        return result

    async def _interrupt(self, lease: Lease, future: asyncio.Future[Any]) -> None:
        """The cancel request runs on its own threads (no network call on the event loop); the caller waits a
        bounded time for the statement to stop, and a connection whose statement does not stop is dropped."""
        if lease.abandon_if_connecting():
            future.add_done_callback(_retrieve_quietly)
            return  # nothing runs yet that could be cancelled
        connection = lease.connection
        loop = asyncio.get_running_loop()
        if connection is not None:
            loop.run_in_executor(self.cancel_executor, self._cancel_quietly, connection.raw)
        try:
            await asyncio.wait_for(asyncio.shield(future), INTERRUPT_GRACE)
        except TimeoutError:
            if connection is not None:
                connection.broken = True
            return
        except BaseException:
            pass
        if lease.connection is not None and not lease.connection.broken:
            with contextlib.suppress(Exception):
                rollback = loop.run_in_executor(self.executor, self.backend.rollback, lease.connection.raw)
                await asyncio.wait_for(asyncio.shield(rollback), INTERRUPT_GRACE)

    def _cancel_quietly(self, raw: Any) -> None:
        try:
            self.backend.cancel(raw)
        except Exception as error:
            log.warning("Cancelling a warehouse statement failed: %s", type(error).__name__)

    def _blocking(self, lease: Lease, operation: Callable[[Any], T], limit: float) -> T:
        connection = self._usable_connection(lease)
        self.backend.set_statement_timeout(connection.raw, limit)
        try:
            result = operation(connection.raw)
        except Exception as error:
            translated = self.backend.translate_error(error)
            if isinstance(translated, WarehouseUnavailable):
                connection.broken = True
            if translated is error:
                raise
            raise translated from error
        connection.last_used_at = time.monotonic()
        return result

    def _usable_connection(self, lease: Lease) -> PooledConnection:
        connection = lease.connection
        now = time.monotonic()
        if connection is not None and now - connection.created_at > self.max_connection_age:
            self.backend.close(connection.raw)
            connection = None
        if connection is not None and now - connection.last_used_at > HEALTH_CHECK_AFTER_IDLE:
            try:
                self.backend.ping(connection.raw)
            except Exception:
                self.backend.close(connection.raw)
                connection = None
        if connection is None:
            connection = self._open(lease)
        return connection

    def _open(self, lease: Lease) -> PooledConnection:
        if not lease.begin_opening():
            self.pool.release(None)
            raise WarehouseTimeout("The caller gave up before the warehouse connection was opened.")
        try:
            connection = PooledConnection(self.backend.connect())
        except BaseException:
            if not lease.settle(None):
                self.pool.release(None)
            raise
        self.metrics.connections_opened += 1
        if not lease.settle(connection):
            self.pool.release(connection)  # unused, so as good as any idle connection
            raise WarehouseTimeout("The caller gave up while the warehouse connection was being opened.")
        return connection

    def gauges(self) -> dict[str, int]:
        return {
            "pool_size": self.pool.max_size,
            "pool_in_use": self.pool.in_use,
            "pool_idle": self.pool.idle,
            "pool_waiting": self.pool.waiting,
            "executor_queue": self.executor._work_queue.qsize(),
        }

    def close_idle_connections(self) -> None:
        """Later connections start afresh (for example after migrations changed the session defaults)."""
        for connection in self.pool.take_idle(lambda _c: True):
            self.backend.close(connection.raw)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)  # a connection still opening lands in the pool
        self.close_idle_connections()
        self.cancel_executor.shutdown(wait=False, cancel_futures=True)
        self.backend.shutdown()

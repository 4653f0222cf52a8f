import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import WarehouseBusy


@dataclass(eq=False)
class PooledConnection:
    raw: Any
    created_at: float = field(default_factory=time.monotonic)
    last_used_at: float = field(default_factory=time.monotonic)
    broken: bool = False


class ConnectionPool:
    """A bounded set of connection slots that any event loop (or thread) can wait on.

    Acquiring only reserves a slot; opening, checking and closing connections is blocking
    work that the caller runs on the warehouse executor.
    """

    def __init__(self, max_size: int, acquire_timeout: float) -> None:
        self.max_size = max_size
        self.acquire_timeout = acquire_timeout
        self._lock = threading.Lock()
        self._idle: list[PooledConnection] = []
        self._in_use = 0
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[PooledConnection | None]]] = deque()

    @property
    def in_use(self) -> int:
        return self._in_use

    @property
    def idle(self) -> int:
        return len(self._idle)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self, timeout: float | None = None) -> PooledConnection | None:
        """A connection to reuse, or None when the slot is free but a new connection must be opened."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._in_use < self.max_size:
                self._in_use += 1
                return self._idle.pop() if self._idle else None
            future: asyncio.Future[PooledConnection | None] = loop.create_future()
            self._waiters.append((loop, future))
        wait = self.acquire_timeout if timeout is None else timeout
        try:
            return await asyncio.wait_for(asyncio.shield(future), wait)
        except (TimeoutError, asyncio.CancelledError) as error:
            with self._lock:
                granted = future.done() and not future.cancelled()
                if not granted:
                    future.cancel()
                    self._discard_waiter(future)
            if granted:
                self.release(future.result())
            if isinstance(error, TimeoutError):
                raise WarehouseBusy(
                    f"The warehouse is busy: no connection became free within {wait:g} s. Try again shortly."
                ) from None
            raise

    def release(self, connection: PooledConnection | None) -> None:
        """Give a slot back; `connection` is None when the caller closed or never opened one."""
        with self._lock:
            while self._waiters:
                loop, future = self._waiters.popleft()
                if future.done():
                    continue
                self._hand_over(loop, future, connection)
                return
            self._in_use -= 1
            if connection is not None:
                self._idle.append(connection)

    def take_idle(self, predicate: Callable[[PooledConnection], bool]) -> list[PooledConnection]:
        with self._lock:
            taken = [c for c in self._idle if predicate(c)]
            self._idle = [c for c in self._idle if not predicate(c)]
        return taken

    def _hand_over(
        self,
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[PooledConnection | None],
        connection: PooledConnection | None,
    ) -> None:
        def deliver() -> None:
            if future.done():
                self.release(connection)
            else:
                future.set_result(connection)

        try:
            loop.call_soon_threadsafe(deliver)
        except RuntimeError:
            self._in_use -= 1
            if connection is not None:
                self._idle.append(connection)

    def _discard_waiter(self, future: asyncio.Future[PooledConnection | None]) -> None:
        self._waiters = deque((lp, f) for lp, f in self._waiters if f is not future)

"""Batched, bounded log writing: callers never wait for the warehouse; when the buffer is full, entries are
counted and dropped instead of stalling a request."""

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from typing import Any

from medallion.warehouse import warehouse

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 1.0
BATCH_SIZE = 500


class LogBuffer:
    def __init__(
        self, table: str, columns: Sequence[str], *, json_columns: Sequence[str] = (), capacity: int = 10000
    ) -> None:
        self.table = table
        self.columns = list(columns)
        self.json_columns = tuple(json_columns)
        self.capacity = capacity
        self.pending: deque[tuple[Any, ...]] = deque()
        self.dropped = 0
        self.written = 0
        self._flushers: dict[int, asyncio.Task[None]] = {}

    def add(self, row: Sequence[Any]) -> None:
        if len(self.pending) >= self.capacity:
            self.dropped += 1
            if self.dropped % 1000 == 1:
                log.warning("%s buffer full: %d entries dropped so far", self.table, self.dropped)
            return
        self.pending.append(tuple(row))
        self._ensure_flusher()

    def _ensure_flusher(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = self._flushers.get(id(loop))
        if task is None or task.done():
            self._flushers[id(loop)] = loop.create_task(self._flush_forever())

    async def _flush_forever(self) -> None:
        while self.pending:
            await asyncio.sleep(FLUSH_INTERVAL)
            await self.flush()

    async def flush(self) -> int:
        batch = [self.pending.popleft() for _ in range(min(BATCH_SIZE, len(self.pending)))]
        if not batch:
            return 0
        try:
            await warehouse().insert_rows(self.table, self.columns, batch, json_columns=self.json_columns)
        except Exception as error:
            self.dropped += len(batch)
            log.warning("could not write %d %s entries: %s", len(batch), self.table, type(error).__name__)
            return 0
        self.written += len(batch)
        return len(batch)

    async def drain(self) -> None:
        while self.pending:
            if not await self.flush():
                return

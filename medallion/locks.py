"""Cluster-wide locks: rows in OPS.LOCKS, so every web and worker process on the warehouse sees the same holder.

A holder renews its lease while it runs; one that died stops renewing and its lock expires after
`LOCK_LEASE_SECONDS`, when the next acquirer takes it over. Snowflake enforces no unique key, so two first
acquirers of a name may each insert its row: that is harmless because acquiring is one conditional UPDATE of
every row of the name that succeeds only while none of them has a live owner.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from medallion import worker
from medallion.clock import utc_now
from medallion.errors import conflict
from medallion.warehouse import WarehouseError, warehouse

LOCKS = "OPS.LOCKS"
log = logging.getLogger(__name__)


def _new_owner() -> str:
    return f"{worker.WORKER_ID}/{uuid.uuid4().hex[:12]}"


def _lease() -> timedelta:
    return timedelta(seconds=settings.LOCK_LEASE_SECONDS)


@dataclass
class WarehouseLock:
    name: str
    owner: str = field(default_factory=_new_owner)

    async def acquire(self, now: datetime | None = None) -> bool:
        """Take the lock when nobody holds it or its holder's lease has expired; False when it is held."""
        now = now or utc_now()
        wh = warehouse()
        await wh.execute(
            f"INSERT INTO {LOCKS} (LOCK_NAME) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM {LOCKS} WHERE LOCK_NAME = ?)",
            (self.name, self.name),
        )
        taken = await wh.execute(
            f"UPDATE {LOCKS} SET OWNER = ?, ACQUIRED_AT = ?, HEARTBEAT_AT = ?, EXPIRES_AT = ? WHERE LOCK_NAME = ? "
            f"AND NOT EXISTS (SELECT 1 FROM {LOCKS} WHERE LOCK_NAME = ? AND OWNER IS NOT NULL AND EXPIRES_AT >= ?)",
            (self.owner, now, now, now + _lease(), self.name, self.name, now),
        )
        return taken > 0

    async def renew(self, now: datetime | None = None) -> bool:
        """Extend the lease; False when the lock is no longer ours (it expired and was taken over)."""
        now = now or utc_now()
        renewed = await warehouse().execute(
            f"UPDATE {LOCKS} SET HEARTBEAT_AT = ?, EXPIRES_AT = ? WHERE LOCK_NAME = ? AND OWNER = ?",
            (now, now + _lease(), self.name, self.owner),
        )
        return renewed > 0

    async def release(self) -> None:
        await warehouse().execute(
            f"UPDATE {LOCKS} SET OWNER = NULL, EXPIRES_AT = NULL WHERE LOCK_NAME = ? AND OWNER = ?",
            (self.name, self.owner),
        )


async def any_held(prefix: str, now: datetime | None = None) -> bool:
    """Whether a live holder has a lock whose name starts with `prefix`."""
    row = await warehouse().fetch_one(
        f"SELECT 1 AS X FROM {LOCKS} WHERE STARTSWITH(LOCK_NAME, ?) AND OWNER IS NOT NULL AND EXPIRES_AT >= ?",
        (prefix, now or utc_now()),
    )
    return row is not None


@contextlib.asynccontextmanager
async def holding(name: str, busy_detail: str) -> AsyncIterator[WarehouseLock]:
    """Hold `name` for the block, renewing its lease; 409 operation_in_progress while another holder has it."""
    lock = WarehouseLock(name)
    if not await lock.acquire():
        raise conflict("operation_in_progress", busy_detail)
    renewing = asyncio.create_task(_keep_renewed(lock))
    try:
        yield lock
    finally:
        renewing.cancel()
        try:
            await asyncio.shield(lock.release())
        except WarehouseError as error:
            log.warning("could not release lock %s (it expires with its lease): %s", name, error)


async def _keep_renewed(lock: WarehouseLock) -> None:
    while True:
        await asyncio.sleep(settings.LOCK_LEASE_SECONDS / 3)
        try:
            if not await lock.renew():
                log.warning("lock %s expired and was taken over while %s held it", lock.name, lock.owner)
                return
        except WarehouseError as error:
            log.warning("renewing lock %s failed: %s", lock.name, error)

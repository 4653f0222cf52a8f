"""The background worker: registered steps run in a loop (queue processing, scheduled tasks, log flushing).

Web and worker share one process on the embedded warehouse (`manage.py serve`); on Snowflake they are
separate processes (`manage.py run_worker`) and several workers may run at once.
"""

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable

from django.conf import settings

from medallion.hooks import Hook

log = logging.getLogger(__name__)

Step = Callable[[], Awaitable[bool]]
steps: Hook[Step] = Hook("worker.steps")
"""Apps connect their steps in `ready()`; a step returns True when it did some work (the loop then runs again)."""
_wake_events: dict[int, asyncio.Event] = {}
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
MAX_PASSES_PER_RUN = 1000


def wake() -> None:
    """Ask an in-process worker loop to run now instead of at its next poll."""
    for event in _wake_events.values():
        event.set()


async def run_pass() -> bool:
    did_work = False
    for function in steps:
        try:
            did_work = await function() or did_work
        except Exception:
            log.exception("worker step %s failed", _step_name(function))
    return did_work


async def run_until_idle() -> int:
    from medallion.events import flush_all

    passes = 0
    while passes < MAX_PASSES_PER_RUN and await run_pass():
        passes += 1
    await flush_all()
    return passes


async def run_forever(stop: asyncio.Event) -> None:
    loop_id = id(asyncio.get_running_loop())
    wake_event = _wake_events.setdefault(loop_id, asyncio.Event())
    log.info("worker %s started with steps: %s", WORKER_ID, ", ".join(_step_name(s) for s in steps))
    try:
        while not stop.is_set():
            did_work = await run_pass()
            if did_work:
                continue
            wake_event.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake_event.wait())]
            await asyncio.wait(waiters, timeout=settings.WORKER_POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
    finally:
        _wake_events.pop(loop_id, None)


def _step_name(step: Step) -> str:
    return f"{step.__module__}.{step.__qualname__}"

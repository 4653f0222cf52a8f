"""Runs due tasks and their dependents. A run starts only after an atomic compare-and-set claim on the task's
row, so several workers (or a worker and a "run now") never run the same task twice."""

import asyncio
import json
import logging
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from medallion import audit, worker
from medallion.clock import utc_now
from medallion.errors import ApiError, conflict
from medallion.events import log_error
from medallion.http import encode_value
from medallion.task_registry import TASKS
from medallion.warehouse import warehouse
from ops import tasks

log = logging.getLogger(__name__)

COUNT_KEYS = ("records_processed", "records_failed")
run_counts: Counter[tuple[str, str]] = Counter()
_background: set[asyncio.Task[None]] = set()


def _lease_until(now: datetime) -> datetime:
    return now + timedelta(seconds=getattr(settings, "TASK_LEASE_SECONDS", 3600))


def _new_token() -> str:
    return f"{worker.WORKER_ID}/{uuid.uuid4().hex[:12]}"


async def claim_due(name: str, due_at: datetime, schedule: str) -> str | None:
    """Claim a due root and move its next run forward in one statement; None when another worker won."""
    now = utc_now()
    token = _new_token()
    claimed = await warehouse().execute(
        "UPDATE OPS.TASKS SET CLAIMED_BY = ?, CLAIMED_UNTIL = ?, NEXT_RUN_AT = ? "
        "WHERE NAME = ? AND STATE = ? AND NEXT_RUN_AT = ? AND (CLAIMED_UNTIL IS NULL OR CLAIMED_UNTIL < ?)",
        (token, _lease_until(now), tasks.next_run_after(schedule, now), name, tasks.STARTED, due_at, now),
    )
    return token if claimed == 1 else None


async def claim_now(name: str) -> str | None:
    """Claim a task for an immediate run, whatever its schedule; None when it is already running."""
    now = utc_now()
    token = _new_token()
    claimed = await warehouse().execute(
        "UPDATE OPS.TASKS SET CLAIMED_BY = ?, CLAIMED_UNTIL = ? "
        "WHERE NAME = ? AND (CLAIMED_UNTIL IS NULL OR CLAIMED_UNTIL < ?)",
        (token, _lease_until(now), name, now),
    )
    return token if claimed == 1 else None


def _error_text(error: BaseException) -> str:
    if isinstance(error, ApiError):
        return error.detail
    return (str(error) or type(error).__name__)[:4000]


def _count(counts: dict[str, Any], key: str) -> int | None:
    value = counts.get(key)
    return int(value) if isinstance(value, int | float) else None


async def execute(name: str, token: str, triggered_by: str) -> bool:
    """Run one claimed task, record the run in OPS.TASK_EXECUTION_LOG and release the claim."""
    wh = warehouse()
    started = utc_now()
    await wh.execute(
        "INSERT INTO OPS.TASK_EXECUTION_LOG (TASK_NAME, EXECUTION_START, EXECUTION_STATUS, WAREHOUSE_USED, "
        "TRIGGERED_BY, CLAIMED_BY) VALUES (?, ?, 'RUNNING', ?, ?, ?)",
        (name, started, wh.info.warehouse or wh.info.kind, triggered_by, token),
    )
    counts: dict[str, Any] = {}
    error: str | None = None
    try:
        counts = await TASKS[name].run() or {}
    except Exception as failure:
        error = _error_text(failure)
        log_error("ops.scheduler", failure, context={"task": name})
    except asyncio.CancelledError:
        error = "The run was cancelled."
        raise
    finally:
        status = "FAILED" if error else "SUCCESS"
        await asyncio.shield(_finish(name, token, started, status, counts, error))
    return error is None


async def _finish(
    name: str, token: str, started: datetime, status: str, counts: dict[str, Any], error: str | None
) -> None:
    ended = utc_now()
    details = {key: value for key, value in counts.items() if key not in COUNT_KEYS}
    wh = warehouse()
    await wh.execute(
        "UPDATE OPS.TASK_EXECUTION_LOG SET EXECUTION_END = ?, EXECUTION_STATUS = ?, EXECUTION_DURATION_MS = ?, "
        "RECORDS_PROCESSED = ?, RECORDS_FAILED = ?, ERROR_MESSAGE = ?, EXECUTION_DETAILS = PARSE_JSON(?) "
        "WHERE CLAIMED_BY = ?",
        (
            ended,
            status,
            int((ended - started).total_seconds() * 1000),
            _count(counts, "records_processed"),
            _count(counts, "records_failed"),
            error,
            json.dumps(details, default=encode_value) if details else None,
            token,
        ),
    )
    await wh.execute(
        "UPDATE OPS.TASKS SET CLAIMED_BY = NULL, CLAIMED_UNTIL = NULL, LAST_RUN_AT = ?, LAST_RUN_STATUS = ? "
        "WHERE NAME = ? AND CLAIMED_BY = ?",
        (ended, status, name, token),
    )
    run_counts[(name, status)] += 1


async def record_skipped(name: str, reason: str, triggered_by: str) -> None:
    now = utc_now()
    await warehouse().execute(
        "INSERT INTO OPS.TASK_EXECUTION_LOG (TASK_NAME, EXECUTION_START, EXECUTION_END, EXECUTION_STATUS, "
        "EXECUTION_DURATION_MS, ERROR_MESSAGE, TRIGGERED_BY) VALUES (?, ?, ?, 'SKIPPED', 0, ?, ?)",
        (name, now, now, reason, triggered_by),
    )
    run_counts[(name, "SKIPPED")] += 1


async def run_graph(root: str, token: str, triggered_by: str) -> None:
    """Run a claimed task, then each started dependent once all of its predecessors in this run succeeded."""
    if not await execute(root, token, triggered_by):
        return
    succeeded = {root}
    downstream = tasks.dependents_of(root)
    states = {row["NAME"]: row["STATE"] for row in await tasks.task_rows(downstream)}
    for name in downstream:
        inside = [p for p in TASKS[name].predecessors if p == root or p in downstream]
        if states.get(name) != tasks.STARTED or not all(p in succeeded for p in inside):
            continue
        child_token = await claim_now(name)
        if child_token is None:
            await record_skipped(name, "Already running.", f"after {root}")
            continue
        if await execute(name, child_token, f"after {root}"):
            succeeded.add(name)


async def run_due_tasks() -> bool:
    """Worker step: run every started root whose next run is due; True when something ran."""
    await tasks.ensure_tasks()
    now = utc_now()
    due = await warehouse().fetch_all(
        "SELECT NAME, SCHEDULE, NEXT_RUN_AT FROM OPS.TASKS WHERE STATE = ? AND PREDECESSORS = '' "
        "AND SCHEDULE IS NOT NULL AND NEXT_RUN_AT <= ? AND (CLAIMED_UNTIL IS NULL OR CLAIMED_UNTIL < ?) "
        "ORDER BY NEXT_RUN_AT",
        (tasks.STARTED, now, now),
    )
    ran = False
    for row in due:
        if row["NAME"] not in TASKS:
            continue
        token = await claim_due(row["NAME"], row["NEXT_RUN_AT"], row["SCHEDULE"])
        if token is not None:
            await run_graph(row["NAME"], token, "scheduler")
            ran = True
    return ran


async def start_now(layer: str | None, name: object, *, user: str | None) -> asyncio.Task[None]:
    """Claim the task for an immediate run (409 while it runs) and run it with its chain in the background."""
    definition = tasks.find_definition(layer, name)
    await tasks.ensure_tasks()
    token = await claim_now(definition.name)
    if token is None:
        raise conflict("operation_in_progress", f"Task {definition.name} is already running.")
    await audit.record(user, "RUN", "TASK", definition.name, after={"triggered_by": user})
    run = asyncio.create_task(run_graph(definition.name, token, user or "manual"))
    _background.add(run)
    run.add_done_callback(_background.discard)
    return run

"""The pipeline's scheduled tasks as stored in OPS.TASKS: listing (one task object each) and the admin's state changes.

The registry (`ops.registry.TASKS`) says what exists and how tasks chain; the table keeps what people
change (state, schedule) and what the scheduler needs (next run, claim).
"""

import asyncio
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from medallion import audit
from medallion.clock import as_aware, utc_now
from medallion.errors import conflict, not_found, validation_error
from medallion.task_registry import TASKS, TaskDefinition
from medallion.warehouse import Transaction, warehouse
from ops.schedule import ScheduleError, parse_schedule

STARTED = "started"
SUSPENDED = "suspended"
TASK_COLUMNS = (
    "NAME, LAYER, SCHEDULE, STATE, PREDECESSORS, DEFINITION, COMMENT, CREATED_ON, LAST_COMMITTED_ON, "
    "LAST_SUSPENDED_ON, NEXT_RUN_AT, LAST_RUN_AT, LAST_RUN_STATUS, CLAIMED_BY, CLAIMED_UNTIL"
)
_SYNC_COLUMNS = ("NAME", "LAYER", "SCHEDULE", "STATE", "PREDECESSORS", "DEFINITION", "NEXT_RUN_AT")

_sync_lock = asyncio.Lock()
_synced_signature: tuple[Any, ...] | None = None


def _signature() -> tuple[Any, ...]:
    return tuple(sorted((d.name, d.layer, d.predecessors, d.description, d.default_schedule) for d in TASKS.values()))


def _initial_values(definition: TaskDefinition, now: datetime) -> tuple[Any, ...]:
    schedule = None if definition.predecessors else definition.default_schedule
    next_run = next_run_after(schedule, now)
    state = SUSPENDED if definition.starts_suspended else STARTED
    return (
        definition.name,
        definition.layer.upper(),
        schedule,
        state,
        ",".join(definition.predecessors),
        definition.description,
        next_run,
    )


async def ensure_tasks() -> None:
    """Create rows for newly registered tasks and refresh their layer, chain and description."""
    global _synced_signature
    signature = _signature()
    if signature == _synced_signature or not TASKS:
        return
    async with _sync_lock:
        if signature == _synced_signature:
            return
        now = utc_now()
        rows = [_initial_values(definition, now) for definition in TASKS.values()]
        row_placeholders = ", ".join("(?, ?, ?, ?, ?, ?, ?)" for _ in rows)
        source_columns = ", ".join(f"column{i + 1}" for i in range(len(_SYNC_COLUMNS)))
        await warehouse().execute(
            "MERGE INTO OPS.TASKS t USING (SELECT CAST(column1 AS VARCHAR) AS NAME, CAST(column2 AS VARCHAR) AS LAYER, "
            "CAST(column3 AS VARCHAR) AS SCHEDULE, CAST(column4 AS VARCHAR) AS STATE, "
            "CAST(column5 AS VARCHAR) AS PREDECESSORS, CAST(column6 AS VARCHAR) AS DEFINITION, "
            f"CAST(column7 AS TIMESTAMP_NTZ) AS NEXT_RUN_AT FROM (VALUES {row_placeholders}) AS v({source_columns})) s "
            "ON t.NAME = s.NAME "
            "WHEN MATCHED THEN UPDATE SET LAYER = s.LAYER, PREDECESSORS = s.PREDECESSORS, DEFINITION = s.DEFINITION, "
            "SCHEDULE = CASE WHEN s.PREDECESSORS = '' THEN COALESCE(t.SCHEDULE, s.SCHEDULE) END, "
            "NEXT_RUN_AT = COALESCE(t.NEXT_RUN_AT, s.NEXT_RUN_AT) "
            "WHEN NOT MATCHED THEN INSERT (NAME, LAYER, SCHEDULE, STATE, PREDECESSORS, DEFINITION, NEXT_RUN_AT, "
            "CREATED_ON, LAST_COMMITTED_ON) VALUES (s.NAME, s.LAYER, s.SCHEDULE, s.STATE, s.PREDECESSORS, "
            "s.DEFINITION, s.NEXT_RUN_AT, CURRENT_TIMESTAMP(), CURRENT_TIMESTAMP())",
            [value for row in rows for value in row],
        )
        _synced_signature = signature


async def task_rows(names: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Stored rows of registered tasks (all of them, or those named), ordered by name."""
    await ensure_tasks()
    wanted = set(TASKS) if names is None else set(names) & set(TASKS)
    rows = await warehouse().fetch_all(f"SELECT {TASK_COLUMNS} FROM OPS.TASKS ORDER BY NAME")
    return [row for row in rows if row["NAME"] in wanted]


def find_definition(layer: str | None, name: object) -> TaskDefinition:
    """The registered task, matched case-insensitively; 404 task_not_found when unknown in that layer."""
    canonical = name.strip().upper() if isinstance(name, str) else ""
    definition = TASKS.get(canonical)
    if definition is None or (layer is not None and definition.layer.upper() != layer):
        where = f" in the {layer.title()} layer" if layer else ""
        raise not_found("task_not_found", f"Task {canonical[:100]} not found{where}.")
    return definition


def dependents_of(name: str) -> list[str]:
    """Every task downstream of `name`, each after all of its predecessors that are downstream too."""
    downstream: set[str] = set()
    frontier = [name]
    while frontier:
        current = frontier.pop()
        for definition in TASKS.values():
            if current in definition.predecessors and definition.name not in downstream:
                downstream.add(definition.name)
                frontier.append(definition.name)
    ordered: list[str] = []
    placed = {name}
    while len(ordered) < len(downstream):
        ready = sorted(
            candidate
            for candidate in downstream - set(ordered)
            if all(p in placed or p not in downstream for p in TASKS[candidate].predecessors)
        )
        if not ready:
            break
        ordered.extend(ready)
        placed.update(ready)
    return ordered


def task_shape(row: dict[str, Any]) -> dict[str, Any]:
    """The task object of the API, plus the scheduler's figures (+)."""
    is_dependent = bool(row["PREDECESSORS"])
    started = row["STATE"] == STARTED
    return {
        "name": row["NAME"],
        "state": row["STATE"],
        "schedule": None if is_dependent else row["SCHEDULE"],
        "definition": row["DEFINITION"] or "",
        "comment": row["COMMENT"],
        "warehouse": warehouse().info.warehouse,
        "created_on": row["CREATED_ON"],
        "last_committed_on": row["LAST_COMMITTED_ON"],
        "predecessors": row["PREDECESSORS"] or "",
        "last_suspended_on": row["LAST_SUSPENDED_ON"],
        "layer": row["LAYER"],
        "next_run_at": row["NEXT_RUN_AT"] if started and not is_dependent and row["SCHEDULE"] else None,
        "last_run_at": row["LAST_RUN_AT"],
        "last_run_status": row["LAST_RUN_STATUS"],
        "running": row["CLAIMED_UNTIL"] is not None and row["CLAIMED_UNTIL"] > utc_now(),
    }


async def list_tasks(layer: str | None) -> list[dict[str, Any]]:
    names = [d.name for d in TASKS.values() if layer is None or d.layer.upper() == layer]
    return [task_shape(row) for row in await task_rows(names)]


def next_run_after(schedule: str | None, now: datetime) -> datetime | None:
    return parse_schedule(schedule).next_run(as_aware(now)).replace(tzinfo=None) if schedule else None


async def _set_state(tx: Transaction, row: dict[str, Any], state: str, now: datetime, user: str | None) -> None:
    if row["STATE"] == state:
        return
    if state == STARTED:
        await tx.execute(
            "UPDATE OPS.TASKS SET STATE = ?, NEXT_RUN_AT = ?, LAST_COMMITTED_ON = ? WHERE NAME = ?",
            (state, next_run_after(row["SCHEDULE"], now), now, row["NAME"]),
        )
    else:
        await tx.execute(
            "UPDATE OPS.TASKS SET STATE = ?, LAST_SUSPENDED_ON = ?, LAST_COMMITTED_ON = ? WHERE NAME = ?",
            (state, now, now, row["NAME"]),
        )
    action = "RESUME" if state == STARTED else "SUSPEND"
    await audit.record(
        user, action, "TASK", row["NAME"], before={"state": row["STATE"]}, after={"state": state}, within=tx
    )


async def resume_task(layer: str | None, name: object, *, user: str | None) -> str:
    """Start the task; starting a root also starts everything downstream of it."""
    definition = find_definition(layer, name)
    names = [definition.name]
    if not definition.predecessors:
        names += dependents_of(definition.name)
    rows = await task_rows(names)
    now = utc_now()
    async with warehouse().transaction() as tx:
        for row in rows:
            await _set_state(tx, row, STARTED, now, user)
    return definition.name


async def suspend_task(layer: str | None, name: object, *, user: str | None) -> str:
    definition = find_definition(layer, name)
    now = utc_now()
    async with warehouse().transaction() as tx:
        for row in await task_rows([definition.name]):
            await _set_state(tx, row, SUSPENDED, now, user)
    return definition.name


async def change_schedule(
    layer: str | None, name: object, schedule_text: object, *, user: str | None
) -> tuple[str, str]:
    """Suspend, set the schedule, restore the previous state; returns the task and canonical schedule."""
    definition = find_definition(layer, name)
    if definition.predecessors:
        raise conflict(
            "task_has_predecessors",
            f"Task {definition.name} runs after {', '.join(definition.predecessors)}; change the root's schedule.",
        )
    try:
        schedule = parse_schedule(schedule_text)  # type: ignore[arg-type]
    except ScheduleError as error:
        raise validation_error("schedule", str(error), code="invalid_schedule") from None
    (row,) = await task_rows([definition.name])
    now = utc_now()
    was_started = row["STATE"] == STARTED
    async with warehouse().transaction() as tx:
        await tx.execute(
            "UPDATE OPS.TASKS SET SCHEDULE = ?, NEXT_RUN_AT = ?, LAST_COMMITTED_ON = ?, "
            "LAST_SUSPENDED_ON = ? WHERE NAME = ?",
            (
                schedule.text,
                next_run_after(schedule.text, now),
                now,
                now if was_started else row["LAST_SUSPENDED_ON"],
                definition.name,
            ),
        )
        await audit.record(
            user,
            "UPDATE_SCHEDULE",
            "TASK",
            definition.name,
            before={"schedule": row["SCHEDULE"], "state": row["STATE"]},
            after={"schedule": schedule.text, "state": row["STATE"]},
            within=tx,
        )
    return definition.name, schedule.text

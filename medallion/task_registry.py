"""Pipeline tasks (the equivalent of Snowflake tasks): apps register what each task runs; the scheduler in
ops runs them on their schedules, after their predecessors, claimed atomically across workers."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

TaskRun = Callable[[], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class TaskDefinition:
    name: str
    layer: str
    default_schedule: str | None
    run: TaskRun
    description: str
    predecessors: tuple[str, ...] = field(default_factory=tuple)
    starts_suspended: bool = False


TASKS: dict[str, TaskDefinition] = {}


def register_task(
    name: str,
    *,
    layer: str,
    run: TaskRun,
    description: str,
    schedule: str | None = None,
    predecessors: tuple[str, ...] = (),
    starts_suspended: bool = False,
) -> None:
    """`run` returns counts such as {"records_processed": 10, "records_failed": 0}; it raises on failure."""
    TASKS[name] = TaskDefinition(name, layer, schedule, run, description, predecessors, starts_suspended)

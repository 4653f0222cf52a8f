"""Input parsing for Bronze views."""

from bronze import queue
from medallion.errors import validation_error


def statuses(value: str | None) -> list[str] | None:
    if not value:
        return None
    statuses = [part.strip().upper() for part in value.split(",") if part.strip()]
    unknown = [status for status in statuses if status not in queue.STATUSES]
    if unknown:
        raise validation_error("status", f"Unknown status {unknown[0][:30]}; use {', '.join(queue.STATUSES)}.")
    return statuses


def file_type(value: str | None) -> str | None:
    if value and value.upper() not in queue.FILE_TYPES:
        raise validation_error("file_type", f"Use one of {', '.join(queue.FILE_TYPES)}.")
    return value.upper() if value else None

"""Input parsing for Bronze views."""

from typing import Any

from django.core.exceptions import ValidationError

from bronze import queue
from medallion.forms import Choice, EdgeForm, Text, use_one_of


class StatusList(Text):
    """Queue statuses separated by commas, in any case; None when none are given."""

    def __init__(self) -> None:
        super().__init__(max_length=200)

    def clean(self, value: Any) -> list[str] | None:
        given = super().clean(value)
        statuses = [part.strip().upper() for part in (given or "").split(",") if part.strip()]
        unknown = [status for status in statuses if status not in queue.STATUSES]
        if unknown:
            raise ValidationError(f"Unknown status {unknown[0][:30]}; use {', '.join(queue.STATUSES)}.")
        return statuses or None


class QueueFilterForm(EdgeForm):
    tpa = Text(max_length=100)
    status = StatusList()
    file_type = Choice(queue.FILE_TYPES, error_messages=use_one_of(queue.FILE_TYPES))


class RawFilterForm(EdgeForm):
    tpa = Text(max_length=100)
    file_name = Text(max_length=500)
    search = Text(max_length=200)


class StageFileForm(EdgeForm):
    file_path = Text(max_length=1000, required=True)

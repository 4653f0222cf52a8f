"""Task schedules written in Snowflake task syntax.

Two forms are accepted, mirroring ``CREATE TASK ... SCHEDULE = '...'``:

* ``'<n> MINUTE'`` -- run every n minutes (1-11520).
* ``'USING CRON <minute> <hour> <day-of-month> <month> <day-of-week> <IANA time zone>'``.

Cron runs are computed with croniter in the schedule's own time zone and returned in UTC.
Across daylight-saving changes a run whose local time is repeated (autumn) happens at both
instants, as Snowflake does; a run whose local time does not exist (spring) happens at the first
valid minute after the gap, where Snowflake would skip it -- missing a nightly job is the worse
surprise for an operations schedule.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import croniter

MIN_INTERVAL_MINUTES = 1
MAX_INTERVAL_MINUTES = 11520
MAX_SCHEDULE_LENGTH = 200

FORMAT_HINT = (
    f"Schedule must be '<n> MINUTE' ({MIN_INTERVAL_MINUTES}-{MAX_INTERVAL_MINUTES}) "
    "or 'USING CRON <5 fields> <IANA time zone>'"
)

# Cron fields, zone names and the two keywords need nothing more; rejecting everything else
# up front keeps quotes, semicolons and newlines out of any SQL the schedule is pasted into.
_ALLOWED_CHARACTERS = re.compile(r"[A-Za-z0-9 */,_+\-]*")
_INTERVAL_PATTERN = re.compile(r"(\d+) MINUTES?", re.IGNORECASE)
_CRON_ITEM_PATTERN = re.compile(r"(?P<start>\*|[A-Z0-9]+)(?:-(?P<end>[A-Z0-9]+))?(?:/(?P<step>\d+))?")
_LAST_WEEKDAY_PATTERN = re.compile(r"([0-7])L")

_MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1
    )
}
_WEEKDAY_NAMES = {name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
_LONGEST_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class ScheduleError(ValueError):
    """A schedule string that cannot be used; the message is written for the person who typed it."""


@dataclass(frozen=True)
class _CronField:
    name: str
    low: int
    high: int
    names: Mapping[str, int]

    def describe_range(self) -> str:
        allowed = f"{self.low}-{self.high}"
        if self.names:
            first, *_, last = self.names
            allowed += f" or {first}-{last}"
        return allowed


_CRON_FIELDS = (
    _CronField("minute", 0, 59, {}),
    _CronField("hour", 0, 23, {}),
    _CronField("day of month", 1, 31, {}),
    _CronField("month", 1, 12, _MONTH_NAMES),
    _CronField("day of week", 0, 7, _WEEKDAY_NAMES),  # 0 and 7 are both Sunday
)
_DAY_OF_MONTH = 2
_MONTH = 3
_DAY_OF_WEEK = 4


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule; build one with :func:`parse_schedule`."""

    text: str
    every_minutes: int | None
    cron: str | None
    timezone: str | None

    def next_run(self, after: datetime) -> datetime:
        """The first run strictly after ``after`` (timezone-aware), as an aware UTC datetime."""
        if after.tzinfo is None or after.utcoffset() is None:
            raise ValueError("after must be a timezone-aware datetime")
        if self.every_minutes is not None:
            return (after + timedelta(minutes=self.every_minutes)).astimezone(UTC)
        if self.cron is None or self.timezone is None:
            raise ValueError(f"Schedule {self.text!r} has neither an interval nor a cron expression")
        local_after = after.astimezone(zoneinfo.ZoneInfo(self.timezone))
        next_local = croniter(_to_croniter_syntax(self.cron), local_after).get_next(datetime)
        return next_local.astimezone(UTC)

    def __str__(self) -> str:
        return self.text


def parse_schedule(text: str) -> Schedule:
    """Parse and canonicalise a Snowflake task schedule, raising ScheduleError with a readable message."""
    if not isinstance(text, str) or not text.strip():
        raise ScheduleError(FORMAT_HINT)
    if len(text) > MAX_SCHEDULE_LENGTH:
        raise ScheduleError(f"Schedule is too long (at most {MAX_SCHEDULE_LENGTH} characters)")
    if not _ALLOWED_CHARACTERS.fullmatch(text):
        disallowed = next(char for char in text if not _ALLOWED_CHARACTERS.fullmatch(char))
        raise ScheduleError(f"Schedule contains a character that is not allowed: {disallowed!r}. {FORMAT_HINT}")

    tokens = text.split()
    interval_match = _INTERVAL_PATTERN.fullmatch(" ".join(tokens))
    if interval_match:
        return _interval_schedule(interval_match.group(1))
    if len(tokens) >= 2 and tokens[0].upper() == "USING" and tokens[1].upper() == "CRON":
        return _cron_schedule(tokens[2:])
    raise ScheduleError(FORMAT_HINT)


def _interval_schedule(digits: str) -> Schedule:
    minutes = int(digits)
    if not MIN_INTERVAL_MINUTES <= minutes <= MAX_INTERVAL_MINUTES:
        raise ScheduleError(
            f"Minute interval must be between {MIN_INTERVAL_MINUTES} and {MAX_INTERVAL_MINUTES}, got {minutes}"
        )
    return Schedule(text=f"{minutes} MINUTE", every_minutes=minutes, cron=None, timezone=None)


def _cron_schedule(tokens: list[str]) -> Schedule:
    if len(tokens) < len(_CRON_FIELDS) + 1:
        raise ScheduleError(
            "'USING CRON' needs 5 cron fields and a time zone, e.g. 'USING CRON 0 2 * * * America/New_York'"
        )
    *field_tokens, zone_text = tokens
    cron = " ".join(token.upper() for token in field_tokens)
    _validate_cron(cron)
    zone = _canonical_zone(zone_text)
    return Schedule(text=f"USING CRON {cron} {zone}", every_minutes=None, cron=cron, timezone=zone)


def _validate_cron(cron: str) -> None:
    field_texts = cron.split(" ")
    if len(field_texts) != len(_CRON_FIELDS):
        raise _cron_error(
            cron,
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(field_texts)}",
        )
    allowed_values = [
        _expand_field(cron, field, field_text) for field, field_text in zip(_CRON_FIELDS, field_texts, strict=True)
    ]
    day_of_month_text, day_of_week_text = field_texts[_DAY_OF_MONTH], field_texts[_DAY_OF_WEEK]
    day_of_month_only = day_of_week_text == "*" and "L" not in day_of_month_text.split(",")
    if day_of_month_only and not any(
        day <= _LONGEST_MONTH_DAYS[month - 1]
        for day in allowed_values[_DAY_OF_MONTH]
        for month in allowed_values[_MONTH]
    ):
        raise _cron_error(cron, "that day of month never occurs in the selected months")


def _expand_field(cron: str, field: _CronField, field_text: str) -> set[int]:
    """The numeric values a field allows; special items (L, 5L) contribute none."""
    items = field_text.split(",")
    values: set[int] = set()
    for item in items:
        if field.name == "day of month" and item == "L":
            continue
        if field.name == "day of week" and _LAST_WEEKDAY_PATTERN.fullmatch(item):
            if len(items) > 1:
                raise _cron_error(cron, f"day of week '{item}' (last weekday of the month) must stand alone")
            continue
        item_match = _CRON_ITEM_PATTERN.fullmatch(item)
        if item_match is None:
            raise _cron_error(cron, f"'{item}' is not a valid {field.name}")
        start_text, end_text, step_text = item_match.group("start", "end", "step")
        if start_text == "*":
            if end_text is not None:
                raise _cron_error(cron, f"'{item}' is not a valid {field.name}")
            start, end = field.low, field.high
        else:
            start = _field_value(cron, field, start_text)
            end = _field_value(cron, field, end_text) if end_text is not None else start
            if start > end:
                raise _cron_error(cron, f"{field.name} range '{item}' must run from low to high")
            if step_text is not None and end_text is None:
                end = field.high
        step = int(step_text) if step_text is not None else 1
        if step < 1:
            raise _cron_error(cron, f"{field.name} step must be at least 1")
        values.update(range(start, end + 1, step))
    return values


def _field_value(cron: str, field: _CronField, token: str) -> int:
    if token in field.names:
        return field.names[token]
    if not token.isdigit():
        raise _cron_error(cron, f"'{token}' is not a valid {field.name}")
    value = int(token)
    if not field.low <= value <= field.high:
        raise _cron_error(cron, f"{field.name} must be {field.describe_range()}")
    return value


def _cron_error(cron: str, detail: str) -> ScheduleError:
    return ScheduleError(f"Invalid cron expression '{cron}': {detail}")


def _to_croniter_syntax(cron: str) -> str:
    """Snowflake writes 'last Friday' as 5L; croniter spells it L5."""
    fields = cron.split(" ")
    last_weekday = _LAST_WEEKDAY_PATTERN.fullmatch(fields[_DAY_OF_WEEK])
    if last_weekday:
        fields[_DAY_OF_WEEK] = f"L{last_weekday.group(1)}"
    return " ".join(fields)


@functools.cache
def _zones_by_lowercase_name() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def _canonical_zone(zone_text: str) -> str:
    canonical = _zones_by_lowercase_name().get(zone_text.lower())
    if canonical is not None:
        return canonical
    try:
        zoneinfo.ZoneInfo(zone_text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"Unknown time zone '{zone_text}'") from None
    return zone_text

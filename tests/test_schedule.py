import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ops.schedule import FORMAT_HINT, Schedule, ScheduleError, parse_schedule

pytestmark = pytest.mark.pure


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def successive_runs(schedule: Schedule, after: datetime, count: int) -> list[datetime]:
    runs = []
    for _ in range(count):
        after = schedule.next_run(after)
        runs.append(after)
    return runs


@pytest.mark.parametrize(
    ("text", "canonical", "every_minutes"),
    [
        ("60 MINUTE", "60 MINUTE", 60),
        ("5 minutes", "5 MINUTE", 5),
        ("  1   Minute ", "1 MINUTE", 1),
        ("011520 MINUTES", "11520 MINUTE", 11520),
    ],
)
def test_interval_schedules_are_canonicalised(text: str, canonical: str, every_minutes: int) -> None:
    schedule = parse_schedule(text)
    assert schedule == Schedule(text=canonical, every_minutes=every_minutes, cron=None, timezone=None)
    assert str(schedule) == canonical


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("USING CRON 0 2 * * * America/New_York", "USING CRON 0 2 * * * America/New_York"),
        ("using   cron 0 2 * * *   america/new_york ", "USING CRON 0 2 * * * America/New_York"),
        ("USING CRON */15 8-18 * * mon-fri UTC", "USING CRON */15 8-18 * * MON-FRI UTC"),
        ("USING CRON 0 0 L * * Europe/London", "USING CRON 0 0 L * * Europe/London"),
        ("USING CRON 30 6 * * 5L Etc/GMT+5", "USING CRON 30 6 * * 5L Etc/GMT+5"),
        ("USING CRON 0 9 1,15 jan,jul * Asia/Kolkata", "USING CRON 0 9 1,15 JAN,JUL * Asia/Kolkata"),
        ("USING CRON 0 0 29 2 * UTC", "USING CRON 0 0 29 2 * UTC"),
        ("USING CRON 0 12 * * 7 UTC", "USING CRON 0 12 * * 7 UTC"),
    ],
)
def test_cron_schedules_are_canonicalised(text: str, canonical: str) -> None:
    schedule = parse_schedule(text)
    assert schedule.text == canonical
    assert schedule.every_minutes is None
    fields_and_zone = canonical.removeprefix("USING CRON ").rsplit(" ", 1)
    assert (schedule.cron, schedule.timezone) == (fields_and_zone[0], fields_and_zone[1])
    assert parse_schedule(schedule.text) == schedule


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", FORMAT_HINT),
        ("   ", FORMAT_HINT),
        ("every hour", FORMAT_HINT),
        ("60", FORMAT_HINT),
        ("MINUTE", FORMAT_HINT),
        ("-5 MINUTE", FORMAT_HINT),
        ("5 HOURS", FORMAT_HINT),
        ("CRON 0 2 * * * UTC", FORMAT_HINT),
        ("0 MINUTE", "Minute interval must be between 1 and 11520, got 0"),
        ("11521 MINUTES", "Minute interval must be between 1 and 11520, got 11521"),
        ("USING CRON", "'USING CRON' needs 5 cron fields and a time zone"),
        ("USING CRON 0 2 * * *", "'USING CRON' needs 5 cron fields and a time zone"),
        ("USING CRON 0 2 * * * Mars/Base", "Unknown time zone 'Mars/Base'"),
        ("USING CRON 0 2 * * * EST+5", "Unknown time zone 'EST+5'"),
        ("USING CRON 61 * * * * UTC", "Invalid cron expression '61 * * * *': minute must be 0-59"),
        ("USING CRON 0 24 * * * UTC", "Invalid cron expression '0 24 * * *': hour must be 0-23"),
        ("USING CRON 0 0 0 * * UTC", "Invalid cron expression '0 0 0 * *': day of month must be 1-31"),
        ("USING CRON 0 0 * 13 * UTC", "Invalid cron expression '0 0 * 13 *': month must be 1-12 or JAN-DEC"),
        ("USING CRON 0 0 * * 8 UTC", "Invalid cron expression '0 0 * * 8': day of week must be 0-7 or SUN-SAT"),
        ("USING CRON 0 0 * * FUN UTC", "Invalid cron expression '0 0 * * FUN': 'FUN' is not a valid day of week"),
        ("USING CRON */0 * * * * UTC", "Invalid cron expression '*/0 * * * *': minute step must be at least 1"),
        ("USING CRON 30-10 * * * * UTC", "Invalid cron expression '30-10 * * * *': minute range '30-10' must run"),
        ("USING CRON 1,,2 * * * * UTC", "Invalid cron expression '1,,2 * * * *': '' is not a valid minute"),
        ("USING CRON *-5 * * * * UTC", "Invalid cron expression '*-5 * * * *': '*-5' is not a valid minute"),
        ("USING CRON 0 0 * * L UTC", "Invalid cron expression '0 0 * * L': 'L' is not a valid day of week"),
        (
            "USING CRON 0 0 * * 1,5L UTC",
            "Invalid cron expression '0 0 * * 1,5L': day of week '5L' (last weekday of the month) must stand alone",
        ),
        (
            "USING CRON 0 0 31 4,6 * UTC",
            "Invalid cron expression '0 0 31 4,6 *': that day of month never occurs in the selected months",
        ),
        ("USING CRON 0 0 2 * * * UTC", "Invalid cron expression '0 0 2 * * *': expected 5 fields"),
    ],
)
def test_invalid_schedules_explain_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(text)
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(
    "text",
    [
        "60 MINUTE; DROP TABLE tasks",
        "60 MINUTE'",
        "USING CRON 0 2 * * * UTC' OR '1'='1",
        "60 MINUTE\nALTER TASK t RESUME",
        "USING CRON 0 2 * * * ../../etc/passwd",
        "USING CRON 0 2 * * * UTC -- comment",
        "60\tMINUTE",
        "６０ MINUTE",
    ],
)
def test_injection_attempts_are_rejected(text: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(text)


def test_disallowed_character_is_named() -> None:
    with pytest.raises(ScheduleError, match="character that is not allowed: ';'"):
        parse_schedule("60 MINUTE; DROP TABLE tasks")


def test_overlong_schedule_is_rejected() -> None:
    with pytest.raises(ScheduleError, match="too long"):
        parse_schedule("USING CRON " + "1," * 100 + "2 * * * * UTC")


def test_non_string_is_rejected() -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(None)  # type: ignore[arg-type]


def test_interval_next_run_adds_minutes_and_returns_utc() -> None:
    schedule = parse_schedule("90 MINUTE")
    after = datetime(2024, 5, 1, 12, 7, 30, tzinfo=timezone(timedelta(hours=2)))
    next_run = schedule.next_run(after)
    assert next_run == utc(2024, 5, 1, 11, 37) + timedelta(seconds=30)
    assert next_run.utcoffset() == timedelta(0)


def test_next_run_requires_aware_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_schedule("5 MINUTE").next_run(datetime(2024, 1, 1))


def test_cron_next_run_uses_the_schedule_time_zone() -> None:
    schedule = parse_schedule("USING CRON 0 2 * * * America/New_York")
    assert schedule.next_run(utc(2024, 1, 15, 12)) == utc(2024, 1, 16, 7)  # EST, UTC-5
    assert schedule.next_run(utc(2024, 7, 15, 12)) == utc(2024, 7, 16, 6)  # EDT, UTC-4
    assert schedule.next_run(utc(2024, 7, 15, 12)).tzinfo == UTC


def test_cron_next_run_is_strictly_after_a_matching_instant() -> None:
    schedule = parse_schedule("USING CRON 0 * * * * UTC")
    assert schedule.next_run(utc(2024, 1, 1, 5)) == utc(2024, 1, 1, 6)
    assert schedule.next_run(utc(2024, 1, 1, 5) + timedelta(seconds=1)) == utc(2024, 1, 1, 6)


def test_spring_forward_runs_at_first_valid_minute_after_the_gap() -> None:
    # 2024-03-10: New York clocks jump from 02:00 EST to 03:00 EDT, so 02:00 never happens.
    schedule = parse_schedule("USING CRON 0 2 * * * America/New_York")
    runs = successive_runs(schedule, utc(2024, 3, 8, 12), 4)
    assert runs == [utc(2024, 3, 9, 7), utc(2024, 3, 10, 7), utc(2024, 3, 11, 6), utc(2024, 3, 12, 6)]


def test_fall_back_runs_a_repeated_local_time_twice_like_snowflake() -> None:
    # 2024-11-03: 01:00-01:59 happens first in EDT (05:xx UTC) and again in EST (06:xx UTC).
    schedule = parse_schedule("USING CRON 0 1 * * * America/New_York")
    runs = successive_runs(schedule, utc(2024, 11, 2, 12), 3)
    assert runs == [utc(2024, 11, 3, 5), utc(2024, 11, 3, 6), utc(2024, 11, 4, 6)]


@pytest.mark.parametrize("after", [utc(2024, 3, 10, 3), utc(2024, 11, 3, 3)])
def test_hourly_cron_stays_hourly_across_dst_changes(after: datetime) -> None:
    schedule = parse_schedule("USING CRON 30 * * * * America/New_York")
    runs = successive_runs(schedule, after, 8)
    assert [later - earlier for earlier, later in itertools.pairwise(runs)] == [timedelta(hours=1)] * 7


def test_last_weekday_of_month() -> None:
    schedule = parse_schedule("USING CRON 0 18 * * 5L UTC")
    assert schedule.next_run(utc(2024, 1, 1)) == utc(2024, 1, 26, 18)


@pytest.mark.parametrize(
    "text",
    [
        "7 MINUTE",
        "USING CRON */20 * * * * America/New_York",
        "USING CRON 0 1 * * * America/New_York",
        "USING CRON 30 2 * * 0 America/New_York",
        "USING CRON 0 0 L * * Australia/Sydney",
    ],
)
def test_next_run_is_strictly_increasing_through_a_year(text: str) -> None:
    schedule = parse_schedule(text)
    after = utc(2024, 1, 1)
    horizon = utc(2025, 1, 1)
    while after < horizon:
        next_run = schedule.next_run(after)
        assert next_run > after
        assert next_run.tzinfo == UTC
        after = next_run


def test_next_run_from_inside_the_repeated_hour() -> None:
    schedule = parse_schedule("USING CRON 0 1 * * * America/New_York")
    assert schedule.next_run(utc(2024, 11, 3, 5, 30)) == utc(2024, 11, 3, 6)

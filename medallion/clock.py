"""The one clock: naive UTC for TIMESTAMP_NTZ columns, ISO 8601 for JSON."""

from datetime import UTC, datetime, timedelta


def utc_now() -> datetime:
    """Naive UTC, the way TIMESTAMP_NTZ columns store it."""
    return datetime.now(UTC).replace(tzinfo=None)


def as_aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def days_ago(days: int) -> datetime:
    return utc_now() - timedelta(days=days)


def iso_now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")

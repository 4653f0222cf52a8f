"""Input parsing for the operations views: the same forms read the API's JSON bodies and the pages' form posts."""

from collections.abc import Mapping
from functools import cache
from typing import Any

from croniter import croniter
from django import forms

from medallion.forms import Choice, EdgeForm, Integer, Number, Text, every_failure
from medallion.paging import MAX_OFFSET
from ops import alerts, logs
from ops.cadence import CADENCES, WEEKDAYS, Expectation, cadence_of

WEEKDAY_NAMES = ", ".join(day.title() for day in WEEKDAYS)
DAY_MESSAGE = "Give the day of the month the file is due by (1 to 28)."
CRON_MESSAGE = "Give a five-field cron expression (UTC), for example 0 9 * * 1."
THRESHOLD_MESSAGE = "Give a number from 0 to 100 (percent or score points)."
SECRET_ATTRS = {"placeholder": "webhook secret (16+ characters)", "autocomplete": "new-password"}


class ExpectationForm(EdgeForm):
    """A file kind a TPA sends on a cadence: monthly by `day`, weekly on `weekday`, or by `cron` (UTC)."""

    tpa = Text(max_length=100, required=True)
    file_kind = Text(
        max_length=100,
        required=True,
        error_messages=every_failure("Name the kind of file (1 to 100 characters), for example MEDICAL."),
        placeholder="File kind (MEDICAL)",
    )
    file_pattern = Text(
        max_length=200,
        error_messages=every_failure("At most 200 characters."),
        placeholder="File pattern (medical*.csv)",
    )
    cadence = Choice(CADENCES, required=True, error_messages=every_failure(f"Use one of {', '.join(CADENCES)}."))
    day = Integer(minimum=1, maximum=28, error_messages=every_failure(DAY_MESSAGE), placeholder="by day")
    weekday = Choice(WEEKDAYS, error_messages=every_failure(f"Use one of {WEEKDAY_NAMES}."), blank="weekday…")
    cron = Text(max_length=100, error_messages=every_failure(CRON_MESSAGE), placeholder="cron (UTC)")
    defaults = {"file_pattern": "*"}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("cadence")
        if kind == "MONTHLY" and cleaned.get("day") is None:
            self.add_error("day", DAY_MESSAGE)
        elif kind == "WEEKLY" and cleaned.get("weekday") is None:
            self.add_error("weekday", f"Use one of {WEEKDAY_NAMES}.")
        elif kind == "CRON" and not croniter.is_valid(cleaned.get("cron") or ""):
            self.add_error("cron", CRON_MESSAGE)
        return cleaned

    def expectation(self) -> Expectation:
        values = self.valid()
        schedule = cadence_of(values["cadence"], day=values["day"], weekday=values["weekday"], cron=values["cron"])
        return Expectation(values["tpa"], values["file_kind"], values["file_pattern"], schedule)


class SubscriptionForm(EdgeForm):
    """Where an alert kind goes: one e-mail address, or a webhook URL with its signing secret."""

    tpa = Text(max_length=100)
    alert_kind = Choice(
        alerts.KINDS, required=True, error_messages=every_failure(f"Use one of {', '.join(alerts.KINDS)}.")
    )
    channel = Choice(
        alerts.CHANNELS, required=True, error_messages=every_failure(f"Use one of {', '.join(alerts.CHANNELS)}.")
    )
    target = Text(max_length=500, required=True, placeholder="e-mail or https:// URL")
    secret = Text(max_length=200, strip=False, widget=forms.PasswordInput(attrs=SECRET_ATTRS))
    threshold = Number(
        minimum=0, maximum=100, error_messages=every_failure(THRESHOLD_MESSAGE), placeholder="threshold (% / points)"
    )
    defaults = {"tpa": alerts.ALL_TPAS}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        channel, target = cleaned.get("channel"), cleaned.get("target") or ""
        if channel == "EMAIL" and ("@" not in target or len(target) > 254 or " " in target):
            self.add_error("target", "Give one e-mail address.")
        if channel == "WEBHOOK" and not target.startswith(("https://", "http://")):
            self.add_error("target", "Give an http(s) URL of at most 500 characters.")
        if channel == "WEBHOOK" and len(cleaned.get("secret") or "") < 16:
            self.add_error("secret", "A webhook needs a signing secret of 16 to 200 characters.")
        if channel != "WEBHOOK":
            cleaned["secret"] = None
        kind = cleaned.get("alert_kind")
        if kind not in alerts.DEFAULT_THRESHOLDS:
            cleaned["threshold"] = None
        elif cleaned.get("threshold") is None:
            cleaned["threshold"] = alerts.DEFAULT_THRESHOLDS[kind]
        return cleaned

    def subscription(self) -> alerts.Subscription:
        return alerts.Subscription(**self.valid())


class ResolutionForm(EdgeForm):
    resolution_status = Choice(logs.RESOLUTION_STATUSES, required=True)
    resolution_notes = Text(max_length=4000)


@cache
def _log_form(log: str) -> type[EdgeForm]:
    spec = logs.LOGS[log]
    fields: dict[str, forms.Field] = {
        flt.param: Integer(minimum=0, maximum=MAX_OFFSET)
        if flt.match == "at_least"
        else Choice(flt.choices)
        if flt.choices
        else Text(max_length=500)
        for flt in spec.filters
    }
    fields |= {
        "days": Integer(minimum=1, maximum=spec.max_days),
        "limit": Integer(minimum=1, maximum=1000),
        "offset": Integer(minimum=0, maximum=MAX_OFFSET),
    }
    return type(f"{log.title()}LogForm", (EdgeForm,), {**fields, "defaults": {"days": 7, "limit": 100, "offset": 0}})


def log_query(log: str, source: Mapping[str, Any]) -> logs.LogQuery:
    """One log's filters, window and page from a query string (422 naming the first bad value)."""
    values = _log_form(log).parse(source)
    window = {key: values.pop(key) for key in ("days", "limit", "offset")}
    filters = {name: value for name, value in values.items() if value is not None}
    return logs.LogQuery(log, filters, **window)


class DaysForm(EdgeForm):
    days = Integer(minimum=1, maximum=30)
    defaults = {"days": 7}


class DeliveriesForm(EdgeForm):
    limit = Integer(minimum=1, maximum=1000)
    defaults = {"limit": 100}


class ExpectationKeyForm(EdgeForm):
    tpa = Text(max_length=100, required=True)
    file_kind = Text(max_length=100, required=True)

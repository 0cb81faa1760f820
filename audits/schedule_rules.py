"""The rules of audit schedules as values: check a cron expression, an interval and a time zone, describe a rule in
words, and compute when it fires next. No database writes (audits.services.schedules keeps beat's rows in step)."""

import functools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from celery import schedules
from cron_descriptor import ExpressionDescriptor, Options
from django.conf import settings
from django.core.exceptions import ValidationError
from django_celery_beat.tzcrontab import TzAwareCrontab
from django_celery_beat.validators import crontab_validator

from audits.choices import ScheduleKind
from audits.exceptions import ApplicationError

CRON_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
CRON_HELP = "five fields: minute hour day-of-month month day-of-week, e.g. '0 6 * * 1' for Mondays at 06:00"
MAX_INTERVAL_SECONDS = 366 * 24 * 3600


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> str:
    """The IANA time zone `name` (default UTC), or ApplicationError (field "timezone")."""
    name = (name or "").strip() or "UTC"
    if name not in _zones():
        raise ApplicationError(
            f"'{name}' is not an IANA time zone; use a name such as Europe/Berlin, America/New_York or UTC.",
            field="timezone",
        )
    return name


def cron_fields(expression: str) -> dict[str, str]:
    """The five fields of a cron expression by beat's names, or ApplicationError (field "cron") saying what is wrong."""
    parts = (expression or "").split()
    if len(parts) != 5:
        raise ApplicationError(
            f"'{expression}' is not a cron expression: it has {len(parts)} fields; a cron expression has {CRON_HELP}.",
            field="cron",
        )
    try:
        crontab_validator(" ".join(parts))
        schedules.crontab(**dict(zip(CRON_FIELDS, parts, strict=True)))
    except (ValidationError, ValueError) as exc:
        reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        raise ApplicationError(
            f"'{expression}' is not a cron expression ({reason}); a cron expression has {CRON_HELP}.", field="cron"
        ) from exc
    return dict(zip(CRON_FIELDS, parts, strict=True))


def check_interval(every_seconds) -> int:
    """An interval in whole seconds within [AUDIT_SCHEDULE_MIN_INTERVAL_SECONDS, one year], or ApplicationError."""
    minimum = settings.AUDIT_SCHEDULE_MIN_INTERVAL_SECONDS
    try:
        seconds = int(every_seconds)
    except (TypeError, ValueError) as exc:
        raise ApplicationError("Give the interval in whole seconds (every_seconds).", field="every_seconds") from exc
    if seconds < minimum:
        raise ApplicationError(
            f"The interval must be at least {minimum} seconds; got {seconds}.", field="every_seconds"
        )
    if seconds > MAX_INTERVAL_SECONDS:
        raise ApplicationError(
            f"The interval must be at most {MAX_INTERVAL_SECONDS} seconds (a year); got {seconds}.",
            field="every_seconds",
        )
    return seconds


def check_rule(*, kind: str, cron: str = "", every_seconds=None, timezone: str = "UTC") -> dict:
    """The schedule fields of a valid rule: kind, cron (normalised spacing), every_seconds and timezone."""
    if kind not in ScheduleKind.values:
        raise ApplicationError(f"kind must be one of: {', '.join(ScheduleKind.values)}.", field="kind")
    zone = check_timezone(timezone)
    if kind == ScheduleKind.CRON:
        fields = cron_fields(cron)
        return {"kind": kind, "cron": " ".join(fields.values()), "every_seconds": None, "timezone": zone}
    return {"kind": kind, "cron": "", "every_seconds": check_interval(every_seconds), "timezone": zone}


def crontab(cron: str, timezone: str) -> TzAwareCrontab:
    """Beat's own crontab for the rule (the one DatabaseScheduler evaluates), in the rule's time zone."""
    return TzAwareCrontab(**cron_fields(cron), tz=ZoneInfo(timezone))


def cron_next_after(cron: str, timezone: str, moment: datetime) -> datetime:
    """The first time after `moment` that the cron rule names, computed by celery's crontab in the rule's zone."""
    start, delta, _ = crontab(cron, timezone).remaining_delta(moment.astimezone(ZoneInfo(timezone)))
    return start + delta


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def interval_words(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            return "Every " + (unit if seconds == size else _plural(seconds // size, unit))
    return f"Every {_plural(seconds, 'second')}"


def describe(*, kind: str, cron: str, every_seconds: int | None, timezone: str) -> str:
    """The rule in words, e.g. "At 06:00, only on Monday (Europe/Berlin)" or "Every 2 hours"."""
    if kind == ScheduleKind.INTERVAL:
        return interval_words(every_seconds or 0)
    options = Options()
    options.use_24hour_time_format = True
    options.locale_code = "en_US"
    try:
        words = ExpressionDescriptor(cron, options).get_description()
    except Exception:  # noqa: BLE001 - a description is a courtesy; the stored expression stays the truth
        words = cron
    return f"{words} ({timezone})"


def next_run(
    *, kind: str, cron: str, every_seconds: int | None, timezone: str, last: datetime, now: datetime
) -> datetime:
    """When beat fires the rule next, given the last time it fired (or the time it was set up): the next time the
    rule names after `last`, or `now` when that has passed (a missed run is caught up once, as soon as beat runs)."""
    if kind == ScheduleKind.INTERVAL:
        due = last + timedelta(seconds=every_seconds or 0)
    else:
        due = cron_next_after(cron, timezone, last)
    return max(due, now)

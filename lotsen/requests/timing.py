"""Local appointment times, daylight saving, lead time in working days. Standard library only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Container
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc


class NonexistentTime(ValueError):
    """The local time falls into the hour skipped when clocks go forward."""


def to_utc(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of a local wall-clock time; refuses times that do not exist on that day.

    In the autumn hour that happens twice, the first (summer time) occurrence is meant.
    """
    local = dt.datetime.combine(day, time).replace(tzinfo=zone, fold=0)
    round_trip = local.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NonexistentTime(f"{day} {time} does not exist in {zone.key}")
    return local.astimezone(UTC)


def add_working_days(day: dt.date, count: int, holidays: Container[dt.date] = ()) -> dt.date:
    """The date ``count`` working days after ``day``: Monday to Friday, not a public holiday in ``holidays``."""
    while count > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            count -= 1
    return day


def earliest_regular_day(today: dt.date, lead_working_days: int, holidays: Container[dt.date] = ()) -> dt.date:
    """The first date a non-urgent request may be for."""
    return add_working_days(today, lead_working_days, holidays)


def repeat(first: dt.date, every_days: int, count: int) -> list[dt.date]:
    """The dates of a series: ``count`` dates, ``every_days`` apart."""
    return [first + dt.timedelta(days=every_days * n) for n in range(count)]

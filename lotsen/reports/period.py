"""The period a report covers: a month, a quarter, a year, or from-to (local days in Europe/Berlin)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Period:
    start: dt.date  # first day
    end: dt.date  # the day after the last

    def bounds(self, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """The period's first and the following instant, as UTC."""
        return (dt.datetime.combine(self.start, dt.time(0), zone).astimezone(dt.timezone.utc),
                dt.datetime.combine(self.end, dt.time(0), zone).astimezone(dt.timezone.utc))

    def months(self, zone: ZoneInfo) -> list[tuple[dt.date, dt.datetime, dt.datetime]]:
        """Each month the period touches: (its first day, and the UTC bounds of its part in the period)."""
        out = []
        first = self.start.replace(day=1)
        while first < self.end:
            following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            part = Period(max(first, self.start), min(following, self.end))
            out.append((first, *part.bounds(zone)))
            first = following
        return out

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)


def month(year: int, number: int) -> Period:
    first = dt.date(year, number, 1)
    return Period(first, (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1))


def quarter(year: int, number: int) -> Period:
    return Period(dt.date(year, 3 * number - 2, 1), month(year, 3 * number).end)


def year(number: int) -> Period:
    return Period(dt.date(number, 1, 1), dt.date(number + 1, 1, 1))

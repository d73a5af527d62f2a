"""Wall-clock arithmetic for availability: which naive local stretches a real interval passes through, and
whether weekly windows and one-off dates cover them. Standard library only (the rules use it)."""

from __future__ import annotations

import datetime as dt
import functools

DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)
TICK = dt.timedelta(microseconds=1)
NO_SLACK = dt.timedelta(0)
MIDNIGHT = dt.time(0)


def utc(moment: dt.datetime) -> dt.datetime:
    # Aware datetimes sharing a tzinfo add and compare on the wall clock; real durations need UTC.
    return moment.astimezone(dt.timezone.utc)


def wall_stretches(start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The naive wall-clock stretches that the real interval [start, end) passes through in start's zone.

    One stretch, or one more per clock change inside: the skipped spring hour is left out,
    the repeated autumn hour is passed twice.
    """
    zone, start, end = start.tzinfo, utc(start), utc(end)
    stretches = []
    while start < end:
        offset = start.astimezone(zone).utcoffset()
        switch = end
        if end.astimezone(zone).utcoffset() != offset:
            low = start  # bisect to the microsecond at which the offset changes
            while switch - low > dt.timedelta(microseconds=1):
                middle = low + (switch - low) / 2
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    switch = middle
        stretches.append(((start + offset).replace(tzinfo=None), (switch + offset).replace(tzinfo=None)))
        start = switch
    return stretches


def _covers(windows, extra_dates, low: dt.datetime, high: dt.datetime, slack: dt.timedelta) -> bool:
    """The spans offered from the day before low to the day after high (weekly windows valid on the day, extra
    dates), each widened by slack, join to cover [low, high)."""
    first, last = low.date() - DAY, high.date() + DAY
    spans = []
    if windows:
        on = _week_from(first)
        for window in windows:
            day = on.get(window.weekday)
            while day is not None and day <= last:
                if not (window.valid_from and day < window.valid_from) and not (
                        window.valid_until and day > window.valid_until):
                    span = _span(day, window.starts, window.ends, slack)
                    if span[0] <= low and span[1] >= high:  # one span covers it all (the usual case)
                        return True
                    spans.append(span)
                day += WEEK
    for extra in extra_dates:
        if first <= extra.day <= last:
            span = _span(extra.day, extra.starts, extra.ends, slack)
            if span[0] <= low and span[1] >= high:
                return True
            spans.append(span)
    reached = low
    for span_start, span_end in sorted(spans):
        if span_start > reached:
            break
        if span_end > reached:
            reached = span_end
    return reached >= high


@functools.lru_cache(maxsize=64)
def _week_from(first: dt.date) -> dict[int, dt.date]:
    """The first date on or after ``first`` for each weekday; a weekly window recurs from there every 7 days."""
    return {(first + dt.timedelta(days=n)).weekday(): first + dt.timedelta(days=n) for n in range(7)}


@functools.lru_cache(maxsize=4096)  # volunteers share window times; ranking hundreds meets the same ones often
def _span(day: dt.date, starts: dt.time, ends: dt.time, slack: dt.timedelta) -> tuple[dt.datetime, dt.datetime]:
    high = dt.datetime.combine(day + DAY, MIDNIGHT) if ends == dt.time.max else dt.datetime.combine(day, ends)  # 24:00
    return dt.datetime.combine(day, starts) - slack, high + slack


def covered(windows, extra_dates, stretches, slack: dt.timedelta = NO_SLACK) -> bool:
    """Every naive wall-clock stretch [low, high) is covered by the spans that the weekly windows (valid on the
    day) and the extra dates offer from the day before low to the day after high, each widened by slack
    (spans that touch or overlap join; midnight may be crossed)."""
    return all(_covers(windows, extra_dates, low, high, slack) for low, high in stretches)

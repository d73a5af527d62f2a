"""What the rules read besides a volunteer's profile, loaded in bulk for all candidates at once.

Two queries whatever the number of candidates: one for availability (weekly windows, extra dates,
absences), one for assignments (busy times, counts for limits and fair load, continuity). Each reads
only around the need's time: the rules read nothing else, so they judge exactly as with everything loaded.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from lotsen.assignments.models import Assignment, AssignmentStatus
from lotsen.matching import rules
from lotsen.matching.prefilter import OneOf
from lotsen.matching.wall_clock import wall_stretches
from lotsen.requests.models import HelpRequest
from lotsen.volunteers.models import Absence, AvailabilityWindow, ExtraDate

LIVE = (AssignmentStatus.CONFIRMED, AssignmentStatus.COMPLETED)
DAY = dt.timedelta(days=1)
UTC = dt.timezone.utc
SQLITE_LISTED_IDS = 10_000  # three lists of bound values per query stay below SQLite's 32,766


@dataclass
class Facts:
    """Per volunteer id: windows, extra dates, absences, busy times (tuples), (week, month, 30 days) counts;
    and the ids of those who served the need's series or its client before."""

    windows: dict
    extra_dates: dict
    absences: dict
    busy: dict
    counts: dict
    served_series: set
    served_client: set


class Around:
    """The time around a need that the rules look at for any of its candidates, travel included."""

    def __init__(self, request: HelpRequest, zone: str, travel: dt.timedelta, slack: dt.timedelta):
        tz = ZoneInfo(zone)
        local = lambda moment: moment.astimezone(tz)  # noqa: E731
        midnight = lambda day: dt.datetime.combine(day, dt.time(0), tz).astimezone(UTC)  # noqa: E731
        starts, ends = request.starts_at.astimezone(UTC) - travel, request.ends_at.astimezone(UTC) + travel
        day, end_day = local(request.starts_at).date(), local(request.ends_at).date()
        # Absences count by the days the widened appointment touches.
        self.first_day, self.last_day = local(starts).date(), local(ends).date()
        # Windows and extra dates count where their spans (widened by the near-miss slack) meet the appointment's
        # wall-clock stretches, on those days and the days either side: (day, latest start, earliest end) each.
        stretches = wall_stretches(local(starts), local(ends)) or [(local(starts).replace(tzinfo=None),) * 2]
        low, high = min(s for s, _ in stretches) - slack, max(e for _, e in stretches) + slack
        self.days = (low.date() - DAY, high.date() + DAY)
        self.spans = []
        for n in range((self.days[1] - self.days[0]).days + 1):
            on = self.days[0] + n * DAY
            since, until = low - dt.datetime.combine(on, dt.time(0)), high - dt.datetime.combine(on, dt.time(0))
            if until >= dt.timedelta(0) and since < DAY:
                self.spans.append((on, None if until >= DAY else (dt.datetime.min + until).time(),
                                   None if since <= dt.timedelta(0) else (dt.datetime.min + since).time()))
        # Busy times: the need's day and a day either side, or more if travel reaches further.
        self.busy = (min(starts, midnight(day - DAY)), max(ends, midnight(end_day + 2 * DAY)))
        monday = day - day.weekday() * DAY
        self.week = (midnight(monday), midnight(monday + 7 * DAY))
        first = day.replace(day=1)
        self.month = (midnight(first), midnight((first + 32 * DAY).replace(day=1)))


def load(session: Session, request: HelpRequest, ids: list[int], around: Around, now: dt.datetime) -> Facts:
    """Everything the rules read besides the profiles, for all ``ids`` at once."""
    member = among(session, ids)
    return Facts(*availability(session, member, around), *assignments(session, request, member, around, now))


def among(session: Session, ids: list[int]):
    """A condition 'column is one of ids', with the ids bound as one value however many there are.

    On PostgreSQL the ids come as array text (psycopg would dump a list of ints one by one), unnested in a
    subquery: the planner then neither weighs every id (milliseconds for a thousand) nor misjudges how many.
    SQLite gets them as a list of values, or beyond that as JSON.
    """
    if session.get_bind().dialect.name == "postgresql":
        listed = select(func.unnest(cast(bindparam("ids", "{" + ",".join(map(str, ids)) + "}", String),
                                         ARRAY(Integer))))
    elif len(ids) <= SQLITE_LISTED_IDS:  # SQLite looks a listed id up by index, but scans whole tables for json_each
        return lambda column: column.in_(ids)
    else:
        listed = select(literal_column("value")).select_from(func.json_each(bindparam("ids", json.dumps(ids), String)))
    return lambda column: OneOf(column, listed)


def availability(session: Session, member, around: Around):
    """Weekly windows, extra dates and absences per volunteer, as far as the rules look; one query."""
    window = AvailabilityWindow
    if len(around.spans) > 7:  # travel of days (far homes, in explain): every window
        on_days = true()
        extra_days = ExtraDate.day.between(*around.days)
    else:
        on_days = or_(*(and_(window.weekday == on.weekday(), _meets(window, latest_start, earliest_end),
                             or_(window.valid_from.is_(None), window.valid_from <= on),
                             or_(window.valid_until.is_(None), window.valid_until >= on))
                        for on, latest_start, earliest_end in around.spans))
        extra_days = or_(*(and_(ExtraDate.day == on, _meets(ExtraDate, latest_start, earliest_end))
                           for on, latest_start, earliest_end in around.spans))
    windows = select(literal_column("'w'"), window.volunteer_id, window.weekday, window.starts, window.ends,
                     window.valid_from, window.valid_until).where(member(window.volunteer_id), on_days)
    extra = select(literal_column("'x'"), ExtraDate.volunteer_id, null(), ExtraDate.starts, ExtraDate.ends,
                   ExtraDate.day, null()).where(member(ExtraDate.volunteer_id), extra_days)
    absent = select(literal_column("'a'"), Absence.volunteer_id, null(), null(), null(), Absence.starts_on,
                    Absence.ends_on).where(member(Absence.volunteer_id), Absence.starts_on <= around.last_day,
                                           Absence.ends_on >= around.first_day)
    found = {"w": {}, "x": {}, "a": {}}
    # Volunteers share window times: one (immutable) value each, which spares the allocator and the collector.
    same: dict[tuple, object] = {}
    for kind, volunteer_id, weekday, starts, ends, first, last in session.connection().execute(
            union_all(windows, extra, absent)).all():
        key = (kind, weekday, starts, ends, first, last)
        value = same.get(key)
        if value is None:
            value = same[key] = (rules.Window(weekday, starts, ends, first, last) if kind == "w"
                                 else rules.ExtraDate(first, starts, ends) if kind == "x" else (first, last))
        found[kind].setdefault(volunteer_id, []).append(value)
    return tuple({key: tuple(values) for key, values in found[kind].items()} for kind in ("w", "x", "a"))


def _meets(table, latest_start: dt.time | None, earliest_end: dt.time | None):
    """Starts no later and ends no earlier than given (None: any); 24:00 is stored as 23:59:59.999999."""
    return and_(true() if latest_start is None else table.starts <= latest_start,
                true() if earliest_end is None else table.ends >= earliest_end)


def assignments(session: Session, request: HelpRequest, member, around: Around, now: dt.datetime):
    """Per volunteer from their live assignments: busy times near the need, (week, month, last 30 days) counts,
    and who served earlier dates of the need's series or earlier requests for the same client; one query."""
    live = Assignment.status.in_(LIVE)
    others = Assignment.request_id != request.id if request.id is not None else true()
    zero = literal_column("0")
    busy = select(literal_column("'b'"), Assignment.volunteer_id, Assignment.starts_at, Assignment.ends_at, zero,
                  zero, zero).where(member(Assignment.volunteer_id), live, others,
                                    Assignment.starts_at < around.busy[1], Assignment.ends_at > around.busy[0])

    def counted(low, high, *more):
        return func.sum(case((and_(Assignment.starts_at >= low, Assignment.starts_at < high, *more), 1), else_=0))

    recent = (now - 30 * DAY, now)
    counts = (select(literal_column("'c'"), Assignment.volunteer_id, null(), null(), counted(*around.week, others),
                     counted(*around.month, others), counted(*recent))
              .where(member(Assignment.volunteer_id), live,
                     Assignment.starts_at >= min(around.week[0], around.month[0], recent[0]),
                     Assignment.starts_at < max(around.week[1], around.month[1], recent[1]))
              .group_by(Assignment.volunteer_id))
    parts = [busy, counts]
    same_series = HelpRequest.series_id == request.series_id if request.series_id is not None else None
    same_client = (and_(HelpRequest.agency_id == request.agency_id,
                        HelpRequest.client_reference == request.client_reference)
                   if request.client_reference else None)
    wanted = [condition for condition in (same_series, same_client) if condition is not None]
    if wanted:  # everyone who served before, few: no need to name the candidates
        flag = lambda condition: case((condition, 1), else_=0) if condition is not None else zero  # noqa: E731
        parts.append(select(literal_column("'s'"), Assignment.volunteer_id, null(), null(), flag(same_series),
                            flag(same_client), zero)
                     .join(HelpRequest, HelpRequest.id == Assignment.request_id)
                     .where(live, Assignment.starts_at < request.starts_at, or_(*wanted)))
    busy_times, numbers, series, client = {}, {}, set(), set()
    for kind, volunteer_id, starts_at, ends_at, first, second, third in session.connection().execute(
            union_all(*parts)).all():
        if kind == "b":
            busy_times.setdefault(volunteer_id, []).append((starts_at, ends_at))
        elif kind == "c":
            numbers[volunteer_id] = (first, second, third)
        else:
            if first:
                series.add(volunteer_id)
            if second:
                client.add(volunteer_id)
    return {key: tuple(values) for key, values in busy_times.items()}, numbers, series, client

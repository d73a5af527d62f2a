"""Pricing records: the rules of ``lotsen.billing.rules`` applied to stored records, month by month.

A volunteer's year is priced in order, programme by programme, so the caps that span records (per client,
hours per year, amount per month) see everything paid before. Each record is priced under the rate its
programme had on the record's day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lotsen import clock
from lotsen.billing import rules
from lotsen.billing.models import AssignmentRecord, Programme
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Office


@dataclass(frozen=True)
class Priced:
    record: AssignmentRecord
    allowance: rules.Allowance | None  # None: no programme, or no rate on that day

    @property
    def total(self):
        return self.allowance.total if self.allowance is not None else rules.ZERO


def work_of(record: AssignmentRecord) -> rules.Work:
    zone = clock.zone()
    return rules.Work(record.outcome.rule_outcome, record.starts_at.astimezone(zone), record.ends_at.astimezone(zone),
                      waiting_minutes=record.waiting_minutes, travel_minutes=record.travel_minutes,
                      travel_km=record.travel_km, client=record.client_key)


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The month's first and the next month's first instant in Berlin, as UTC."""
    zone = clock.zone()
    first = dt.datetime(year, month, 1, tzinfo=zone)
    following = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return first.astimezone(dt.timezone.utc), following.astimezone(dt.timezone.utc)


def price_volunteer(session: Session, office: Office, volunteer_id: int, year: int, month: int, *,
                    including: AssignmentRecord | None = None, from_january: bool = False) -> list[Priced]:
    """The volunteer's payable records of the month (or, ``from_january``, of the year up to its end), priced
    after everything paid earlier in the year.

    ``including`` adds one record that is not payable yet, to show what it would pay.
    """
    return price_month(session, office, year, month, volunteer_ids=[volunteer_id], including=including,
                       from_january=from_january).get(volunteer_id, [])


def price_month(session: Session, office: Office, year: int, month: int, *, volunteer_ids: list[int] | None = None,
                including: AssignmentRecord | None = None, from_january: bool = False) -> dict[int, list[Priced]]:
    """Each volunteer's payable records of the month (of the office's volunteers, or of ``volunteer_ids``),
    priced in one pass over the year so far: one query, however many volunteers."""
    year_start, _ = month_bounds(year, 1)
    month_start, month_end = month_bounds(year, month)
    query = (select(AssignmentRecord).where(AssignmentRecord.office_id == office.id,
                                            AssignmentRecord.starts_at >= year_start,
                                            AssignmentRecord.starts_at < month_end)
             .options(selectinload(AssignmentRecord.programme).selectinload(Programme.rates),
                      selectinload(AssignmentRecord.volunteer))
             .order_by(AssignmentRecord.volunteer_id, AssignmentRecord.starts_at, AssignmentRecord.id))
    if volunteer_ids is not None:
        query = query.where(AssignmentRecord.volunteer_id.in_(volunteer_ids))
    by_volunteer: dict[int, list[AssignmentRecord]] = defaultdict(list)
    for entry in session.scalars(query):
        if entry.status.is_payable or (including is not None and entry.id == including.id):
            by_volunteer[entry.volunteer_id].append(entry)
    holidays = office_settings.holiday_calendar(office)
    shown_from = year_start if from_january else month_start
    return {volunteer_id: [p for p in _price_year(entries, year, month, holidays) if p.record.starts_at >= shown_from]
            for volunteer_id, entries in by_volunteer.items()}


def _price_year(counted: list[AssignmentRecord], year: int, month: int, holidays) -> list[Priced]:
    """One volunteer's records from January to the month's end, in order, programme by programme, each month
    priced after the ones before it (the caps that span records see them)."""
    rates = {entry.id: _rate(entry) for entry in counted}
    by_programme: dict[int | None, list[AssignmentRecord]] = defaultdict(list)
    for entry in counted:
        by_programme[entry.programme_id].append(entry)
    priced: dict[int, Priced] = {entry.id: Priced(entry, None) for entry in counted if rates[entry.id] is None}
    bounds = [month_bounds(year, number) for number in range(1, month + 1)]
    for entries in by_programme.values():
        tally = rules.Tally()
        for start, end in bounds:
            rated = [e for e in entries if start <= e.starts_at < end and rates[e.id] is not None]
            results = rules.month([work_of(e) for e in rated], [rates[e.id].rule for e in rated], holidays, tally)
            priced.update({entry.id: Priced(entry, result) for entry, result in zip(rated, results)})
    return [priced[entry.id] for entry in counted]


def _rate(entry: AssignmentRecord):
    if entry.programme is None:
        return None
    return entry.programme.rate_on(entry.starts_at.astimezone(clock.zone()).date())


def price_record(session: Session, record: AssignmentRecord) -> Priced:
    """What one record pays (or would pay, once confirmed), in its month."""
    local = record.starts_at.astimezone(clock.zone())
    office = session.get(Office, record.office_id)
    for priced in price_volunteer(session, office, record.volunteer_id, local.year, local.month, including=record):
        if priced.record.id == record.id:
            return priced
    return Priced(record, None)

"""The report's figures, each one SQL aggregate over the period (nothing is loaded into Python to be counted).

Requests count by the day of their appointment. ``scope`` is the offices the report covers (one office, or
several for an admin). Months are buckets computed from the period's bounds in Europe/Berlin, so a request
at 23:30 on the last day of a month counts in that month on both databases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import Float

from lotsen.assignments.lifecycle import LIVE
from lotsen.assignments.models import Assignment
from lotsen.audit.models import AuditEvent
from lotsen.auth.models import Role, User, UserStatus
from lotsen.billing.lifecycle import RecordStatus
from lotsen.billing.models import AssignmentRecord, Programme, RecordOutcome
from lotsen.offices.models import Agency, Municipality, Office
from lotsen.reports.period import Period
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import HelpRequest
from lotsen.volunteers.models import Training, VolunteerLanguage, VolunteerProfile

__all__ = ["DIMENSIONS", "HOURS_DIMENSIONS", "Scope", "amount_used", "assignments_per_client", "by_office", "fill_by",
           "hours_per_volunteer", "trainings", "hours_by", "requests_by_month", "short_supply",
           "unfilled_by_reason", "unmet", "volunteers_by", "volunteers_summary"]

FILLED = (RequestStatus.CONFIRMED, RequestStatus.COMPLETED)
PAYABLE = (RecordStatus.CONFIRMED, RecordStatus.DECIDED)


class SecondsBetween(ColumnElement):
    """Seconds from ``earlier`` to ``later``, on PostgreSQL and SQLite alike."""

    type = Float()
    inherit_cache = True

    def __init__(self, later, earlier):
        self.later, self.earlier = later, earlier


@compiles(SecondsBetween)
def _seconds_default(element, compiler, **kw):
    return (f"EXTRACT(EPOCH FROM ({compiler.process(element.later, **kw)} - "
            f"{compiler.process(element.earlier, **kw)}))")


@compiles(SecondsBetween, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    return (f"((julianday({compiler.process(element.later, **kw)}) - "
            f"julianday({compiler.process(element.earlier, **kw)})) * 86400.0)")


@dataclass(frozen=True)
class Scope:
    office_ids: tuple[int, ...]
    period: Period
    zone: ZoneInfo

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return self.period.bounds(self.zone)


def requests_in(scope: Scope):
    start, end = scope.bounds
    return and_(HelpRequest.office_id.in_(scope.office_ids), HelpRequest.starts_at >= start,
                HelpRequest.starts_at < end)


def _month_of(column, scope: Scope):
    return case(*[(and_(column >= start, column < end), literal(first.isoformat()[:7]))
                  for first, start, end in scope.period.months(scope.zone)], else_=literal(""))


def requests_by_month(session: Session, scope: Scope) -> list[dict]:
    """Per month: requests, filled, not filled, cancelled late and in time, still open."""
    month = _month_of(HelpRequest.starts_at, scope).label("month")
    status = HelpRequest.status
    rows = session.execute(select(
        month, func.count().label("requests"),
        func.sum(case((status.in_(FILLED), 1), else_=0)).label("filled"),
        func.sum(case((status == RequestStatus.UNFILLED, 1), else_=0)).label("unfilled"),
        func.sum(case((and_(status == RequestStatus.CANCELLED, HelpRequest.cancelled_late.is_(True)), 1),
                      else_=0)).label("cancelled_late"),
        func.sum(case((and_(status == RequestStatus.CANCELLED, HelpRequest.cancelled_late.is_(False)), 1),
                      else_=0)).label("cancelled_in_time"),
    ).where(requests_in(scope)).group_by(month).order_by(month))
    found = {row.month: row._asdict() for row in rows}
    empty = {"requests": 0, "filled": 0, "unfilled": 0, "cancelled_late": 0, "cancelled_in_time": 0}
    return [{**empty, **found.get(first.isoformat()[:7], {}), "month": first}
            for first, _start, _end in scope.period.months(scope.zone)]


def unfilled_by_reason(session: Session, scope: Scope) -> list[dict]:
    rows = session.execute(select(HelpRequest.unfilled_reason.label("reason"), func.count().label("requests"))
                           .where(requests_in(scope), HelpRequest.status == RequestStatus.UNFILLED)
                           .group_by(HelpRequest.unfilled_reason).order_by(func.count().desc()))
    return [row._asdict() for row in rows]


DIMENSIONS = ("language", "agency_type", "agency", "municipality", "topic", "mode", "urgent")


def _dimension(name: str):
    """The column a figure is broken down by, and the joins it needs."""
    if name == "language":
        return HelpRequest.language, []
    if name == "agency_type":
        return Agency.type, [(Agency, Agency.id == HelpRequest.agency_id)]
    if name == "agency":
        return Agency.name, [(Agency, Agency.id == HelpRequest.agency_id)]
    if name == "municipality":
        return func.coalesce(Municipality.name, ""), [(Municipality, Municipality.id == HelpRequest.municipality_id)]
    if name == "topic":
        return HelpRequest.topic, []
    if name == "mode":
        return HelpRequest.mode, []
    if name == "urgent":
        return HelpRequest.is_urgent, []
    if name == "office":
        return HelpRequest.office_id, []
    if name == "programme":
        return func.coalesce(Programme.name, ""), [(Programme, Programme.id == AssignmentRecord.programme_id)]
    raise ValueError(name)


def _keyed(query, dimensions):
    """``query`` with each dimension's column (labelled by its name) and the joins they need, each once."""
    joined = []
    for name in dimensions:
        key, joins = _dimension(name)
        query = query.add_columns(key.label(name))
        joined += [(model, on) for model, on in joins if all(model is not m for m, _on in joined)]
    for model, on in joined:
        query = query.outerjoin(model, on)
    return query


def _sets(session: Session, rows, dimensions, measures) -> dict[str, list[dict]]:
    """``measures`` over the subquery ``rows`` grouped by each dimension on its own: in one pass with
    GROUPING SETS on PostgreSQL, by one GROUP BY per dimension where the database has none (SQLite)."""
    if session.get_bind().dialect.name == "postgresql" and len(dimensions) > 1:
        keys = [rows.c[name] for name in dimensions]
        query = select(*keys, *[func.grouping(key).label(f"set_{key.name}") for key in keys], *measures(rows)) \
            .group_by(func.grouping_sets(*keys))
        out: dict[str, list[dict]] = {name: [] for name in dimensions}
        for row in session.execute(query).mappings():
            name = next(name for name in dimensions if row[f"set_{name}"] == 0)
            out[name].append({"key": row[name], **{k: v for k, v in row.items() if k not in out
                                                   and not k.startswith("set_")}})
        return out
    return {name: [{"key": row[name], **{k: v for k, v in row.items() if k != name}}
                   for row in session.execute(select(rows.c[name], *measures(rows)).group_by(rows.c[name]))
                   .mappings()] for name in dimensions}


def fill_by(session: Session, scope: Scope, dimensions: tuple[str, ...] = DIMENSIONS) -> dict[str, list[dict]]:
    """Per value of each dimension: requests (not cancelled), filled, not filled, and hours from filing to the
    confirmed volunteer, median and 90th percentile (nearest rank: the smallest value at or above that share).
    One query for all dimensions on PostgreSQL."""
    seconds = SecondsBetween(Assignment.confirmed_at, HelpRequest.created_at)
    rows = _keyed(select(HelpRequest.status.in_(FILLED).label("filled"),
                         (HelpRequest.status == RequestStatus.UNFILLED).label("unfilled"), seconds.label("seconds"))
                  .select_from(HelpRequest).outerjoin(
        Assignment, and_(Assignment.request_id == HelpRequest.id, Assignment.status.in_(LIVE))), dimensions).where(
        requests_in(scope), HelpRequest.status != RequestStatus.CANCELLED).subquery()
    if session.get_bind().dialect.name == "postgresql":
        def measures(rows):
            # Ordered-set aggregates: percentile_disc is the nearest rank, and skips the unfilled (NULL).
            return [func.count().label("requests"), func.sum(case((rows.c.filled, 1), else_=0)).label("filled"),
                    func.sum(case((rows.c.unfilled, 1), else_=0)).label("unfilled"),
                    func.percentile_disc(0.5).within_group(rows.c.seconds).label("median"),
                    func.percentile_disc(0.9).within_group(rows.c.seconds).label("p90")]

        found = _sets(session, rows, dimensions, measures)
    else:
        found = {name: _ranked(session, rows, name) for name in dimensions}
    return {name: sorted(({"key": row["key"], "requests": row["requests"], "filled": row["filled"] or 0,
                           "unfilled": row["unfilled"] or 0,
                           "median_hours": row["median"] / 3600 if row["median"] is not None else None,
                           "p90_hours": row["p90"] / 3600 if row["p90"] is not None else None}
                          for row in found[name]), key=lambda r: (-r["requests"], str(r["key"])))
            for name in dimensions}


def _ranked(session: Session, rows, name: str) -> list[dict]:
    """The figures of ``fill_by`` for one dimension by rank over a window (SQLite has no ordered-set
    aggregates)."""
    key = rows.c[name]
    ranked = select(key.label("key"), rows.c.filled, rows.c.unfilled, rows.c.seconds,
                    func.count(rows.c.seconds).over(partition_by=key).label("n"),
                    func.row_number().over(partition_by=key, order_by=(rows.c.seconds.is_(None), rows.c.seconds))
                    .label("rank")).subquery()

    def nearest(percent: int):
        wanted = (percent * ranked.c.n + 99) // 100
        return func.max(case((and_(ranked.c.seconds.is_not(None), ranked.c.rank == wanted), ranked.c.seconds)))

    query = select(ranked.c.key, func.count().label("requests"),
                   func.sum(case((ranked.c.filled, 1), else_=0)).label("filled"),
                   func.sum(case((ranked.c.unfilled, 1), else_=0)).label("unfilled"),
                   nearest(50).label("median"), nearest(90).label("p90")).group_by(ranked.c.key)
    return [dict(row) for row in session.execute(query).mappings()]


def unmet(filled: list[dict]) -> list[dict]:
    """Where requests went unfilled, from the rows of ``fill_by``: most first."""
    return sorted(({"key": row["key"], "unfilled": row["unfilled"]} for row in filled if row["unfilled"]),
                  key=lambda r: (-r["unfilled"], str(r["key"])))


def _active_volunteers(scope: Scope):
    return and_(User.role == Role.VOLUNTEER, User.status == UserStatus.ACTIVE, User.office_id.in_(scope.office_ids))


def short_supply(session: Session, scope: Scope, demand: list[dict]) -> list[dict]:
    """Per language asked for (``demand``: the language rows of ``fill_by``): requests (not cancelled), how
    many were not filled, and the active volunteers who speak it; most requests per volunteer first (where
    recruiting helps most)."""
    speakers = dict(session.execute(select(VolunteerLanguage.language, func.count(func.distinct(User.id)))
                                    .join(User, User.id == VolunteerLanguage.volunteer_id)
                                    .where(_active_volunteers(scope),
                                           VolunteerLanguage.language.in_([row["key"] for row in demand]))
                                    .group_by(VolunteerLanguage.language)).all())
    rows = [{"key": row["key"], "requests": row["requests"], "unfilled": row["unfilled"],
             "volunteers": speakers.get(row["key"], 0)} for row in demand]
    # Languages nobody in the pool speaks first (most requests first), then most requests per volunteer.
    return sorted(rows, key=lambda r: (r["volunteers"] > 0,
                                       -(r["requests"] / r["volunteers"] if r["volunteers"] else r["requests"]),
                                       r["key"]))


def records_in(scope: Scope):
    start, end = scope.bounds
    return and_(AssignmentRecord.office_id.in_(scope.office_ids), AssignmentRecord.starts_at >= start,
                AssignmentRecord.starts_at < end, AssignmentRecord.status.in_(PAYABLE))


HOURS_DIMENSIONS = ("programme", "language", "agency_type", "municipality")


def _worked():
    return case((AssignmentRecord.outcome == RecordOutcome.TOOK_PLACE,
                 SecondsBetween(AssignmentRecord.ends_at, AssignmentRecord.starts_at)), else_=0)


def hours_by(session: Session, scope: Scope, dimensions: tuple[str, ...] = HOURS_DIMENSIONS) -> dict[str, list[dict]]:
    """Per value of each dimension: assignments recorded (confirmed), hours worked (taken place), and the
    amounts approved. One query for all dimensions on PostgreSQL."""
    rows = _keyed(select(_worked().label("seconds"), AssignmentRecord.amount).select_from(AssignmentRecord)
                  .join(Assignment, Assignment.id == AssignmentRecord.assignment_id)
                  .join(HelpRequest, HelpRequest.id == Assignment.request_id), dimensions).where(
        records_in(scope)).subquery()
    found = _sets(session, rows, dimensions, lambda rows: [
        func.count().label("assignments"), func.sum(rows.c.seconds).label("seconds"),
        func.sum(rows.c.amount).label("amount")])
    return {name: sorted(({"key": row["key"], "assignments": row["assignments"],
                           "hours": (row["seconds"] or 0) / 3600, "amount": row["amount"]} for row in found[name]),
                         key=lambda r: (-r["hours"], str(r["key"]))) for name in dimensions}


def volunteers_summary(session: Session, scope: Scope) -> dict:
    """Active (now), new in the period, paused (now), and who left in the period (deactivated or deleted)."""
    start, end = scope.bounds
    row = session.execute(select(
        func.sum(case((User.status == UserStatus.ACTIVE, 1), else_=0)).label("active"),
        func.sum(case((and_(User.created_at >= start, User.created_at < end), 1), else_=0)).label("new"),
        func.sum(case((and_(User.status == UserStatus.ACTIVE, VolunteerProfile.is_paused.is_(True)), 1),
                      else_=0)).label("paused"),
    ).select_from(User).join(VolunteerProfile, VolunteerProfile.user_id == User.id).where(
        User.role == Role.VOLUNTEER, User.office_id.in_(scope.office_ids))).one()
    left = session.scalar(select(func.count(func.distinct(AuditEvent.subject_id)))
                          .join(User, User.id == AuditEvent.subject_id).where(
        AuditEvent.subject_type == "User", AuditEvent.action.in_(LEAVING), AuditEvent.occurred_at >= start,
        AuditEvent.occurred_at < end, User.role == Role.VOLUNTEER, User.office_id.in_(scope.office_ids)))
    return {"active": row.active or 0, "new": row.new or 0, "paused": row.paused or 0, "left": left or 0}


LEAVING = ("user.deactivated", "volunteer.anonymized")


def trainings(session: Session, scope: Scope) -> list[dict]:
    """Trainings completed in the period, by kind: how many, and by how many volunteers."""
    rows = session.execute(select(Training.kind.label("key"), func.count().label("trainings"),
                                  func.count(func.distinct(Training.volunteer_id)).label("volunteers"))
                           .join(User, User.id == Training.volunteer_id)
                           .where(User.office_id.in_(scope.office_ids), Training.completed_on >= scope.period.start,
                                  Training.completed_on < scope.period.end)
                           .group_by(Training.kind))
    return sorted((row._asdict() for row in rows), key=lambda r: str(r["key"]))


def volunteers_by(session: Session, scope: Scope, dimension: str) -> list[dict]:
    """Active volunteers per language they speak, per role, or per municipality."""
    base = select().select_from(User).join(VolunteerProfile, VolunteerProfile.user_id == User.id)
    if dimension == "language":
        query = (select(VolunteerLanguage.language.label("key"), func.count(func.distinct(User.id)).label("volunteers"))
                 .join(User, User.id == VolunteerLanguage.volunteer_id).where(_active_volunteers(scope))
                 .group_by(VolunteerLanguage.language))
    elif dimension == "municipality":
        key = func.coalesce(Municipality.name, "")
        query = (select(key.label("key"), func.count().label("volunteers")).select_from(User)
                 .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
                 .outerjoin(Municipality, Municipality.id == VolunteerProfile.municipality_id)
                 .where(_active_volunteers(scope)).group_by(key))
    elif dimension == "role":
        row = session.execute(base.add_columns(
            func.sum(case((VolunteerProfile.is_guide.is_(True), 1), else_=0)).label("guide"),
            func.sum(case((VolunteerProfile.is_interpreter.is_(True), 1), else_=0)).label("interpreter"))
            .where(_active_volunteers(scope))).one()
        return [{"key": "guide", "volunteers": row.guide or 0}, {"key": "interpreter", "volunteers": row.interpreter or 0}]
    else:
        raise ValueError(dimension)
    return sorted((row._asdict() for row in session.execute(query)), key=lambda r: (-r["volunteers"], str(r["key"])))



def by_office(session: Session, scope: Scope, requests: list[dict], hours: list[dict]) -> list[dict]:
    """The main figures of each office side by side (an instance that serves a whole Land), from the office
    rows of ``fill_by`` and ``hours_by``."""
    counted = {row["key"]: row for row in requests}
    paid = {row["key"]: row for row in hours}
    active = dict(session.execute(select(User.office_id, func.count()).where(_active_volunteers(scope))
                                  .group_by(User.office_id)).all())
    names = dict(session.execute(select(Office.id, Office.name).where(Office.id.in_(scope.office_ids))).all())
    empty = {"requests": 0, "filled": 0, "unfilled": 0}
    rows = [{"key": names.get(office_id, ""), **{k: counted.get(office_id, empty)[k] for k in empty},
             "hours": paid[office_id]["hours"] if office_id in paid else 0.0,
             "amount": paid[office_id]["amount"] if office_id in paid else None,
             "volunteers": active.get(office_id, 0)} for office_id in scope.office_ids]
    return sorted(rows, key=lambda r: str(r["key"]))


def hours_per_volunteer(session: Session, scope: Scope, programme_id: int) -> list[dict]:
    """Per volunteer of a programme: assignments, hours worked and hours paid (approved) in the period."""
    rows = session.execute(select(
        User.id, User.name, func.count().label("assignments"), func.sum(_worked()).label("seconds"),
        func.sum(AssignmentRecord.paid_minutes).label("paid_minutes"))
        .join(User, User.id == AssignmentRecord.volunteer_id)
        .where(records_in(scope), AssignmentRecord.programme_id == programme_id)
        .group_by(User.id, User.name))
    out = [{"key": row.name, "volunteer_id": row.id, "assignments": row.assignments,
            "hours": (row.seconds or 0) / 3600, "paid_hours": (row.paid_minutes or 0) / 60} for row in rows]
    return sorted(out, key=lambda r: (-r["hours"], str(r["key"])))


def assignments_per_client(session: Session, scope: Scope, programme_id: int) -> dict[int, int]:
    """How many clients (case numbers) had 1, 2, 3 … assignments of a programme in the period."""
    per_client = (select(AssignmentRecord.client_key, func.count().label("n"))
                  .where(records_in(scope), AssignmentRecord.programme_id == programme_id,
                         AssignmentRecord.client_key != "")
                  .group_by(AssignmentRecord.client_key).subquery())
    return dict(session.execute(select(per_client.c.n, func.count()).group_by(per_client.c.n)
                                .order_by(per_client.c.n)).all())


def amount_used(session: Session, scope: Scope) -> Decimal:
    total = session.scalar(select(func.coalesce(func.sum(AssignmentRecord.amount), 0)).where(records_in(scope)))
    return Decimal(total or 0)

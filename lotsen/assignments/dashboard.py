"""The coordinator's dashboard: upcoming requests by urgency, with counts, answers and candidates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from lotsen.assignments.lifecycle import OfferStatus
from lotsen.assignments.models import Offer
from lotsen.auth.models import User
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import HelpRequest, RequestKind

WAITING = (RequestStatus.OPEN, RequestStatus.OFFERED, RequestStatus.ACCEPTED, RequestStatus.CONFIRMED)
SOON = dt.timedelta(hours=48)


@dataclass(frozen=True)
class Filters:
    language: str = ""
    municipality_id: int | None = None
    agency_id: int | None = None
    kind: str = ""
    day: dt.date | None = None  # from this local day on
    status: str = ""


@dataclass
class Accepted:
    """The acceptance waiting for the coordinator: the offer to confirm and who accepted."""

    id: int
    name: str


@dataclass
class Row:
    request: HelpRequest
    open_offers: int = 0
    declined: int = 0
    accepted: Accepted | None = None

    def is_unfilled_soon(self, now: dt.datetime) -> bool:
        return self.request.status is not RequestStatus.CONFIRMED and self.request.starts_at - now < SOON


def _scope(actor: User, filters: Filters, now: dt.datetime, zone):
    query = select(HelpRequest).where(HelpRequest.status.in_(WAITING), HelpRequest.starts_at > now)
    if not actor.is_admin:
        query = query.where(HelpRequest.office_id == actor.office_id)
    if filters.language:
        query = query.where(HelpRequest.language == filters.language)
    if filters.municipality_id:
        query = query.where(HelpRequest.municipality_id == filters.municipality_id)
    if filters.agency_id:
        query = query.where(HelpRequest.agency_id == filters.agency_id)
    if filters.kind:
        query = query.where(HelpRequest.kind == RequestKind(filters.kind))
    if filters.day:
        query = query.where(HelpRequest.starts_at >= dt.datetime.combine(filters.day, dt.time(), zone))
    return query


def languages_waiting(session: Session, actor: User, *, now: dt.datetime) -> list[str]:
    """The languages of the upcoming requests the actor coordinates."""
    scope = _scope(actor, Filters(), now, None).with_only_columns(HelpRequest.language).distinct()
    return list(session.scalars(scope))


def overview(session: Session, actor: User, filters: Filters, *, now: dt.datetime, zone, page: int = 1,
             per_page: int = 25) -> tuple[list[Row], int, dict[RequestStatus, int]]:
    """One page of upcoming requests, soonest first; the total; and how many there are per status."""
    scope = _scope(actor, filters, now, zone)
    counted = scope.subquery()
    counts = dict(session.execute(select(counted.c.status, func.count()).group_by(counted.c.status)).all())
    counts = {status: counts.get(status, 0) for status in WAITING}
    if filters.status:
        scope = scope.where(HelpRequest.status == RequestStatus(filters.status))
    total = counts.get(RequestStatus(filters.status), 0) if filters.status else sum(counts.values())
    requests = session.scalars(scope.options(selectinload(HelpRequest.agency))
                               .order_by(HelpRequest.starts_at, HelpRequest.id)
                               .limit(per_page).offset((page - 1) * per_page)).all()
    rows = {r.id: Row(r) for r in requests}
    if rows:
        _answers(session, rows)
    return list(rows.values()), total, counts


def _answers(session: Session, rows: dict[int, Row]) -> None:
    """The answers of each request's current round of asking: counted in SQL, and the acceptance to confirm
    with the volunteer's name (no offer or volunteer is loaded as an object)."""
    this_round = (Offer.request_id == HelpRequest.id) & (Offer.round == HelpRequest.round)
    for request_id, status, count in session.execute(
            select(Offer.request_id, Offer.status, func.count()).join(HelpRequest, this_round)
            .where(Offer.request_id.in_(rows), Offer.status.in_([OfferStatus.OPEN, OfferStatus.DECLINED]))
            .group_by(Offer.request_id, Offer.status)):
        if status is OfferStatus.OPEN:
            rows[request_id].open_offers = count
        else:
            rows[request_id].declined = count
    waiting = [i for i, row in rows.items() if row.request.status is RequestStatus.ACCEPTED]
    if waiting:
        for offer_id, request_id, name in session.execute(
                select(Offer.id, Offer.request_id, User.name).join(HelpRequest, this_round)
                .join(User, User.id == Offer.volunteer_id)
                .where(Offer.request_id.in_(waiting), Offer.status == OfferStatus.ACCEPTED)):
            rows[request_id].accepted = Accepted(offer_id, name)

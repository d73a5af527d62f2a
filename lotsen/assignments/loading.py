"""Loading offers and assignments for a change: always with their request's row locked first.

Every change to a request's offers or assignment locks the request row (``db.locked``: ``FOR UPDATE``
on PostgreSQL; on SQLite the writing transaction already holds the database's write lock), so
concurrent answers and clicks on the same request queue up and each sees the result of the one before.
A row loaded before the lock may be stale: it is read again once the lock is held.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lotsen import db
from lotsen.assignments.lifecycle import LIVE
from lotsen.assignments.models import Assignment, Offer
from lotsen.errors import DomainError
from lotsen.i18n import _
from lotsen.requests.models import HelpRequest


class OfferError(DomainError):
    """An offer, answer or change the rules refuse."""


def lock_request(session: Session, request_id: int) -> HelpRequest:
    """The request, its row locked until the transaction ends."""
    request = db.locked(session, HelpRequest, request_id)
    if request is None:
        raise OfferError(_("This request no longer exists."))
    return request


def _fresh(session: Session, model, ident: int, message: str):
    found = session.get(model, ident, populate_existing=True)
    if found is None:
        raise OfferError(message)
    return found


def lock_offer(session: Session, offer_id: int) -> tuple[Offer, HelpRequest]:
    """An offer as it stands once its request is locked."""
    gone = _("This offer no longer exists.")
    offer = _fresh(session, Offer, offer_id, gone)
    request = lock_request(session, offer.request_id)
    return _fresh(session, Offer, offer_id, gone), request


def lock_assignment(session: Session, assignment_id: int) -> tuple[Assignment, HelpRequest]:
    """An assignment as it stands once its request is locked."""
    gone = _("This assignment no longer exists.")
    assignment = _fresh(session, Assignment, assignment_id, gone)
    request = lock_request(session, assignment.request_id)
    return _fresh(session, Assignment, assignment_id, gone), request


def offers_of(session: Session, request: HelpRequest, *, this_round: bool = False,
              with_volunteers: bool = False) -> list[Offer]:
    """The request's offers, oldest first (only those of its current round of asking, if asked; with their
    volunteers loaded in one more query, for a page that names them)."""
    query = select(Offer).where(Offer.request_id == request.id)
    if this_round:
        query = query.where(Offer.round == request.round)
    if with_volunteers:
        query = query.options(selectinload(Offer.volunteer))
    return list(session.scalars(query.order_by(Offer.created_at, Offer.id)))


def live_assignment(session: Session, request: HelpRequest) -> Assignment | None:
    """The confirmed (or completed) assignment of the request, if any."""
    return session.scalar(select(Assignment).where(Assignment.request_id == request.id,
                                                   Assignment.status.in_(LIVE)))


def assignments_of(session: Session, request: HelpRequest) -> list[Assignment]:
    """Every assignment the request has had, the first first."""
    return list(session.scalars(select(Assignment).where(Assignment.request_id == request.id)
                                .order_by(Assignment.confirmed_at, Assignment.id)))

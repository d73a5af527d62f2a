"""What a volunteer sees of their offers and assignments."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from lotsen.assignments.lifecycle import AssignmentStatus, OfferStatus
from lotsen.assignments.models import Assignment, Offer
from lotsen.auth.models import User
from lotsen.requests.models import HelpRequest


def waiting_offers(session: Session, volunteer: User, now: dt.datetime) -> list[Offer]:
    """Offers the volunteer can still answer, the soonest appointment first."""
    return list(session.scalars(
        select(Offer).join(HelpRequest, HelpRequest.id == Offer.request_id)
        .where(Offer.volunteer_id == volunteer.id, Offer.status == OfferStatus.OPEN, Offer.expires_at > now)
        .order_by(HelpRequest.starts_at).options(contains_eager(Offer.request))))


def volunteer_assignments(session: Session, volunteer: User,
                          now: dt.datetime) -> tuple[list[Assignment], list[Assignment]]:
    """The volunteer's confirmed assignments: those still ahead, and those begun that wait to be recorded."""
    confirmed = session.scalars(
        select(Assignment).join(HelpRequest, HelpRequest.id == Assignment.request_id)
        .where(Assignment.volunteer_id == volunteer.id, Assignment.status == AssignmentStatus.CONFIRMED)
        .order_by(Assignment.starts_at).options(contains_eager(Assignment.request))).all()
    return [a for a in confirmed if a.starts_at > now], [a for a in confirmed if a.starts_at <= now]

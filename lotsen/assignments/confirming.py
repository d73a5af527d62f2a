"""The coordinator confirms an acceptance (or does not); a confirmed volunteer becomes the assignment."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lotsen.acting import Acting
from lotsen.assignments import calendar, offering
from lotsen.assignments.lifecycle import OfferStatus
from lotsen.assignments.loading import OfferError, lock_offer
from lotsen.assignments.models import Assignment, Offer
from lotsen.audit.services import record_by
from lotsen.auth.models import User
from lotsen.i18n import _
from lotsen.matching import counts
from lotsen.notifications.outbox import mail_user
from lotsen.reminders import services as reminders
from lotsen.requests.informing import tell_agency
from lotsen.requests.lifecycle import Action, RequestStatus
from lotsen.requests.models import HelpRequest
from lotsen.urls import domain, external_url
from lotsen.volunteers.services import phone_of


def confirm(session: Session, acting: Acting, offer_id: int) -> Assignment:
    """Make an acceptance the assignment: the other offers close, the volunteer and the agency are told."""
    now = acting.now
    offer, request = lock_offer(session, offer_id)
    if (offer.status is not OfferStatus.ACCEPTED or request.status is not RequestStatus.ACCEPTED
            or offer.round != request.round):
        raise OfferError(_("There is no acceptance to confirm."))
    if request.starts_at <= now:
        raise OfferError(_("This request has already started."))
    offer.confirm(now)
    assignment = assign(session, acting, request, offer.volunteer, offer=offer)
    request.apply(Action.CONFIRM, acting.actor, at=now, details={"volunteer": offer.volunteer_id, "offer": offer.id})
    return assignment


def release(session: Session, acting: Acting, offer_id: int, note: str) -> None:
    """Do not confirm an acceptance: the volunteer is told, the other open offers stay open."""
    now = acting.now
    offer, request = lock_offer(session, offer_id)
    if offer.status is not OfferStatus.ACCEPTED or request.status is not RequestStatus.ACCEPTED:
        raise OfferError(_("There is no acceptance to decide on."))
    if not note.strip():
        raise OfferError(_("Please give a reason."), "note")
    offer.release(now)
    request.apply(Action.RELEASE, acting.actor, note=note.strip(), at=now, details={"offer": offer.id})
    record_by(session, acting, "offer.released", subject=offer, office_id=request.office_id,
              details={"request": request.id, "note": note.strip()})
    offering.tell_offer_closed(session, offer, request, "released")
    offering.reopen_if_nobody_left(session, acting, request)


def assign(session: Session, acting: Acting, request: HelpRequest, volunteer: User, *,
           offer: Offer | None) -> Assignment:
    """The volunteer is confirmed for the (locked) request: reminders, calendar entry, everyone told."""
    now = acting.now
    assignment = Assignment(request=request, volunteer=volunteer, offer=offer, starts_at=request.starts_at,
                            ends_at=request.ends_at, confirmed_at=now, confirmed_by=acting.actor)
    session.add(assignment)
    request.next_wave_at = None
    offering.close_waiting_offers(session, acting, request, "taken", keep=volunteer.id)
    session.flush()
    record_by(session, acting, "assignment.confirmed", subject=assignment, office_id=request.office_id,
              details={"request": request.id, "volunteer": volunteer.id})
    reminders.schedule_for(session, assignment, now=now)
    mail_user(session, volunteer, "assignments/confirmed", office_id=request.office_id, req=request,
              assignment=assignment, url=external_url("assignments.show_assignment", assignment_id=assignment.id),
              attachments=[calendar.invitation(assignment, domain(), volunteer.locale, now=now)])
    tell_agency(session, request, "assignments/confirmed_agency", volunteer=volunteer,
                phone=phone_of(session, volunteer.id))
    counts.mark_stale(session, request.office_id)  # the volunteer is busy then now
    return assignment

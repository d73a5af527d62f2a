"""Volunteers answer offers: on their start page, or from the link in the mail (``links.py``).

The first acceptance of a request wins, exactly once: the request row is locked
(``loading.lock_offer``) and later answers see the result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from lotsen.acting import Acting
from lotsen.assignments import confirming, offering
from lotsen.assignments.lifecycle import OfferStatus
from lotsen.assignments.loading import OfferError, lock_offer
from lotsen.assignments.models import DeclineReason, Offer
from lotsen.audit.services import record_by
from lotsen.i18n import _
from lotsen.notifications.outbox import mail_coordinators
from lotsen.offices import settings as office_settings
from lotsen.requests.lifecycle import Action, RequestStatus
from lotsen.urls import external_url


def closed_message(offer: Offer, now: dt.datetime) -> str | None:
    """Why an offer can no longer be answered, in words for the volunteer; None while it can."""
    if offer.status is OfferStatus.OPEN:
        return _("This offer has expired.") if offer.is_expired(now) else None
    return {
        OfferStatus.ACCEPTED: _("You have already accepted this offer. The office will confirm shortly."),
        OfferStatus.CONFIRMED: _("You have accepted this offer and are confirmed for it. It is listed under your "
                                 "assignments."),
        OfferStatus.DECLINED: _("You have already declined this offer."),
        OfferStatus.EXPIRED: _("This offer has expired."),
        OfferStatus.TAKEN: _("Another volunteer has already taken this request. Thank you all the same!"),
        OfferStatus.WITHDRAWN: _("The office has withdrawn this offer; you are not needed for it."),
        OfferStatus.RELEASED: _("The office did not confirm your acceptance; you are not needed for it."),
        OfferStatus.CANCELLED: _("The agency has cancelled this appointment; you are not needed for it."),
    }[offer.status]


# ----------------------------------------------------------------------------------------------- answers

@dataclass(frozen=True)
class Answer:
    outcome: str  # "accepted" (awaiting confirmation), "confirmed", "taken", "declined"
    offer: Offer


def accept(session: Session, acting: Acting, offer_id: int) -> Answer:
    """Say yes. Exactly one of several simultaneous acceptances wins; the others learn it is taken."""
    now, volunteer = acting.now, acting.actor
    offer, request = lock_offer(session, offer_id)
    if not offer.is_addressed_to(volunteer):
        raise OfferError(_("This offer is addressed to someone else."))
    if offer.status is OfferStatus.TAKEN:
        return Answer("taken", offer)  # someone else's acceptance was confirmed a moment earlier
    if offer.is_expired(now):
        offer.expire(now)
    message = closed_message(offer, now)
    if message:
        raise OfferError(message)
    if request.status is not RequestStatus.OFFERED or offer.round != request.round:
        offer.take(now)
        if request.status.is_active:
            request.apply(Action.TOO_LATE, volunteer, at=now, details={"offer": offer.id})
        record_by(session, acting, "offer.too_late", subject=offer, office_id=request.office_id,
                  details={"request": request.id})
        return Answer("taken", offer)
    offer.accept(now)
    request.apply(Action.ACCEPT, volunteer, at=now, details={"offer": offer.id, "volunteer": volunteer.id})
    record_by(session, acting, "offer.accepted", subject=offer, office_id=request.office_id,
              details={"request": request.id})
    if office_settings.value(request.office, "auto_confirm"):
        confirming.confirm(session, acting.by(None), offer.id)
        return Answer("confirmed", offer)
    mail_coordinators(session, request.office_id, "assignments/accepted", req=request, offer=offer,
                      volunteer=volunteer, url=external_url("requests.show_request", request_id=request.id))
    return Answer("accepted", offer)


def decline(session: Session, acting: Acting, offer_id: int, reason: DeclineReason | None) -> Answer:
    """Say no (with an optional reason code); the volunteer is not asked again for this time and place."""
    now, volunteer = acting.now, acting.actor
    offer, request = lock_offer(session, offer_id)
    if not offer.is_addressed_to(volunteer):
        raise OfferError(_("This offer is addressed to someone else."))
    message = closed_message(offer, now)
    if message:
        raise OfferError(message)
    offer.decline(now, reason)
    request.apply(Action.DECLINE, volunteer, at=now, details={"offer": offer.id,
                                                              "reason": reason.value if reason else None})
    record_by(session, acting, "offer.declined", subject=offer, office_id=request.office_id,
              details={"request": request.id, "reason": reason.value if reason else None})
    offering.reopen_if_nobody_left(session, acting, request)
    return Answer("declined", offer)

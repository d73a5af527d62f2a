"""Offering requests to volunteers, their answers, and the coordinator's confirmation.

Every state change locks the request row first (``db.locked``), so concurrent answers to the
same request queue up and see each other's result: the first acceptance wins, exactly once.
Services flush, never commit; mail is queued and leaves after the commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from lotsen import db
from lotsen.assignments import calendar
from lotsen.assignments.models import Assignment, AssignmentStatus, DeclineReason, Offer, OfferStatus
from lotsen.audit.services import record
from lotsen.auth.models import Role, User, UserStatus
from lotsen.errors import DomainError
from lotsen.i18n import _
from lotsen.notifications.outbox import queue_mail
from lotsen.offices import settings as office_settings
from lotsen.reminders import services as reminders
from lotsen.requests.lifecycle import Action, RequestStatus
from lotsen.requests.models import HelpRequest
from lotsen.urls import domain, external_url
from lotsen.volunteers.models import Mode, VolunteerProfile

LINK_PURPOSE = "lotsen.offer"
LINK_MAX_AGE = 15 * 24 * 3600  # beyond the longest offer; the offer's own expiry decides first


class OfferError(DomainError):
    """An offer or answer the rules refuse."""


# ----------------------------------------------------------------------------------------------- helpers

def place_of(request: HelpRequest) -> str:
    """Where the request happens, as compared to decide whether an earlier decline still holds."""
    if request.mode is not Mode.ON_SITE:
        return request.mode.value
    return " | ".join([request.mode.value, request.street.strip(), request.postcode.strip(), request.town.strip()])


def _declined_same(offer: Offer, request: HelpRequest) -> bool:
    return (offer.status is OfferStatus.DECLINED and offer.offered_starts_at == request.starts_at
            and offer.offered_ends_at == request.ends_at and offer.offered_place == place_of(request))


def offers_of(session: Session, request: HelpRequest) -> list[Offer]:
    return list(session.scalars(select(Offer).where(Offer.request_id == request.id)
                                .order_by(Offer.created_at, Offer.id)))


def live_assignment(session: Session, request: HelpRequest) -> Assignment | None:
    return session.scalar(select(Assignment).where(
        Assignment.request_id == request.id,
        Assignment.status.in_([AssignmentStatus.CONFIRMED, AssignmentStatus.COMPLETED])))


def not_to_ask(session: Session, request: HelpRequest) -> set[int]:
    """Volunteers who must not be asked (again): asked and waiting, declined this very time and place,
    or stepped back from this request."""
    blocked = {o.volunteer_id for o in offers_of(session, request)
               if o.status in (OfferStatus.OPEN, OfferStatus.ACCEPTED) or _declined_same(o, request)}
    blocked.update(session.scalars(select(Assignment.volunteer_id).where(
        Assignment.request_id == request.id,
        Assignment.status.in_([AssignmentStatus.CONFIRMED, AssignmentStatus.WITHDRAWN]),
        Assignment.starts_at == request.starts_at)))
    return blocked


def names(session: Session, user_ids) -> dict[int, str]:
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(list(user_ids)))).all())


def coordinators_of(session: Session, office_id: int) -> list[User]:
    return list(session.scalars(select(User).where(
        User.office_id == office_id, User.role == Role.COORDINATOR, User.status == UserStatus.ACTIVE)
        .order_by(User.id)))


def mail_user(session: Session, user: User | None, template: str, **context) -> None:
    if user is not None and user.status is UserStatus.ACTIVE and user.email:
        req = context.get("req")
        queue_mail(session, user.email, f"assignments/{template}", user.locale, to_user=user,
                   office_id=req.office_id if req is not None else None, recipient=user, **context)


def tell_agency(session: Session, request: HelpRequest, template: str, **context) -> None:
    """The caseworker who filed the request, or else the agency's own address."""
    caseworker = request.created_by
    if caseworker is not None and caseworker.status is UserStatus.ACTIVE:
        mail_user(session, caseworker, template, req=request, **context)
    elif request.agency.email:
        queue_mail(session, request.agency.email, f"assignments/{template}", "de", recipient=None, req=request,
                   **context)


def tell_coordinators(session: Session, request: HelpRequest, template: str, **context) -> None:
    url = external_url("requests.show_request", request_id=request.id)
    for coordinator in coordinators_of(session, request.office_id):
        mail_user(session, coordinator, template, req=request, url=url, **context)


def lock_request(session: Session, request_id: int) -> HelpRequest:
    request = db.locked(session, HelpRequest, request_id)
    if request is None:
        raise OfferError(_("This request no longer exists."))
    return request


def fresh_offer(session: Session, offer_id: int) -> Offer:
    offer = session.get(Offer, offer_id, populate_existing=True)
    if offer is None:
        raise OfferError(_("This offer no longer exists."))
    return offer


def reopen_if_nobody_left(session: Session, request: HelpRequest, actor: User | None, now: dt.datetime) -> None:
    """An offered request with no open offer left goes back to open (or on to its next wave)."""
    if request.status is not RequestStatus.OFFERED:
        return
    still_open = session.scalar(select(func.count(Offer.id)).where(
        Offer.request_id == request.id, Offer.status == OfferStatus.OPEN))
    if still_open:
        return
    if request.next_wave_at is not None:
        request.next_wave_at = now  # everyone in this wave answered no: ask the next wave at the next tick
        return
    request.apply(Action.REOPEN, actor, note=_("No open offers left."), at=now)


# ----------------------------------------------------------------------------------------------- links

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_PURPOSE)


def answer_token(offer: Offer) -> str:
    return _serializer().dumps({"o": offer.id, "u": offer.volunteer_id})


def offer_from_token(session: Session, token: str) -> Offer:
    """The offer a mail link names; a link that was tampered with or is too old explains itself."""
    try:
        data = _serializer().loads(token, max_age=LINK_MAX_AGE)
    except SignatureExpired:
        raise OfferError(_("This link has expired.")) from None
    except BadSignature:
        raise OfferError(_("This link is not valid. Please use the link from the most recent email.")) from None
    offer = session.get(Offer, data.get("o")) if isinstance(data, dict) else None
    if offer is None or offer.volunteer_id != data.get("u"):
        raise OfferError(_("This link is not valid. Please use the link from the most recent email."))
    return offer


def closed_message(offer: Offer, now: dt.datetime) -> str | None:
    """Why an offer can no longer be answered, in words for the volunteer; None while it can."""
    if offer.status is OfferStatus.OPEN:
        return _("This offer has expired.") if offer.expires_at <= now else None
    return {
        OfferStatus.ACCEPTED: _("You have already accepted this offer."),
        OfferStatus.DECLINED: _("You have already declined this offer."),
        OfferStatus.EXPIRED: _("This offer has expired."),
        OfferStatus.TAKEN: _("Another volunteer has already taken this request. Thank you all the same!"),
        OfferStatus.WITHDRAWN: _("The office has withdrawn this offer; you are not needed for it."),
    }[offer.status]


# ----------------------------------------------------------------------------------------------- answers

@dataclass(frozen=True)
class Answer:
    outcome: str  # "accepted" (awaiting confirmation), "confirmed", "taken", "declined"
    offer: Offer


def accept(session: Session, volunteer: User, offer_id: int, *, now: dt.datetime) -> Answer:
    """Say yes. Exactly one of several simultaneous acceptances wins; the others learn it is taken."""
    offer = fresh_offer(session, offer_id)
    request = lock_request(session, offer.request_id)
    offer = fresh_offer(session, offer_id)  # as it stands now that we hold the lock
    if offer.volunteer_id != volunteer.id:
        raise OfferError(_("This offer is addressed to someone else."))
    if offer.status is OfferStatus.TAKEN:
        return Answer("taken", offer)  # someone else's acceptance was confirmed a moment earlier
    if offer.status is OfferStatus.OPEN and offer.expires_at <= now:
        offer.status = OfferStatus.EXPIRED
    message = closed_message(offer, now)
    if message:
        raise OfferError(message)
    offer.answered_at = now
    if request.status is not RequestStatus.OFFERED:
        offer.status = OfferStatus.TAKEN
        if request.status.is_active:
            request.apply(Action.TOO_LATE, volunteer, at=now, details={"offer": offer.id})
        record(session, "offer.too_late", actor=volunteer, subject=offer, office_id=request.office_id,
               details={"request": request.id})
        return Answer("taken", offer)
    offer.status = OfferStatus.ACCEPTED
    request.apply(Action.ACCEPT, volunteer, at=now, details={"offer": offer.id, "volunteer": volunteer.id})
    record(session, "offer.accepted", actor=volunteer, subject=offer, office_id=request.office_id,
           details={"request": request.id})
    if office_settings.value(request.office, "auto_confirm"):
        confirm(session, None, offer.id, now=now)
        return Answer("confirmed", offer)
    tell_coordinators(session, request, "accepted", offer=offer, volunteer=volunteer)
    return Answer("accepted", offer)


def decline(session: Session, volunteer: User, offer_id: int, reason: DeclineReason | None, *,
            now: dt.datetime) -> Answer:
    """Say no (with an optional reason code); the volunteer is not asked again for this time and place."""
    offer = fresh_offer(session, offer_id)
    request = lock_request(session, offer.request_id)
    offer = fresh_offer(session, offer_id)
    if offer.volunteer_id != volunteer.id:
        raise OfferError(_("This offer is addressed to someone else."))
    message = closed_message(offer, now)
    if message:
        raise OfferError(message)
    offer.status, offer.answered_at, offer.decline_reason = OfferStatus.DECLINED, now, reason
    request.apply(Action.DECLINE, volunteer, at=now, details={"offer": offer.id,
                                                              "reason": reason.value if reason else None})
    record(session, "offer.declined", actor=volunteer, subject=offer, office_id=request.office_id,
           details={"request": request.id, "reason": reason.value if reason else None})
    reopen_if_nobody_left(session, request, volunteer, now)
    return Answer("declined", offer)


def confirm(session: Session, actor: User | None, offer_id: int, *, now: dt.datetime) -> Assignment:
    """Make an acceptance the assignment: the other offers close, the volunteer and the agency are told."""
    offer = fresh_offer(session, offer_id)
    request = lock_request(session, offer.request_id)
    offer = fresh_offer(session, offer_id)
    if offer.status is not OfferStatus.ACCEPTED or request.status is not RequestStatus.ACCEPTED:
        raise OfferError(_("There is no acceptance to confirm."))
    if request.starts_at <= now:
        raise OfferError(_("This request has already started."))
    assignment = assign_volunteer(session, actor, request, offer.volunteer, offer=offer, now=now)
    request.apply(Action.CONFIRM, actor, at=now, details={"volunteer": offer.volunteer_id, "offer": offer.id})
    return assignment


def assign_volunteer(session: Session, actor: User | None, request: HelpRequest, volunteer: User, *, offer: Offer | None,
            now: dt.datetime) -> Assignment:
    assignment = Assignment(request=request, volunteer=volunteer, offer=offer, status=AssignmentStatus.CONFIRMED,
                            starts_at=request.starts_at, ends_at=request.ends_at, confirmed_at=now,
                            confirmed_by=actor)
    session.add(assignment)
    request.next_wave_at = None
    for other in offers_of(session, request):
        if other.status is OfferStatus.OPEN and other.volunteer_id != volunteer.id:
            other.status, other.answered_at = OfferStatus.TAKEN, now
            mail_user(session, other.volunteer, "offer_closed", offer=other, req=request)
    session.flush()
    record(session, "assignment.confirmed", actor=actor, subject=assignment, office_id=request.office_id,
           details={"request": request.id, "volunteer": volunteer.id})
    reminders.schedule_for(session, assignment, now=now)
    mail_user(session, volunteer, "confirmed", req=request, assignment=assignment,
              attachments=[calendar.invitation(assignment, domain(), volunteer.locale, now=now)])
    tell_agency(session, request, "confirmed_agency", volunteer=volunteer,
                 phone=phone_of(session, volunteer))
    return assignment


def phone_of(session: Session, volunteer: User) -> str:
    return session.scalar(select(VolunteerProfile.phone).where(VolunteerProfile.user_id == volunteer.id)) or ""


def release(session: Session, actor: User, offer_id: int, note: str, *, now: dt.datetime) -> None:
    """Do not confirm an acceptance: the volunteer is told, other open offers stay open."""
    offer = fresh_offer(session, offer_id)
    request = lock_request(session, offer.request_id)
    offer = fresh_offer(session, offer_id)
    if offer.status is not OfferStatus.ACCEPTED or request.status is not RequestStatus.ACCEPTED:
        raise OfferError(_("There is no acceptance to decide on."))
    if not note.strip():
        raise OfferError(_("Please give a reason."), "note")
    offer.status = OfferStatus.WITHDRAWN
    request.apply(Action.RELEASE, actor, note=note.strip(), at=now, details={"offer": offer.id})
    record(session, "offer.released", actor=actor, subject=offer, office_id=request.office_id,
           details={"request": request.id, "note": note.strip()})
    mail_user(session, offer.volunteer, "offer_closed", offer=offer, req=request)
    reopen_if_nobody_left(session, request, actor, now)


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

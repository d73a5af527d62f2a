"""Offering a request: to chosen volunteers, to several at once, or in waves; offers lapsing and closing.

Asking happens in rounds. A request starts a new round when its confirmed volunteer steps back: then
anyone who can take it may be asked again (those who answered too late included), except whoever
declined this very time and place; the volunteer who stepped back is asked again only on purpose.
Waves count afresh in each round. Every change locks the request row first (``loading``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lotsen.acting import Acting
from lotsen.assignments.lifecycle import AssignmentStatus, OfferStatus
from lotsen.assignments.links import answer_url
from lotsen.assignments.loading import OfferError, lock_offer, lock_request, offers_of
from lotsen.assignments.models import Assignment, Offer
from lotsen.audit.services import record_by
from lotsen.auth.directory import names
from lotsen.i18n import _
from lotsen.matching import reasons as reason_titles
from lotsen.matching import services as matching
from lotsen.notifications.outbox import mail_coordinators, mail_user
from lotsen.offices import settings as office_settings
from lotsen.requests.lifecycle import Action, RequestStatus, can
from lotsen.requests.models import HelpRequest
from lotsen.urls import external_url

# Why a waiting offer closes, as the volunteer's mail says it (templates/mail/assignments/offer_closed.txt).
CLOSING = {
    "taken": Offer.take,  # another volunteer was confirmed
    "withdrawn": Offer.withdraw,  # the office took the offer back
    "closed": Offer.withdraw,  # the office closed the request: it cannot be filled
    "changed": Offer.withdraw,  # the request's time or place changed
    "cancelled": Offer.cancel,  # the agency cancelled the request
}


# ----------------------------------------------------------------------------------------------- who may be asked

def declined_same(offer: Offer, request: HelpRequest) -> bool:
    """A decline holds while the request keeps the time and place it was declined for."""
    return (offer.status is OfferStatus.DECLINED and offer.offered_starts_at == request.starts_at
            and offer.offered_ends_at == request.ends_at and offer.offered_place == request.place_key)


def blocked(session: Session, request: HelpRequest) -> dict[int, str]:
    """Who must not be asked now, and why: "asked" (waiting in this round), "declined" (this time and
    place), "confirmed" (holds the request)."""
    found: dict[int, str] = {}
    for offer in offers_of(session, request):
        if offer.status.is_waiting and offer.round == request.round:
            found[offer.volunteer_id] = "asked"
        elif declined_same(offer, request):
            found.setdefault(offer.volunteer_id, "declined")
    for volunteer_id in session.scalars(select(Assignment.volunteer_id).where(
            Assignment.request_id == request.id, Assignment.status == AssignmentStatus.CONFIRMED)):
        found[volunteer_id] = "confirmed"
    return found


def stepped_back(session: Session, request: HelpRequest) -> set[int]:
    """Who stepped back from this request at its present time: asked again only on purpose."""
    return set(session.scalars(select(Assignment.volunteer_id).where(
        Assignment.request_id == request.id, Assignment.status == AssignmentStatus.WITHDRAWN,
        Assignment.starts_at == request.starts_at)))


def next_candidates(session: Session, acting: Acting, request: HelpRequest, count: int) -> list[int]:
    """The best-ranked volunteers not yet asked in this round (and not held back), at most ``count``."""
    skip = set(blocked(session, request)) | stepped_back(session, request)
    skip.update(o.volunteer_id for o in offers_of(session, request, this_round=True))
    ranked = matching.match(session, request, acting.now, acting.zone).ranked
    return [r.volunteer_id for r in ranked if r.volunteer_id not in skip][:count]


def _check_offerable(session: Session, acting: Acting, request: HelpRequest, volunteer_ids: list[int],
                     note: str) -> tuple[dict[int, float | None], dict[int, str]]:
    """Distances of volunteers who may be asked, and what each near miss misses; refuses anyone else."""
    if not volunteer_ids:
        raise OfferError(_("Choose at least one volunteer."), "volunteer_ids")
    if not can(request.status, Action.OFFER):
        raise OfferError(_("This request cannot be offered now (%(status)s).", status=request.status.title))
    if request.starts_at <= acting.now:
        raise OfferError(_("This request has already started."))
    people = names(session, volunteer_ids)
    held = set(blocked(session, request)) & set(volunteer_ids)
    if held:
        raise OfferError(_("Already asked, or declined this very time and place: %(names)s.",
                           names=", ".join(sorted(people.get(i, "?") for i in held))), "volunteer_ids")
    outcome = matching.judge(session, request, volunteer_ids, acting.now, acting.zone)
    distances = {r.volunteer_id: r.distance_km for r in outcome.ranked}
    near = {}
    for excluded in outcome.excluded:
        name = people.get(excluded.volunteer_id)
        if not excluded.near_miss:
            raise OfferError(_("%(name)s cannot take this request: %(reasons)s.", name=name,
                               reasons=reason_titles.describe(excluded.reasons)), "volunteer_ids")
        if not note.strip():
            raise OfferError(_("%(name)s is a near miss (%(reasons)s). Say why you ask anyway.", name=name,
                               reasons=reason_titles.describe(excluded.reasons)), "note")
        distances[excluded.volunteer_id] = excluded.distance_km
        near[excluded.volunteer_id] = ", ".join(r.value for r in excluded.reasons)
    for volunteer_id in stepped_back(session, request) & set(volunteer_ids):
        if not note.strip():
            raise OfferError(_("%(name)s stepped back from this very date. Say why you ask again.",
                               name=people.get(volunteer_id)), "note")
        near[volunteer_id] = ", ".join(filter(None, [near.get(volunteer_id), "stepped_back"]))
    if set(volunteer_ids) - set(distances):  # not in the office's pool at all
        raise OfferError(_("Only volunteers of this office can be asked."), "volunteer_ids")
    return distances, near


# ----------------------------------------------------------------------------------------------- asking

def make_offers(session: Session, acting: Acting, request_id: int, volunteer_ids: list[int], *,
                note: str = "") -> list[Offer]:
    """Ask these volunteers (one, or several at once); each gets a mail with answer links."""
    request = lock_request(session, request_id)  # two clicks at once make one offer each, not two
    return _make_offers(session, acting, request, volunteer_ids, note=note)


def offer_best(session: Session, acting: Acting, request_id: int) -> list[Offer]:
    """Ask the best-ranked candidate not asked yet in this round."""
    request = lock_request(session, request_id)
    best = next_candidates(session, acting, request, 1)
    if not best:
        raise OfferError(_("Nobody is left to ask. Look at the near misses."))
    return _make_offers(session, acting, request, best)


def offer_in_waves(session: Session, acting: Acting, request_id: int, *, size: int,
                   interval_minutes: int) -> list[Offer]:
    """Ask the best ``size`` candidates now and the next ones every ``interval_minutes`` until someone accepts."""
    request = lock_request(session, request_id)
    first = next_candidates(session, acting, request, size)
    if not first:
        raise OfferError(_("Nobody is left to ask. Look at the near misses."))
    offers = _make_offers(session, acting, request, first)
    request.wave_size, request.wave_interval_minutes = size, interval_minutes
    request.next_wave_at = acting.now + dt.timedelta(minutes=interval_minutes)
    return offers


def _make_offers(session: Session, acting: Acting, request: HelpRequest, volunteer_ids: list[int], *,
                 note: str = "") -> list[Offer]:
    volunteer_ids = list(dict.fromkeys(volunteer_ids))
    distances, near = _check_offerable(session, acting, request, volunteer_ids, note)
    now = acting.now
    hours = office_settings.value(request.office, "offer_valid_hours")
    expires_at = min(now + dt.timedelta(hours=hours), request.starts_at)
    wave = (session.scalar(select(func.max(Offer.wave)).where(Offer.request_id == request.id,
                                                              Offer.round == request.round)) or 0) + 1
    offers = []
    for volunteer_id in volunteer_ids:
        offer = Offer(request=request, volunteer_id=volunteer_id, status=OfferStatus.OPEN, round=request.round,
                      wave=wave, created_at=now, created_by=acting.actor, expires_at=expires_at,
                      distance_km=distances[volunteer_id], near_miss=near.get(volunteer_id, ""),
                      override_note=note.strip() if volunteer_id in near else "",
                      offered_starts_at=request.starts_at, offered_ends_at=request.ends_at,
                      offered_place=request.place_key)
        session.add(offer)
        offers.append(offer)
    session.flush()
    details = {"volunteers": volunteer_ids, "round": request.round, "wave": wave, "near_misses": sorted(near)}
    request.apply(Action.OFFER, acting.actor, note=note.strip(), at=now, details=details)
    record_by(session, acting, "offer.created", subject=request, office_id=request.office_id,
              details={**details, "note": note.strip()})
    for offer in offers:
        mail_user(session, offer.volunteer, "assignments/offer", office_id=request.office_id, offer=offer,
                  req=request, url=answer_url(offer))
    return offers


def advance_waves(session: Session, acting: Acting) -> int:
    """Ask the next wave wherever the last one has not brought an acceptance in time; returns requests moved."""
    due = session.scalars(select(HelpRequest.id).where(HelpRequest.next_wave_at <= acting.now)).all()
    moved = 0
    for request_id in due:
        request = lock_request(session, request_id)
        if request.next_wave_at is None or request.next_wave_at > acting.now:
            continue
        if request.status is RequestStatus.ACCEPTED:
            continue  # waiting for the coordinator; if they do not confirm, the waves go on
        if request.status not in (RequestStatus.OPEN, RequestStatus.OFFERED) or request.starts_at <= acting.now:
            request.next_wave_at = None
            continue
        ids = next_candidates(session, acting, request, request.wave_size or 1)
        if ids:
            _make_offers(session, acting, request, ids)
            request.next_wave_at = acting.now + dt.timedelta(minutes=request.wave_interval_minutes or 60)
        else:
            request.next_wave_at = None  # nobody left: say so once no offer is waiting any more
            reopen_if_nobody_left(session, acting, request)
        moved += 1
    return moved


# ----------------------------------------------------------------------------------------------- closing

def tell_offer_closed(session: Session, offer: Offer, request: HelpRequest, cause: str) -> None:
    """The volunteer learns that their offer closed, and why."""
    mail_user(session, offer.volunteer, "assignments/offer_closed", office_id=request.office_id, offer=offer,
              req=request, cause=cause)


def close_waiting_offers(session: Session, acting: Acting, request: HelpRequest, cause: str, *,
                         keep: int | None = None) -> list[Offer]:
    """Every offer still waiting for the request closes (``cause``: a key of CLOSING); each volunteer is told."""
    closed = []
    for offer in offers_of(session, request):
        if offer.status.is_waiting and offer.volunteer_id != keep:
            step = CLOSING[cause] if offer.status is OfferStatus.OPEN else (
                Offer.cancel if cause == "cancelled" else Offer.withdraw)  # an acceptance is not "taken"
            step(offer, acting.now)
            tell_offer_closed(session, offer, request, cause)
            closed.append(offer)
    return closed


def reopen_if_nobody_left(session: Session, acting: Acting, request: HelpRequest) -> str:
    """An offered request with no offer left open goes back to open, or on to its next wave.

    Returns what happened: "waiting" (an offer is still open), "next_wave", "exhausted" (the waves ran
    out; the coordinators are told now that no offer contradicts it), "reopened", or "" (not offered).
    """
    if request.status is not RequestStatus.OFFERED:
        return ""
    still_open = session.scalar(select(func.count(Offer.id)).where(
        Offer.request_id == request.id, Offer.round == request.round, Offer.status == OfferStatus.OPEN))
    if still_open:
        return "waiting"
    if request.next_wave_at is not None:
        request.next_wave_at = acting.now  # everyone in this wave answered no: ask the next wave at the next tick
        return "next_wave"
    request.apply(Action.REOPEN, acting.actor, note=_("No open offers left."), at=acting.now)
    if request.wave_size is not None:  # waves were running and found nobody more to ask
        request.wave_size = request.wave_interval_minutes = None
        mail_coordinators(session, request.office_id, "assignments/waves_exhausted", req=request,
                          url=external_url("matching.show_candidates", request_id=request.id))
        return "exhausted"
    return "reopened"


def expire_offers(session: Session, acting: Acting) -> int:
    """Open offers past their expiry lapse; a request left with none goes back to open. Returns how many."""
    now = acting.now
    due = session.execute(select(Offer.id, Offer.request_id).where(
        Offer.status == OfferStatus.OPEN, Offer.expires_at <= now)).all()
    for request_id in sorted({request_id for _offer, request_id in due}):
        request = lock_request(session, request_id)
        lapsed = [o for o in offers_of(session, request) if o.is_expired(now)]
        for offer in lapsed:
            offer.expire(now)
        if lapsed and request.status.is_active:
            request.apply(Action.EXPIRE, None, at=now, details={"offers": [o.id for o in lapsed]})
        if reopen_if_nobody_left(session, acting, request) == "reopened" and request.starts_at > now:
            mail_coordinators(session, request.office_id, "assignments/offers_lapsed", req=request,
                              url=external_url("requests.show_request", request_id=request.id))
    return len(due)


def withdraw_offer(session: Session, acting: Acting, offer_id: int) -> None:
    """The coordinator takes back an unanswered offer."""
    offer, request = lock_offer(session, offer_id)
    if offer.status is not OfferStatus.OPEN:
        raise OfferError(_("This offer has already been answered or has lapsed."))
    offer.withdraw(acting.now)
    request.apply(Action.WITHDRAW_OFFER, acting.actor, at=acting.now,
                  details={"offer": offer.id, "volunteer": offer.volunteer_id})
    record_by(session, acting, "offer.withdrawn", subject=offer, office_id=request.office_id,
              details={"request": request.id, "volunteer": offer.volunteer_id})
    tell_offer_closed(session, offer, request, "withdrawn")
    reopen_if_nobody_left(session, acting, request)

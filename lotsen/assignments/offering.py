"""Offering a request: to chosen volunteers, to several at once, or in waves; offers lapsing; counts.

Each change locks the request row first (``services.lock_request``), like the answers do.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lotsen.assignments.models import Offer, OfferStatus
from lotsen.assignments.services import (OfferError, fresh_offer, reopen_if_nobody_left, answer_token,
                                         lock_request, mail_user, names, not_to_ask, offers_of, place_of,
                                         tell_coordinators)
from lotsen.audit.services import record
from lotsen.auth.models import User
from lotsen.i18n import _
from lotsen.matching import reasons as reason_titles
from lotsen.matching import services as matching
from lotsen.offices import settings as office_settings
from lotsen.requests.lifecycle import Action, RequestStatus, can
from lotsen.requests.models import HelpRequest
from lotsen.urls import external_url


def _expiry(request: HelpRequest, now: dt.datetime) -> dt.datetime:
    hours = office_settings.value(request.office, "offer_valid_hours")
    return min(now + dt.timedelta(hours=hours), request.starts_at)


def _check_offerable(session: Session, request: HelpRequest, volunteer_ids: list[int], now: dt.datetime,
                     zone: str, note: str) -> tuple[dict[int, float | None], dict[int, str]]:
    """Distances of volunteers who may be asked, and the near miss each one is; refuses anyone else."""
    if not volunteer_ids:
        raise OfferError(_("Choose at least one volunteer."), "volunteer_ids")
    if not can(request.status, Action.OFFER):
        raise OfferError(_("This request cannot be offered now (%(status)s).", status=request.status.title))
    if request.starts_at <= now:
        raise OfferError(_("This request has already started."))
    blocked = not_to_ask(session, request) & set(volunteer_ids)
    people = names(session, volunteer_ids)
    if blocked:
        raise OfferError(_("Already asked, or declined this very time and place: %(names)s.",
                           names=", ".join(sorted(people.get(i, "?") for i in blocked))), "volunteer_ids")
    outcome = matching.judge(session, request, volunteer_ids, now, zone)
    distances = {r.volunteer_id: r.distance_km for r in outcome.ranked}
    near = {}
    for excluded in outcome.excluded:
        if not excluded.near_miss:
            raise OfferError(_("%(name)s cannot take this request: %(reasons)s.", name=people.get(excluded.volunteer_id),
                               reasons=reason_titles.describe(excluded.reasons)), "volunteer_ids")
        if not note.strip():
            raise OfferError(_("%(name)s is a near miss (%(reasons)s). Say why you ask anyway.",
                               name=people.get(excluded.volunteer_id),
                               reasons=reason_titles.describe(excluded.reasons)), "note")
        distances[excluded.volunteer_id] = excluded.distance_km
        near[excluded.volunteer_id] = ", ".join(r.value for r in excluded.reasons)
    missing = set(volunteer_ids) - set(distances)
    if missing:  # not in the office's pool at all
        raise OfferError(_("Only volunteers of this office can be asked."), "volunteer_ids")
    return distances, near


def make_offers(session: Session, actor: User | None, request: HelpRequest, volunteer_ids: list[int], *,
                now: dt.datetime, zone: str, note: str = "", wave: int = 1) -> list[Offer]:
    """Ask these volunteers (one, or several at once); each gets a mail with answer links."""
    volunteer_ids = list(dict.fromkeys(volunteer_ids))
    distances, near = _check_offerable(session, request, volunteer_ids, now, zone, note)
    expires_at = _expiry(request, now)
    offers = []
    for volunteer_id in volunteer_ids:
        offer = Offer(request=request, volunteer_id=volunteer_id, status=OfferStatus.OPEN, wave=wave,
                      created_at=now, created_by=actor, expires_at=expires_at,
                      distance_km=distances[volunteer_id], near_miss=near.get(volunteer_id, ""),
                      override_note=note.strip() if volunteer_id in near else "",
                      offered_starts_at=request.starts_at, offered_ends_at=request.ends_at,
                      offered_place=place_of(request))
        session.add(offer)
        offers.append(offer)
    session.flush()
    request.apply(Action.OFFER, actor, note=note.strip(), at=now,
                  details={"volunteers": volunteer_ids, "wave": wave, "near_misses": sorted(near)})
    record(session, "offer.created", actor=actor, subject=request, office_id=request.office_id,
           details={"volunteers": volunteer_ids, "wave": wave, "near_misses": sorted(near), "note": note.strip()})
    for offer in offers:
        mail_user(session, offer.volunteer, "offer", offer=offer, req=request,
              url=external_url("assignments.answer_by_link", token=answer_token(offer)))
    return offers


def next_candidates(session: Session, request: HelpRequest, count: int, now: dt.datetime, zone: str) -> list[int]:
    """The best-ranked volunteers who have not been asked yet."""
    blocked = not_to_ask(session, request)
    asked = {o.volunteer_id for o in offers_of(session, request)} | blocked
    ranked = matching.match(session, request, now, zone).ranked
    return [r.volunteer_id for r in ranked if r.volunteer_id not in asked][:count]


def offer_in_waves(session: Session, actor: User, request: HelpRequest, *, now: dt.datetime, zone: str,
                   size: int, interval_minutes: int) -> list[Offer]:
    """Ask the best ``size`` candidates now and the next ones every ``interval_minutes`` until someone accepts."""
    first = next_candidates(session, request, size, now, zone)
    if not first:
        raise OfferError(_("Nobody is left to ask. Look at the near misses."))
    offers = make_offers(session, actor, request, first, now=now, zone=zone, wave=1)
    request.wave_size, request.wave_interval_minutes = size, interval_minutes
    request.next_wave_at = now + dt.timedelta(minutes=interval_minutes)
    return offers


def advance_waves(session: Session, *, now: dt.datetime, zone: str) -> int:
    """Ask the next wave wherever the last one has not brought an acceptance in time; returns requests moved."""
    due = session.scalars(select(HelpRequest.id).where(HelpRequest.next_wave_at <= now)).all()
    moved = 0
    for request_id in due:
        request = lock_request(session, request_id)
        if request.next_wave_at is None or request.next_wave_at > now:
            continue
        if request.status is RequestStatus.ACCEPTED:
            continue  # waiting for the coordinator; if they do not confirm, the waves go on
        if request.status not in (RequestStatus.OPEN, RequestStatus.OFFERED) or request.starts_at <= now:
            request.next_wave_at = None
            continue
        wave = (session.scalar(select(func.max(Offer.wave)).where(Offer.request_id == request.id)) or 0) + 1
        ids = next_candidates(session, request, request.wave_size or 1, now, zone)
        if ids:
            make_offers(session, None, request, ids, now=now, zone=zone, wave=wave)
            request.next_wave_at = now + dt.timedelta(minutes=request.wave_interval_minutes or 60)
        else:
            request.next_wave_at = None
            tell_coordinators(session, request, "waves_exhausted")
            reopen_if_nobody_left(session, request, None, now)
        moved += 1
    return moved


def expire_offers(session: Session, *, now: dt.datetime) -> int:
    """Open offers past their expiry lapse; a request left with none goes back to open. Returns how many."""
    due = session.execute(select(Offer.id, Offer.request_id).where(
        Offer.status == OfferStatus.OPEN, Offer.expires_at <= now)).all()
    for request_id in sorted({request_id for _, request_id in due}):
        request = lock_request(session, request_id)
        lapsed = [o for o in offers_of(session, request) if o.status is OfferStatus.OPEN and o.expires_at <= now]
        for offer in lapsed:
            offer.status = OfferStatus.EXPIRED
        if lapsed and request.status.is_active:
            request.apply(Action.EXPIRE, None, at=now, details={"offers": [o.id for o in lapsed]})
        was_offered = request.status is RequestStatus.OFFERED
        reopen_if_nobody_left(session, request, None, now)
        if was_offered and request.status is RequestStatus.OPEN and request.starts_at > now:
            tell_coordinators(session, request, "offers_lapsed")
    return len(due)


def withdraw_offer(session: Session, actor: User, offer_id: int, *, now: dt.datetime) -> None:
    """The coordinator takes back an unanswered offer."""
    offer = fresh_offer(session, offer_id)
    request = lock_request(session, offer.request_id)
    offer = fresh_offer(session, offer_id)
    if offer.status is not OfferStatus.OPEN:
        raise OfferError(_("This offer has already been answered or has lapsed."))
    offer.status, offer.answered_at = OfferStatus.WITHDRAWN, now
    request.apply(Action.WITHDRAW_OFFER, actor, at=now, details={"offer": offer.id, "volunteer": offer.volunteer_id})
    record(session, "offer.withdrawn", actor=actor, subject=offer, office_id=request.office_id,
           details={"request": request.id, "volunteer": offer.volunteer_id})
    mail_user(session, offer.volunteer, "offer_closed", offer=offer, req=request)
    reopen_if_nobody_left(session, request, actor, now)


def refresh_candidate_counts(session: Session, *, now: dt.datetime, zone: str, limit: int = 50,
                     max_age: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Refresh the stored candidate counts of upcoming requests, the stalest first; returns how many."""
    stale = session.scalars(select(HelpRequest).where(
        HelpRequest.status.in_([RequestStatus.OPEN, RequestStatus.OFFERED, RequestStatus.ACCEPTED]),
        HelpRequest.starts_at > now,
        (HelpRequest.counted_at.is_(None)) | (HelpRequest.counted_at < now - max_age))
        .order_by(HelpRequest.counted_at.is_not(None), HelpRequest.counted_at, HelpRequest.starts_at)
        .limit(limit)).all()
    for request in stale:
        remember_count(session, request, matching.count_candidates(session, request, now, zone), now)
    return len(stale)


def remember_count(session: Session, request: HelpRequest, count: int, now: dt.datetime) -> None:
    """Store a fresh count without touching the request's ``updated_at`` (nothing about it changed)."""
    session.execute(update(HelpRequest).where(HelpRequest.id == request.id).values(
        candidate_count=count, counted_at=now, updated_at=HelpRequest.updated_at)
        .execution_options(synchronize_session=False))

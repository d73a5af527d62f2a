"""What happens after offering: the agency cancels, the volunteer steps back, the coordinator reassigns or
closes a request that cannot be filled, a volunteer leaves the pool. (Recording is ``lotsen.billing.records``.)"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lotsen.acting import Acting
from lotsen.assignments import calendar, confirming, offering
from lotsen.assignments.lifecycle import AssignmentStatus, OfferStatus
from lotsen.assignments.loading import OfferError, live_assignment, lock_assignment, lock_offer, lock_request
from lotsen.assignments.models import Assignment, Offer
from lotsen.audit.services import record_by
from lotsen.billing import records
from lotsen.auth.models import User
from lotsen.i18n import _
from lotsen.matching import counts
from lotsen.matching import reasons as reason_titles
from lotsen.matching import services as matching
from lotsen.notifications.outbox import mail_coordinators, mail_user
from lotsen.reminders import services as reminders
from lotsen.requests import services as requests
from lotsen.requests.informing import is_informed_person, tell_agency
from lotsen.requests.lifecycle import Action, RequestStatus, UnfilledReason, can
from lotsen.requests.models import HelpRequest
from lotsen.urls import domain, external_url


def _ended(session: Session, acting: Acting, assignment: Assignment, template: str, **context) -> None:
    """The volunteer is no longer needed: waiting reminders go, the calendar entry is cancelled, they are told."""
    reminders.cancel_for(session, assignment)
    volunteer = assignment.volunteer
    mail_user(session, volunteer, template, office_id=assignment.request.office_id, req=assignment.request,
              assignment=assignment, attachments=[calendar.invitation(assignment, domain(), volunteer.locale,
                                                                      now=acting.now, cancelled=True)], **context)
    counts.mark_stale(session, assignment.request.office_id)  # the volunteer is free then again


def _new_round(request: HelpRequest) -> None:
    """Ask afresh: earlier answers of this request no longer count as asked, waves start again."""
    request.round += 1
    request.next_wave_at = request.wave_size = request.wave_interval_minutes = None


def cancel(session: Session, acting: Acting, request_id: int, reason: str) -> bool:
    """The agency (or the office) cancels: waiting offers close and a confirmed volunteer is told.
    Returns whether it was late."""
    request = lock_request(session, request_id)
    late = requests.cancel_request(session, acting.actor, request, reason, now=acting.now,
                                  address=acting.address)
    offering.close_waiting_offers(session, acting, request, "cancelled")
    request.next_wave_at = None
    assignment = live_assignment(session, request)
    if assignment is not None:
        assignment.cancel(acting.now, reason, late=late)
        _ended(session, acting, assignment, "assignments/cancelled", late=late, cause="cancelled")
        if late:  # the volunteer is paid for it as the programme's rule says: their record is made for them
            records.late_cancellation(session, acting, assignment)
    if not is_informed_person(request, acting.actor):  # the office cancelled on the agency's behalf
        tell_agency(session, request, "assignments/cancelled_agency", reason=reason.strip(), late=late)
    return late


def step_back(session: Session, acting: Acting, assignment_id: int, reason: str) -> Assignment:
    """The volunteer cannot come after all: the request reopens for a new round of asking, the
    coordinators get the next candidates and the agency is told that the office looks again."""
    volunteer, now = acting.actor, acting.now
    assignment, request = lock_assignment(session, assignment_id)
    if not assignment.is_volunteer(volunteer):
        raise OfferError(_("This assignment is not yours."))
    if assignment.status is not AssignmentStatus.CONFIRMED or request.status is not RequestStatus.CONFIRMED:
        raise OfferError(_("This assignment is no longer confirmed."))
    if assignment.starts_at <= now:
        raise OfferError(_("This assignment has already started."))
    if not reason.strip():
        raise OfferError(_("Please give a reason."), "reason")
    late = requests.is_late(request, now)
    assignment.step_back(now, reason, late=late)
    request.apply(Action.STEP_BACK, volunteer, note=reason.strip(), at=now,
                  details={"volunteer": volunteer.id, "late": late})
    _new_round(request)
    record_by(session, acting, "assignment.withdrawn", subject=assignment, office_id=request.office_id,
              details={"request": request.id, "late": late})
    reminders.cancel_for(session, assignment)
    counts.mark_stale(session, request.office_id)
    session.flush()
    suggested = offering.next_candidates(session, acting, request, 3)
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(suggested)))}
    mail_coordinators(session, request.office_id, "assignments/withdrawn", req=request, volunteer=volunteer,
                      reason=reason.strip(), late=late, suggestions=[people[i] for i in suggested],
                      url=external_url("matching.show_candidates", request_id=request.id))
    tell_agency(session, request, "assignments/withdrawn_agency")
    return assignment


def reassign(session: Session, acting: Acting, request_id: int, volunteer_id: int, note: str) -> Assignment:
    """Give a confirmed request to another volunteer (agreed with them beforehand)."""
    now = acting.now
    request = lock_request(session, request_id)
    if request.status is not RequestStatus.CONFIRMED:
        raise OfferError(_("Only a confirmed request can be reassigned."))
    if request.starts_at <= now:
        raise OfferError(_("This request has already started."))
    if not note.strip():
        raise OfferError(_("Please give a reason."), "note")
    current = live_assignment(session, request)
    if current is not None and current.volunteer_id == volunteer_id:
        raise OfferError(_("This volunteer already has the assignment."), "volunteer_id")
    held = (set(offering.blocked(session, request)) | offering.stepped_back(session, request)) - (
        {current.volunteer_id} if current else set())
    if volunteer_id in held:
        raise OfferError(_("This volunteer declined or stepped back from this very date."), "volunteer_id")
    outcome = matching.judge(session, request, [volunteer_id], now, acting.zone)
    if not outcome.ranked:
        if not outcome.excluded:
            raise OfferError(_("Only volunteers of this office can be asked."), "volunteer_id")
        excluded = outcome.excluded[0]
        if not excluded.near_miss:
            raise OfferError(_("This volunteer cannot take the request: %(reasons)s.",
                               reasons=reason_titles.describe(excluded.reasons)), "volunteer_id")
    if current is not None:
        current.reassign(now, note)
        _ended(session, acting, current, "assignments/cancelled", late=False, cause="reassigned")
        session.flush()  # the live-assignment index must see the old one end before the new one starts
    volunteer = session.get(User, volunteer_id)
    assignment = confirming.assign(session, acting, request, volunteer, offer=None)
    request.apply(Action.REASSIGN, acting.actor, note=note.strip(), at=now,
                  details={"from": current.volunteer_id if current else None, "to": volunteer_id})
    return assignment


def close_unfillable(session: Session, acting: Acting, request_id: int, reason: UnfilledReason, note: str,
                     alternative: str) -> None:
    """The office closes a request nobody can take: waiting offers close, the agency hears why and what to
    do instead (a professional service, phone or video interpreting)."""
    request = lock_request(session, request_id)
    if not can(request.status, Action.CLOSE):
        raise OfferError(_("This request can no longer be closed."))
    if reason not in UnfilledReason.closing():
        raise OfferError(_("Choose a reason."), "reason")
    if reason is UnfilledReason.OTHER and not note.strip():
        raise OfferError(_("Please say why."), "note")
    request.unfilled_reason, request.unfilled_note = reason, note.strip()
    request.apply(Action.CLOSE, acting.actor, note=note.strip(), at=acting.now,
                  details={"reason": reason.value, "alternative": alternative.strip()})
    request.next_wave_at = None
    offering.close_waiting_offers(session, acting, request, "closed")
    record_by(session, acting, "request.closed_unfillable", subject=request, office_id=request.office_id,
              details={"reason": reason.value})
    tell_agency(session, request, "assignments/unfillable", reason=reason, alternative=alternative.strip())


def take_off(session: Session, acting: Acting, volunteer: User, reason: str) -> list[HelpRequest]:
    """A volunteer leaves the pool (deactivated, or their data deleted): their waiting offers are withdrawn,
    their future assignments end and those requests reopen. The coordinators are told which; returns them."""
    now = acting.now
    reopened: list[HelpRequest] = []
    waiting = session.scalars(select(Offer.id).where(
        Offer.volunteer_id == volunteer.id, Offer.status.in_([OfferStatus.OPEN, OfferStatus.ACCEPTED]))).all()
    for offer_id in waiting:
        offer, request = lock_offer(session, offer_id)
        if not offer.status.is_waiting:
            continue
        was_accepted = offer.status is OfferStatus.ACCEPTED
        offer.withdraw(now)
        if was_accepted and request.status is RequestStatus.ACCEPTED:
            request.apply(Action.RELEASE, acting.actor, note=reason, at=now, details={"offer": offer.id})
        else:
            request.apply(Action.WITHDRAW_OFFER, acting.actor, at=now,
                          details={"offer": offer.id, "volunteer": volunteer.id})
        offering.reopen_if_nobody_left(session, acting, request)
        if request.status is RequestStatus.OPEN and request not in reopened:
            reopened.append(request)  # their offer was the one still waiting (or the one to confirm)
    upcoming = session.scalars(select(Assignment.id).where(
        Assignment.volunteer_id == volunteer.id, Assignment.status == AssignmentStatus.CONFIRMED,
        Assignment.starts_at > now).order_by(Assignment.starts_at)).all()
    for assignment_id in upcoming:
        assignment, request = lock_assignment(session, assignment_id)
        if assignment.status is not AssignmentStatus.CONFIRMED:
            continue
        assignment.release(now, reason)
        reminders.cancel_for(session, assignment)
        request.apply(Action.TAKE_OFF, acting.actor, note=reason, at=now,
                      details={"volunteer": volunteer.id})
        _new_round(request)
        tell_agency(session, request, "assignments/withdrawn_agency")
        if request not in reopened:
            reopened.append(request)
    counts.mark_stale(session, volunteer.office_id)  # one fewer to ask, whether or not they were asked
    if reopened:
        mail_coordinators(session, volunteer.office_id, "assignments/volunteer_left", volunteer=volunteer,
                          requests=reopened, urls=[external_url("matching.show_candidates", request_id=r.id)
                                                   for r in reopened])
    if waiting or upcoming:
        record_by(session, acting, "volunteer.taken_off", subject=volunteer, office_id=volunteer.office_id,
                  details={"offers": list(waiting), "assignments": list(upcoming)})
    return reopened

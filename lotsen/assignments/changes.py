"""Changes after an offer: the agency cancels, the volunteer steps back, the coordinator reassigns."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from lotsen.assignments import calendar, offering
from lotsen.assignments.models import Assignment, AssignmentStatus, OfferStatus
from lotsen.assignments.services import (OfferError, assign_volunteer, live_assignment, lock_request, mail_user,
                                         not_to_ask, offers_of, tell_agency, tell_coordinators)
from lotsen.audit.services import record
from lotsen.auth.models import User
from lotsen.i18n import _
from lotsen.matching import reasons as reason_titles
from lotsen.matching import services as matching
from lotsen.reminders import services as reminders
from lotsen.requests import services as requests
from lotsen.requests.lifecycle import Action, RequestStatus
from lotsen.requests.models import HelpRequest
from lotsen.urls import domain


def _end(session: Session, assignment: Assignment, *, now: dt.datetime, late: bool) -> None:
    """The volunteer is no longer needed: waiting reminders go, the calendar entry is cancelled."""
    reminders.cancel_for(session, assignment)
    volunteer = assignment.volunteer
    mail_user(session, volunteer, "cancelled", req=assignment.request, assignment=assignment, late=late,
              attachments=[calendar.invitation(assignment, domain(), volunteer.locale, now=now, cancelled=True)])


def cancel(session: Session, actor: User, request: HelpRequest, reason: str, *, now: dt.datetime) -> bool:
    """The agency (or office) cancels: open offers are withdrawn and a confirmed volunteer is told."""
    request = lock_request(session, request.id)
    late = requests.cancel_request(session, actor, request, reason, now=now)
    for offer in offers_of(session, request):
        if offer.status in (OfferStatus.OPEN, OfferStatus.ACCEPTED):
            offer.status, offer.answered_at = OfferStatus.WITHDRAWN, offer.answered_at or now
            mail_user(session, offer.volunteer, "offer_closed", offer=offer, req=request)
    request.next_wave_at = None
    assignment = live_assignment(session, request)
    if assignment is not None:
        assignment.status, assignment.ended_at = AssignmentStatus.CANCELLED, now
        assignment.end_reason, assignment.ended_late = reason.strip(), late
        _end(session, assignment, now=now, late=late)
    return late


def withdraw(session: Session, volunteer: User, assignment_id: int, reason: str, *, now: dt.datetime,
             zone: str) -> Assignment:
    """The volunteer steps back: the request reopens and the coordinators get the next candidates."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or assignment.volunteer_id != volunteer.id:
        raise OfferError(_("This assignment is not yours."))
    request = lock_request(session, assignment.request_id)
    session.refresh(assignment)
    if assignment.status is not AssignmentStatus.CONFIRMED or request.status is not RequestStatus.CONFIRMED:
        raise OfferError(_("This assignment is no longer confirmed."))
    if assignment.starts_at <= now:
        raise OfferError(_("This assignment has already started."))
    if not reason.strip():
        raise OfferError(_("Please give a reason."), "reason")
    late = requests.is_late(request, now)
    assignment.status, assignment.ended_at = AssignmentStatus.WITHDRAWN, now
    assignment.end_reason, assignment.ended_late = reason.strip(), late
    reminders.cancel_for(session, assignment)
    request.apply(Action.REOPEN, volunteer, note=reason.strip(), at=now,
                  details={"withdrawn": volunteer.id, "late": late})
    record(session, "assignment.withdrawn", actor=volunteer, subject=assignment, office_id=request.office_id,
           details={"request": request.id, "late": late})
    session.flush()
    suggested = offering.next_candidates(session, request, 3, now, zone)
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(suggested)))}
    suggestions = [people[i] for i in suggested]
    tell_coordinators(session, request, "withdrawn", volunteer=volunteer, reason=reason.strip(), late=late,
                       suggestions=suggestions)
    tell_agency(session, request, "withdrawn_agency")
    return assignment


def reassign(session: Session, actor: User, request: HelpRequest, volunteer_id: int, note: str, *,
             now: dt.datetime, zone: str) -> Assignment:
    """Give a confirmed request to another volunteer (agreed with them beforehand)."""
    request = lock_request(session, request.id)
    if request.status is not RequestStatus.CONFIRMED:
        raise OfferError(_("Only a confirmed request can be reassigned."))
    if request.starts_at <= now:
        raise OfferError(_("This request has already started."))
    if not note.strip():
        raise OfferError(_("Please give a reason."), "note")
    current = live_assignment(session, request)
    if current is not None and current.volunteer_id == volunteer_id:
        raise OfferError(_("This volunteer already has the assignment."), "volunteer_id")
    if volunteer_id in not_to_ask(session, request) - ({current.volunteer_id} if current else set()):
        raise OfferError(_("This volunteer declined or stepped back from this very date."), "volunteer_id")
    outcome = matching.judge(session, request, [volunteer_id], now, zone)
    if not outcome.ranked:
        if not outcome.excluded:
            raise OfferError(_("Only volunteers of this office can be asked."), "volunteer_id")
        excluded = outcome.excluded[0]
        if not excluded.near_miss:
            raise OfferError(_("This volunteer cannot take the request: %(reasons)s.",
                               reasons=reason_titles.describe(excluded.reasons)), "volunteer_id")
    if current is not None:
        current.status, current.ended_at, current.end_reason = AssignmentStatus.REASSIGNED, now, note.strip()
        _end(session, current, now=now, late=False)
        session.flush()  # the live-assignment index must see the old one end before the new one starts
    volunteer = session.get(User, volunteer_id)
    assignment = assign_volunteer(session, actor, request, volunteer, offer=None, now=now)
    request.apply(Action.REASSIGN, actor, note=note.strip(), at=now,
                  details={"from": current.volunteer_id if current else None, "to": volunteer_id})
    return assignment





def record_outcome(session: Session, actor: User, assignment_id: int, *, took_place: bool, minutes: int | None,
                   travel_km: float | None, note: str, now: dt.datetime) -> Assignment:
    """After the appointment: it took place (with time and travel, for the allowance) or it did not."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise OfferError(_("This assignment no longer exists."))
    request = lock_request(session, assignment.request_id)
    session.refresh(assignment)
    if assignment.status is not AssignmentStatus.CONFIRMED or request.status is not RequestStatus.CONFIRMED:
        raise OfferError(_("This assignment has already been recorded or has ended."))
    if assignment.starts_at > now:
        raise OfferError(_("An assignment can be recorded once it has begun."))
    if took_place:
        if not minutes:
            raise OfferError(_("Please enter how long it took."), "minutes")
        assignment.status, assignment.completed_at = AssignmentStatus.COMPLETED, now
        assignment.actual_minutes, assignment.travel_km = minutes, travel_km
        request.apply(Action.COMPLETE, actor, note=note.strip(), at=now,
                      details={"minutes": minutes, "travel_km": travel_km})
    else:
        if not note.strip():
            raise OfferError(_("Please say what happened."), "note")
        assignment.status, assignment.ended_at, assignment.end_reason = AssignmentStatus.CANCELLED, now, note.strip()
        request.cancel_reason = note.strip()
        request.apply(Action.CANCEL, actor, note=note.strip(), at=now, details={"did_not_take_place": True})
    reminders.cancel_for(session, assignment)
    record(session, "assignment.recorded", actor=actor, subject=assignment, office_id=request.office_id,
           details={"took_place": took_place, "minutes": minutes, "travel_km": travel_km})
    return assignment

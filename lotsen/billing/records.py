"""The assignment record (Einsatznachweis): recorded from the phone, confirmed by the agency, decided by the office.

Services take the session and an ``Acting`` and never commit. Every change of the facts is a new version;
the agency's answer and the office's decision name the version they answer. The agency is mailed a
one-time link for each version (``lotsen.billing.links``); a caseworker signed in can answer too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lotsen.acting import Acting
from lotsen.api import webhooks
from lotsen.assignments.lifecycle import AssignmentStatus
from lotsen.assignments.loading import lock_assignment, lock_request
from lotsen.assignments.models import Assignment
from lotsen.audit.services import record_by
from lotsen.billing import links
from lotsen.billing.lifecycle import RecordAction, RecordStatus
from lotsen.billing.models import AssignmentRecord, Programme, RecordFacts, RecordOutcome, RecordVersion
from lotsen.errors import DomainError
from lotsen.i18n import _
from lotsen.notifications.outbox import mail_coordinators
from lotsen.offices import settings as office_settings
from lotsen.reminders import services as reminders
from lotsen.requests.history import Audience
from lotsen.requests.informing import tell_agency
from lotsen.requests.lifecycle import Action, RequestStatus
from lotsen.requests.models import HelpRequest
from lotsen.urls import external_url

MAX_MINUTES = 16 * 60
MAX_TRAVEL_MINUTES = 8 * 60
MAX_WAITING_MINUTES = 8 * 60
MAX_KM = Decimal("1000")


class RecordError(DomainError):
    """A record that cannot be saved or answered as asked."""


@dataclass(frozen=True)
class Facts:
    """What the volunteer (or a coordinator) enters. Times are UTC instants."""

    outcome: RecordOutcome
    starts_at: dt.datetime
    ends_at: dt.datetime
    mode: str
    waiting_minutes: int = 0
    travel_minutes: int = 0
    travel_km: Decimal = Decimal("0")
    note: str = ""


def _check(facts: Facts, assignment: Assignment) -> None:
    if facts.ends_at <= facts.starts_at:
        raise RecordError(_("The end must be after the start."), "ends")
    if facts.ends_at - facts.starts_at > dt.timedelta(minutes=MAX_MINUTES):
        raise RecordError(_("An assignment lasts at most 16 hours. Please check the times."), "ends")
    if abs(facts.starts_at - assignment.starts_at) > dt.timedelta(hours=12):
        raise RecordError(_("The start lies far from the planned time. Please check the date and time."), "starts")
    if not 0 <= facts.waiting_minutes <= MAX_WAITING_MINUTES:
        raise RecordError(_("Enter the waiting time in minutes (at most 480)."), "waiting_minutes")
    if not 0 <= facts.travel_minutes <= MAX_TRAVEL_MINUTES:
        raise RecordError(_("Enter the travel time in minutes (at most 480)."), "travel_minutes")
    if not Decimal("0") <= facts.travel_km <= MAX_KM:
        raise RecordError(_("Enter the kilometres travelled (at most 1,000)."), "travel_km")
    if facts.outcome is not RecordOutcome.TOOK_PLACE and not facts.note.strip():
        raise RecordError(_("Please say what happened."), "note")


def default_programme(session: Session, request: HelpRequest) -> Programme | None:
    """The office's active programme for this kind of request (the first by name), if any."""
    programmes = session.scalars(select(Programme).where(Programme.office_id == request.office_id,
                                                         Programme.is_active.is_(True))
                                 .order_by(Programme.name)).all()
    return next((p for p in programmes if request.kind.value in (p.kinds or [])), None)


def _version(record: AssignmentRecord, facts: Facts, acting: Acting) -> None:
    """Make ``facts`` the record's current facts, as its next version."""
    number = (max((v.version for v in record.versions), default=0)) + 1
    values = {name: getattr(facts, name) for name in RecordFacts.FIELDS}
    record.version = number
    for name, value in values.items():
        setattr(record, name, value)
    record.versions.append(RecordVersion(version=number, note=facts.note.strip(), recorded_at=acting.now,
                                         recorded_by_id=acting.actor.id if acting.actor else None, **values))
    record.confirm_by = acting.now + dt.timedelta(days=office_settings.value(
        record.assignment.request.office, "record_confirm_days"))
    record.answered_at = record.answered_by_id = None
    record.answered_via = record.agency_comment = ""


def _ask_agency(session: Session, record: AssignmentRecord) -> None:
    request = record.assignment.request
    tell_agency(session, request, "billing/confirm_record", record=record, url=links.confirm_url(record),
                volunteer=record.volunteer)
    webhooks.record_awaiting(session, record)


def record(session: Session, acting: Acting, assignment_id: int, facts: Facts) -> AssignmentRecord:
    """After the appointment: the volunteer (or the office) records what happened; the agency is asked to
    confirm it. The first record also closes the assignment: done, or (client absent, another reason) not."""
    now, actor = acting.now, acting.actor
    assignment, request = lock_assignment(session, assignment_id)
    if session.scalar(select(AssignmentRecord.id).where(AssignmentRecord.assignment_id == assignment.id)):
        raise RecordError(_("This assignment has already been recorded. You can change the record instead."))
    if assignment.status is not AssignmentStatus.CONFIRMED or request.status is not RequestStatus.CONFIRMED:
        raise RecordError(_("This assignment has already been recorded or has ended."))
    if not assignment.can_record(actor, now):
        raise RecordError(_("An assignment can be recorded once it has begun."))
    _check(facts, assignment)
    minutes = int((facts.ends_at - facts.starts_at).total_seconds() // 60)
    if facts.outcome is RecordOutcome.TOOK_PLACE:
        assignment.complete(now, minutes, float(facts.travel_km) if facts.travel_km else None)
        request.apply(Action.COMPLETE, actor, note=facts.note.strip(), at=now,
                      details={"minutes": minutes, "travel_km": float(facts.travel_km)})
    else:
        assignment.cancel(now, facts.note)  # the volunteer's note stays with the office (history, record)
        request.apply(Action.CANCEL, actor, note=facts.note.strip(), at=now,
                      details={"did_not_take_place": True, "outcome": facts.outcome.value},
                      audience=Audience.OFFICE)  # what happened, in the volunteer's words to the office
    reminders.cancel_for(session, assignment)
    entry = _new_record(session, assignment, request, facts, acting)
    _ask_agency(session, entry)
    record_by(session, acting, "record.created", subject=entry, office_id=request.office_id,
              details={"assignment": assignment.id, "outcome": facts.outcome.value, "minutes": minutes,
                       "travel_km": float(facts.travel_km)})
    return entry


def _new_record(session: Session, assignment: Assignment, request: HelpRequest, facts: Facts,
                acting: Acting) -> AssignmentRecord:
    programme = default_programme(session, request)
    entry = AssignmentRecord(assignment=assignment, office_id=request.office_id, agency_id=request.agency_id,
                             volunteer_id=assignment.volunteer_id, programme=programme,
                             client_key=(request.client_reference or "").strip()[:80], created_at=acting.now,
                             status=RecordStatus.SUBMITTED)
    _version(entry, facts, acting)
    session.add(entry)
    session.flush()
    return entry


def late_cancellation(session: Session, acting: Acting, assignment: Assignment) -> AssignmentRecord:
    """The agency cancelled inside the late-cancellation time: the volunteer's record is made for them, as
    planned, and needs no confirmation (the agency cancelled itself). The volunteer may add travel."""
    request = assignment.request
    facts = Facts(RecordOutcome.LATE_CANCELLED, assignment.starts_at, assignment.ends_at, request.mode.value,
                  note=request.cancel_reason or "")
    entry = _new_record(session, assignment, request, facts, acting)
    entry.status, entry.answered_at, entry.answered_via = RecordStatus.CONFIRMED, acting.now, "cancellation"
    return entry


def _lock(session: Session, record_id: int) -> AssignmentRecord:
    entry = session.get(AssignmentRecord, record_id)
    if entry is None:
        raise RecordError(_("This record no longer exists."))
    lock_request(session, entry.assignment.request_id)
    session.refresh(entry)
    return entry


def revise(session: Session, acting: Acting, record_id: int, facts: Facts) -> AssignmentRecord:
    """A changed record is a new version and goes to the agency again (the old link no longer works)."""
    entry = _lock(session, record_id)
    if not entry.can_revise(acting.actor):
        raise RecordError(_("This record can no longer be changed. Please call the coordinating office."))
    _check(facts, entry.assignment)
    entry.move(RecordAction.REVISE)
    _version(entry, facts, acting)
    _ask_agency(session, entry)
    record_by(session, acting, "record.revised", subject=entry, office_id=entry.office_id,
              details={"version": entry.version, "outcome": facts.outcome.value})
    return entry


def answer(session: Session, acting: Acting, record_id: int, version: int, *, confirmed: bool, comment: str = "",
           via: str) -> AssignmentRecord:
    """The agency confirms the record, or disputes it with a comment (via the link, or signed in)."""
    entry = _lock(session, record_id)
    if entry.version != version:
        raise RecordError(_("This record has been changed since. Please use the link from the most recent "
                            "email."))
    if entry.status is not RecordStatus.SUBMITTED:
        raise RecordError(_("This record has already been answered. Thank you!"))
    if not entry.can_answer(acting.now):
        raise RecordError(_("The time to confirm this record has passed; the coordinating office decides now."))
    if not confirmed and not comment.strip():
        raise RecordError(_("Please say what is not right."), "comment")
    entry.move(RecordAction.CONFIRM if confirmed else RecordAction.DISPUTE)
    entry.answered_at, entry.answered_via = acting.now, via
    entry.answered_by_id = acting.actor.id if acting.actor is not None else None
    entry.agency_comment = "" if confirmed else comment.strip()
    record_by(session, acting, "record.confirmed" if confirmed else "record.disputed", subject=entry,
              office_id=entry.office_id, details={"version": version, "via": via})
    if not confirmed:
        mail_coordinators(session, entry.office_id, "billing/record_disputed", record=entry,
                          req=entry.assignment.request, comment=entry.agency_comment,
                          url=external_url("billing.show_record", record_id=entry.id))
    return entry


def decide(session: Session, acting: Acting, record_id: int, note: str) -> AssignmentRecord:
    """The office confirms a disputed record, or one left unanswered past its deadline, with a note."""
    entry = _lock(session, record_id)
    if not entry.can_decide(acting.actor, acting.now):
        raise RecordError(_("The agency can still answer this record until its deadline."))
    if not note.strip():
        raise RecordError(_("Please note what was decided and why."), "note")
    entry.move(RecordAction.DECIDE)
    entry.office_note = note.strip()
    entry.answered_at, entry.answered_via = acting.now, "office"
    entry.answered_by_id = acting.actor.id
    record_by(session, acting, "record.decided", subject=entry, office_id=entry.office_id,
              details={"version": entry.version})
    return entry


def choose_programme(session: Session, acting: Acting, record_id: int, programme_id: int) -> AssignmentRecord:
    entry = _lock(session, record_id)
    programme = session.get(Programme, programme_id)
    if programme is None or programme.office_id != entry.office_id or not entry.can_choose_programme(acting.actor):
        raise RecordError(_("Choose one of the office's programmes."), "programme_id")
    entry.programme = programme
    record_by(session, acting, "record.programme_changed", subject=entry, office_id=entry.office_id,
              details={"programme": programme.name})
    return entry

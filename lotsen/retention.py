"""Keeping personal data no longer than needed: a daily job of the worker (GDPR Art. 5 (1) e).

Per office (settings under *Datenschutz*): the text and address of mails sent, failed or cancelled more than
``retention_mail_days`` ago are wiped (who got which kind of mail when stays; mails that belong to no office,
such as registration and password mails, after the default period); ``retention_contact_days`` after a
request was billed (its assignment's record is on an approved statement), or after its day if it had no
record (cancelled, not filled), its case number, contact for the day, person to inform, street and notes are
wiped, and so are the free-text notes in its history. A record not yet billed keeps them for the billing. What
the reports count (dates, language, place, agency, status, minutes, the steps of its history) stays. An
assignment record keeps the case number (its pseudonymous client, for a programme's cap per client and year)
until its year is over and the same period has passed; then it goes too. The audit log says what was purged.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session

from lotsen.acting import Acting
from lotsen.audit.services import record_by
from lotsen.assignments.models import Assignment
from lotsen.billing.models import AssignmentRecord, Statement
from lotsen.notifications.models import OutboxMessage, OutboxStatus
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Office
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import HelpRequest, RequestEvent

OVER = (RequestStatus.COMPLETED, RequestStatus.CANCELLED, RequestStatus.UNFILLED)
EMPTY_MAIL = {"subject": "", "body": "", "attachments": []}


def purge(session: Session, acting: Acting) -> int:
    """Wipe what each office keeps longer than it says; returns how many rows were wiped."""
    total = 0
    without_office = _mails(session, None, acting.now)
    if without_office:
        record_by(session, acting, "retention.purged", details={"mails": without_office, "requests": 0})
    total += without_office
    for office in session.scalars(select(Office).order_by(Office.id)):
        mails = _mails(session, office, acting.now)
        requests = _requests(session, office, acting.now)
        records = _records(session, office, acting)
        if mails or requests or records:
            details = {"mails": mails, "requests": requests} | ({"records": records} if records else {})
            record_by(session, acting, "retention.purged", subject=office, office_id=office.id, details=details)
        total += mails + requests + records
    return total


def _mails(session: Session, office: Office | None, now: dt.datetime) -> int:
    """An office's mails after its period; with ``office`` None, the mails of no office after the default."""
    before = now - dt.timedelta(days=office_settings.value(office, "retention_mail_days"))
    return session.execute(update(OutboxMessage).where(
        OutboxMessage.office_id == office.id if office is not None else OutboxMessage.office_id.is_(None),
        OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.CANCELLED]),
        OutboxMessage.created_at < before, OutboxMessage.recipient != "")
        .values(recipient="", payload=EMPTY_MAIL).execution_options(synchronize_session=False)).rowcount


def _requests(session: Session, office: Office, now: dt.datetime) -> int:
    before = now - dt.timedelta(days=office_settings.value(office, "retention_contact_days"))
    recorded = (select(AssignmentRecord.id).join(Assignment, Assignment.id == AssignmentRecord.assignment_id)
                .where(Assignment.request_id == HelpRequest.id))
    billed = recorded.join(Statement, Statement.id == AssignmentRecord.statement_id).where(
        Statement.approved_at < before)
    due = select(HelpRequest.id).where(
        HelpRequest.office_id == office.id, HelpRequest.status.in_(OVER),
        or_(exists(billed), and_(~exists(recorded), HelpRequest.starts_at < before)),
        (HelpRequest.client_reference != "") | (HelpRequest.contact_name != "") | (HelpRequest.contact_phone != "")
        | (HelpRequest.inform_email != "") | (HelpRequest.inform_name != "") | (HelpRequest.notes != "")
        | (HelpRequest.street != "") | (HelpRequest.inform_user_id.is_not(None)))
    ids = list(session.scalars(due))
    if not ids:
        return 0
    session.execute(update(HelpRequest).where(HelpRequest.id.in_(ids)).values(
        client_reference="", contact_name="", contact_phone="", inform_name="", inform_email="", inform_phone="",
        inform_user_id=None, notes="", street="", cancel_reason="", unfilled_note="",
        updated_at=HelpRequest.updated_at).execution_options(synchronize_session=False))
    session.execute(update(RequestEvent).where(RequestEvent.request_id.in_(ids)).values(note="")
                    .execution_options(synchronize_session=False))
    session.execute(update(RequestEvent).where(RequestEvent.request_id.in_(ids), RequestEvent.action == "edit")
                    .values(details={}).execution_options(synchronize_session=False))  # old and new values
    return len(ids)


def _records(session: Session, office: Office, acting: Acting) -> int:
    before = acting.now - dt.timedelta(days=office_settings.value(office, "retention_contact_days"))
    zone = ZoneInfo(acting.zone)
    year_start = dt.datetime(acting.now.astimezone(zone).year, 1, 1, tzinfo=zone).astimezone(dt.timezone.utc)
    return session.execute(update(AssignmentRecord).where(
        AssignmentRecord.office_id == office.id, AssignmentRecord.starts_at < min(before, year_start),
        AssignmentRecord.client_key != "").values(client_key="")
        .execution_options(synchronize_session=False)).rowcount

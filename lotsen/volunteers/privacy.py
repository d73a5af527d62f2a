"""A volunteer's rights over their data (GDPR Art. 15 and 17): export all of it, ask for deletion, anonymise."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from lotsen import clock
from lotsen.assignments.lifecycle import AssignmentStatus
from lotsen.assignments.models import Assignment, Offer
from lotsen.audit.models import AuditEvent
from lotsen.audit.services import record
from lotsen.auth.directory import coordinators_of
from lotsen.auth.models import Role, User, UserStatus
from lotsen.auth.permissions import can_manage_user
from lotsen.auth.sessions import UserSession
from lotsen.billing.models import AssignmentRecord, PayoutDetails, RecordVersion, Statement
from lotsen.db import Base
from lotsen.errors import DomainError
from lotsen.i18n import _
from lotsen.notifications.models import OutboxMessage, OutboxStatus, outbox_mentions
from lotsen.notifications.outbox import queue_mail
from lotsen.requests.models import HelpRequest, RequestEvent
from lotsen.urls import external_url
from lotsen.volunteers.models import VolunteerProfile
from lotsen.volunteers.services import profile_of

# Never leaves the database, not even to its owner: a hash only helps someone guessing the password, a
# second-factor secret or session token helps whoever reads the export.
ACCOUNT_SECRETS = {"password_hash", "totp_secret", "recovery_codes", "calendar_token", "session_version",
                   "totp_last_step"}
DOCUMENT_FIELDS = ("declaration_signed_on", "certificate_checked_on")
# Profile columns kept after anonymising, for the office's anonymous statistics; everything else is reset.
KEPT_PROFILE_FIELDS = {"user_id", "office_id", "municipality_id", "is_guide", "is_interpreter", "on_site", "by_phone",
                       "by_video", "deletion_requested_at", "anonymized_at", "created_at", "updated_at"}
# Events "about" a volunteer name either the account or the profile; both share the user's id.
SUBJECT_TYPES = ("User", "VolunteerProfile")


class PrivacyError(DomainError):
    """A refused export, deletion request or anonymisation."""


def placeholder_name(user_id: int) -> str:
    """The name an anonymised account keeps: language-neutral, since it is stored once for every reader."""
    return f"— #{user_id}"


def placeholder_email(user_id: int) -> str:
    """A unique address on the reserved ``.invalid`` domain, so the real one is free for a new registration."""
    return f"deleted-{user_id}@invalid"


def _plain(value):
    """A JSON value: datetimes in ISO 8601 UTC, dates and times in ISO 8601, enums by their value."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "value"):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _columns(row: Base, exclude=()) -> dict:
    """Every column of ``row``: a column added later is exported without anyone remembering to add it here."""
    return {column.key: _plain(getattr(row, column.key))
            for column in row.__mapper__.column_attrs if column.key not in exclude}


def _events(session: Session, user: User) -> list[AuditEvent]:
    return list(session.scalars(
        select(AuditEvent)
        .where(or_(AuditEvent.actor_id == user.id,
                   and_(AuditEvent.subject_type.in_(SUBJECT_TYPES), AuditEvent.subject_id == user.id)))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    ))


def _event(event: AuditEvent, user: User) -> dict:
    about_user = event.subject_type in SUBJECT_TYPES and event.subject_id == user.id
    by_user = event.actor_id == user.id
    return {
        "occurred_at": _plain(event.occurred_at),
        "action": event.action,
        # Who acted on someone's record is named only by role: their identity is another person's data.
        "by": "you" if by_user else (event.actor.role.value if event.actor is not None else "system"),
        "subject": {"type": event.subject_type, "id": event.subject_id},
        # Details of what the user did to other records may describe other people; only their own are theirs.
        "details": _plain(event.details) if about_user else {},
        # The address is the actor's: the user's own, or someone else's that is not theirs to see.
        "ip_address": event.ip_address if by_user else "",
    }


def export_data(session: Session, user: User) -> dict:
    """Everything Lotsen holds about a volunteer, as plain JSON-ready data (GDPR Art. 15)."""
    account = _columns(user, exclude=ACCOUNT_SECRETS)
    account["office"] = user.office.name if user.office else None
    data: dict = {"exported_at": _plain(clock.now()), "account": account}
    if user.role is Role.VOLUNTEER:
        profile = profile_of(session, user)
        data["profile"] = _columns(profile, exclude=DOCUMENT_FIELDS)
        data["profile"]["municipality"] = profile.municipality.name if profile.municipality else None
        data["documents"] = {name: _plain(getattr(profile, name)) for name in DOCUMENT_FIELDS}
        ignore = ("id", "volunteer_id")
        data["languages"] = [_columns(row, ignore) for row in profile.languages]
        data["availability_windows"] = [_columns(row, ignore) for row in profile.windows]
        data["extra_dates"] = [_columns(row, ignore) for row in profile.extra_dates]
        data["absences"] = [_columns(row, ignore) for row in profile.absences]
        data["trainings"] = [_columns(row, ignore) for row in profile.trainings]
        data["offers"] = _offers(session, user)
        data["assignments"] = _assignments(session, user)
        data.update(_allowances(session, user))
    data["own_notes"] = _own_notes(session, user)
    data["mails"] = _mails(session, user)
    data["sessions"] = [{"signed_in": _plain(row.created_at), "last_used": _plain(row.last_seen_at),
                         "ended": _plain(row.ended_at), "address": row.address, "browser": row.user_agent}
                        for row in session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                                                   .order_by(UserSession.created_at))]
    data["audit_events"] = [_event(event, user) for event in _events(session, user)]
    return data


def _request_summary(request: HelpRequest) -> dict:
    """What the volunteer was asked to do (no case numbers: they are the agency's)."""
    return {"starts_at": _plain(request.starts_at), "ends_at": _plain(request.ends_at), "kind": request.kind.value,
            "language": request.language, "mode": request.mode.value, "town": request.town,
            "topic": request.topic.value}


def _offers(session: Session, user: User) -> list[dict]:
    rows = session.scalars(select(Offer).where(Offer.volunteer_id == user.id).order_by(Offer.created_at))
    return [{"request": _request_summary(o.request), "asked_at": _plain(o.created_at), "status": o.status.value,
             "answered_at": _plain(o.answered_at), "decline_reason": _plain(o.decline_reason),
             "distance_km": o.distance_km} for o in rows]


def _assignments(session: Session, user: User) -> list[dict]:
    rows = session.scalars(select(Assignment).where(Assignment.volunteer_id == user.id)
                           .order_by(Assignment.starts_at))
    return [{"request": _request_summary(a.request), "status": a.status.value, "confirmed_at": _plain(a.confirmed_at),
             "ended_at": _plain(a.ended_at),
             # the reason is theirs when they stepped back; otherwise it is someone else's words
             "your_reason": a.end_reason if a.status is AssignmentStatus.WITHDRAWN else "",
             "minutes": a.actual_minutes, "travel_km": a.travel_km} for a in rows]


def _allowances(session: Session, user: User) -> dict:
    """Bank details, assignment records with every version, statements."""
    details = session.get(PayoutDetails, user.id)
    records = session.scalars(select(AssignmentRecord).where(AssignmentRecord.volunteer_id == user.id)
                              .order_by(AssignmentRecord.starts_at))
    statements = session.scalars(select(Statement).where(Statement.volunteer_id == user.id)
                                 .order_by(Statement.year, Statement.month))
    return {
        "bank_details": _columns(details, ("volunteer_id",)) if details else None,
        "assignment_records": [{
            "status": r.status.value, "programme": r.programme.name if r.programme else None,
            "versions": [_columns(v, ("id", "record_id", "recorded_by_id")) for v in r.versions]} for r in records],
        "statements": [{"year": s.year, "month": s.month, "status": s.status.value, "total": _plain(s.total),
                        "minutes": s.minutes, "approved_at": _plain(s.approved_at)} for s in statements],
    }


def _own_notes(session: Session, user: User) -> list[dict]:
    """What the person wrote into requests' histories (reasons for stepping back, notes on records)."""
    rows = session.scalars(select(RequestEvent).where(RequestEvent.actor_id == user.id, RequestEvent.note != "")
                           .order_by(RequestEvent.at))
    return [{"at": _plain(e.at), "step": e.action, "note": e.note} for e in rows]


def _mails(session: Session, user: User) -> list[dict]:
    rows = session.scalars(select(OutboxMessage).where(
        or_(OutboxMessage.user_id == user.id, OutboxMessage.recipient == user.email))
        .order_by(OutboxMessage.created_at, OutboxMessage.id))
    return [{"created_at": _plain(m.created_at), "sent_at": _plain(m.sent_at), "status": m.status.value,
             "kind": m.kind, "to": m.recipient, "subject": (m.payload or {}).get("subject", ""),
             "text": (m.payload or {}).get("body", "")} for m in rows]


def _volunteer_profile(session: Session, user: User) -> VolunteerProfile:
    if user.role is not Role.VOLUNTEER:
        raise PrivacyError(_("Only volunteers' data can be deleted here."))
    profile = profile_of(session, user)
    if profile.anonymized_at is not None:
        raise PrivacyError(_("This volunteer's data has already been deleted."))
    return profile


def request_deletion(session: Session, user: User) -> bool:
    """The volunteer asks for their data to be deleted; the office's coordinators are told. False if asked before."""
    profile = _volunteer_profile(session, user)
    if profile.deletion_requested_at is not None:
        return False
    profile.deletion_requested_at = clock.now()
    record(session, "volunteer.deletion_requested", actor=user, subject=user, office_id=profile.office_id)
    url = external_url("volunteers.show_volunteer", user_id=user.id)
    for coordinator in coordinators_of(session, profile.office_id):
        queue_mail(session, coordinator.email, "volunteers/deletion_requested", coordinator.locale, volunteer=user,
                   requested_at=profile.deletion_requested_at, url=url)
    return True


def _reset(profile: VolunteerProfile) -> None:
    """Every profile column not kept for statistics goes back to its empty default.

    Deny by default: a column added later is wiped unless someone decides it is anonymous.
    """
    for column in VolunteerProfile.__table__.columns:
        if column.key in KEPT_PROFILE_FIELDS:
            continue
        default = column.default
        if default is None:
            value = None
        elif default.is_callable:
            value = default.arg(None)  # SQLAlchemy wraps plain callables to take an execution context
        else:
            value = default.arg
        setattr(profile, column.key, value)


def _scrub(payload: dict, said: re.Pattern, instead: str) -> dict:
    """A mail's subject, text and text attachments with every mention of the person replaced."""
    attachments = [{**item, "text": said.sub(instead, item["text"])} if isinstance(item.get("text"), str) else item
                   for item in payload.get("attachments") or []]
    return {**payload, "subject": said.sub(instead, payload.get("subject") or ""),
            "body": said.sub(instead, payload.get("body") or ""), "attachments": attachments}


def _erase_from_others_mails(session: Session, user: User, email: str, phone: str) -> None:
    """Mails to others that name the person (a coordinator's or an agency's copy, sent or still waiting) keep
    their text without the person's name, first name, address or phone."""
    said = [value for value in {user.name.strip(), user.first_name.strip(), email.strip(), phone.strip()}
            if len(value) >= 2]
    if not said:
        return
    pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, sorted(said, key=len, reverse=True))) + r")(?!\w)",
                         re.IGNORECASE)
    session.flush()
    naming = select(outbox_mentions.c.message_id).where(outbox_mentions.c.user_id == user.id)
    for message in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(naming))):
        message.payload = _scrub(message.payload or {}, pattern, placeholder_name(user.id))


def _erase_traces(session: Session, user: User, email: str, phone: str = "") -> None:
    """What else names the person: mails to them (text and address) and others' mails that name them, their
    notes in requests' histories, the reasons their assignments ended and the notes on offers made to them,
    their sessions."""
    _erase_from_others_mails(session, user, email, phone)
    placeholder = placeholder_email(user.id)
    session.execute(update(OutboxMessage).where(
        or_(OutboxMessage.user_id == user.id, OutboxMessage.recipient == email),
        OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED]))
        .values(status=OutboxStatus.CANCELLED).execution_options(synchronize_session=False))
    session.execute(update(OutboxMessage).where(
        or_(OutboxMessage.user_id == user.id, OutboxMessage.recipient == email))
        .values(recipient=placeholder, payload={"subject": "", "body": "", "attachments": []})
        .execution_options(synchronize_session=False))
    session.execute(update(RequestEvent).where(RequestEvent.actor_id == user.id).values(note="")
                    .execution_options(synchronize_session=False))
    session.execute(update(Assignment).where(Assignment.volunteer_id == user.id).values(end_reason="")
                    .execution_options(synchronize_session=False))
    session.execute(update(Offer).where(Offer.volunteer_id == user.id).values(override_note="")
                    .execution_options(synchronize_session=False))
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    # Bank details go; records and statements keep their amounts for the office's accounts (they name the
    # placeholder now), without the notes the person wrote on them.
    session.execute(delete(PayoutDetails).where(PayoutDetails.volunteer_id == user.id))
    session.execute(update(RecordVersion).where(RecordVersion.recorded_by_id == user.id).values(note="")
                    .execution_options(synchronize_session=False))


def anonymize(session: Session, actor: User, user: User) -> None:
    """Carry out a deletion: personal data goes, anonymous statistics stay (GDPR Art. 17)."""
    if not can_manage_user(actor, user) or actor.id == user.id:
        raise PrivacyError(_("You may not change this account."))
    profile = _volunteer_profile(session, user)
    _erase_traces(session, user, user.email, profile.phone)
    # Queued before the address is replaced: the confirmation must reach the person it is about. Its own
    # text and address go as soon as it is sent (outbox.SCRUB_AFTER_SENDING).
    queue_mail(session, user.email, "volunteers/data_deleted", user.locale, user=user, office=profile.office)
    requested = profile.deletion_requested_at is not None

    user.name = placeholder_name(user.id)
    user.email = placeholder_email(user.id)
    user.password_hash = None
    user.status = UserStatus.DEACTIVATED
    user.last_login_at = None
    user.email_verified_at = None
    user.calendar_token = None
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    user.recovery_codes = []
    user.revoke_sessions()

    _reset(profile)
    profile.windows.clear()
    profile.extra_dates.clear()
    profile.absences.clear()
    profile.trainings.clear()
    for entry in profile.languages:
        # Code and level count; a rare dialect beside a small municipality could point to one person.
        entry.varieties = []
    profile.anonymized_at = clock.now()

    # The events stay so the log keeps its sequence, but their details may quote the removed data.
    session.execute(update(AuditEvent)
                    .where(AuditEvent.subject_type.in_(SUBJECT_TYPES), AuditEvent.subject_id == user.id)
                    .values(details={}), execution_options={"synchronize_session": "fetch"})
    session.execute(update(AuditEvent).where(AuditEvent.actor_id == user.id).values(ip_address=""),
                    execution_options={"synchronize_session": "fetch"})
    record(session, "volunteer.anonymized", actor=actor, subject=user, office_id=profile.office_id,
           details={"requested_by_volunteer": requested})
    session.flush()

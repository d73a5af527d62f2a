"""Reminders are rows, not timers: scheduled into the outbox when something happens, or found by a job.

Each reminder has an idempotency key per (subject, kind), so however often a job looks, it is sent once.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lotsen.assignments.models import Assignment
from lotsen.auth.models import Role, User, UserStatus
from lotsen.notifications import outbox
from lotsen.notifications.models import OutboxMessage
from lotsen.notifications.outbox import queue_mail
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Office
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import HelpRequest
from lotsen.urls import external_url
from lotsen.volunteers.models import VolunteerProfile, add_years

MONTHLY_HOUR = 9  # local time the monthly availability reminder goes out


def subject_of(assignment: Assignment) -> str:
    return f"assignment:{assignment.id}"


def schedule_for(session: Session, assignment: Assignment, *, now: dt.datetime) -> None:
    """The volunteer's reminders before the assignment, and the request to record it afterwards."""
    request, volunteer = assignment.request, assignment.volunteer
    subject = subject_of(assignment)
    common = {"subject": subject, "to_user": volunteer, "office_id": request.office_id, "recipient": volunteer,
              "req": request, "assignment": assignment}
    for hours in office_settings.value(request.office, "reminder_hours_before"):
        due = assignment.starts_at - dt.timedelta(hours=hours)
        if due > now:
            queue_mail(session, volunteer.email, "reminders/before", volunteer.locale, due_at=due,
                       key=f"{subject}|reminders/before|{hours}h", hours=hours, **common)
    after = office_settings.value(request.office, "took_place_after_minutes")
    queue_mail(session, volunteer.email, "reminders/took_place", volunteer.locale,
               due_at=assignment.ends_at + dt.timedelta(minutes=after), key=f"{subject}|reminders/took_place",
               url=external_url("assignments.record_assignment", assignment_id=assignment.id), **common)


def cancel_for(session: Session, assignment: Assignment) -> int:
    """An assignment that ended early takes its waiting reminders with it."""
    return outbox.cancel(session, subject_of(assignment))


def _existing_keys(session: Session, kind: str, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(session.scalars(select(OutboxMessage.idempotency_key).where(
        OutboxMessage.kind == kind, OutboxMessage.idempotency_key.in_(keys))))


def _coordinators(session: Session) -> dict[int, list[User]]:
    by_office: dict[int, list[User]] = {}
    for user in session.scalars(select(User).where(User.role == Role.COORDINATOR,
                                                   User.status == UserStatus.ACTIVE).order_by(User.id)):
        by_office.setdefault(user.office_id, []).append(user)
    return by_office


def unfilled_alerts(session: Session, *, now: dt.datetime) -> int:
    """Tell the coordinators once about each request that starts soon with nobody confirmed."""
    horizon = office_settings.BY_KEY["unfilled_alert_hours"].maximum  # the widest any office may set
    soon = session.scalars(select(HelpRequest).where(
        HelpRequest.status.in_([RequestStatus.OPEN, RequestStatus.OFFERED, RequestStatus.ACCEPTED]),
        HelpRequest.starts_at > now, HelpRequest.starts_at <= now + dt.timedelta(hours=horizon))
        .options(selectinload(HelpRequest.office))).all()
    soon = [r for r in soon
            if r.starts_at - now <= dt.timedelta(hours=office_settings.value(r.office, "unfilled_alert_hours"))]
    coordinators = _coordinators(session) if soon else {}
    wanted = [(r, c, f"request:{r.id}|reminders/unfilled|{c.id}") for r in soon
              for c in coordinators.get(r.office_id, [])]
    done = _existing_keys(session, "reminders/unfilled", [key for _r, _c, key in wanted])
    queued = 0
    for request, coordinator, key in wanted:
        if key in done:
            continue
        queue_mail(session, coordinator.email, "reminders/unfilled", coordinator.locale, key=key,
                   subject=f"request:{request.id}", to_user=coordinator, office_id=request.office_id,
                   recipient=coordinator, req=request,
                   url=external_url("matching.show_candidates", request_id=request.id))
        queued += 1
    return queued


def availability_checks(session: Session, *, now: dt.datetime, zone: str) -> int:
    """Once a month, ask every active volunteer to check their times and absences."""
    local = now.astimezone(ZoneInfo(zone))
    month = f"{local.year:04d}-{local.month:02d}"
    marker = session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.kind == "reminders/availability", OutboxMessage.idempotency_key.like(f"%|{month}")).limit(1))
    if marker is not None:
        return 0  # this month's round was queued in one transaction: all of it, or none
    due = dt.datetime.combine(local.date().replace(day=1), dt.time(MONTHLY_HOUR), ZoneInfo(zone))
    due = max(due.astimezone(dt.timezone.utc), now)
    volunteers = session.scalars(
        select(User).join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .where(User.role == Role.VOLUNTEER, User.status == UserStatus.ACTIVE,
               VolunteerProfile.vetted_at.is_not(None), VolunteerProfile.anonymized_at.is_(None))).all()
    url = external_url("volunteers.show_profile")
    for volunteer in volunteers:
        queue_mail(session, volunteer.email, "reminders/availability", volunteer.locale, due_at=due,
                   key=f"volunteer:{volunteer.id}|reminders/availability|{month}", subject=f"volunteer:{volunteer.id}",
                   to_user=volunteer, office_id=volunteer.office_id, recipient=volunteer, url=url)
    return len(volunteers)


def certificate_warnings(session: Session, *, now: dt.datetime, zone: str) -> int:
    """Tell the coordinators once about each certificate of conduct that is about to expire."""
    today = now.astimezone(ZoneInfo(zone)).date()
    queued = 0
    coordinators = _coordinators(session)
    for office in session.scalars(select(Office).where(Office.id.in_(list(coordinators)))):
        years = office_settings.value(office, "certificate_valid_years")
        days = office_settings.value(office, "expiry_warning_days")
        # Expires within the warning window: checked between (today - years) and (today + days - years).
        expiring = session.scalars(
            select(VolunteerProfile).where(
                VolunteerProfile.office_id == office.id, VolunteerProfile.anonymized_at.is_(None),
                VolunteerProfile.certificate_checked_on > add_years(today, -years),
                VolunteerProfile.certificate_checked_on <= add_years(today + dt.timedelta(days=days), -years))
            .options(selectinload(VolunteerProfile.user))).all()
        wanted = [(p, c, f"volunteer:{p.user_id}|reminders/certificate_expiring|{p.certificate_expires_on(years)}"
                         f"|{c.id}") for p in expiring for c in coordinators[office.id]]
        done = _existing_keys(session, "reminders/certificate_expiring", [key for _p, _c, key in wanted])
        for profile, coordinator, key in wanted:
            if key in done or profile.user.status is not UserStatus.ACTIVE:
                continue
            queue_mail(session, coordinator.email, "reminders/certificate_expiring", coordinator.locale, key=key,
                       subject=f"volunteer:{profile.user_id}", to_user=coordinator, office_id=office.id,
                       recipient=coordinator, volunteer=profile.user,
                       expires_on=profile.certificate_expires_on(years),
                       url=external_url("volunteers.show_volunteer", user_id=profile.user_id))
            queued += 1
    return queued

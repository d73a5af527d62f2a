"""The coordinator's volunteer directory: filters, and the same list as CSV."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session, selectinload

from lotsen import languages as catalogue
from lotsen.auth.models import Role, User, UserStatus
from lotsen.offices import settings as office_settings
from lotsen.spreadsheets import csv_text
from lotsen.offices.models import Office
from lotsen.volunteers.models import VolunteerLanguage, VolunteerProfile, add_years
from lotsen.volunteers.services import is_matchable, is_paused_on, matchable_clause

PER_PAGE = 50
STATUSES = ("matchable", "paused", "incomplete", "pending", "invited", "deactivated")
DOCUMENTS = ("expiring", "missing")


@dataclass
class Filters:
    q: str = ""
    language: str = ""
    municipality_id: int | None = None
    mode: str = ""
    status: str = ""
    documents: str = ""


def query(viewer: User, filters: Filters, *, today: dt.date, office: Office | None):
    """``select(User, VolunteerProfile)`` for the viewer's volunteers, filtered."""
    stmt = (select(User, VolunteerProfile).join(VolunteerProfile, VolunteerProfile.user_id == User.id)
            .where(User.role == Role.VOLUNTEER, VolunteerProfile.anonymized_at.is_(None)))
    # users.office_id repeats the profile's office: the office's part of the users is read, in name order.
    if not viewer.is_admin:
        stmt = stmt.where(VolunteerProfile.office_id == viewer.office_id, User.office_id == viewer.office_id)
    elif office is not None:
        stmt = stmt.where(VolunteerProfile.office_id == office.id, User.office_id == office.id)
    if filters.q:
        wanted = filters.q.strip().lower()
        stmt = stmt.where(or_(func.lower(User.name).contains(wanted, autoescape=True),
                              User.email.contains(wanted, autoescape=True)))
    if filters.language:
        stmt = stmt.where(exists().where(VolunteerLanguage.volunteer_id == VolunteerProfile.user_id,
                                         VolunteerLanguage.language == filters.language))
    if filters.municipality_id:
        stmt = stmt.where(VolunteerProfile.municipality_id == filters.municipality_id)
    if filters.mode in ("on_site", "by_phone", "by_video"):
        stmt = stmt.where(getattr(VolunteerProfile, filters.mode).is_(True))
    paused = and_(VolunteerProfile.is_paused.is_(True),
                  or_(VolunteerProfile.paused_until.is_(None), VolunteerProfile.paused_until > today))
    status_clauses = {
        "matchable": and_(matchable_clause(), not_(paused)),
        "paused": paused,
        "incomplete": and_(User.status == UserStatus.ACTIVE, not_(matchable_clause())),
        "pending": User.status == UserStatus.PENDING,
        "invited": User.status == UserStatus.INVITED,
        "deactivated": User.status == UserStatus.DEACTIVATED,
    }
    if filters.status in status_clauses:
        stmt = stmt.where(status_clauses[filters.status])
    if filters.documents == "missing":
        stmt = stmt.where(or_(VolunteerProfile.declaration_signed_on.is_(None),
                              VolunteerProfile.certificate_checked_on.is_(None)))
    elif filters.documents == "expiring":
        years = office_settings.value(office, "certificate_valid_years")
        warn = office_settings.value(office, "expiry_warning_days")
        cutoff = add_years(today + dt.timedelta(days=warn), -years)
        stmt = stmt.where(VolunteerProfile.certificate_checked_on <= cutoff)
    return stmt.options(selectinload(VolunteerProfile.languages), selectinload(VolunteerProfile.municipality),
                        selectinload(VolunteerProfile.trainings))


def search(session: Session, viewer: User, filters: Filters, *, today: dt.date, office: Office | None,
           page: int = 1):
    stmt = query(viewer, filters, today=today, office=office)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.execute(stmt.order_by(func.lower(User.name), User.id).limit(PER_PAGE)
                           .offset((page - 1) * PER_PAGE)).all()
    return rows, total


def language_summary(profile: VolunteerProfile) -> str:
    return ", ".join(f"{catalogue.name(entry.language)} ({entry.level.title})" for entry in profile.languages)


CSV_HEADER = ["name", "email", "phone", "status", "matchable", "paused", "municipality", "postcode",
              "radius_km", "languages", "roles", "modes", "german_level", "declaration_signed_on",
              "certificate_checked_on", "certificate_expires_on", "basic_training_on"]


def to_csv(session: Session, viewer: User, filters: Filters, *, today: dt.date, office: Office | None) -> str:
    """The filtered directory as CSV (UTF-8 with BOM, semicolons: opens cleanly in German spreadsheets)."""
    return csv_text([CSV_HEADER, *_csv_rows(session, viewer, filters, today=today, office=office)])


def _csv_rows(session: Session, viewer: User, filters: Filters, *, today: dt.date, office: Office | None):
    stmt = query(viewer, filters, today=today, office=office).order_by(func.lower(User.name), User.id)
    for user, profile in session.execute(stmt):
        years = office_settings.value(profile_office(session, profile, office), "certificate_valid_years")
        expires = profile.certificate_expires_on(years)
        basic = min((t.completed_on for t in profile.trainings if t.kind.value == "basic"), default=None)
        yield [
            user.name, user.email, profile.phone, user.status.value, "yes" if is_matchable(profile) else "no",
            "yes" if is_paused_on(profile, today) else "no",
            profile.municipality.name if profile.municipality else "", profile.postcode, profile.travel_radius_km,
            "; ".join(f"{e.language}:{e.level.value}" + (f":{'+'.join(e.varieties)}" if e.varieties else "")
                      for e in profile.languages),
            "+".join(r for r, on in (("guide", profile.is_guide), ("interpreter", profile.is_interpreter)) if on),
            "+".join(m.value for m in profile.modes()),
            profile.german_level.value if profile.german_level else "",
            profile.declaration_signed_on or "", profile.certificate_checked_on or "", expires or "", basic or "",
        ]


def profile_office(session: Session, profile: VolunteerProfile, office: Office | None) -> Office:
    return office if office is not None and office.id == profile.office_id else session.get(Office, profile.office_id)

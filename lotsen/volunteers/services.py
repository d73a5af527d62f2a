"""Keeping a volunteer's profile: every change checked, and recorded when someone else makes it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from lotsen import clock
from lotsen import languages as catalogue
from lotsen.audit.services import record
from lotsen.auth.models import User, UserStatus
from lotsen.errors import DomainError
from lotsen.geo import services as places
from lotsen.i18n import _
from lotsen.languages import LanguageLevel
from lotsen.matching import counts
from lotsen.volunteers.availability import Window, merge, ranges_overlap
from lotsen.volunteers.models import (
    Absence,
    AbsenceReason,
    AvailabilityWindow,
    ExtraDate,
    Gender,
    Mode,
    Topic,
    Training,
    TrainingKind,
    VolunteerLanguage,
    VolunteerProfile,
)


class ProfileError(DomainError):
    """A refused change to a volunteer's profile."""


def profile_of(session: Session, user: User) -> VolunteerProfile:
    """The volunteer's profile, created on first use."""
    profile = session.get(VolunteerProfile, user.id)
    if profile is None:
        profile = VolunteerProfile(user=user, user_id=user.id, office_id=user.office_id, topics_willing=[],
                                   topics_excluded=[])
        session.add(profile)
        session.flush()
    return profile


def phone_of(session: Session, user_id: int) -> str:
    """A volunteer's phone number (what the agency and the office are given to reach them)."""
    return session.scalar(select(VolunteerProfile.phone).where(VolunteerProfile.user_id == user_id)) or ""


def matchable_clause():
    """SQL: vetted, account active, declaration signed, not anonymised (pauses are checked per date)."""
    return and_(User.status == UserStatus.ACTIVE, VolunteerProfile.vetted_at.is_not(None),
                VolunteerProfile.declaration_signed_on.is_not(None), VolunteerProfile.anonymized_at.is_(None))


def is_matchable(profile: VolunteerProfile) -> bool:
    return (profile.user.status is UserStatus.ACTIVE and profile.vetted_at is not None
            and profile.declaration_signed_on is not None and profile.anonymized_at is None)


def is_paused_on(profile: VolunteerProfile, day: dt.date) -> bool:
    return profile.is_paused and (profile.paused_until is None or day < profile.paused_until)


def _plain(value):
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _track(session: Session, actor: User, profile: VolunteerProfile, section: str, changes: dict) -> None:
    """Record a change; the audit log says who changed what, for the volunteer's own changes too."""
    changes = {key: {"from": _plain(old), "to": _plain(new)} for key, (old, new) in changes.items() if old != new}
    if changes:
        record(session, "volunteer.profile_changed", actor=actor, subject=profile.user,
               office_id=profile.office_id,
               details={"section": section, "by_someone_else": actor.id != profile.user_id, "changes": changes})
        counts.mark_stale(session, profile.office_id)  # who can take the office's requests may have changed


def _apply(session, actor, profile, section: str, values: dict) -> None:
    changes = {key: (getattr(profile, key), value) for key, value in values.items()}
    for key, value in values.items():
        setattr(profile, key, value)
    _track(session, actor, profile, section, changes)


def update_basics(session: Session, actor: User, profile: VolunteerProfile, *, is_guide: bool, is_interpreter: bool,
                  modes: list[str], german_level: str | None, phone: str, gender: str | None) -> None:
    if not (is_guide or is_interpreter):
        raise ProfileError(_("Choose at least one: guide or interpreter."), "roles")
    if not modes:
        raise ProfileError(_("Choose at least one way of helping."), "modes")
    _apply(session, actor, profile, "basics", {
        "is_guide": is_guide, "is_interpreter": is_interpreter, "on_site": Mode.ON_SITE.value in modes,
        "by_phone": Mode.PHONE.value in modes, "by_video": Mode.VIDEO.value in modes,
        "german_level": LanguageLevel(german_level) if german_level else None, "phone": phone.strip(),
        "gender": Gender(gender) if gender else None,
    })


def set_place(session: Session, actor: User, profile: VolunteerProfile, *, postcode: str, municipality: str,
              travel_radius_km: int) -> None:
    """Home postcode (resolved offline), municipality (or one of its local names) and travel radius."""
    point = places.locate(session, profile.office_id, postcode)
    found = places.find_municipality(session, profile.office_id, municipality)
    if municipality.strip() and found is None:
        raise ProfileError(_("%(name)s is not one of the office's municipalities.", name=municipality.strip()),
                           "municipality")
    _apply(session, actor, profile, "place", {
        "postcode": postcode.strip(), "latitude": point.latitude, "longitude": point.longitude,
        "municipality_id": found.id if found else None, "travel_radius_km": travel_radius_km,
    })


def _check_varieties(code: str, varieties: list[str]) -> list[str]:
    allowed = {c for c, _label in catalogue.varieties(code)}
    unknown = set(varieties) - allowed
    if unknown:
        raise ProfileError(_("Choose varieties from the list."), "varieties")
    return sorted(varieties)


def add_language(session: Session, actor: User, profile: VolunteerProfile, *, language: str, level: str,
                 varieties: list[str] | None = None) -> VolunteerLanguage:
    code = catalogue.resolve(language)
    if code is None:
        raise ProfileError(_("Choose a language from the list."), "language")
    if any(entry.language == code for entry in profile.languages):
        raise ProfileError(_("%(language)s is already in your profile.", language=catalogue.name(code)),
                           "language")
    entry = VolunteerLanguage(language=code, level=LanguageLevel(level),
                              varieties=_check_varieties(code, varieties or []))
    profile.languages.append(entry)
    session.flush()
    _track(session, actor, profile, "languages", {code: (None, level)})
    return entry


def update_language(session: Session, actor: User, profile: VolunteerProfile, entry_id: int, *, level: str,
                    varieties: list[str]) -> None:
    entry = _own(profile.languages, entry_id)
    before = (entry.level.value, list(entry.varieties))
    entry.level = LanguageLevel(level)
    entry.varieties = _check_varieties(entry.language, varieties)
    _track(session, actor, profile, "languages", {entry.language: (before, (level, entry.varieties))})


def remove_language(session: Session, actor: User, profile: VolunteerProfile, entry_id: int) -> None:
    entry = _own(profile.languages, entry_id)
    profile.languages.remove(entry)
    _track(session, actor, profile, "languages", {entry.language: (entry.level.value, None)})


def _own(rows, row_id: int):
    for row in rows:
        if row.id == row_id:
            return row
    raise ProfileError(_("This entry does not exist."))


def _windows(profile: VolunteerProfile) -> list[Window]:
    return [Window(w.weekday, w.starts, w.ends, w.valid_from, w.valid_until) for w in profile.windows]


def _store_windows(session, actor, profile, windows: list[Window]) -> None:
    before = [_describe(w) for w in _windows(profile)]
    merged = merge(windows)
    profile.windows[:] = [AvailabilityWindow(weekday=w.weekday, starts=w.starts, ends=w.ends,
                                             valid_from=w.valid_from, valid_until=w.valid_until) for w in merged]
    session.flush()
    _track(session, actor, profile, "availability", {"weekly": (before, [_describe(w) for w in merged])})


def _describe(window: Window) -> str:
    text = f"{window.weekday}:{window.starts:%H:%M}-{window.ends:%H:%M}"
    if window.valid_from or window.valid_until:
        text += f" ({window.valid_from or ''}..{window.valid_until or ''})"
    return text


WINDOW_PROBLEMS = {
    "order": ("ends", lambda: _("The end must be after the start.")),
    "validity": ("valid_until", lambda: _("The last day must not be before the first day.")),
    "weekday": ("weekday", lambda: _("Choose a weekday.")),
}


def add_window(session: Session, actor: User, profile: VolunteerProfile, window: Window) -> None:
    """Add a weekly window; overlapping or touching windows are merged."""
    for problem in window.problems():
        field, message = WINDOW_PROBLEMS[problem]
        raise ProfileError(message(), field)
    _store_windows(session, actor, profile, _windows(profile) + [window])


def remove_window(session: Session, actor: User, profile: VolunteerProfile, window_id: int) -> None:
    target = _own(profile.windows, window_id)
    _store_windows(session, actor, profile, [Window(w.weekday, w.starts, w.ends, w.valid_from, w.valid_until)
                                             for w in profile.windows if w is not target])


def add_extra_date(session: Session, actor: User, profile: VolunteerProfile, *, day: dt.date, starts: dt.time,
                   ends: dt.time, today: dt.date) -> None:
    if ends <= starts:
        raise ProfileError(_("The end must be after the start."), "ends")
    if day < today:
        raise ProfileError(_("The date lies in the past."), "day")
    profile.extra_dates.append(ExtraDate(day=day, starts=starts, ends=ends))
    session.flush()
    _track(session, actor, profile, "availability", {"extra_date": (None, f"{day} {starts:%H:%M}-{ends:%H:%M}")})


def remove_extra_date(session: Session, actor: User, profile: VolunteerProfile, row_id: int) -> None:
    row = _own(profile.extra_dates, row_id)
    profile.extra_dates.remove(row)
    _track(session, actor, profile, "availability", {"extra_date": (f"{row.day}", None)})


def add_absence(session: Session, actor: User, profile: VolunteerProfile, *, starts_on: dt.date, ends_on: dt.date,
                reason: str) -> None:
    if ends_on < starts_on:
        raise ProfileError(_("The last day must not be before the first day."), "ends_on")
    if any(ranges_overlap(starts_on, ends_on, a.starts_on, a.ends_on) for a in profile.absences):
        raise ProfileError(_("This overlaps an absence you already entered."), "starts_on")
    profile.absences.append(Absence(starts_on=starts_on, ends_on=ends_on, reason=AbsenceReason(reason)))
    session.flush()
    _track(session, actor, profile, "availability", {"absence": (None, f"{starts_on}..{ends_on}")})


def remove_absence(session: Session, actor: User, profile: VolunteerProfile, row_id: int) -> None:
    row = _own(profile.absences, row_id)
    profile.absences.remove(row)
    _track(session, actor, profile, "availability", {"absence": (f"{row.starts_on}..{row.ends_on}", None)})


def update_limits(session: Session, actor: User, profile: VolunteerProfile, *, max_per_week: int | None,
                  max_per_month: int | None, min_notice_hours: int, topics_willing: list[str],
                  topics_excluded: list[str], short_notice: bool = False) -> None:
    if set(topics_willing) & set(topics_excluded):
        raise ProfileError(_("A topic cannot be both wanted and excluded."), "topics_excluded")
    if max_per_week and max_per_month and max_per_month < max_per_week:
        raise ProfileError(_("The monthly limit must not be lower than the weekly one."), "max_per_month")
    valid = {t.value for t in Topic}
    _apply(session, actor, profile, "limits", {
        "max_per_week": max_per_week, "max_per_month": max_per_month, "min_notice_hours": min_notice_hours,
        "short_notice": bool(short_notice),
        "topics_willing": sorted(set(topics_willing) & valid), "topics_excluded": sorted(set(topics_excluded) & valid),
    })


def pause(session: Session, actor: User, profile: VolunteerProfile, *, until: dt.date | None, today: dt.date) -> None:
    """Stop being asked, until a return date or until resumed."""
    if until is not None and until <= today:
        raise ProfileError(_("The return date must lie in the future."), "until")
    _apply(session, actor, profile, "pause", {"is_paused": True, "paused_until": until})


def resume(session: Session, actor: User, profile: VolunteerProfile) -> None:
    _apply(session, actor, profile, "pause", {"is_paused": False, "paused_until": None})


def update_documents(session: Session, actor: User, profile: VolunteerProfile, *,
                     declaration_signed_on: dt.date | None, certificate_checked_on: dt.date | None,
                     coordinator_notes: str, today: dt.date) -> None:
    """Declarations and certificate: coordinators only (the views check the role)."""
    for field, value in (("declaration_signed_on", declaration_signed_on),
                         ("certificate_checked_on", certificate_checked_on)):
        if value is not None and value > today:
            raise ProfileError(_("The date must not lie in the future."), field)
    _apply(session, actor, profile, "documents", {
        "declaration_signed_on": declaration_signed_on, "certificate_checked_on": certificate_checked_on,
        "coordinator_notes": coordinator_notes.strip(),
    })


def add_training(session: Session, actor: User, profile: VolunteerProfile, *, kind: str, title: str,
                 completed_on: dt.date, today: dt.date) -> None:
    if completed_on > today:
        raise ProfileError(_("The date must not lie in the future."), "completed_on")
    profile.trainings.append(Training(kind=TrainingKind(kind), title=title.strip(), completed_on=completed_on))
    session.flush()
    _track(session, actor, profile, "trainings", {kind: (None, f"{title.strip()} {completed_on}")})


def remove_training(session: Session, actor: User, profile: VolunteerProfile, row_id: int) -> None:
    row = _own(profile.trainings, row_id)
    profile.trainings.remove(row)
    _track(session, actor, profile, "trainings", {row.kind.value: (f"{row.title} {row.completed_on}", None)})


def mark_vetted(profile: VolunteerProfile) -> None:
    if profile.vetted_at is None:
        profile.vetted_at = clock.now()


"""Importing an office's existing volunteer list from CSV: read, check every row, then write all or nothing.

``parse`` needs no database: bytes in, rows with their format errors out. ``check`` adds what
only the database knows (accounts, places) and decides each row's action without writing.
``import_rows`` checks again and writes every row through the profile services, or raises
``ImportRefused`` and writes nothing.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import zlib

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lotsen import clock
from lotsen.audit.services import record
from lotsen.auth.models import Role, User, UserStatus
from lotsen.auth.services import send_invitation
from lotsen.geo import services as places
from lotsen.i18n import _
from lotsen.offices.models import Office
from lotsen.volunteers import services
from lotsen.volunteers.csv_sheet import (
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    PROFILE_COLUMNS,
    ImportFileError,
    ImportRefused,
    Language,
    Row,
    Sheet,
    parse,
)
from lotsen.volunteers.models import TrainingKind, VolunteerProfile

# The views and tests read the file format from here too.
__all__ = ["COLUMNS", "MAX_BYTES", "MAX_ROWS", "ImportFileError", "ImportRefused", "Sheet", "check", "import_rows",
           "parse", "preview"]


def pack(data: bytes) -> str:
    """The file's bytes as text for a hidden field."""
    return base64.urlsafe_b64encode(zlib.compress(data, 9)).decode("ascii")


def unpack(text: str) -> bytes | None:
    """The bytes ``pack`` produced, or None if the text is not such a packet or unpacks beyond the size limit."""
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(base64.urlsafe_b64decode(text.encode("ascii")), MAX_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error):
        return None
    if inflater.unconsumed_tail or not inflater.eof:
        return None
    return data


def preview(session: Session, office: Office, data: bytes, *, today: dt.date) -> Sheet:
    """The dry run: every row with its action and errors; writes nothing."""
    sheet = parse(data, today=today)
    check(session, office, sheet.rows)
    return sheet


def check(session: Session, office: Office, rows: list[Row]) -> None:
    """Check each row against the database and decide create / update / unchanged / error; writes nothing."""
    emails = [row.fields.email for row in rows if row.fields.email]
    users = {user.email: user for chunk in range(0, len(emails), 500)
             for user in session.scalars(select(User).where(User.email.in_(emails[chunk:chunk + 500])))}
    ours = [user.id for user in users.values() if user.role is Role.VOLUNTEER and user.office_id == office.id]
    profiles = {profile.user_id: profile for chunk in range(0, len(ours), 500) for profile in session.scalars(
        select(VolunteerProfile).where(VolunteerProfile.user_id.in_(ours[chunk:chunk + 500]))
        .options(selectinload(VolunteerProfile.languages), selectinload(VolunteerProfile.trainings)))}
    places_seen: dict[tuple[str, str], object] = {}
    for row in rows:
        row.found_errors, row.changed, row.user = [], [], None
        user = users.get(row.fields.email)
        profile = None
        if user is not None and (user.role is not Role.VOLUNTEER or user.office_id != office.id):
            row.found_errors.append(_("%(column)s: this address belongs to an account that is not a volunteer "
                                      "of this office.", column=row.column("email")))
        elif user is not None:
            row.user, profile = user, profiles.get(user.id)
            if profile is not None and (profile.deletion_requested_at or profile.anonymized_at):
                row.found_errors.append(_("%(column)s: this volunteer has asked for their data to be deleted.",
                                          column=row.column("email")))
        _check_place(session, office, row, profile, places_seen)
        if row.errors:
            row.action = "error"
        elif user is None:
            row.action = "create"
        else:
            row.changed = differences(row, profile)
            row.action = "update" if row.changed else "unchanged"


def _check_place(session: Session, office: Office, row: Row, profile: VolunteerProfile | None,
                 seen: dict) -> None:
    fields = row.fields
    # The same few postcodes and towns recur on every row: ask the gazetteer once for each.
    if fields.postcode is not None:
        if ("postcode", fields.postcode) not in seen:
            try:
                places.locate(session, office.id, fields.postcode)
                seen["postcode", fields.postcode] = True
            except places.PlaceError:
                seen["postcode", fields.postcode] = False
        if not seen["postcode", fields.postcode]:
            row.found_errors.append(_("%(column)s: we do not know the postcode %(postcode)s. Check it; if it is "
                                      "right, add it to the office's places first.",
                                      column=row.column("postcode"), postcode=fields.postcode))
    if fields.municipality is not None:
        key = ("municipality", fields.municipality.casefold())
        if key not in seen:
            found = places.find_municipality(session, office.id, fields.municipality)
            seen[key] = found.id if found else None
        row.municipality_id = seen[key]
        if row.municipality_id is None:
            row.found_errors.append(_("%(column)s: %(name)s is not one of the office's municipalities or local "
                                      "names.", column=row.column("municipality"), name=fields.municipality))
    has_postcode = fields.postcode is not None or (profile is not None and profile.postcode)
    if (fields.municipality is not None or fields.radius_km is not None) and not has_postcode:
        row.found_errors.append(_("%(column)s: a postcode is needed when the row gives a town or a travel "
                                  "radius.", column=row.column("postcode")))


def _current(profile: VolunteerProfile) -> dict:
    return {
        "phone": profile.phone, "postcode": profile.postcode, "municipality": profile.municipality_id,
        "radius_km": profile.travel_radius_km,
        "languages": frozenset(Language(e.language, e.level.value, tuple(sorted(e.varieties)))
                               for e in profile.languages),
        "roles": frozenset(r for r, on in (("guide", profile.is_guide), ("interpreter", profile.is_interpreter))
                           if on),
        "modes": frozenset(mode.value for mode in profile.modes()),
        "german_level": profile.german_level.value if profile.german_level else None,
        "declaration_signed_on": profile.declaration_signed_on,
        "certificate_checked_on": profile.certificate_checked_on,
    }


def differences(row: Row, profile: VolunteerProfile | None) -> list[str]:
    """The profile columns whose value in the row differs from the stored one (all given ones if none is stored)."""
    given = [name for name in PROFILE_COLUMNS if getattr(row.fields, name) is not None]
    if profile is None:
        return given
    current = _current(profile)
    changed = []
    for name in given:
        wanted = row.municipality_id if name == "municipality" else getattr(row.fields, name)
        if name == "basic_training_on":
            # Trainings are a history: the row's basic training is new unless one on that day is recorded.
            done = {t.completed_on for t in profile.trainings if t.kind is TrainingKind.BASIC}
            if wanted not in done:
                changed.append(name)
        elif wanted != current[name]:
            changed.append(name)
    return changed


def import_rows(session: Session, actor: User, office: Office, rows: list[Row], *, send_invitations: bool,
                today: dt.date | None = None, progress=None) -> dict[str, int]:
    """Check the rows again and write them all, or raise ImportRefused and write nothing; returns the counts.

    ``progress(done, total)`` is told every few rows (the worker shows it on the waiting page).
    """
    check(session, office, rows)
    if any(row.errors for row in rows):
        raise ImportRefused(rows)
    today = today or clock.today()
    invited = 0
    # The rows' own flushes suffice; autoflushing before every gazetteer query only slows a long import down.
    with session.no_autoflush:
        for number, row in enumerate(rows, 1):
            if progress is not None and number % 25 == 0:
                progress(number, len(rows))
            if row.action == "create":
                user = User(email=row.fields.email, name=row.fields.name, role=Role.VOLUNTEER,
                            status=UserStatus.INVITED, locale=row.fields.locale or "de", office=office,
                            session_version=1)
                session.add(user)
                session.flush()
                profile = services.profile_of(session, user)
                # The office imports its own, already known pool: these volunteers need no vetting.
                services.mark_vetted(profile)
                _write(session, actor, profile, row, today)
                if send_invitations:
                    send_invitation(session, user, actor)
                    invited += 1
            elif row.action == "update":
                _write(session, actor, services.profile_of(session, row.user), row, today)
    counts = {"created": sum(row.action == "create" for row in rows),
              "updated": sum(row.action == "update" for row in rows),
              "unchanged": sum(row.action == "unchanged" for row in rows)}
    record(session, "volunteer.imported", actor=actor, subject=office, office_id=office.id,
           details={**counts, "invitations_sent": invited})
    return counts


def _write(session: Session, actor: User, profile: VolunteerProfile, row: Row, today: dt.date) -> None:
    """Write the row's changed columns through the profile services, so each change is audited as usual."""
    fields, changed, current = row.fields, set(differences(row, profile)), _current(profile)
    if changed & {"phone", "roles", "modes", "german_level"}:
        roles = fields.roles if fields.roles is not None else current["roles"]
        services.update_basics(
            session, actor, profile, is_guide="guide" in roles, is_interpreter="interpreter" in roles,
            modes=sorted(fields.modes if fields.modes is not None else current["modes"]),
            german_level=fields.german_level or current["german_level"],
            phone=fields.phone if fields.phone is not None else profile.phone,
            gender=profile.gender.value if profile.gender else None)
    if changed & {"postcode", "municipality", "radius_km"}:
        municipality = fields.municipality if fields.municipality is not None else (
            profile.municipality.name if profile.municipality else "")
        services.set_place(session, actor, profile, postcode=fields.postcode or profile.postcode,
                           municipality=municipality,
                           travel_radius_km=fields.radius_km if fields.radius_km is not None
                           else profile.travel_radius_km)
    if "languages" in changed:
        _replace_languages(session, actor, profile, fields.languages)
    if changed & {"declaration_signed_on", "certificate_checked_on"}:
        services.update_documents(
            session, actor, profile,
            declaration_signed_on=fields.declaration_signed_on or profile.declaration_signed_on,
            certificate_checked_on=fields.certificate_checked_on or profile.certificate_checked_on,
            coordinator_notes=profile.coordinator_notes, today=today)
    if "basic_training_on" in changed:
        services.add_training(session, actor, profile, kind=TrainingKind.BASIC.value, title="",
                              completed_on=fields.basic_training_on, today=today)


def _replace_languages(session: Session, actor: User, profile: VolunteerProfile,
                       languages: frozenset[Language]) -> None:
    wanted = {language.code: language for language in languages}
    for entry in list(profile.languages):
        if entry.language not in wanted:
            services.remove_language(session, actor, profile, entry.id)
    for code, language in sorted(wanted.items()):
        entry = next((e for e in profile.languages if e.language == code), None)
        if entry is None:
            services.add_language(session, actor, profile, language=code, level=language.level,
                                  varieties=list(language.varieties))
        elif (entry.level.value, tuple(sorted(entry.varieties))) != (language.level, language.varieties):
            services.update_language(session, actor, profile, entry.id, level=language.level,
                                     varieties=list(language.varieties))

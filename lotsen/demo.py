"""Demo data: two offices, their agencies, and one person of every role. Marked as demo."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lotsen.auth.models import Role, User, UserStatus
from lotsen.auth.passwords import hash_password
from lotsen.offices.models import Agency, AgencyType, Municipality, Office, OfficeKind

DEMO_PASSWORD = "lotsen-demo-2026"

KREIS_OFFENBACH = [
    "Dietzenbach", "Dreieich", "Egelsbach", "Hainburg", "Heusenstamm", "Langen (Hessen)", "Mainhausen",
    "Mühlheim am Main", "Neu-Isenburg", "Obertshausen", "Rodgau", "Rödermark", "Seligenstadt",
]

AGENCIES = [
    # name, type, postcode, town, office slugs
    ("Jobcenter Kreis Offenbach (Demo)", AgencyType.JOBCENTER, "63128", "Dietzenbach", ["kreis-offenbach"]),
    ("Rettungsdienst Kreis Offenbach (Demo)", AgencyType.RESCUE_SERVICE, "63128", "Dietzenbach", ["kreis-offenbach"]),
    ("Gesundheitsamt Kreis Offenbach (Demo)", AgencyType.HEALTH_OFFICE, "63128", "Dietzenbach", ["kreis-offenbach"]),
    ("Kita Sonnenblume Rodgau (Demo)", AgencyType.KITA, "63110", "Rodgau", ["kreis-offenbach"]),
    ("Jobcenter Osnabrück (Demo)", AgencyType.JOBCENTER, "49074", "Osnabrück", ["stadt-osnabrueck"]),
    ("Klinikum Osnabrück (Demo)", AgencyType.HOSPITAL, "49076", "Osnabrück", ["stadt-osnabrueck"]),
    ("Migrationsberatung (Demo)", AgencyType.COUNSELLING, "63065", "Offenbach am Main",
     ["kreis-offenbach", "stadt-osnabrueck"]),
]

USERS = [
    # email, name, role, status, office slug, agency name, locale
    ("admin@lotsen.example", "Alex Admin", Role.ADMIN, UserStatus.ACTIVE, None, None, "de"),
    ("koordination@kreis-offenbach.example", "Sabine Krämer", Role.COORDINATOR, UserStatus.ACTIVE,
     "kreis-offenbach", None, "de"),
    ("koordination@osnabrueck.example", "Jan Meyer", Role.COORDINATOR, UserStatus.ACTIVE, "stadt-osnabrueck", None,
     "de"),
    ("fachkraft@jobcenter-offenbach.example", "Petra Schulz", Role.CASEWORKER, UserStatus.ACTIVE, None,
     "Jobcenter Kreis Offenbach (Demo)", "de"),
    ("fachkraft@klinikum-osnabrueck.example", "Tobias Brandt", Role.CASEWORKER, UserStatus.ACTIVE, None,
     "Klinikum Osnabrück (Demo)", "de"),
    ("lotsin@kreis-offenbach.example", "Amina Haddad", Role.VOLUNTEER, UserStatus.ACTIVE, "kreis-offenbach", None,
     "de"),
    ("lotse@osnabrueck.example", "Reza Ahmadi", Role.VOLUNTEER, UserStatus.ACTIVE, "stadt-osnabrueck", None, "en"),
    ("neu@kreis-offenbach.example", "Dmytro Kovalenko", Role.VOLUNTEER, UserStatus.PENDING, "kreis-offenbach", None,
     "en"),
]


def seed(session: Session) -> bool:
    """Create the demo data unless it exists; returns whether anything was created."""
    if session.scalar(select(Office).where(Office.slug == "kreis-offenbach")) is not None:
        return False
    offices = {
        "kreis-offenbach": Office(
            name="Integrationsbüro Kreis Offenbach (Demo)", slug="kreis-offenbach", kind=OfficeKind.DISTRICT,
            email="integration@kreis-offenbach.example", phone="06074 0000-0", settings={}, is_demo=True,
            municipalities=[Municipality(name=name) for name in KREIS_OFFENBACH],
        ),
        "stadt-osnabrueck": Office(
            name="Leitstelle Integration Stadt Osnabrück (Demo)", slug="stadt-osnabrueck", kind=OfficeKind.CITY,
            email="integration@osnabrueck.example", phone="0541 000-0", settings={}, is_demo=True,
            municipalities=[Municipality(name="Osnabrück")],
        ),
    }
    session.add_all(offices.values())
    agencies = {}
    for name, agency_type, postcode, town, slugs in AGENCIES:
        agencies[name] = Agency(name=name, type=agency_type, postcode=postcode, town=town, is_demo=True,
                                offices=[offices[slug] for slug in slugs])
    session.add_all(agencies.values())
    password_hash = hash_password(DEMO_PASSWORD)
    for email, name, role, status, slug, agency_name, locale in USERS:
        session.add(User(email=email, name=name, role=role, status=status, locale=locale, is_demo=True,
                         password_hash=password_hash, session_version=1,
                         office=offices[slug] if slug else None,
                         agency=agencies[agency_name] if agency_name else None))
    session.flush()
    return True


def demo_logins(session: Session) -> list[tuple[str, str]]:
    emails = [row[0] for row in USERS]
    users = session.scalars(select(User).where(User.email.in_(emails), User.is_demo.is_(True))).all()
    by_email = {u.email: u for u in users}
    return [(str(by_email[e].role.value), e) for e in emails if e in by_email]

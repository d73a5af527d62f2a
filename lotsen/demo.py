"""Demo data: two offices, their agencies, and one person of every role. Marked as demo."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lotsen import clock, geo
from lotsen.acting import Acting
from lotsen.assignments import answers, confirming, offering
from lotsen.auth.models import Role, User, UserStatus
from lotsen.auth.passwords import hash_password
from lotsen.billing import programmes, records
from lotsen.billing.models import PayoutDetails, Programme, RateVersion, RecordOutcome
from lotsen.billing.rules import Rule, Travel
from lotsen.geo.models import PlaceAlias
from lotsen.languages import LanguageLevel
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Agency, AgencyType, Municipality, Office, OfficeKind
from lotsen.requests.services import RequestData, create_requests
from lotsen.requests.timing import add_working_days
from lotsen.volunteers.models import AvailabilityWindow, Training, TrainingKind, VolunteerLanguage, VolunteerProfile

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
    ("leyla@kreis-offenbach.example", "Leyla Yıldız", Role.VOLUNTEER, UserStatus.ACTIVE, "kreis-offenbach", None, "de"),
    ("sara@kreis-offenbach.example", "Sara Tesfay", Role.VOLUNTEER, UserStatus.ACTIVE, "kreis-offenbach", None, "en"),
    ("olena@kreis-offenbach.example", "Olena Petrenko", Role.VOLUNTEER, UserStatus.ACTIVE, "kreis-offenbach", None,
     "de"),
]

# Local names people use for parts of the Kreis Offenbach municipalities.
ALIASES = {"Ober-Roden": "Rödermark", "Urberach": "Rödermark", "Jügesheim": "Rodgau", "Nieder-Roden": "Rodgau",
           "Sprendlingen": "Dreieich", "Froschhausen": "Seligenstadt", "Klein-Krotzenburg": "Hainburg"}

MORNINGS = [(day, "08:00", "13:00") for day in range(5)]
AFTERNOONS = [(day, "13:00", "18:00") for day in range(5)]

# email: (postcode, municipality, radius, languages [(code, level, varieties)], german, roles, modes, windows,
#         documents complete, paused)
PROFILES = {
    "lotsin@kreis-offenbach.example": ("63128", "Dietzenbach", 15, [("ar", "native", ["apc"]), ("fr", "good", [])],
                                       "fluent", ("guide", "interpreter"), ("on_site", "phone"), MORNINGS, True,
                                       False),
    "lotse@osnabrueck.example": ("49074", "Osnabrück", 10, [("prs", "native", []), ("fa", "fluent", [])], "good",
                                 ("interpreter",), ("on_site", "video"), AFTERNOONS, True, False),
    "neu@kreis-offenbach.example": ("63110", "Rodgau", 20, [("uk", "native", []), ("ru", "fluent", [])], "good",
                                    ("interpreter",), ("on_site", "phone", "video"), AFTERNOONS, False, False),
    "leyla@kreis-offenbach.example": ("63500", "Seligenstadt", 12, [("tr", "native", []), ("kmr", "fluent", [])],
                                      "native", ("guide", "interpreter"), ("on_site",), MORNINGS + AFTERNOONS, True,
                                      False),
    "sara@kreis-offenbach.example": ("63263", "Neu-Isenburg", 8, [("ti", "native", []), ("ar", "basic", ["apd"])],
                                     "good", ("interpreter",), ("on_site", "phone"), AFTERNOONS, True, False),
    "olena@kreis-offenbach.example": ("63303", "Dreieich", 10, [("uk", "native", []), ("ru", "native", [])],
                                      "fluent", ("interpreter",), ("phone", "video"), MORNINGS, True, True),
}


def seed(session: Session) -> bool:
    """Create the demo data unless it exists; returns whether anything was created."""
    if session.scalar(select(Office).where(Office.slug == "kreis-offenbach")) is not None:
        return False
    offices = {
        "kreis-offenbach": Office(
            name="Integrationsbüro Kreis Offenbach (Demo)", slug="kreis-offenbach", kind=OfficeKind.DISTRICT,
            email="integration@kreis-offenbach.example", phone="06074 0000-0", settings={"federal_state": "HE", "payer_name": "Kreis Offenbach – Kreiskasse",
                                                                        "payer_iban": "DE02120300000000202051"},
            is_demo=True,
            municipalities=[Municipality(name=name) for name in KREIS_OFFENBACH],
        ),
        "stadt-osnabrueck": Office(
            name="Leitstelle Integration Stadt Osnabrück (Demo)", slug="stadt-osnabrueck", kind=OfficeKind.CITY,
            email="integration@osnabrueck.example", phone="0541 000-0", settings={"federal_state": "NI"},
            is_demo=True,
            municipalities=[Municipality(name="Osnabrück")],
        ),
    }
    session.add_all(offices.values())
    agencies = {}
    for name, agency_type, postcode, town, slugs in AGENCIES:
        agencies[name] = Agency(name=name, type=agency_type, postcode=postcode, town=town, is_demo=True,
                                offices=[offices[slug] for slug in slugs])
    session.add_all(agencies.values())
    offenbach = offices["kreis-offenbach"]
    by_name = {m.name: m for office in offices.values() for m in office.municipalities}
    session.flush()
    for office in offices.values():
        programmes.create_default(session, office, clock.now())
    _wir_programmes(session, offenbach)
    session.add_all(PlaceAlias(office_id=offenbach.id, alias=alias, municipality=by_name[name])
                    for alias, name in ALIASES.items())
    password_hash = hash_password(DEMO_PASSWORD)
    for email, name, role, status, slug, agency_name, locale in USERS:
        user = User(email=email, name=name, role=role, status=status, locale=locale, is_demo=True,
                    password_hash=password_hash, session_version=1, email_verified_at=clock.now(),
                    office=offices[slug] if slug else None,
                    agency=agencies[agency_name] if agency_name else None)
        if agency_name:  # the demo's agencies each work with one office, which works with its caseworker
            user.caseworker_offices = list(agencies[agency_name].offices)
        session.add(user)
        if email in PROFILES:
            session.add(_profile(user, offices[slug], by_name, *PROFILES[email]))
    session.flush()
    caseworker = session.scalar(select(User).where(User.email == "fachkraft@jobcenter-offenbach.example"))
    _last_month(session, offenbach, agencies["Jobcenter Kreis Offenbach (Demo)"], caseworker)
    _requests(session, offenbach, agencies["Jobcenter Kreis Offenbach (Demo)"], caseworker)
    return True


def _wir_programmes(session: Session, office: Office) -> None:
    """Hessen's WIR programme as the Kreis Offenbach demo pays it: Lotsen by the hour up to a yearly cap, lay
    interpreters a flat amount per assignment, at most five per client."""
    since = dt.date(2000, 1, 1)
    lotsen = Programme(office_id=office.id, name="WIR-Lotsen", kinds=["guide"])
    lotsen.rates.append(RateVersion(valid_from=since, rule_data=Rule(
        per_hour=Decimal("5.00"), step_minutes=15, travel=Travel.NONE, yearly_hour_cap=276).to_json()))
    interpreters = Programme(office_id=office.id, name="WIR-Laiendolmetschende", kinds=["interpreter"])
    interpreters.rates.append(RateVersion(valid_from=since, rule_data=Rule(
        per_hour=Decimal("0"), flat_per_assignment=Decimal("20.00"), travel=Travel.KM, per_km=Decimal("0.30"),
        per_client_cap=5).to_json()))
    session.add_all([lotsen, interpreters])
    own = session.scalar(select(Programme).where(Programme.office_id == office.id,
                                                 Programme.name == programmes.OWN_BUDGET))
    own.kinds = []  # the WIR programmes pay Offenbach's requests; its own budget is chosen per record


def _last_month(session: Session, office: Office, agency: Agency, caseworker: User) -> None:
    """Last month, as it happened: three requests filed, offered, taken, recorded by the volunteer and confirmed
    by the agency through its link, so the coordinator can close the month from records to a SEPA file. The
    same services run as on a real day, each at its moment of last month."""
    zone = clock.zone()
    first = (clock.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    filed_at = dt.datetime.combine(first, dt.time(9), zone).astimezone(dt.timezone.utc)
    holidays = office_settings.holiday_calendar(office)
    coordinator = session.scalar(select(User).where(User.office_id == office.id, User.role == Role.COORDINATOR))
    for n, (language, minutes, km) in enumerate([("ar", 90, 12), ("ar", 120, 8), ("fr", 60, 0)]):
        day = add_working_days(first, 4 + 3 * n, holidays)
        [request] = create_requests(session, caseworker, office, agency, RequestData(
            kind="interpreter", language=language, mode="on_site", topic="health", day=day, start=dt.time(9, 0),
            duration_minutes=minutes, client_reference=f"JC-{first.year}-{first.month:02d}{n + 1:02d}",
            contact_name="Petra Schulz", contact_phone="06074 0000-10", postcode="63128", town="Dietzenbach",
            street="Werner-Hilpert-Straße 1"), now=filed_at, zone=zone)
        session.flush()
        as_coordinator = Acting(coordinator, filed_at + dt.timedelta(hours=1), str(zone.key), "demo")
        best = offering.next_candidates(session, as_coordinator, request, 1)
        if not best:
            continue
        offer, = offering.make_offers(session, as_coordinator, request.id, best)
        answers.accept(session, as_coordinator.by(offer.volunteer), offer.id)
        assignment = confirming.confirm(session, as_coordinator, offer.id)
        after = Acting(offer.volunteer, request.ends_at + dt.timedelta(hours=1), str(zone.key), "demo")
        entry = records.record(session, after, assignment.id, records.Facts(
            RecordOutcome.TOOK_PLACE, request.starts_at, request.starts_at + dt.timedelta(minutes=minutes),
            "on_site", waiting_minutes=10 if n == 1 else 0, travel_minutes=20 if km else 0,
            travel_km=Decimal(km)))
        records.answer(session, after.by(None), entry.id, entry.version, confirmed=True, via="link")
    volunteer = session.scalar(select(User).where(User.email == "lotsin@kreis-offenbach.example"))
    session.add(PayoutDetails(volunteer_id=volunteer.id, account_holder=volunteer.name,
                              iban="DE89370400440532013000"))


def _requests(session: Session, office: Office, agency: Agency, caseworker: User) -> None:
    """A few upcoming requests of the demo Jobcenter, one of them a weekly series."""
    zone = clock.zone()
    now = clock.now()
    today = now.astimezone(zone).date()
    holidays = office_settings.holiday_calendar(office)
    common = {"contact_name": "Petra Schulz", "contact_phone": "06074 0000-10", "postcode": "63128",
              "town": "Dietzenbach", "street": "Werner-Hilpert-Straße 1"}
    wanted = [
        (RequestData(kind="interpreter", language="ar", variety="apc", mode="on_site", topic="work",
                     day=add_working_days(today, 5, holidays), start=dt.time(9, 30), duration_minutes=90,
                     client_reference=f"JC-{today.year}-0415", **common), ""),
        (RequestData(kind="interpreter", language="uk", mode="phone", topic="authorities",
                     day=add_working_days(today, 7, holidays), start=dt.time(14, 0), duration_minutes=45,
                     client_reference=f"JC-{today.year}-0519", contact_name="Petra Schulz", contact_phone="06074 0000-10"), ""),
        (RequestData(kind="guide", language="prs", mode="on_site", topic="housing",
                     day=add_working_days(today, 10, holidays), start=dt.time(10, 0), duration_minutes=120,
                     client_reference=f"JC-{today.year}-0602", **common), "weekly"),
    ]
    created = [create_requests(session, caseworker, office, agency, data, now=now, zone=zone,
                               recurrence=recurrence, count=3 if recurrence else 1)
               for data, recurrence in wanted]
    session.flush()
    # The first request confirmed with its best candidate, so the dashboard, the request page and that
    # volunteer's start page show an assignment; the others are left for the coordinator to try.
    coordinator = session.scalar(select(User).where(User.office_id == office.id, User.role == Role.COORDINATOR))
    request = created[0][0]
    as_coordinator = Acting(coordinator, now, str(zone.key), "demo")
    best = offering.next_candidates(session, as_coordinator, request, 1)
    if best:
        offer, = offering.make_offers(session, as_coordinator, request.id, best)
        answers.accept(session, as_coordinator.by(offer.volunteer), offer.id)
        confirming.confirm(session, as_coordinator, offer.id)


def _profile(user, office, by_name, postcode, town, radius, spoken, german, roles, modes, windows, documents,
             paused) -> VolunteerProfile:
    point = geo.lookup(postcode)
    today = clock.today()
    profile = VolunteerProfile(
        user=user, office=office, postcode=postcode, latitude=point.latitude, longitude=point.longitude,
        municipality=by_name[town], travel_radius_km=radius, german_level=LanguageLevel(german),
        is_guide="guide" in roles, is_interpreter="interpreter" in roles, on_site="on_site" in modes,
        by_phone="phone" in modes, by_video="video" in modes, topics_willing=[], topics_excluded=[],
        min_notice_hours=24, max_per_week=2, max_per_month=6, phone="0151 0000000",
        vetted_at=clock.now() if user.status is UserStatus.ACTIVE else None,
        declaration_signed_on=today - dt.timedelta(days=200) if documents else None,
        certificate_checked_on=today - dt.timedelta(days=4 * 365 + 330) if documents else None,
        is_paused=paused, paused_until=today + dt.timedelta(days=30) if paused else None,
        languages=[VolunteerLanguage(language=code, level=LanguageLevel(level), varieties=varieties)
                   for code, level, varieties in spoken],
        windows=[AvailabilityWindow(weekday=day, starts=dt.time.fromisoformat(start), ends=dt.time.fromisoformat(end))
                 for day, start, end in windows],
    )
    if documents:
        profile.trainings = [Training(kind=TrainingKind.BASIC, title="Grundqualifizierung Sprachmittlung",
                                      completed_on=today - dt.timedelta(days=400))]
    return profile


def demo_logins(session: Session) -> list[tuple[str, str]]:
    emails = [row[0] for row in USERS]
    users = session.scalars(select(User).where(User.email.in_(emails), User.is_demo.is_(True))).all()
    by_email = {u.email: u for u in users}
    return [(str(by_email[e].role.value), e) for e in emails if e in by_email]

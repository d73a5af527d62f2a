#!/usr/bin/env python
"""Reports benchmark: a whole Land on one instance, and the year's report for one office and for all.

    .venv/bin/python bench/reports.py [--offices 100] [--volunteers 50000[,...]] [--requests 500000] [--runs 10]

Builds a fresh PostgreSQL database (schema by the migrations) with ``--offices`` offices, each with two
agencies and five municipalities, ``--volunteers`` volunteers spread over them (with languages), and
``--requests`` requests over the two years before the report's year end (completed with their assignment and
confirmed record with an approved amount, not filled with a reason, cancelled late or in time, some still
open), loaded with bulk inserts and analysed. Then it times ``--runs`` times (after two warm-up runs), each in
a fresh session as a web request would: the report of the last year for one office (every section, the
charts' data included), and for all offices together (with the offices side by side). It prints p50 and p95
against the targets (one office under 300 ms, all offices under 3 s); it asserts nothing. Several sizes
(``--volunteers 1000,10000,100000``, requests ten times the volunteers unless given) run one after the
other and end with a table of how the figures grow.

LOTSEN_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test) names a database to connect
to; the benchmark creates and drops ``lotsen_bench_reports`` beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
# This folder goes last on sys.path: first, bench/http.py would shadow http; last, bench/scratch.py is found.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask_babel import force_locale  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

import scratch  # noqa: E402  (bench/scratch.py)
from lotsen import create_app  # noqa: E402
from lotsen.models import (Agency, Assignment, AssignmentRecord, HelpRequest, Municipality, Office,  # noqa: E402
                           Programme, User, VolunteerLanguage, VolunteerProfile)
from lotsen.offices.models import agency_offices  # noqa: E402
from lotsen.reports import period, queries, sections  # noqa: E402

UTC = dt.timezone.utc
ZONE = ZoneInfo("Europe/Berlin")
DATABASE = "lotsen_bench_reports"
YEAR = 2026
LANGUAGES = ["ar", "uk", "fa", "prs", "tr", "ru", "ti", "ku", "kmr", "so", "ps", "ro", "bg", "pl", "sq"]
CHUNK = 20_000


def chunks(rows, size=CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def load(engine, offices: int, volunteers: int, requests: int, seed: int) -> None:
    rng = random.Random(seed)
    now = dt.datetime(YEAR + 1, 1, 5, 9, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(Office), [{"id": n, "name": f"Integrationsbüro {n:03d}", "slug": f"office-{n}",
                                       "kind": "district", "email": f"o{n}@bench.example", "phone": "",
                                       "settings": {"allowance_budget": 50000}, "is_demo": False, "created_at": now}
                                      for n in range(1, offices + 1)])
        conn.execute(insert(Municipality), [{"id": o * 10 + m, "office_id": o, "name": f"Gemeinde {o}-{m}"}
                                            for o in range(1, offices + 1) for m in range(5)])
        agencies = [{"id": o * 10 + a, "name": f"Einrichtung {o}-{a}", "type": ("jobcenter", "school")[a],
                     "email": "", "phone": "", "street": "", "postcode": "", "town": "", "is_active": True,
                     "is_demo": False, "created_at": now} for o in range(1, offices + 1) for a in range(2)]
        conn.execute(insert(Agency), agencies)
        conn.execute(insert(agency_offices), [{"agency_id": a["id"], "office_id": a["id"] // 10} for a in agencies])
        conn.execute(insert(Programme), [{"id": o, "office_id": o, "name": "Eigenes Budget", "kinds": ["interpreter"],
                                          "is_active": True, "created_at": now} for o in range(1, offices + 1)])
        users, profiles, spoken = [], [], []
        for uid in range(1, volunteers + 1):
            office = rng.randrange(1, offices + 1)
            created = now - dt.timedelta(days=rng.randrange(1, 900))
            users.append({"id": uid, "email": f"v{uid}@bench.example", "name": f"Volunteer {uid}", "role": "volunteer",
                          "status": "active" if rng.random() < 0.9 else "deactivated", "locale": "de",
                          "office_id": office, "session_version": 1, "is_demo": False, "created_at": created})
            profiles.append({"user_id": uid, "office_id": office, "phone": "", "is_guide": rng.random() < 0.4,
                             "is_interpreter": True, "on_site": True, "by_phone": False, "by_video": False,
                             "postcode": "", "municipality_id": office * 10 + rng.randrange(5),
                             "travel_radius_km": 10, "min_notice_hours": 24, "topics_willing": [],
                             "topics_excluded": [], "is_paused": rng.random() < 0.05, "coordinator_notes": "",
                             "created_at": created, "updated_at": created})
            for language in rng.sample(LANGUAGES, rng.choice([1, 1, 2, 3])):
                spoken.append({"volunteer_id": uid, "language": language, "level": "native", "varieties": []})
        for table, rows in ((User, users), (VolunteerProfile, profiles), (VolunteerLanguage, spoken)):
            for part in chunks(rows):
                conn.execute(insert(table), part)
        start = dt.datetime(YEAR - 1, 1, 1, 6, tzinfo=UTC)
        span = (dt.datetime(YEAR + 1, 1, 1, tzinfo=UTC) - start).total_seconds()
        request_rows, assignment_rows, record_rows = [], [], []
        by_office: dict[int, list[int]] = {}
        for user in users:
            by_office.setdefault(user["office_id"], []).append(user["id"])
        for rid in range(1, requests + 1):
            office = rng.randrange(1, offices + 1)
            starts = start + dt.timedelta(seconds=rng.randrange(int(span)))
            minutes = rng.choice([45, 60, 90, 120])
            roll = rng.random()
            status = ("completed" if roll < 0.7 else "unfilled" if roll < 0.8 else "cancelled" if roll < 0.9
                      else "open")
            created = starts - dt.timedelta(days=rng.randrange(1, 21))
            request_rows.append({
                "id": rid, "office_id": office, "agency_id": office * 10 + rng.randrange(2), "kind": "interpreter",
                "language": rng.choice(LANGUAGES), "variety": "", "mode": "on_site", "starts_at": starts,
                "ends_at": starts + dt.timedelta(minutes=minutes), "duration_minutes": minutes, "topic": "health",
                "municipality_id": office * 10 + rng.randrange(5), "status": status, "is_urgent": rng.random() < 0.1,
                "cancelled_late": status == "cancelled" and rng.random() < 0.5,
                "unfilled_reason": rng.choice(["no_language", "no_one_free", "start_passed"])
                if status == "unfilled" else None, "client_reference": f"AZ-{rng.randrange(20000)}",
                "round": 1, "created_at": created, "updated_at": created})
            if status == "completed" and by_office.get(office):
                volunteer = rng.choice(by_office[office])
                confirmed = created + dt.timedelta(hours=rng.randrange(1, 96))
                assignment_rows.append({"id": rid, "request_id": rid, "volunteer_id": volunteer,
                                        "status": "completed", "starts_at": starts,
                                        "ends_at": starts + dt.timedelta(minutes=minutes), "confirmed_at": confirmed})
                record_rows.append({
                    "assignment_id": rid, "office_id": office, "agency_id": request_rows[-1]["agency_id"],
                    "volunteer_id": volunteer, "programme_id": office, "status": "confirmed", "version": 1,
                    "outcome": "took_place", "starts_at": starts, "ends_at": starts + dt.timedelta(minutes=minutes),
                    "waiting_minutes": 0, "travel_minutes": 0, "travel_km": Decimal(rng.randrange(30)),
                    "mode": "on_site", "client_key": request_rows[-1]["client_reference"], "confirm_by": starts,
                    "answered_via": "link", "agency_comment": "", "office_note": "", "created_at": starts,
                    "amount": Decimal(minutes) / 4, "paid_minutes": minutes})
        for table, rows in ((HelpRequest, request_rows), (Assignment, assignment_rows),
                            (AssignmentRecord, record_rows)):
            for part in chunks(rows):
                conn.execute(insert(table), part)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


WARMUP = 2  # runs not counted: the first ones fill the database's and SQLAlchemy's caches


def timed_runs(app, maker, scope, runs: int) -> list[float]:
    seconds = []
    for _ in range(WARMUP + runs):
        with app.test_request_context(), force_locale("de"), maker() as session:
            started = time.perf_counter()
            sections.build(session, scope, publish=False)
            seconds.append(time.perf_counter() - started)
    return seconds[WARMUP:]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95 + 0.999) - 1)]


TARGETS_MS = {"one office": 300, "all offices": 3000}


def measure(args, offices: int, volunteers: int, requests: int) -> dict[str, list[float]]:
    with scratch.database(DATABASE) as url:
        app = create_app({"DATABASE_URL": url, "TESTING": True})
        maker = app.extensions["lotsen.sessionmaker"]
        started = time.perf_counter()
        load(maker.kw["bind"], offices, volunteers, requests, args.seed)
        loaded = time.perf_counter() - started
        year = period.year(YEAR)
        one = timed_runs(app, maker, queries.Scope((1,), year, ZONE), args.runs)
        everyone = timed_runs(app, maker, queries.Scope(tuple(range(1, offices + 1)), year, ZONE), args.runs)
    print(f"Lotsen reports on PostgreSQL: {offices} offices, {volunteers:,} volunteers, "
          f"{requests:,} requests over {YEAR - 1}-{YEAR} (loaded in {loaded:.0f} s)")
    figures = {"one office": one, "all offices": everyone}
    for label, values in figures.items():
        met = "met" if p95(values) * 1000 < TARGETS_MS[label] else "MISSED"
        print(f"  year report, {label:12s} p50 {statistics.median(values) * 1000:8.0f} ms   "
              f"p95 {p95(values) * 1000:8.0f} ms   ({len(values)} runs; target p95 < {TARGETS_MS[label]:,} ms: {met})")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offices", type=int, default=100)
    parser.add_argument("--volunteers", default="50000", help="volunteers; several, comma-separated, one after the other")
    parser.add_argument("--requests", type=int, help="requests (default 500,000; ten per volunteer for several sizes)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    try:
        sizes = [int(n.replace("_", "")) for n in args.volunteers.split(",") if n.strip()]
    except ValueError:
        parser.error("--volunteers takes numbers, comma-separated")
    grown = []
    for size in sizes:
        requests = args.requests or (500_000 if len(sizes) == 1 else 10 * size)
        grown.append((size, requests, measure(args, args.offices, size, requests)))
    if len(grown) > 1:
        print()
        print("How the year's report grows (p95 ms, one office / all offices):")
        for size, requests, figures in grown:
            print(f"  {size:>9,} volunteers, {requests:>9,} requests: {p95(figures['one office']) * 1000:8.0f}"
                  f" / {p95(figures['all offices']) * 1000:8.0f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Month-closing benchmark: an office with 2,000 volunteers and 3,000 confirmed assignment records in a month.

    .venv/bin/python bench/month.py [--volunteers 2000] [--records 3000] [--backend postgresql|sqlite]

Builds a fresh database (schema by the migrations), loads the office, its agency, volunteers with bank details
and the month's confirmed records with bulk inserts, then times, as the worker and the coordinator would run
them: drawing up the statements (pricing every volunteer's year so far), approving them all, writing every
statement as a PDF, and paying the month as one SEPA file (built and validated against pain.001.001.03).
It prints the figures; it asserts nothing about time.

PostgreSQL: LOTSEN_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test) names a database to
connect to; the benchmark creates and drops ``lotsen_bench_month`` beside it. SQLite: a temporary file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
# This folder goes last on sys.path: first, bench/http.py would shadow http; last, bench/scratch.py is found.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask_babel import force_locale  # noqa: E402
from schwifty import IBAN  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

import scratch  # noqa: E402  (bench/scratch.py)
from lotsen import create_app, db  # noqa: E402
from lotsen.acting import Acting  # noqa: E402
from lotsen.billing import documents, payout, statements  # noqa: E402
from lotsen.billing.rules import Rule, Travel  # noqa: E402
from lotsen.models import (Agency, Assignment, AssignmentRecord, HelpRequest, Office, PayoutDetails,  # noqa: E402
                           Programme, RateVersion, Role, Statement, User, UserStatus)
from lotsen.offices.models import agency_offices  # noqa: E402

UTC = dt.timezone.utc
DATABASE = "lotsen_bench_month"
YEAR, MONTH = 2026, 10


def iban(n: int) -> str:
    return str(IBAN.generate("DE", bank_code="37040044", account_code=f"{1000000 + n:010d}"))


def load(engine, volunteers: int, records: int, seed: int) -> int:
    rng = random.Random(seed)
    now = dt.datetime(YEAR, MONTH + 1, 2, 8, tzinfo=UTC)
    with engine.begin() as conn:
        office_id = conn.execute(insert(Office).values(
            name="Integrationsbüro Benchmark", slug="bench", kind="district", email="office@bench.example",
            phone="", settings={"payer_name": "Kreiskasse", "payer_iban": "DE02120300000000202051",
                                "federal_state": "HE"}, created_at=now).returning(Office.id)).scalar_one()
        agency_id = conn.execute(insert(Agency).values(
            name="Jobcenter Benchmark", type="jobcenter", email="jc@bench.example", phone="", street="",
            postcode="63065", town="Offenbach", is_active=True, created_at=now).returning(Agency.id)).scalar_one()
        conn.execute(insert(agency_offices).values(agency_id=agency_id, office_id=office_id))
        programme_id = conn.execute(insert(Programme).values(
            office_id=office_id, name="Eigenes Budget", kinds=["guide", "interpreter"], is_active=True,
            created_at=now).returning(Programme.id)).scalar_one()
        conn.execute(insert(RateVersion).values(programme_id=programme_id, valid_from=dt.date(2000, 1, 1),
                                                rule_data=Rule(per_hour=Decimal("15.00"), step_minutes=30,
                                                               travel=Travel.KM, night_percent=25,
                                                               sunday_percent=50, holiday_percent=125,
                                                               per_client_cap=5).to_json(),
                                                created_at=now))
        user_rows = [{"email": f"v{n}@bench.example", "name": f"Volunteer {n}", "role": Role.VOLUNTEER,
                      "status": UserStatus.ACTIVE, "locale": "de", "office_id": office_id, "password_hash": "x",
                      "session_version": 1, "created_at": now} for n in range(volunteers)]
        conn.execute(insert(User), user_rows)
        ids = list(conn.execute(select(User.id).where(User.office_id == office_id).order_by(User.id)).scalars())
        conn.execute(insert(PayoutDetails), [{"volunteer_id": i, "account_holder": f"Volunteer {n}", "iban": iban(n),
                                              "bic": "", "tax_allowance": "volunteering", "on_buergergeld": False,
                                              "updated_at": now} for n, i in enumerate(ids)])
        for chunk in range(0, records, 1000):
            requests, assignments, recs = [], [], []
            for n in range(chunk, min(records, chunk + 1000)):
                day = rng.randint(1, 31)
                starts = dt.datetime(YEAR, MONTH, day, rng.randint(6, 20), tzinfo=UTC)
                minutes = rng.choice([45, 60, 90, 120, 150, 180])
                ends = starts + dt.timedelta(minutes=minutes)
                requests.append({"office_id": office_id, "agency_id": agency_id, "kind": "interpreter",
                                 "language": "ar", "variety": "", "mode": "on_site", "starts_at": starts,
                                 "ends_at": ends, "duration_minutes": minutes, "topic": "health",
                                 "status": "completed", "client_reference": f"AZ-{rng.randint(1, 800)}",
                                 "created_at": now, "updated_at": now, "round": 1})
            request_ids = conn.execute(insert(HelpRequest).returning(HelpRequest.id), requests).scalars().all()
            for request_id, request in zip(request_ids, requests):
                volunteer = ids[rng.randrange(len(ids))]
                assignments.append({"request_id": request_id, "volunteer_id": volunteer, "status": "completed",
                                    "starts_at": request["starts_at"], "ends_at": request["ends_at"],
                                    "confirmed_at": now})
            assignment_ids = conn.execute(insert(Assignment).returning(Assignment.id), assignments).scalars().all()
            for assignment_id, assignment, request in zip(assignment_ids, assignments, requests):
                recs.append({"assignment_id": assignment_id, "office_id": office_id, "agency_id": agency_id,
                             "volunteer_id": assignment["volunteer_id"], "programme_id": programme_id,
                             "status": "confirmed", "version": 1, "outcome": "took_place",
                             "starts_at": assignment["starts_at"], "ends_at": assignment["ends_at"],
                             "waiting_minutes": rng.choice([0, 0, 10, 20]), "travel_minutes": 0,
                             "travel_km": Decimal(rng.randint(0, 30)), "mode": "on_site",
                             "client_key": request["client_reference"], "confirm_by": now, "answered_at": now,
                             "answered_via": "link", "agency_comment": "", "office_note": "", "created_at": now})
            conn.execute(insert(AssignmentRecord), recs)
    return office_id


def timed(label: str, results: dict, work):
    started = time.perf_counter()
    value = work()
    results[label] = time.perf_counter() - started
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volunteers", type=int, default=2000)
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()

    with scratch.database(DATABASE, args.backend) as url:
        app = create_app({"DATABASE_URL": url, "TESTING": True, "SERVER_NAME": "lotsen.bench"})
        engine = app.extensions["lotsen.sessionmaker"].kw["bind"]
        results: dict[str, float] = {}
        office_id = timed("load (not the app's work)", results, lambda: load(engine, args.volunteers, args.records,
                                                                             args.seed))
        acting = Acting(None, dt.datetime(YEAR, MONTH + 1, 2, 8, tzinfo=UTC), "Europe/Berlin", "bench")
        maker = app.extensions["lotsen.sessionmaker"]
        with app.app_context(), force_locale("de"):
            with db.begin_writing(maker()) as session:
                drawn = timed("draw up statements", results,
                              lambda: statements.draw_up(session, acting, office_id, YEAR, MONTH))
                session.commit()
            with db.begin_writing(maker()) as session:
                ids = [s.id for s in statements.statements_of(session, office_id, YEAR, MONTH)]
                timed("approve all", results, lambda: statements.approve(session, acting, ids, office_id))
                session.commit()
            with maker() as session:
                office = session.get(Office, office_id)
                listed = session.scalars(select(Statement).where(Statement.office_id == office_id)).all()
                sizes = [timed("all statements in one PDF", results,
                               lambda: len(documents.statements_pdf(listed, office)))]
                sample = listed[:100]
                started = time.perf_counter()
                for statement in sample:
                    documents.statement_pdf(statement, office)
                single_ms = (time.perf_counter() - started) / len(sample) * 1000
            with db.begin_writing(maker()) as session:
                made, missing = timed("SEPA file (built and validated)", results, lambda: payout.pay(
                    session, acting, office_id, YEAR, MONTH, dt.date(YEAR, MONTH + 1, 6)))
                xml_bytes = len(made.sepa_xml)
                session.commit()
        print(f"Lotsen month closing on {args.backend}: {args.volunteers} volunteers, {args.records} records "
              f"in {YEAR}-{MONTH:02d}")
        print(f"  statements: {drawn['statements']}, payments: {made.count} ({made.total} EUR), "
              f"left out: {len(missing)}, one PDF of {sum(sizes) / 1e6:.1f} MB, SEPA file: "
              f"{xml_bytes / 1e3:.0f} kB")
        for label, seconds in results.items():
            print(f"  {label:34s} {seconds:8.2f} s")
        work = sum(v for k, v in results.items() if not k.startswith("load"))
        print(f"  {'the month, all steps':34s} {work:8.2f} s")
        print(f"  one statement as its own PDF (download): {single_ms:.0f} ms (mean of {len(sample)})")


if __name__ == "__main__":
    main()

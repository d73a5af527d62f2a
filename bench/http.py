#!/usr/bin/env python
"""HTTP benchmark: the pages people open most, served by gunicorn on PostgreSQL, beside a bare endpoint.

    .venv/bin/python bench/http.py [--instance office|land] [--volunteers 10000[,100000...]] [--requests N]
                                   [--offices N] [--workers N] [--clients 8] [--seconds 10] [--warmup 3]
                                   [--quiet-wait 120] [--retries 2] [--seed 20261122] [--port 0]
                                   [--explain 3] [--keep] [--strict]

It creates its own database ``lotsen_bench_http`` beside the one LOTSEN_BENCH_POSTGRES_URL names
(default postgresql://postgres@127.0.0.1:5432/test), migrates it, and loads with bulk Core inserts
(bench/webdata.py) either one office (``--instance office``, the default: Kreis Offenbach, 10,000
volunteers, 20,000 requests over two years) or a whole Land (``--instance land``: 100 offices, 50,000
volunteers, 500,000 requests with their offers, assignments, records and history; office 1 at twice the
mean size) and measures office 1's pages: a Land's pages must cost what its office's do, not grow with the
instance.

Then it serves the app with gunicorn (``--workers``: 2 sync workers for an office, 4 for a Land), signs in
through the login form as office 1's coordinator and as volunteer 1, and loads six targets in turn with N
concurrent clients (threads with http.client, a fixed User-Agent, the session cookie): ``/healthz`` (one
primary-key query), the coordinator's dashboard, the volunteer's start page (``/`` redirects to
``/start``; the page behind the redirect is measured), and for the coordinator the page of the upcoming
request with the most offers, its candidates (matching over the pool), and the volunteer directory. After a
warm-up it counts requests for a fixed time and prints requests/s, p50 and p99 per target, each page's
throughput as a share of the bare endpoint's, whether the targets hold (each page >= 40 % of the bare
throughput, p99 < 150 ms), and, measured in-process, how many SQL statements each page runs, and the
plans (EXPLAIN ANALYZE) of the heaviest of them (``--explain``). Several sizes
(``--volunteers 1000,10000,100000``, requests twice the volunteers unless given) run one after the other
and end with a table of how the figures grow. ``--strict`` makes a missed (or unmeasurable) target exit 1.

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
HERE = Path(__file__).resolve().parent
# This file is named http.py: its own folder first on sys.path would shadow the standard library's http
# package (http.client, and in werkzeug); it goes last, where webdata and webclient are still found.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import secrets  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

# One key for all gunicorn workers (they inherit the environment); and the in-process app (SQL
# statement counts) must not create a key in the project's instance folder.
os.environ.setdefault("LOTSEN_SECRET_KEY", secrets.token_hex(32))

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import webdata  # noqa: E402  (bench/webdata.py)
from lotsen import migrate  # noqa: E402
from lotsen.db import make_engine, normalize_url  # noqa: E402
from webclient import (NOISY_CORES, PASSWORD, USER_AGENT, CpuMeter, Server, Target, csrf_token,  # noqa: E402
                       free_port, measure, resolve, sign_in, wait_for_quiet)

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "lotsen_bench_http"
TARGET_SHARE = 0.40
TARGET_P99_MS = 150.0
INSTANCES = {  # offices, volunteers, requests, gunicorn workers
    "office": (1, 10_000, 20_000, 2),
    "land": (100, 50_000, 500_000, 4),
}


@dataclass
class Heavy:
    """A statement a page ran, with the parameters of its slowest run."""

    page: str
    statement: str
    parameters: object
    ms_per_request: float
    runs_per_request: float


def count_statements(url: str, folder: Path, targets: list[Target], emails: dict[str, str],
                     repeat: int = 20) -> list[Heavy]:
    """In-process, one worker: SQL statements per request and their time, for what limits a page."""
    from lotsen import create_app

    logging.getLogger("lotsen.security").setLevel(logging.WARNING)  # the sign-ins here are not news
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "MAIL_DIR": str(folder / "mail"),
                      "RATELIMIT_STORAGE_URI": "memory://", "TWO_FACTOR_REQUIRED": []})
    engine = app.extensions["lotsen.engine"]
    seen: list[tuple[float, str, object]] = []
    heavy: list[Heavy] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, _cursor, _statement, _parameters, _context, _many):
        conn.info["bench.started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, _cursor, statement, parameters, _context, _many):
        seen.append(((time.perf_counter() - conn.info.pop("bench.started")) * 1000, statement, parameters))

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
            sql = sum(ms for ms, _, _ in seen) / repeat
            by_statement: dict[str, list] = {}
            for ms, statement, parameters in seen:
                entry = by_statement.setdefault(statement, [0.0, 0, 0.0, parameters])
                entry[0] += ms / repeat
                entry[1] += 1
                if ms > entry[2]:
                    entry[2], entry[3] = ms, parameters
            heavy += [Heavy(target.name, statement, parameters, ms, runs / repeat)
                      for statement, (ms, runs, _, parameters) in by_statement.items()]
            slowest, (ms, *_rest) = max(by_statement.items(), key=lambda item: item[1][0], default=("", (0.0,)))
            slowest = " ".join(slowest.split())
            slowest = slowest[max(0, slowest.find(" FROM ") + 1):][:100]  # the column list says little
            target.statements = (f"{len(seen) / repeat:.0f} statements, SQL {sql:.1f} of {total:.1f} ms"
                                 + (f"; most time {ms:.1f} ms: {slowest}" if slowest else ""))
    finally:
        engine.dispose()
    return sorted(heavy, key=lambda h: -h.ms_per_request)


def explain(url: str, heavy: list[Heavy], count: int) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the heaviest reading statements, with the parameters of their slowest run."""
    reading = [h for h in heavy if h.statement.lstrip().upper().startswith(("SELECT", "WITH"))][:count]
    if not reading:
        return
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            for number, h in enumerate(reading, start=1):
                print()
                print(f"Heaviest query {number}: {h.page}, {h.ms_per_request:.2f} ms per request "
                      f"({h.runs_per_request:g} runs)")
                print("  " + " ".join(h.statement.split()))
                shown = str(h.parameters)
                print(f"  parameters: {shown[:600]}{' ...' if len(shown) > 600 else ''}")
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + h.statement, h.parameters).scalars()
                print("\n".join("    " + line for line in plan))
                conn.rollback()
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


def report(targets: list[Target], clients: int, seconds: float, workers: int, where: str) -> bool:
    bare = targets[0]
    print()
    print(f"{where}: {clients} concurrent clients, {seconds:g} s measured per target (after warm-up), "
          f"{workers} gunicorn sync workers:")
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


def growth(runs: list[tuple[str, list[Target]]]) -> None:
    """How each target's figures grow from one run (pool size, instance) to the next."""
    print()
    print("How the figures grow (requests/s, p99 ms, worker CPU ms per request; 'met' when both targets hold):")
    names = [t.name for t in runs[0][1]]
    rows = []
    for name in names:
        row = [name]
        for _label, targets in runs:
            t = next((t for t in targets if t.name == name), None)
            if t is None or t.problem or not t.latencies_ms:
                row.append("-")
                continue
            cpu = "-" if t.cpu.workers_ms is None else f"{t.cpu.workers_ms:.1f}"
            met = "" if not t.is_page else " met" if verdict(t, targets[0])[0] else " missed"
            row.append(f"{t.rate:,.1f} / {t.p99:,.0f} / {cpu}{met}")
        rows.append(row)
    print(table(["target"] + [label for label, _ in runs], rows))


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


def run(args, admin, url: str, offices: int, volunteers: int, requests: int) -> tuple[list[Target], bool]:
    """Build the instance, serve it, measure office 1's targets and report; returns them and whether all held."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    migrate.upgrade(url)
    loader = make_engine(url)
    started = time.perf_counter()
    pool = webdata.load(loader, volunteers, requests, args.seed, now, offices=offices)
    with loader.connect() as conn:  # the request whose page and candidates are measured: one being asked
        request_id = conn.execute(text(
            "SELECT requests.id FROM requests JOIN offers ON offers.request_id = requests.id "
            "WHERE requests.office_id = 1 AND requests.status = 'offered' AND requests.starts_at > now() "
            "GROUP BY requests.id ORDER BY count(*) DESC, requests.id LIMIT 1")).scalar() or 1
        office_1 = conn.execute(text(
            "SELECT (SELECT count(*) FROM volunteer_profiles WHERE office_id = 1), "
            "(SELECT count(*) FROM requests WHERE office_id = 1)")).one()
    loader.dispose()
    where = (f"{offices} offices, {volunteers:,} volunteers, {requests:,} requests; office 1: "
             f"{office_1[0]:,} volunteers, {office_1[1]:,} requests")
    print(f"Generated {where} in {time.perf_counter() - started:.1f} s: "
          + ", ".join(f"{name} {n:,}" for name, n in pool.rows.items()), flush=True)
    print(f"Volunteer 1: {pool.volunteer_offers} open offers, {pool.volunteer_upcoming} upcoming and "
          f"{pool.volunteer_history} past assignments", flush=True)

    port = args.port or free_port()
    coordinator_email, volunteer_email = webdata.COORDINATOR_EMAIL, webdata.VOLUNTEER_EMAIL
    with tempfile.TemporaryDirectory(prefix="lotsen-bench-http-") as folder:
        server = Server(url, port, Path(folder), args.workers)
        server.start()
        try:
            server.wait_until_healthy()
            coordinator = sign_in(port, coordinator_email)
            targets = [Target("bare endpoint", "/healthz", {}, is_page=False),
                       Target("coordinator dashboard", args.dashboard_path, coordinator),
                       Target("volunteer start page", args.start_path, sign_in(port, volunteer_email)),
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
        heavy = count_statements(url, Path(folder), targets, {
            name: volunteer_email if name == "volunteer start page" else coordinator_email
            for name in ("coordinator dashboard", "volunteer start page", "request page", "candidates page",
                         "volunteer directory")})
    met = report(targets, args.clients, args.seconds, args.workers, where)
    if args.explain:
        explain(url, heavy, args.explain)
    return targets, met


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instance", choices=sorted(INSTANCES), default="office",
                        help="one office (10k volunteers, 20k requests, 2 workers; the default) or a whole Land "
                             "(100 offices, 50k volunteers, 500k requests, 4 workers)")
    parser.add_argument("--offices", type=int, help="offices on the instance (default: by --instance)")
    parser.add_argument("--volunteers", help="volunteers on the instance; several, comma-separated, run one after "
                                             "the other (default: by --instance)")
    parser.add_argument("--requests", type=int, help="requests, past and upcoming (default: by --instance; "
                                                     "twice the volunteers when several sizes run)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: by --instance)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (threads; default 8)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per target (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds per target (default 3)")
    parser.add_argument("--dashboard-path", default="/coordination/", help="the coordinator's dashboard")
    parser.add_argument("--start-path", default="/", help="the volunteer's start page (redirects are followed)")
    parser.add_argument("--port", type=int, default=0, help="port for gunicorn (default: a free one)")
    parser.add_argument("--quiet-wait", type=float, default=120.0,
                        help="before each target, wait up to this many seconds for other processes to go idle "
                             "(0: do not wait; default 120)")
    parser.add_argument("--retries", type=int, default=2,
                        help="measure a target again (up to this often) when other processes disturbed it")
    parser.add_argument("--seed", type=int, default=20261122, help="random seed for the data")
    parser.add_argument("--explain", type=int, default=3, metavar="N",
                        help="print the plans of the N heaviest reading queries (0: none; default 3)")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {BENCH_DATABASE} afterwards")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a page misses a target")
    args = parser.parse_args(argv)
    offices, volunteers, requests, workers = INSTANCES[args.instance]
    offices = args.offices or offices
    args.workers = args.workers or workers
    try:
        sizes = [int(n.replace("_", "")) for n in args.volunteers.split(",")] if args.volunteers else [volunteers]
    except ValueError:
        parser.error("--volunteers takes numbers, comma-separated")
    if (min(sizes) < offices or offices < 1 or args.clients < 1 or args.seconds <= 0
            or (args.requests is not None and args.requests < 2 * offices)):
        parser.error("nothing to measure")

    base = make_url(normalize_url(os.environ.get("LOTSEN_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)))
    admin = create_engine(base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            server_version = conn.exec_driver_sql("SHOW server_version").scalar()
    except Exception as error:  # noqa: BLE001  (any failure means: no PostgreSQL here)
        raise SystemExit(f"PostgreSQL at {base.render_as_string()} is not reachable: {str(error).splitlines()[0]}")
    url = base.set(database=BENCH_DATABASE).render_as_string(hide_password=False)
    print(f"Lotsen HTTP benchmark ({code_version()}): Python {platform.python_version()}, "
          f"PostgreSQL {server_version}, {os.cpu_count()} CPUs; seed {args.seed}", flush=True)
    runs, met = [], True
    try:
        for size in sizes:
            asked = args.requests or (requests if len(sizes) == 1 and not args.volunteers else 2 * size)
            targets, held = run(args, admin, url, offices, size, asked)
            runs.append((f"{size:,} volunteers" + (f", {offices} offices" if offices > 1 else ""), targets))
            met &= held
        if len(runs) > 1:
            growth(runs)
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

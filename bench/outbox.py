#!/usr/bin/env python
"""Outbox benchmark: how many messages per second ``lotsen worker`` processes deliver over SMTP.

    .venv/bin/python bench/outbox.py [--messages 5000[,50000...]] [--workers 1,2] [--interval 0.2]
                                     [--quiet-wait 60] [--timeout 600] [--keep]

It creates its own database ``lotsen_bench_outbox`` beside the one LOTSEN_BENCH_POSTGRES_URL names
(default postgresql://postgres@127.0.0.1:5432/test), migrates it, and starts an SMTP server in this
process (aiosmtpd, the tests' sink, answering at once). For each number of workers it empties the
outbox, starts that many ``lotsen worker --interval 0.2`` processes and waits until each has ticked,
then inserts N rendered messages, all due, in one transaction. The clock runs from that commit until
the last message has arrived at the server. It prints, per run, messages per second, the CPU the
workers and their PostgreSQL backends spent per message, and whether every message arrived exactly
once (as many arrivals as rows, each with its row's Message-ID, every row marked sent). Several message
counts (``--messages 1000,10000,100000``) run one after the other and show how the rate grows with the
queue; the target (at least 500 messages/s with two workers) is judged on every run with two workers.

Everything shares the machine: the workers, PostgreSQL and the SMTP server (this process). Before each
run the benchmark waits (``--quiet-wait``) until the machine is idle, and the report says how many
cores other processes took meanwhile.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds http.py, which would shadow the standard library's http package (werkzeug imports
# http.server) if this file's folder stayed on sys.path; the project folder takes its place.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from lotsen import migrate  # noqa: E402
from lotsen.db import make_engine, normalize_url  # noqa: E402
from lotsen.notifications import outbox  # noqa: E402
# lotsen.models imports every model, so the outbox's foreign keys resolve.
from lotsen.models import OutboxMessage  # noqa: E402
from lotsen.notifications.models import OutboxStatus  # noqa: E402
from bench.webclient import machine_busy_seconds  # noqa: E402
from tests.smtp_sink import SmtpSink  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "lotsen_bench_outbox"
BASE_URL = "http://lotsen.bench"
WORKER_NAME = "lotsen-bench-worker"  # the workers' application_name in pg_stat_activity
LOTSEN = Path(sys.executable).parent / "lotsen"
NOISY_CORES = 0.3  # other processes busier than this disturb the figures


# --------------------------------------------------------------------------------------------- CPU accounting

def cpu_seconds(pid: int) -> float | None:
    """User + system CPU the process has used so far (Linux /proc; None when unknown or gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def wait_for_quiet(limit: float) -> bool:
    """Wait (up to ``limit`` seconds) until the machine has been idle for 2 s; False if it stayed busy."""
    deadline, quiet_since = time.monotonic() + limit, None
    while time.monotonic() < deadline:
        before = machine_busy_seconds()
        if before is None:
            return True
        time.sleep(0.5)
        busy = (machine_busy_seconds() - before) / 0.5
        quiet_since = (quiet_since or time.monotonic()) if busy < NOISY_CORES else None
        if quiet_since and time.monotonic() - quiet_since >= 2:
            return True
    return False


class CpuMeter:
    """CPU of the workers, their PostgreSQL backends, this process (the SMTP server) and the machine."""

    def __init__(self, admin, workers: list[subprocess.Popen]):
        self.admin, self.workers = admin, workers

    def backends(self) -> list[int]:
        with self.admin.connect() as conn:
            return list(conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE application_name LIKE :name"),
                                     {"name": f"{WORKER_NAME}-%"}))

    def read(self) -> dict:
        return {"workers": {w.pid: cpu_seconds(w.pid) for w in self.workers},
                "database": {pid: cpu_seconds(pid) for pid in self.backends()},
                "sink": time.process_time(), "machine": machine_busy_seconds()}

    @staticmethod
    def spent(before: dict, after: dict) -> dict[str, float | None]:
        def total(kind):
            # A backend that connected during the run counts from zero; one that is gone cannot be read.
            values = [(now - (before[kind].get(pid) or 0.0)) for pid, now in after[kind].items() if now is not None]
            return sum(values) if values else None

        used = {"workers": total("workers"), "database": total("database"), "sink": after["sink"] - before["sink"]}
        ours = None if None in used.values() else sum(used.values())
        machine = None if None in (before["machine"], after["machine"]) else after["machine"] - before["machine"]
        used["other"] = None if None in (ours, machine) else max(0.0, machine - ours)
        return used


# --------------------------------------------------------------------------------------------- one run

@dataclass
class Run:
    workers: int
    messages: int
    seconds: float = 0.0
    exactly_once: bool = False
    problem: str = ""
    cpu: dict | None = None
    quiet: bool = True

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def start_workers(count: int, url: str, sink: SmtpSink, folder: Path, interval: float) -> list[subprocess.Popen]:
    processes = []
    for number in range(1, count + 1):
        env = {**os.environ,
               "LOTSEN_DATABASE_URL": f"{url}?application_name={WORKER_NAME}-{number}",
               "LOTSEN_BASE_URL": BASE_URL, "LOTSEN_SECRET_KEY": "bench-secret",
               "LOTSEN_MAIL_SERVER": sink.host, "LOTSEN_MAIL_PORT": str(sink.port), "LOTSEN_MAIL_STARTTLS": "0",
               "LOTSEN_INSTANCE_PATH": str(folder / "instance")}
        with (folder / f"worker-{count}-{number}.log").open("wb") as log:
            processes.append(subprocess.Popen([str(LOTSEN), "worker", "--interval", str(interval)], env=env,
                                              stdout=log, stderr=subprocess.STDOUT))
    return processes


def stop_workers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_ticking(admin, processes: list[subprocess.Popen], timeout: float) -> str:
    """Wait until every worker has a database connection (it ticked once); returns a problem, or ''."""
    deadline = time.monotonic() + timeout
    wanted = {f"{WORKER_NAME}-{n}" for n in range(1, len(processes) + 1)}
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            return "a worker exited at start"
        with admin.connect() as conn:
            seen = set(conn.scalars(text("SELECT DISTINCT application_name FROM pg_stat_activity")))
        if wanted <= seen:
            return ""
        time.sleep(0.1)
    return f"the workers did not connect within {timeout:.0f} s"


def insert_due(engine, count: int) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    rows = [{"idempotency_key": f"bench|{n}", "subject": f"bench:{n}", "kind": "bench/message",
             "recipient": f"r{n}@example.org", "locale": "en",
             "payload": {"subject": f"Message {n}", "body": f"Body of message {n}\n", "attachments": []},
             "due_at": now, "status": OutboxStatus.PENDING} for n in range(count)]
    with engine.begin() as conn:
        conn.execute(insert(OutboxMessage.__table__), rows)


def sent_count(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT))


def arrived_exactly_once(engine, sink: SmtpSink, count: int) -> tuple[bool, str]:
    domain = urlsplit(BASE_URL).hostname
    with engine.connect() as conn:
        rows = conn.execute(select(OutboxMessage.id, OutboxMessage.idempotency_key, OutboxMessage.status)).all()
    expected = {outbox.message_id(row, domain) for row in rows}
    arrived = Counter(sink.message_ids())
    problems = []
    if len(rows) != count or any(row.status is not OutboxStatus.SENT for row in rows):
        problems.append(f"{sum(row.status is OutboxStatus.SENT for row in rows)} of {len(rows)} rows sent")
    if repeated := sum(n - 1 for n in arrived.values() if n > 1):
        problems.append(f"{repeated} repeated")
    if missing := len(expected - set(arrived)):
        problems.append(f"{missing} missing")
    if strange := len(set(arrived) - expected):
        problems.append(f"{strange} with a Message-ID of no row")
    return not problems, ", ".join(problems)


def run(admin, engine, url: str, sink: SmtpSink, workers: int, messages: int, args, folder: Path) -> Run:
    result = Run(workers, messages)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE outbox, outbox_mentions RESTART IDENTITY"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE outbox"))
    sink.clear()
    if args.quiet_wait:
        result.quiet = wait_for_quiet(args.quiet_wait)
    processes = start_workers(workers, url, sink, folder, args.interval)
    try:
        result.problem = wait_until_ticking(admin, processes, timeout=60)
        if result.problem:
            return result
        meter = CpuMeter(admin, processes)
        before = meter.read()
        insert_due(engine, messages)
        started = time.perf_counter()
        arrived = sink.wait_for(messages, timeout=args.timeout)
        result.seconds = time.perf_counter() - started
        after = meter.read()
        if not arrived:
            result.problem = f"{sink.count()} of {messages} arrived within {args.timeout:.0f} s"
            return result
        result.cpu = CpuMeter.spent(before, after)
        # The last rows are marked sent just after their arrival; wait for that, then for stragglers.
        deadline = time.monotonic() + 30
        while sent_count(engine) < messages and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        result.exactly_once, result.problem = arrived_exactly_once(engine, sink, messages)
    finally:
        stop_workers(processes)
    return result


# --------------------------------------------------------------------------------------------- report

TARGET_RATE = 500  # messages per second with two workers


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) if 0 < i < len(cells) - 1 else str(c).ljust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def per_message(result: Run, kind: str) -> str:
    cpu = (result.cpu or {}).get(kind)
    return "–" if cpu is None else f"{cpu * 1000 / result.messages:.2f}"


def report(results: list[Run]) -> None:
    header = ["workers", "messages", "seconds", "messages/s", "worker CPU ms/msg", "PostgreSQL CPU ms/msg",
              "SMTP server CPU ms/msg", "other cores", "exactly once"]
    rows = []
    for r in results:
        other = (r.cpu or {}).get("other")
        rows.append([r.workers, f"{r.messages:,}", f"{r.seconds:.1f}", f"{r.rate:.0f}", per_message(r, "workers"),
                     per_message(r, "database"), per_message(r, "sink"),
                     "–" if other is None else f"{other / r.seconds:.2f}",
                     "yes" if r.exactly_once else f"NO: {r.problem}"])
    print()
    print(table(header, rows))
    for r in results:
        if r.workers == 2 and r.seconds:
            print(f"Target (two workers, {r.messages:,} messages): at least {TARGET_RATE} messages/s: "
                  + ("met" if r.rate >= TARGET_RATE and r.exactly_once else f"MISSED ({r.rate:.0f})"))
    for r in results:
        if not r.quiet:
            print(f"(the run with {r.workers} worker{'s' if r.workers > 1 else ''}: the machine stayed busy before "
                  "it; measured anyway)")


def code_version() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "lotsen", "migrations"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "commit unknown"
    return f"commit {head or 'unknown'}{' + local changes' if dirty else ''}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", default="5000",
                        help="due messages per run; several, comma-separated, run one after the other (default 5000)")
    parser.add_argument("--workers", default="1,2", help="worker processes per run, comma-separated (default 1,2)")
    parser.add_argument("--interval", type=float, default=0.2, help="the workers' tick interval (default 0.2 s)")
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="before each run, wait up to this many seconds for the machine to go idle (0: do not)")
    parser.add_argument("--timeout", type=float, default=600.0, help="give a run up to this many seconds")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {BENCH_DATABASE} afterwards")
    args = parser.parse_args(argv)
    try:
        counts = [int(n) for n in args.workers.split(",") if n.strip()]
        sizes = [int(n.replace("_", "")) for n in args.messages.split(",") if n.strip()]
    except ValueError:
        parser.error("--messages and --workers take numbers, comma-separated")
    if not sizes or min(sizes) < 1 or not counts or min(counts) < 1:
        parser.error("nothing to measure")

    base = make_url(normalize_url(os.environ.get("LOTSEN_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)))
    admin = create_engine(base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            server_version = conn.exec_driver_sql("SHOW server_version").scalar()
    except Exception as error:  # noqa: BLE001  (any failure means: no PostgreSQL here)
        raise SystemExit(f"PostgreSQL at {base.render_as_string()} is not reachable: {str(error).splitlines()[0]}")
    url = base.set(database=BENCH_DATABASE).render_as_string(hide_password=False)
    print(f"Lotsen outbox benchmark ({code_version()}): Python {platform.python_version()}, "
          f"PostgreSQL {server_version}, {os.cpu_count()} CPUs; {', '.join(f'{n:,}' for n in sizes)} messages per run, "
          f"workers ticking every {args.interval} s", flush=True)

    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    results = []
    try:
        migrate.upgrade(url)
        engine = make_engine(url)
        with SmtpSink() as sink, tempfile.TemporaryDirectory(prefix="lotsen-bench-outbox-") as folder:
            for messages, workers in ((m, w) for m in sizes for w in counts):
                result = run(admin, engine, url, sink, workers, messages, args, Path(folder))
                print(f"{workers} worker(s): {result.seconds:.1f} s, {result.rate:.0f} messages/s"
                      + (f" ({result.problem})" if result.problem else ""), flush=True)
                results.append(result)
        engine.dispose()
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        admin.dispose()
    report(results)
    return 0 if all(r.exactly_once for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Real worker processes against PostgreSQL: two at once send each message once; a killed one loses nothing.

The workers are ``lotsen worker`` processes delivering to an SMTP sink in this process; the rows are
inserted in bulk, already rendered. Polling waits for work to finish; no assertion is about time.
"""

import datetime as dt
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from lotsen.clock import now as utcnow
from lotsen.notifications import outbox
from lotsen.notifications.models import OutboxMessage, OutboxStatus
from tests import processes
from tests.smtp_sink import smtp_sink  # noqa: F401  (the fixture)

LOTSEN = Path(sys.executable).parent / "lotsen"  # the console script of this environment
DOMAIN = "lotsen.test"  # the host of the tests' BASE_URL, which names the Message-IDs
TIMEOUT = 120  # seconds to wait for the workers to finish: generous, a hung worker fails the test instead


@pytest.fixture(autouse=True)
def postgresql_only(app):
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("the proof the issue asks for runs concurrent workers against PostgreSQL (SKIP LOCKED); "
                    "SQLite serialises writers, so there is nothing concurrent to prove")


@pytest.fixture
def app_overrides(smtp_sink):
    return {"MAIL_SERVER": smtp_sink.host, "MAIL_PORT": smtp_sink.port, "MAIL_STARTTLS": False}


@pytest.fixture
def start_worker(app, smtp_sink, tmp_path):
    """Start ``lotsen worker --interval 0.2`` processes on the test database, delivering to the sink."""
    env = {**os.environ,
           "LOTSEN_DATABASE_URL": app.config["DATABASE_URL"], "LOTSEN_BASE_URL": app.config["BASE_URL"],
           "LOTSEN_MAIL_SERVER": smtp_sink.host, "LOTSEN_MAIL_PORT": str(smtp_sink.port), "LOTSEN_MAIL_STARTTLS": "0",
           "LOTSEN_SECRET_KEY": "test-secret", "LOTSEN_INSTANCE_PATH": str(tmp_path / "worker-instance")}
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        log = tmp_path / f"worker-{len(started) + 1}.log"
        with log.open("wb") as output:
            process = processes.start([str(LOTSEN), "worker", "--interval", "0.2"], env=env, stdout=output,
                                      stderr=subprocess.STDOUT)
        process.log = log  # what it printed, for a failing assertion's message
        started.append(process)
        return process

    yield start
    for process in started:
        processes.stop(process)


def logs(processes) -> str:
    """What the workers printed, for a failing assertion's message."""
    return "\n".join(f"--- worker {p.pid} (exit code {p.poll()}):\n{p.log.read_text(errors='replace')[-3000:]}"
                     for p in processes)


def insert_due(app, count: int, due_at: dt.datetime) -> None:
    """``count`` messages, already rendered, due at ``due_at``, one recipient each, in one Core insert."""
    rows = [{"idempotency_key": f"load|{n}", "subject": f"load:{n}", "kind": "load/test",
             "recipient": f"r{n}@example.org", "locale": "en",
             "payload": {"subject": f"Message {n}", "body": f"Body of message {n}\n", "attachments": []},
             "due_at": due_at, "status": OutboxStatus.PENDING}
            for n in range(count)]
    with app.extensions["lotsen.engine"].begin() as connection:
        connection.execute(insert(OutboxMessage.__table__), rows)


def count_by_status(app) -> Counter:
    with app.extensions["lotsen.engine"].connect() as connection:
        return Counter(dict(connection.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()))


def expected_message_ids(app) -> dict[str, str]:
    """Each row's Message-ID by its recipient (one recipient per row)."""
    with app.extensions["lotsen.engine"].connect() as connection:
        rows = connection.execute(select(OutboxMessage.id, OutboxMessage.idempotency_key, OutboxMessage.recipient))
        return {row.recipient: outbox.message_id(row, DOMAIN) for row in rows}


def sink_ports_of(pid: int, sink_port: int) -> set[int]:
    """The local ports of the open connections of process ``pid`` to the sink (Linux /proc): who sent what."""
    inodes = set()
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return set()
    for descriptor in descriptors:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    ports = set()
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == sink_port:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def test_two_workers_at_once_deliver_each_of_5000_messages_exactly_once(app, start_worker, smtp_sink):
    total = 5_000
    insert_due(app, total, utcnow())

    smtp_sink.hold_from = 1  # the first message is held: its worker waits, so the second one must come from the other
    workers = [start_worker(), start_worker()]
    senders: dict[int, int] = {}  # the sink's peer port -> the worker process that owns it
    assert smtp_sink.wait_for(2, timeout=TIMEOUT), logs(workers)
    for worker in workers:
        senders.update(dict.fromkeys(sink_ports_of(worker.pid, smtp_sink.port), worker.pid))
    smtp_sink.release()
    deadline = time.monotonic() + TIMEOUT
    while count_by_status(app)[OutboxStatus.SENT] < total and time.monotonic() < deadline:
        assert all(w.poll() is None for w in workers), logs(workers)
        for worker in workers:
            senders.update(dict.fromkeys(sink_ports_of(worker.pid, smtp_sink.port), worker.pid))
        time.sleep(0.05)
    assert all(w.poll() is None for w in workers), logs(workers)  # neither died on the way

    assert count_by_status(app) == Counter({OutboxStatus.SENT: total})
    received = smtp_sink.messages
    assert len(received) == total
    expected = expected_message_ids(app)
    assert len({m.message_id for m in received}) == total
    assert all(m.message_id == expected[m.recipients[0]] for m in received)
    by_worker = Counter(senders.get(m.peer[1]) for m in received)
    assert all(by_worker[w.pid] > 0 for w in workers), by_worker  # both took part


def test_a_worker_killed_mid_run_loses_nothing_and_repeats_at_most_what_was_in_flight(app, start_worker, smtp_sink):
    total = 400
    insert_due(app, total, utcnow())
    smtp_sink.hold_from = 150  # the 150th message is stored but never answered: the worker stops mid-batch

    doomed = start_worker()
    assert smtp_sink.wait_for(150, timeout=TIMEOUT), logs([doomed])  # in its second batch
    doomed.kill()  # SIGKILL: no cleanup, its claimed rows stay "sending" until their lease runs out
    doomed.wait()
    smtp_sink.release()
    statuses = count_by_status(app)
    assert 0 < statuses[OutboxStatus.SENT] < total  # it died mid-run
    with app.extensions["lotsen.engine"].connect() as connection:
        in_flight = set(connection.scalars(select(OutboxMessage.recipient)
                                           .where(OutboxMessage.status == OutboxStatus.SENDING)))
    assert in_flight  # claimed, not yet marked sent

    # Another worker, once the lease ran out (in this process, at a later ``now``: the lease is 5 real minutes).
    later = utcnow() + outbox.LEASE + dt.timedelta(minutes=1)
    deadline = time.monotonic() + TIMEOUT
    # A tick again while the dead worker's database session is still being cleaned up (its row lock skipped).
    while count_by_status(app)[OutboxStatus.SENT] < total and time.monotonic() < deadline:
        outbox.deliver_due(app, now=later)

    assert count_by_status(app) == Counter({OutboxStatus.SENT: total})
    expected = expected_message_ids(app)
    received = smtp_sink.messages
    assert all(m.message_id == expected[m.recipients[0]] for m in received)  # repeats keep their Message-ID
    arrivals = Counter(m.recipients[0] for m in received)
    assert set(arrivals) == set(expected)  # every message arrived
    repeated = {recipient for recipient, times in arrivals.items() if times > 1}
    assert repeated <= in_flight, repeated - in_flight
    assert len(repeated) <= outbox.BATCH
    assert all(arrivals[recipient] == 2 for recipient in repeated)

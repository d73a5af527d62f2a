"""The outbox delivers to a real SMTP server: once per row, with a stable Message-ID, never after a cancel.

Every time is a controlled ``now``; nothing here waits for a clock.
"""

import datetime as dt
import email
import itertools
import socket
from email import policy
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from lotsen import db
from lotsen.notifications import outbox
from lotsen.notifications.mail import MailSettings, Transport
from lotsen.notifications.models import OutboxMessage, OutboxStatus
from tests.smtp_sink import smtp_sink  # noqa: F401  (the fixture)

DOMAIN = "lotsen.test"  # the host of the tests' BASE_URL, which names the Message-IDs
T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.timezone.utc)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def app_overrides(smtp_sink):
    return {"MAIL_SERVER": smtp_sink.host, "MAIL_PORT": smtp_sink.port, "MAIL_STARTTLS": False}


@pytest.fixture
def queue(app, session):
    """Queue a password-reset mail as a service would (rendered inside a request) and commit it."""
    numbers = itertools.count(1)

    def put(*, to: str | None = None, key: str | None = None, subject: str = "", due_at: dt.datetime = T0,
            commit: bool = True) -> OutboxMessage:
        n = next(numbers)
        with app.test_request_context(headers={"Accept-Language": "en"}):
            message = outbox.queue_mail(session, to or f"person{n}@example.org", "auth/password_reset", "en",
                                        key=key, subject=subject, due_at=due_at, user=SimpleNamespace(name=f"P {n}"),
                                        minutes=120, url=f"http://lotsen.test/reset/{n}")
        if commit:
            session.commit()
        return message

    return put


def deliver(app, now: dt.datetime) -> dict[str, int]:
    return outbox.deliver_due(app, now=now)


def claim(app, worker: str, now: dt.datetime) -> list[int]:
    """The first half of a tick: claim what is due for ``worker`` and commit the claim."""
    with db.begin_writing(app.extensions["lotsen.sessionmaker"]()) as session:
        ids = outbox.claim(session, now=now, worker=worker)
        session.commit()
    return ids


def send(app, ident: int, worker: str, now: dt.datetime, *, commit: bool = True) -> str:
    """The second half of a tick for one claimed row; ``commit=False`` is a worker dying before its commit."""
    settings = MailSettings.from_config(app.config)
    transport = Transport(settings)
    try:
        with db.begin_writing(app.extensions["lotsen.sessionmaker"]()) as session:
            locked = outbox._lock_chunk(session, [ident])
            outcome = outbox._send_one(session, locked.get(ident), worker, transport, settings, DOMAIN, now)
            if commit:
                session.commit()
            else:
                session.rollback()
    finally:
        transport.close()
    return outcome


def reloaded(session, message: OutboxMessage) -> OutboxMessage:
    """The row as others committed it: end the test's read transaction and load it again."""
    session.rollback()
    return session.get(OutboxMessage, message.id, populate_existing=True)


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens, so connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fail_to_the_end(app, session, message: OutboxMessage) -> dt.datetime:
    """Deliver ``message`` to a closed port at each due time until it fails for good; returns the last ``now``."""
    app.config["MAIL_PORT"] = closed_port()
    moment = T0
    for _attempt in range(outbox.MAX_ATTEMPTS):
        assert deliver(app, moment)["failed"] == 1
        moment = reloaded(session, message).due_at
    return moment


class TestDelivery:
    def test_a_queued_mail_arrives_at_the_smtp_server_with_its_rows_message_id(self, app, session, queue, smtp_sink):
        message = queue(to="amina@example.org")

        assert deliver(app, T0) == {"sent": 1, "failed": 0, "skipped": 0}

        [received] = smtp_sink.messages
        assert received.recipients == ("amina@example.org",)
        assert received.mail_from == "lotsen@localhost"
        assert received.message_id == outbox.message_id(message, DOMAIN)
        assert received.message_id.endswith(f"@{DOMAIN}>")
        assert received.subject == "Reset your Lotsen password"
        assert received.message["Content-Language"] == "en"
        assert "Hello P 1," in received.body and "http://lotsen.test/reset/1" in received.body
        row = reloaded(session, message)
        assert (row.status, row.attempts, row.claimed_by, row.lease_until) == (OutboxStatus.SENT, 1, "", None)
        assert row.sent_at is not None

    def test_a_sent_mail_is_not_sent_again_by_later_ticks(self, app, queue, smtp_sink):
        queue()
        deliver(app, T0)

        assert deliver(app, T0 + MINUTE) == {"sent": 0, "failed": 0, "skipped": 0}
        assert deliver(app, T0 + outbox.LEASE * 3) == {"sent": 0, "failed": 0, "skipped": 0}
        assert smtp_sink.count() == 1

    def test_a_mail_waits_until_it_is_due(self, app, queue, smtp_sink):
        queue(due_at=T0 + dt.timedelta(hours=1))

        assert deliver(app, T0 + 59 * MINUTE)["sent"] == 0
        assert deliver(app, T0 + 60 * MINUTE)["sent"] == 1
        assert smtp_sink.count() == 1

    def test_without_a_mail_server_mails_are_written_as_eml_files(self, app, queue, smtp_sink):
        app.config["MAIL_SERVER"] = ""
        message = queue(to="amina@example.org")

        deliver(app, T0)

        [path] = Path(app.config["MAIL_DIR"]).glob("*.eml")
        written = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert written["To"] == "amina@example.org"
        assert written["Message-ID"] == outbox.message_id(message, DOMAIN)
        assert smtp_sink.count() == 0


class TestOnceAndOnlyOnce:
    def test_a_rolled_back_transaction_leaves_no_row_and_sends_nothing(self, app, session, queue, smtp_sink):
        queue(commit=False)
        session.flush()
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1

        session.rollback()

        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert deliver(app, T0)["sent"] == 0
        assert smtp_sink.count() == 0

    def test_queueing_the_same_key_twice_yields_one_row_and_one_delivery(self, app, session, queue, smtp_sink):
        key = "assignment:7|assignments/reminder"
        first = queue(key=key, commit=False)
        assert queue(key=key) is first  # again in the same transaction
        queue(key=key, due_at=T0 - MINUTE)  # and again in the next one: rescheduled, still one row

        deliver(app, T0)
        session.expire_all()  # (a request's session would be new)
        assert queue(key=key).status is OutboxStatus.SENT  # once sent, queueing again changes nothing
        deliver(app, T0 + dt.timedelta(days=1))

        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        assert smtp_sink.message_ids() == [outbox.message_id(first, DOMAIN)]

    def test_a_claim_whose_worker_died_is_sent_by_another_worker_once_the_lease_ran_out(
            self, app, session, queue, smtp_sink):
        message = queue()
        assert claim(app, "died-before-sending", T0) == [message.id]

        assert deliver(app, T0 + outbox.LEASE - MINUTE)["sent"] == 0  # the lease still holds
        assert deliver(app, T0 + outbox.LEASE + MINUTE)["sent"] == 1

        assert smtp_sink.message_ids() == [outbox.message_id(message, DOMAIN)]
        row = reloaded(session, message)
        assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)

    def test_a_mail_whose_sender_died_before_its_commit_goes_again_with_the_same_message_id(
            self, app, session, queue, smtp_sink):
        message = queue()
        claim(app, "died-after-sending", T0)
        assert send(app, message.id, "died-after-sending", T0, commit=False) == "sent"
        assert reloaded(session, message).status is OutboxStatus.SENDING

        deliver(app, T0 + outbox.LEASE + MINUTE)

        assert smtp_sink.message_ids() == [outbox.message_id(message, DOMAIN)] * 2
        assert reloaded(session, message).status is OutboxStatus.SENT


class TestCancelling:
    def test_a_cancelled_mail_is_never_sent(self, app, session, queue, smtp_sink):
        cancelled = queue(subject="assignment:7", to="amina@example.org")
        kept = queue(subject="assignment:8", to="bilal@example.org")

        assert outbox.cancel(session, "assignment:7") == 1
        session.commit()
        deliver(app, T0 + dt.timedelta(days=1))

        assert smtp_sink.message_ids() == [outbox.message_id(kept, DOMAIN)]
        assert reloaded(session, cancelled).status is OutboxStatus.CANCELLED

    def test_a_mail_cancelled_after_its_claim_is_skipped_by_the_sender(self, app, session, queue, smtp_sink):
        message = queue(subject="assignment:7")
        assert claim(app, "w1", T0) == [message.id]

        assert outbox.cancel(session, "assignment:7") == 1  # another transaction, between claim and send
        session.commit()

        assert send(app, message.id, "w1", T0) == "skipped"
        assert deliver(app, T0 + outbox.LEASE + MINUTE)["sent"] == 0  # nor does a later worker pick it up
        assert smtp_sink.count() == 0
        assert reloaded(session, message).status is OutboxStatus.CANCELLED


class TestFailures:
    def test_an_smtp_failure_backs_off_and_the_last_attempt_marks_the_mail_failed(self, app, session, queue, smtp_sink):
        app.config["MAIL_PORT"] = closed_port()
        message = queue()
        moment = T0
        for attempt in range(1, outbox.MAX_ATTEMPTS):
            assert deliver(app, moment) == {"sent": 0, "failed": 1, "skipped": 0}
            row = reloaded(session, message)
            assert (row.status, row.attempts) == (OutboxStatus.PENDING, attempt)
            assert row.due_at == moment + 2 ** (attempt - 1) * MINUTE  # 1, 2, 4, 8, 16 minutes
            assert row.last_error.startswith("ConnectionRefusedError")
            assert deliver(app, row.due_at - dt.timedelta(seconds=1))["failed"] == 0  # not before it is due
            moment = row.due_at

        assert deliver(app, moment)["failed"] == 1
        row = reloaded(session, message)
        assert (row.status, row.attempts) == (OutboxStatus.FAILED, outbox.MAX_ATTEMPTS)
        assert row.last_error.startswith("ConnectionRefusedError")
        assert deliver(app, moment + dt.timedelta(days=30)) == {"sent": 0, "failed": 0, "skipped": 0}
        assert smtp_sink.count() == 0

    def test_a_mail_that_cannot_be_built_fails_alone_and_the_rest_of_its_batch_goes_out(
            self, app, session, queue, smtp_sink):
        broken = queue()
        broken.payload = {**broken.payload, "attachments": [{"filename": "invitation.ics", "text": "..."}]}
        session.commit()  # an attachment without its content type: building the message raises KeyError
        fine = queue()

        deliver(app, T0)

        assert smtp_sink.message_ids() == [outbox.message_id(fine, DOMAIN)]
        row = reloaded(session, broken)
        assert row.status in (OutboxStatus.PENDING, OutboxStatus.FAILED)  # not "sending", to be reclaimed forever
        assert "KeyError" in row.last_error

    def test_a_failed_mail_goes_out_after_a_retry(self, app, session, queue, smtp_sink):
        message = queue()
        moment = fail_to_the_end(app, session, message)
        app.config["MAIL_PORT"] = smtp_sink.port  # the server is back

        outbox.retry(session, reloaded(session, message), moment)
        session.commit()
        deliver(app, moment)

        assert smtp_sink.message_ids() == [outbox.message_id(message, DOMAIN)]
        row = reloaded(session, message)
        assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 1, "")

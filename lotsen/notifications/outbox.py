"""The outbox: messages written in the transaction of the change that causes them, delivered by the worker.

A tick claims due rows with one atomic statement (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so two
workers never claim the same row; SQLite: one UPDATE, writers being serialised), commits the claim,
then sends them over one SMTP connection, ``CHUNK`` rows to a transaction that locks them, marks each sent
and commits. A claim whose lease ran out (the
worker died) is claimed again; the message then goes out with the same Message-ID. Failures back
off exponentially and, after the last attempt, show as failed on the coordinators' page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from lotsen import clock, db
from lotsen.auth.directory import coordinators_of
from lotsen.auth.models import User, UserStatus
from lotsen.notifications import kinds
from lotsen.notifications.mail import MailSettings, Transport, build, render
from lotsen.notifications.models import OutboxMessage, OutboxStatus, outbox_mentions
from lotsen.urls import domain

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# Mails whose text and address are wiped once sent: the confirmation that someone's data was deleted.
SCRUB_AFTER_SENDING = {"volunteers/data_deleted"}
LEASE = dt.timedelta(minutes=5)
BATCH = 100
# Rows sent in one transaction over the batch's one SMTP connection: one lock and one commit per chunk instead
# of per message. A worker that dies mid-chunk leaves the chunk's rows claimed; they go out again after the
# lease with the same Message-ID (at most CHUNK repeats, where it was one before).
CHUNK = 20


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8, 16 minutes ... after the first, second, third ... failed attempt."""
    return dt.timedelta(minutes=2 ** max(attempts - 1, 0))


# ----------------------------------------------------------------------------------------------- writing

def queue_mail(session: Session, to: str, template: str, locale: str, *, key: str | None = None,
               subject: str = "", due_at: dt.datetime | None = None, to_user=None, office_id: int | None = None,
               attachments=(), **context) -> OutboxMessage | None:
    """Render a mail in ``locale`` now and put it in the outbox; it leaves after the commit.

    ``key`` makes it idempotent per (subject, kind): queueing the same key again reschedules a
    message that is still waiting and does nothing to one already sent. ``to_user`` is the recipient
    as a user, whose preferences apply. Returns the row, or None when they switched this kind off.
    """
    if to_user is not None and not kinds.is_wanted(template, to_user.mail_opt_out):
        return None
    key = key or f"{subject or 'mail'}|{template}|{uuid.uuid4().hex}"
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None and existing.status not in (OutboxStatus.PENDING, OutboxStatus.CANCELLED):
        return existing  # already on its way or sent: once is enough
    subject_line, body = render(template, locale, **context)
    payload = {"subject": subject_line, "body": body, "attachments": list(attachments)}
    due_at = due_at or clock.now()
    if existing is not None:  # rescheduled (or revived after a cancel): same row, new content and time
        existing.payload, existing.due_at, existing.recipient = payload, due_at, to
        existing.status, existing.attempts, existing.last_error = OutboxStatus.PENDING, 0, ""
        _name_people(session, existing, context)
        return existing
    message = OutboxMessage(idempotency_key=key, subject=subject, kind=template, recipient=to, locale=locale,
                            user_id=to_user.id if to_user is not None else None, office_id=office_id, payload=payload,
                            due_at=due_at, status=OutboxStatus.PENDING)
    session.add(message)
    _name_people(session, message, context)
    return message


def people_named(context: dict) -> set[int]:
    """The accounts a mail's text may name besides its recipient: users passed to the template, and the
    volunteer of an offer, assignment or record passed to it."""
    named: set[int] = set()

    def visit(value, depth=0):
        if isinstance(value, User):
            if isinstance(value.id, int):
                named.add(value.id)
        elif isinstance(getattr(value, "volunteer_id", None), int):
            named.add(value.volunteer_id)
        elif isinstance(value, (list, tuple, set)) and depth == 0:
            for item in value:
                visit(item, 1)

    for name, value in context.items():
        if name != "recipient":
            visit(value)
    return named


def _name_people(session: Session, message: OutboxMessage, context: dict) -> None:
    """Note whom the message names (``outbox_mentions``), replacing what a rescheduled message named before."""
    named = people_named(context) - {message.user_id}
    if message.id is not None:
        session.execute(delete(outbox_mentions).where(outbox_mentions.c.message_id == message.id))
    if not named:
        return
    if message.id is None:
        session.flush()
    session.execute(insert(outbox_mentions), [{"message_id": message.id, "user_id": i} for i in sorted(named)])


def mail_user(session: Session, user, template: str, *, office_id: int | None = None,
              **context) -> OutboxMessage | None:
    """Queue a mail to a user with an active account, in their language (nothing for anyone else)."""
    if user is None or user.status is not UserStatus.ACTIVE or not user.email:
        return None
    return queue_mail(session, user.email, template, user.locale, to_user=user, office_id=office_id, recipient=user,
                      **context)


def mail_coordinators(session: Session, office_id: int, template: str, **context) -> int:
    """Queue a mail to each of the office's coordinators; returns how many were queued."""
    return sum(mail_user(session, coordinator, template, office_id=office_id, **context) is not None
               for coordinator in coordinators_of(session, office_id))


def cancel(session: Session, subject: str, kinds_: tuple[str, ...] = ()) -> int:
    """Cancel the messages about ``subject`` that have not left yet (all kinds, or just these)."""
    query = update(OutboxMessage).where(
        OutboxMessage.subject == subject,
        OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED]))
    if kinds_:
        query = query.where(OutboxMessage.kind.in_(kinds_))
    return session.execute(query.values(status=OutboxStatus.CANCELLED)
                           .execution_options(synchronize_session=False)).rowcount


def retry(session: Session, message: OutboxMessage, now: dt.datetime) -> None:
    """Send a failed message again at the next tick."""
    message.status, message.attempts, message.due_at, message.last_error = OutboxStatus.PENDING, 0, now, ""


# ----------------------------------------------------------------------------------------------- delivering

def message_id(message: OutboxMessage, domain: str) -> str:
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:16]
    return f"<lotsen.{message.id}.{digest}@{domain}>"


def claim(session: Session, *, now: dt.datetime, worker: str, limit: int = BATCH) -> list[int]:
    """Claim due rows for ``worker`` in one statement; returns their ids (the caller commits)."""
    due = (select(OutboxMessage.id)
           .where(or_((OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.due_at <= now),
                      (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.lease_until < now)))
           .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(limit)
           .with_for_update(skip_locked=True))
    claimed = session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(status=OutboxStatus.SENDING, claimed_by=worker, lease_until=now + LEASE,
                attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id).execution_options(synchronize_session=False))
    return sorted(claimed.scalars())


def _lock_chunk(session: Session, ids: list[int]) -> dict[int, OutboxMessage]:
    """Lock a chunk of claimed rows with one statement (PostgreSQL: FOR UPDATE), so a cancel waits or wins."""
    return {message.id: message for message in session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id).with_for_update()
        .execution_options(populate_existing=True))}


def _send_one(session: Session, message: OutboxMessage | None, worker: str, transport: Transport,
              settings: MailSettings, host: str, now: dt.datetime) -> str:
    """Send one claimed, locked row and record the outcome."""
    if message is None or message.status is not OutboxStatus.SENDING or message.claimed_by != worker:
        return "skipped"  # cancelled meanwhile, or reclaimed by another worker after our lease ran out
    if message.channel == "webhook":
        return _post_webhook(session, message, now)
    payload = message.payload or {}
    try:
        built = build(settings, to=message.recipient, subject=payload.get("subject", ""),
                      body=payload.get("body", ""), locale=message.locale,
                      message_id=message_id(message, host), attachments=payload.get("attachments", []))
    except Exception as error:  # noqa: BLE001  a message that cannot be built never will be: fail it alone
        _failed(message, error, now, permanent=True)
        return "failed"
    try:
        transport.send(built)
    except Exception as error:  # noqa: BLE001  the server or the network; try again later
        _failed(message, error, now, permanent=False)
        return "failed"
    _sent(message)
    if message.kind in SCRUB_AFTER_SENDING:
        message.recipient, message.payload = "", {"subject": "", "body": "", "attachments": []}
    return "sent"


def _post_webhook(session: Session, message: OutboxMessage, now: dt.datetime) -> str:
    """A webhook delivery (``lotsen.api.webhooks``): the receiver's answer is kept beside the row."""
    from flask import current_app

    from lotsen.api import webhooks

    try:
        answer = webhooks.deliver(session, message, allow_local=current_app.config["WEBHOOK_ALLOW_LOCAL"],
                                  now=clock.now())
    except webhooks.DeliveryError as error:
        _failed(message, error, now, permanent=error.permanent, text=str(error))
        return "failed"
    _sent(message)
    message.last_error = answer  # what the receiver answered, shown with the deliveries
    return "sent"


def _sent(message: OutboxMessage) -> None:
    message.status, message.sent_at, message.claimed_by, message.lease_until = OutboxStatus.SENT, clock.now(), "", None


def _failed(message: OutboxMessage, error: Exception, now: dt.datetime, *, permanent: bool,
            text: str | None = None) -> None:
    message.last_error = (text or f"{type(error).__name__}: {error}")[:2000]
    if permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED
    else:
        message.status, message.due_at = OutboxStatus.PENDING, now + backoff(message.attempts)
    message.claimed_by, message.lease_until = "", None
    log.warning("Message %s to %s failed (attempt %s): %s", message.id, message.recipient, message.attempts,
                message.last_error)


def deliver_due(app, *, now: dt.datetime | None = None, worker: str | None = None, limit: int = BATCH,
                rounds: int = 50) -> dict[str, int]:
    """Claim and send what is due, batch by batch, until nothing is due (or ``rounds`` batches)."""
    worker = worker or uuid.uuid4().hex
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    with app.app_context():
        settings = MailSettings.from_config(app.config)
        host = domain()
        maker = app.extensions["lotsen.sessionmaker"]
        transport = Transport(settings)
        try:
            for _round in range(rounds):
                moment = now or clock.now()
                with db.begin_writing(maker()) as session:
                    ids = claim(session, now=moment, worker=worker, limit=limit)
                    session.commit()
                if not ids:
                    break
                for start in range(0, len(ids), CHUNK):
                    chunk = ids[start:start + CHUNK]
                    with db.begin_writing(maker()) as session:
                        locked = _lock_chunk(session, chunk)
                        outcomes = [_send_one(session, locked.get(ident), worker, transport, settings, host, moment)
                                    for ident in chunk]
                        session.commit()
                    for outcome in outcomes:
                        counts[outcome] += 1
                if len(ids) < limit:
                    break
        finally:
            transport.close()
    return counts


__all__ = ["cancel", "claim", "deliver_due", "mail_coordinators", "mail_user", "queue_mail", "retry"]

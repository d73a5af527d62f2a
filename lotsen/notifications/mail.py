"""The one path by which Lotsen sends mail.

Services call ``queue_mail`` inside their transaction; the message is rendered at once in
the recipient's language and handed to delivery only after the session commits, so a
rolled-back change sends nothing.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import event
from sqlalchemy.orm import Session

from lotsen.i18n import force_locale

log = logging.getLogger(__name__)
_PENDING = "lotsen.pending_mail"


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    username: str
    password: str
    starttls: bool
    use_ssl: bool
    sender: str
    mail_dir: str

    @classmethod
    def from_config(cls, config) -> MailSettings:
        return cls(
            server=config["MAIL_SERVER"],
            port=config["MAIL_PORT"],
            username=config["MAIL_USERNAME"],
            password=config["MAIL_PASSWORD"],
            starttls=config["MAIL_STARTTLS"],
            use_ssl=config["MAIL_SSL"],
            sender=config["MAIL_SENDER"],
            mail_dir=config["MAIL_DIR"],
        )


def compose(to: str, template: str, locale: str, **context) -> EmailMessage:
    """Render ``templates/mail/<template>.txt`` in the recipient's locale.

    The template's first line is the subject; the rest, after a blank line, the body.
    """
    with force_locale(locale):
        text = render_template(f"mail/{template}.txt", **context)
    subject, _, body = text.strip().partition("\n")
    settings = MailSettings.from_config(current_app.config)
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject.strip()
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="lotsen")
    message.set_content(body.strip() + "\n")
    message["Content-Language"] = locale  # after set_content, which replaces Content-* headers
    return message


def queue_mail(session: Session, to: str, template: str, locale: str, **context) -> EmailMessage:
    """Compose a mail now and send it once ``session`` commits."""
    message = compose(to, template, locale, **context)
    settings = MailSettings.from_config(current_app.config)
    session.info.setdefault(_PENDING, []).append((settings, message))
    return message


def deliver(settings: MailSettings, message: EmailMessage) -> None:
    """Send through SMTP, or write an .eml file when no server is configured."""
    if not settings.server:
        directory = Path(settings.mail_dir)
        directory.mkdir(parents=True, exist_ok=True)
        # Nanoseconds first, so the files sort in the order they were sent.
        path = directory / f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        path.write_bytes(bytes(message))
        return
    if settings.use_ssl:
        smtp = smtplib.SMTP_SSL(settings.server, settings.port, context=ssl.create_default_context(), timeout=30)
    else:
        smtp = smtplib.SMTP(settings.server, settings.port, timeout=30)
    with smtp:
        if settings.starttls and not settings.use_ssl:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(message)


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    for settings, message in session.info.pop(_PENDING, []):
        try:
            deliver(settings, message)
        except (OSError, smtplib.SMTPException):
            # The change is committed; a lost mail must not turn it into an error page.
            log.exception("could not deliver mail %s", message["Message-ID"])


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)

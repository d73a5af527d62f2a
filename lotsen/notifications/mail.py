"""Composing and delivering mail.

Services call ``queue_mail`` inside their transaction: the message is rendered at once in the
recipient's language and written to the outbox (``lotsen.notifications.outbox``) with the change
that causes it, so a rolled-back change sends nothing. The worker delivers it.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from flask import render_template

from lotsen import clock
from lotsen.i18n import force_locale, usable_locale

log = logging.getLogger(__name__)


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


def render(template: str, locale: str, **context) -> tuple[str, str]:
    """Render ``templates/mail/<template>.txt`` in ``locale`` (the recipient's account language, the default
    if that is not enabled): the first line is the subject, the rest the body."""
    with force_locale(usable_locale(locale)):
        text = render_template(f"mail/{template}.txt", **context)
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def build(settings: MailSettings, *, to: str, subject: str, body: str, locale: str, message_id: str,
          attachments: list[dict] = ()) -> EmailMessage:
    """The message as it goes on the wire; the same row always carries the same Message-ID."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = message_id
    message.set_content(body)
    message["Content-Language"] = locale  # after set_content, which replaces Content-* headers
    for attachment in attachments:
        maintype, _, subtype = attachment["content_type"].partition("/")
        subtype, _, params = subtype.partition(";")
        message.add_attachment(attachment["text"].encode(), maintype=maintype, subtype=subtype.strip(),
                               filename=attachment["filename"],
                               params=dict(p.strip().split("=", 1) for p in params.split(";") if "=" in p))
    return message


class Transport:
    """One SMTP connection for a batch of messages, or .eml files when no server is configured."""

    def __init__(self, settings: MailSettings):
        self.settings = settings
        self._smtp = None

    def send(self, message: EmailMessage) -> None:
        settings = self.settings
        if not settings.server:
            directory = Path(settings.mail_dir)
            directory.mkdir(parents=True, exist_ok=True)
            # The moment first (to the microsecond), so the files sort in the order they were sent.
            path = directory / f"{clock.now():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
            path.write_bytes(bytes(message))
            return
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self._smtp = self._connect()
            self._smtp.send_message(message)

    def _connect(self):
        settings = self.settings
        if settings.use_ssl:
            smtp = smtplib.SMTP_SSL(settings.server, settings.port, context=ssl.create_default_context(), timeout=30)
        else:
            smtp = smtplib.SMTP(settings.server, settings.port, timeout=30)
        if settings.starttls and not settings.use_ssl:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None

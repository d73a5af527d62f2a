"""The outbox: every message Lotsen sends is first a row, written with the change that causes it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, ForeignKey, Index, SmallInteger, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from lotsen import clock
from lotsen.db import Base, UTCDateTime
from lotsen.enums import TitledEnum, enum_column
from lotsen.i18n import _l


class OutboxStatus(TitledEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @classmethod
    def titles(cls):
        return {
            cls.PENDING: _l("Waiting"),
            cls.SENDING: _l("Being sent"),
            cls.SENT: _l("Sent"),
            cls.FAILED: _l("Failed"),
            cls.CANCELLED: _l("Cancelled"),
        }


# Whom a message's text names besides its recipient (the volunteer in a coordinator's or an agency's mail):
# erasing a person's data finds their name in others' mails through this, not by searching every text.
outbox_mentions = Table(
    "outbox_mentions",
    Base.metadata,
    Column("message_id", ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class OutboxMessage(Base):
    """One message to one recipient, rendered in their language, due at a time, sent at most once per key."""

    __tablename__ = "outbox"
    __table_args__ = (
        # What a tick claims: due pending rows, and rows whose sender's lease ran out.
        Index("ix_outbox_status_due_at", "status", "due_at"),
        Index("ix_outbox_subject", "subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<subject>|<kind>": a reminder for an assignment exists once, however often it is scheduled.
    idempotency_key: Mapped[str] = mapped_column(String(250), unique=True)
    subject: Mapped[str] = mapped_column(String(120), default="")  # e.g. "assignment:12", to cancel by
    kind: Mapped[str] = mapped_column(String(60))  # the template, e.g. "assignments/reminder"
    channel: Mapped[str] = mapped_column(String(16), default="email")
    recipient: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"), index=True)
    locale: Mapped[str] = mapped_column(String(10), default="de")
    payload: Mapped[dict] = mapped_column(JSON, default=dict)  # subject line, body, attachments
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_by: Mapped[str] = mapped_column(String(64), default="")
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def subject_line(self) -> str:
        return (self.payload or {}).get("subject", "")


__all__ = ["OutboxMessage", "OutboxStatus", "outbox_mentions"]

"""The agencies' API: tokens, webhook endpoints, and the answers kept for retried calls."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lotsen import clock
from lotsen.auth.models import User
from lotsen.db import Base, UTCDateTime
from lotsen.enums import TitledEnum
from lotsen.i18n import _l
from lotsen.offices.models import Agency


class Scope(TitledEnum):
    """What a token may do."""

    READ_REQUESTS = "requests:read"
    WRITE_REQUESTS = "requests:write"
    CONFIRM_RECORDS = "records:confirm"

    @classmethod
    def titles(cls):
        return {
            cls.READ_REQUESTS: _l("Read requests"),
            cls.WRITE_REQUESTS: _l("File, change and cancel requests"),
            cls.CONFIRM_RECORDS: _l("Confirm or dispute assignment records"),
        }


class ApiToken(Base):
    """An agency's system's key to the API. Only a hash of the token is kept; it is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(24))  # the token's first characters, to tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    # The offices whose requests of the agency the token reaches (those its creator could grant).
    office_ids: Mapped[list] = mapped_column(JSON, default=list)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    agency: Mapped[Agency] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    def is_live(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def allows(self, scope: Scope) -> bool:
        return scope.value in (self.scopes or [])

    @property
    def scope_titles(self) -> list[str]:
        return [str(scope.title) for scope in Scope if self.allows(scope)]


class WebhookEndpoint(Base):
    """Where an agency's system is told of its requests' status changes, signed with the endpoint's secret."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    # Signing needs the secret itself (HMAC), so it is kept as it is, like every webhook sender keeps it.
    secret: Mapped[str] = mapped_column(String(100))
    office_ids: Mapped[list] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    agency: Mapped[Agency] = relationship()

    @property
    def subject(self) -> str:
        """The outbox subject its deliveries are kept under."""
        return f"webhook:{self.id}"


class IdempotentResponse(Base):
    """The answer to a POST sent with an ``Idempotency-Key``: the same key again gets the same answer."""

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))  # method, path and body of the first call
    status_code: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)

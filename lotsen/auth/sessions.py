"""Server-side sessions: a signed-in browser holds a random token; the server decides whether it still counts.

Signing out ends the session here, so a copied cookie replayed afterwards opens nothing. A session ends
after a period without use (``SESSION_IDLE_MINUTES``) and at the latest after an absolute lifetime
(``SESSION_MAX_HOURS``); "stay signed in" keeps it for ``REMEMBER_DAYS`` instead, no longer. Users see their
sessions on the account page and end the others; a password change, a deactivation or a reset of the
second factor ends all of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Boolean, ForeignKey, Index, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from lotsen import clock
from lotsen.auth.models import User
from lotsen.db import Base, UTCDateTime

TOUCH_EVERY = dt.timedelta(minutes=1)  # how often a session's last use is written (not on every request)


@dataclass(frozen=True)
class Lifetimes:
    idle: dt.timedelta
    absolute: dt.timedelta
    remember: dt.timedelta

    @classmethod
    def from_config(cls, config) -> Lifetimes:
        return cls(idle=dt.timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
                   absolute=dt.timedelta(hours=config["SESSION_MAX_HOURS"]),
                   remember=dt.timedelta(days=config["REMEMBER_DAYS"]))


class UserSession(Base):
    """One signed-in browser."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id_ended_at", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the browser holds the token, we its hash
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # the absolute end
    idle_minutes: Mapped[int] = mapped_column(default=60)  # ends after this long without use
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(String(32), default="")

    user: Mapped[User] = relationship()

    def is_valid(self, now: dt.datetime) -> bool:
        return (self.ended_at is None and now < self.expires_at
                and now - self.last_seen_at < dt.timedelta(minutes=self.idle_minutes))

    def needs_touch(self, now: dt.datetime) -> bool:
        return now - self.last_seen_at >= TOUCH_EVERY

    @property
    def device(self) -> str:
        """A short description of the browser, for the list of sessions."""
        agent = self.user_agent or "?"
        for name in ("Firefox", "Edg", "Chrome", "Safari", "curl"):
            if name in agent:
                browser = {"Edg": "Edge"}.get(name, name)
                break
        else:
            browser = agent[:40]
        for system in ("Android", "iPhone", "iPad", "Windows", "Mac OS", "Linux"):
            if system in agent:
                return f"{browser}, {system}"
        return browser


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user: User, *, now: dt.datetime, remember: bool, lifetimes: Lifetimes,
          address: str = "", user_agent: str = "") -> str:
    """A new session for ``user``; returns the token the browser keeps."""
    token = secrets.token_urlsafe(32)
    lasts = lifetimes.remember if remember else lifetimes.absolute
    idle = lifetimes.remember if remember else lifetimes.idle
    session.add(UserSession(token_hash=_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
                            expires_at=now + lasts, idle_minutes=int(idle.total_seconds() // 60), remember=remember,
                            address=(address or "")[:45], user_agent=(user_agent or "")[:200]))
    session.flush()
    return token


def find(session: Session, token: str | None) -> UserSession | None:
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    return session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))


def end(session: Session, row: UserSession, now: dt.datetime, reason: str) -> None:
    if row.ended_at is None:
        row.ended_at, row.end_reason = now, reason


def end_all(session: Session, user: User, now: dt.datetime, reason: str, *, keep: UserSession | None = None) -> int:
    """End every running session of the user (but ``keep``); returns how many."""
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    return session.execute(query.values(ended_at=now, end_reason=reason)
                           .execution_options(synchronize_session=False)).rowcount


def active(session: Session, user: User, now: dt.datetime) -> list[UserSession]:
    """The user's sessions that still count, the most recently used first."""
    rows = session.scalars(select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                           .order_by(UserSession.last_seen_at.desc())).all()
    return [row for row in rows if row.is_valid(now)]

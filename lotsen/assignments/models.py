"""Offers to volunteers and the assignments they become.

Their statuses move only through the verb methods here, which consult the transition tables in
``lifecycle.py``; the ``can_*`` predicates say who may do what, for the views and templates alike.
No I/O here.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Index, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lotsen import clock
from lotsen.assignments.lifecycle import (
    AssignmentAction,
    AssignmentStatus,
    OfferAction,
    OfferStatus,
    can_assignment,
    can_offer,
    next_assignment_status,
    next_offer_status,
)
from lotsen.auth.models import User
from lotsen.auth.permissions import coordinates
from lotsen.db import Base, UTCDateTime
from lotsen.enums import TitledEnum, enum_column
from lotsen.i18n import _l
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import HelpRequest


class DeclineReason(TitledEnum):
    NOT_AVAILABLE = "not_available"
    TOO_FAR = "too_far"
    TOPIC = "topic"
    LANGUAGE = "language"
    PERSONAL = "personal"
    OTHER = "other"

    @classmethod
    def titles(cls):
        return {
            cls.NOT_AVAILABLE: _l("I am not available then"),
            cls.TOO_FAR: _l("Too far for me"),
            cls.TOPIC: _l("I would rather not take this topic"),
            cls.LANGUAGE: _l("The language or variety does not suit me"),
            cls.PERSONAL: _l("Personal reasons"),
            cls.OTHER: _l("Other reason"),
        }


def _is_user(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


class Offer(Base):
    """One request offered to one volunteer in one round of asking, with what it looked like when offered."""

    __tablename__ = "offers"
    __table_args__ = (
        Index("ix_offers_volunteer_id_status", "volunteer_id", "status"),
        Index("ix_offers_request_id_status", "request_id", "status"),
        Index("ix_offers_status_expires_at", "status", "expires_at"),
        # The database's own guarantee that a volunteer is asked once at a time for a request.
        Index("uq_offers_request_id_waiting", "request_id", "volunteer_id", unique=True,
              sqlite_where=text("status IN ('open', 'accepted')"),
              postgresql_where=text("status IN ('open', 'accepted')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[OfferStatus] = mapped_column(enum_column(OfferStatus), default=OfferStatus.OPEN)
    round: Mapped[int] = mapped_column(SmallInteger, default=1)
    wave: Mapped[int] = mapped_column(SmallInteger, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[DeclineReason | None] = mapped_column(enum_column(DeclineReason))
    # A near miss offered anyway: what the volunteer misses, and the coordinator's reason for asking.
    near_miss: Mapped[str] = mapped_column(String(200), default="")
    override_note: Mapped[str] = mapped_column(Text, default="")
    distance_km: Mapped[float | None] = mapped_column(Float)
    # The request's time and place when offered: a decline holds only while these stay the same.
    offered_starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    offered_ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    offered_place: Mapped[str] = mapped_column(String(300), default="")

    request: Mapped[HelpRequest] = relationship()
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    # ---------------------------------------------------------------------------------------- life cycle

    def move(self, action: OfferAction, now: dt.datetime) -> None:
        """Take one step of the offer's life cycle (or raise ``TransitionError``)."""
        self.status = next_offer_status(self.status, action)
        if action is not OfferAction.CONFIRM and self.answered_at is None:
            self.answered_at = now

    def accept(self, now: dt.datetime) -> None:
        self.move(OfferAction.ACCEPT, now)

    def decline(self, now: dt.datetime, reason: DeclineReason | None) -> None:
        self.move(OfferAction.DECLINE, now)
        self.decline_reason = reason

    def expire(self, now: dt.datetime) -> None:
        self.move(OfferAction.EXPIRE, now)

    def take(self, now: dt.datetime) -> None:
        """Someone else got it: their acceptance was confirmed, or this answer came too late."""
        self.move(OfferAction.TAKE, now)

    def withdraw(self, now: dt.datetime) -> None:
        self.move(OfferAction.WITHDRAW, now)

    def release(self, now: dt.datetime) -> None:
        """The coordinator does not confirm this acceptance."""
        self.move(OfferAction.RELEASE, now)

    def confirm(self, now: dt.datetime) -> None:
        self.move(OfferAction.CONFIRM, now)

    def cancel(self, now: dt.datetime) -> None:
        self.move(OfferAction.CANCEL, now)

    # ---------------------------------------------------------------------------------------- predicates

    def is_open(self, now: dt.datetime) -> bool:
        return self.status is OfferStatus.OPEN and self.expires_at > now

    def is_expired(self, now: dt.datetime) -> bool:
        """Open on paper, but past its time: the worker has not got round to it yet."""
        return self.status is OfferStatus.OPEN and self.expires_at <= now

    def is_addressed_to(self, user) -> bool:
        return _is_user(user) and user.id == self.volunteer_id

    def can_answer(self, user, now: dt.datetime) -> bool:
        return self.is_addressed_to(user) and self.is_open(now)

    def can_view(self, user) -> bool:
        """The volunteer asked, and the office's coordinators."""
        return self.is_addressed_to(user) or coordinates(user, self.request.office_id)

    def can_confirm(self, user) -> bool:
        return (can_offer(self.status, OfferAction.CONFIRM) and self.request.status is RequestStatus.ACCEPTED
                and coordinates(user, self.request.office_id))

    def can_release(self, user) -> bool:
        return self.can_confirm(user)

    def can_withdraw(self, user) -> bool:
        return self.status is OfferStatus.OPEN and coordinates(user, self.request.office_id)


class Assignment(Base):
    """A confirmed volunteer for a request (an Einsatz). At most one is live per request."""

    __tablename__ = "assignments"
    __table_args__ = (
        # Matching counts and finds busy times of many volunteers at once, from the index alone on PostgreSQL.
        Index("ix_assignments_volunteer_id_starts_at", "volunteer_id", "starts_at",
              postgresql_include=["ends_at", "status", "request_id"]),
        # The database's own guarantee behind "first acceptance wins": one live assignment per request.
        Index("uq_assignments_request_id_live", "request_id", unique=True,
              sqlite_where=text("status IN ('confirmed', 'completed')"),
              postgresql_where=text("status IN ('confirmed', 'completed')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id", ondelete="SET NULL"))
    status: Mapped[AssignmentStatus] = mapped_column(enum_column(AssignmentStatus),
                                                     default=AssignmentStatus.CONFIRMED)
    # Copied from the request (and kept in step) so busy times are one indexed range query.
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(Text, default="")
    ended_late: Mapped[bool] = mapped_column(Boolean, default=False)
    # Recorded afterwards by the volunteer (or the office): what the allowance is paid on.
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    actual_minutes: Mapped[int | None] = mapped_column(SmallInteger)
    travel_km: Mapped[float | None] = mapped_column(Float)

    request: Mapped[HelpRequest] = relationship()
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    offer: Mapped[Offer | None] = relationship()
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    # ---------------------------------------------------------------------------------------- life cycle

    def move(self, action: AssignmentAction, now: dt.datetime) -> None:
        """Take one step of the assignment's life cycle (or raise ``TransitionError``)."""
        self.status = next_assignment_status(self.status, action)

    def _end(self, action: AssignmentAction, now: dt.datetime, reason: str, late: bool) -> None:
        self.move(action, now)
        self.ended_at, self.end_reason, self.ended_late = now, reason.strip(), late

    def cancel(self, now: dt.datetime, reason: str, *, late: bool = False) -> None:
        """The request was cancelled, or the appointment did not take place."""
        self._end(AssignmentAction.CANCEL, now, reason, late)

    def step_back(self, now: dt.datetime, reason: str, *, late: bool) -> None:
        """The volunteer cannot come after all."""
        self._end(AssignmentAction.STEP_BACK, now, reason, late)

    def reassign(self, now: dt.datetime, reason: str) -> None:
        self._end(AssignmentAction.REASSIGN, now, reason, False)

    def release(self, now: dt.datetime, reason: str) -> None:
        """The office takes the volunteer off it (their account was deactivated or deleted)."""
        self._end(AssignmentAction.RELEASE, now, reason, False)

    def complete(self, now: dt.datetime, minutes: int, travel_km: float | None) -> None:
        self.move(AssignmentAction.COMPLETE, now)
        self.completed_at, self.actual_minutes, self.travel_km = now, minutes, travel_km

    # ---------------------------------------------------------------------------------------- predicates

    @property
    def is_live(self) -> bool:
        return self.status.is_live

    def is_volunteer(self, user) -> bool:
        return _is_user(user) and user.id == self.volunteer_id

    def can_view(self, user) -> bool:
        """The volunteer, and the office's coordinators."""
        return self.is_volunteer(user) or coordinates(user, self.request.office_id)

    def can_step_back(self, user, now: dt.datetime) -> bool:
        return (self.is_volunteer(user) and can_assignment(self.status, AssignmentAction.STEP_BACK)
                and self.starts_at > now)

    def can_record(self, user, now: dt.datetime) -> bool:
        """Recorded once it has begun, by the volunteer or the office."""
        return (can_assignment(self.status, AssignmentAction.COMPLETE) and self.starts_at <= now
                and (self.is_volunteer(user) or coordinates(user, self.request.office_id)))

    def is_upcoming(self, now: dt.datetime) -> bool:
        return self.status is AssignmentStatus.CONFIRMED and self.starts_at > now


__all__ = ["Assignment", "AssignmentStatus", "DeclineReason", "Offer", "OfferStatus"]

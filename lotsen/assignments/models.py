"""Offers to volunteers and the assignments they become.

An offer asks one volunteer to take one request; an assignment is the confirmed result.
Status enums with ``can_*`` predicates; no I/O here.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Index, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lotsen import clock
from lotsen.auth.models import User
from lotsen.db import Base, UTCDateTime
from lotsen.enums import TitledEnum, enum_column
from lotsen.i18n import _l
from lotsen.requests.models import HelpRequest


class OfferStatus(TitledEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    TAKEN = "taken"  # someone else was quicker, or the coordinator chose someone else
    WITHDRAWN = "withdrawn"  # the coordinator took it back, or the request was cancelled

    @classmethod
    def titles(cls):
        return {
            cls.OPEN: _l("Waiting for an answer"),
            cls.ACCEPTED: _l("Accepted"),
            cls.DECLINED: _l("Declined"),
            cls.EXPIRED: _l("Expired"),
            cls.TAKEN: _l("Taken by someone else"),
            cls.WITHDRAWN: _l("Withdrawn"),
        }


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


class AssignmentStatus(TitledEnum):
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # the agency cancelled the request
    WITHDRAWN = "withdrawn"  # the volunteer stepped back
    REASSIGNED = "reassigned"  # the coordinator gave it to someone else

    @classmethod
    def titles(cls):
        return {
            cls.CONFIRMED: _l("Confirmed"),
            cls.COMPLETED: _l("Completed"),
            cls.CANCELLED: _l("Cancelled"),
            cls.WITHDRAWN: _l("Withdrawn by the volunteer"),
            cls.REASSIGNED: _l("Reassigned"),
        }


class Offer(Base):
    """One request offered to one volunteer, with what it looked like when offered."""

    __tablename__ = "offers"
    __table_args__ = (
        Index("ix_offers_volunteer_id_status", "volunteer_id", "status"),
        Index("ix_offers_request_id_status", "request_id", "status"),
        Index("ix_offers_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[OfferStatus] = mapped_column(enum_column(OfferStatus), default=OfferStatus.OPEN)
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

    def is_open(self, now: dt.datetime) -> bool:
        return self.status is OfferStatus.OPEN and self.expires_at > now

    def can_answer(self, user: User, now: dt.datetime) -> bool:
        return user.id == self.volunteer_id and self.is_open(now)


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

    @property
    def is_live(self) -> bool:
        return self.status in (AssignmentStatus.CONFIRMED, AssignmentStatus.COMPLETED)


__all__ = ["Assignment", "AssignmentStatus", "DeclineReason", "Offer", "OfferStatus"]

"""Agencies' requests for an interpreter or guide, their series, and their history."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lotsen import clock
from lotsen.acting import person
from lotsen.auth.models import Role, User
from lotsen.auth.permissions import coordinates
from lotsen.db import Base, UTCDateTime
from lotsen.enums import TitledEnum, enum_column
from lotsen.i18n import _l
from lotsen.offices.models import Agency, Office
from lotsen.requests.history import Audience, default_audience
from lotsen.requests.lifecycle import Action, RequestStatus, UnfilledReason, can, next_status
from lotsen.volunteers.models import Gender, Mode, Topic


class RequestKind(TitledEnum):
    INTERPRETER = "interpreter"
    GUIDE = "guide"

    @classmethod
    def titles(cls):
        return {cls.INTERPRETER: _l("Interpreter"), cls.GUIDE: _l("Integration guide")}


class Recurrence(TitledEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"

    @classmethod
    def titles(cls):
        return {cls.WEEKLY: _l("Every week"), cls.FORTNIGHTLY: _l("Every two weeks")}

    @property
    def days(self) -> int:
        return 7 if self is Recurrence.WEEKLY else 14


class RequestSeries(Base):
    """Dates that belong together (a course of appointments) and prefer the same volunteer."""

    __tablename__ = "request_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    recurrence: Mapped[Recurrence] = mapped_column(enum_column(Recurrence))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    requests: Mapped[list[HelpRequest]] = relationship(back_populates="series", order_by="HelpRequest.starts_at")


class HelpRequest(Base):
    """An Einsatzanfrage: who is needed, when, where and for what. No client names, no health data."""

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_office_id_status_starts_at", "office_id", "status", "starts_at"),
        Index("ix_requests_agency_id_starts_at", "agency_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("request_series.id"), index=True)
    kind: Mapped[RequestKind] = mapped_column(enum_column(RequestKind))
    language: Mapped[str] = mapped_column(String(8), index=True)
    variety: Mapped[str] = mapped_column(String(8), default="")
    mode: Mapped[Mode] = mapped_column(enum_column(Mode))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(SmallInteger)
    street: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(5), default="")
    town: Mapped[str] = mapped_column(String(120), default="")
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id", ondelete="SET NULL"))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    topic: Mapped[Topic] = mapped_column(enum_column(Topic))
    gender_preference: Mapped[Gender | None] = mapped_column(enum_column(Gender))
    client_reference: Mapped[str] = mapped_column(String(60), default="", index=True)
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    # Whom the agency's side is told of confirmations, changes and cancellations: a caseworker of the agency,
    # or (a request taken by phone or mail) a contact with name, email and phone. See ``informs``.
    inform_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    inform_name: Mapped[str] = mapped_column(String(200), default="")
    inform_email: Mapped[str] = mapped_column(String(254), default="")
    inform_phone: Mapped[str] = mapped_column(String(50), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    is_urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[RequestStatus] = mapped_column(enum_column(RequestStatus), default=RequestStatus.OPEN)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    cancelled_late: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why it ended without a volunteer (for the reports), and the coordinator's words when they closed it.
    unfilled_reason: Mapped[UnfilledReason | None] = mapped_column(enum_column(UnfilledReason))
    unfilled_note: Mapped[str] = mapped_column(Text, default="")
    # Rounds of asking: a volunteer stepping back starts a new one, in which everyone may be asked afresh.
    round: Mapped[int] = mapped_column(SmallInteger, default=1)
    # The filing form's one-time token: the same form sent twice (two tabs, a double click) files once.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Offering in waves: the next ``wave_size`` candidates are asked at ``next_wave_at`` if nobody accepted.
    wave_size: Mapped[int | None] = mapped_column(SmallInteger)
    wave_interval_minutes: Mapped[int | None] = mapped_column(SmallInteger)
    next_wave_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    # How many volunteers can take it, as the worker last counted (the dashboard shows it without matching).
    candidate_count: Mapped[int | None] = mapped_column(Integer)
    counted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    office: Mapped[Office] = relationship()
    agency: Mapped[Agency] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    inform_user: Mapped[User | None] = relationship(foreign_keys=[inform_user_id])
    series: Mapped[RequestSeries | None] = relationship(back_populates="requests")
    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="(RequestEvent.at, RequestEvent.id)"
    )

    def apply(self, action: Action, actor: User | None, *, note: str = "", details: dict | None = None,
              at: dt.datetime | None = None, audience: Audience | None = None) -> RequestEvent:
        """Move along the life cycle (or refuse) and keep the step in the history.

        ``audience`` says who may read the step's note and details (``history.default_audience`` otherwise).
        """
        if action is Action.CREATE:
            before, self.status = None, RequestStatus.OPEN
        else:
            before, self.status = self.status, next_status(self.status, action)
        details = dict(details or {})
        if getattr(actor, "is_api", False):  # an agency's system: the history names its token
            details["api_client"] = actor.label
        event = RequestEvent(action=action.value, from_status=before.value if before else None,
                             to_status=self.status.value, actor=person(actor), note=note, details=details,
                             audience=audience or default_audience(action),
                             at=at or clock.now())
        self.events.append(event)
        self.counted_at = None  # count its candidates afresh
        return event

    # Predicates: the server and the templates ask the same ones.
    def can_view(self, user: User | None) -> bool:
        """The agency's caseworkers, the office's coordinators, admins."""
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        if user.role is Role.CASEWORKER:  # their agency's requests, of the offices that work with them
            return user.agency_id == self.agency_id and self.office_id in user.caseworker_office_ids
        return coordinates(user, self.office_id)

    def can_coordinate(self, user: User | None) -> bool:
        return coordinates(user, self.office_id)

    def can_edit(self, user: User | None) -> bool:
        """Changed while nobody has been asked yet, by whoever may see it."""
        return self.status is RequestStatus.OPEN and self.can_view(user)

    def can_cancel(self, user: User | None) -> bool:
        return self.status.is_active and self.can_view(user)

    def can_offer(self, user: User | None, now: dt.datetime) -> bool:
        return can(self.status, Action.OFFER) and self.starts_at > now and self.can_coordinate(user)

    def can_close(self, user: User | None) -> bool:
        """Closed as not fillable by the office."""
        return can(self.status, Action.CLOSE) and self.can_coordinate(user)

    def can_reassign(self, user: User | None, now: dt.datetime) -> bool:
        return can(self.status, Action.REASSIGN) and self.starts_at > now and self.can_coordinate(user)

    @property
    def place_key(self) -> str:
        """Where it happens, as compared to decide whether an earlier decline still holds."""
        if self.mode is not Mode.ON_SITE:
            return self.mode.value
        return " | ".join([self.mode.value, self.street.strip(), self.postcode.strip(), self.town.strip()])


class RequestEvent(Base):
    """One step in a request's history: who did what, when."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    # Who may read the note and details (the office always may): see lotsen/requests/history.py.
    audience: Mapped[Audience] = mapped_column(enum_column(Audience), default=Audience.OFFICE)

    request: Mapped[HelpRequest] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


__all__ = ["HelpRequest", "Recurrence", "RequestEvent", "RequestKind", "RequestSeries"]

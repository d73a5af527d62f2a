"""A volunteer's profile: what matching reads."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, SmallInteger, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lotsen import clock
from lotsen.auth.models import User
from lotsen.db import Base, UTCDateTime
from lotsen.enums import TitledEnum, enum_column
from lotsen.i18n import _l
from lotsen.languages import LanguageLevel
from lotsen.offices.models import Municipality, Office


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later (or earlier); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class Mode(TitledEnum):
    ON_SITE = "on_site"
    PHONE = "phone"
    VIDEO = "video"

    @classmethod
    def titles(cls):
        return {cls.ON_SITE: _l("On site"), cls.PHONE: _l("By phone"), cls.VIDEO: _l("By video")}


class Topic(TitledEnum):
    AUTHORITIES = "authorities"
    HEALTH = "health"
    SCHOOL = "school"
    HOUSING = "housing"
    WORK = "work"
    SOCIAL = "social"
    OTHER = "other"

    @classmethod
    def titles(cls):
        return {
            cls.AUTHORITIES: _l("Authorities"),
            cls.HEALTH: _l("Health"),
            cls.SCHOOL: _l("School and Kita"),
            cls.HOUSING: _l("Housing"),
            cls.WORK: _l("Work and training"),
            cls.SOCIAL: _l("Social affairs"),
            cls.OTHER: _l("Other"),
        }


class Gender(TitledEnum):
    FEMALE = "female"
    MALE = "male"
    DIVERSE = "diverse"

    @classmethod
    def titles(cls):
        return {cls.FEMALE: _l("Female"), cls.MALE: _l("Male"), cls.DIVERSE: _l("Diverse")}


class AbsenceReason(TitledEnum):
    VACATION = "vacation"
    ILLNESS = "illness"
    OTHER = "other"

    @classmethod
    def titles(cls):
        return {cls.VACATION: _l("Holiday"), cls.ILLNESS: _l("Illness"), cls.OTHER: _l("Other")}


class TrainingKind(TitledEnum):
    BASIC = "basic"
    FURTHER = "further"

    @classmethod
    def titles(cls):
        return {cls.BASIC: _l("Basic training"), cls.FURTHER: _l("Further training")}


class VolunteerProfile(Base):
    """One per volunteer account. Personal data here is removed on a deletion request."""

    __tablename__ = "volunteer_profiles"
    __table_args__ = (
        Index("ix_volunteer_profiles_latitude_longitude", "latitude", "longitude"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    phone: Mapped[str] = mapped_column(String(50), default="")
    is_guide: Mapped[bool] = mapped_column(Boolean, default=False)
    is_interpreter: Mapped[bool] = mapped_column(Boolean, default=True)
    on_site: Mapped[bool] = mapped_column(Boolean, default=True)
    by_phone: Mapped[bool] = mapped_column(Boolean, default=False)
    by_video: Mapped[bool] = mapped_column(Boolean, default=False)
    german_level: Mapped[LanguageLevel | None] = mapped_column(enum_column(LanguageLevel))
    postcode: Mapped[str] = mapped_column(String(5), default="")
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id", ondelete="SET NULL"))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    travel_radius_km: Mapped[int] = mapped_column(SmallInteger, default=10)
    max_per_week: Mapped[int | None] = mapped_column(SmallInteger)
    max_per_month: Mapped[int | None] = mapped_column(SmallInteger)
    min_notice_hours: Mapped[int] = mapped_column(SmallInteger, default=24)
    # On the office's on-call list: takes urgent requests at short notice (their notice does not apply then).
    short_notice: Mapped[bool] = mapped_column(Boolean, default=False)
    topics_willing: Mapped[list] = mapped_column(JSON, default=list)
    topics_excluded: Mapped[list] = mapped_column(JSON, default=list)
    gender: Mapped[Gender | None] = mapped_column(enum_column(Gender))
    is_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_until: Mapped[dt.date | None] = mapped_column(Date)
    vetted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    declaration_signed_on: Mapped[dt.date | None] = mapped_column(Date)
    certificate_checked_on: Mapped[dt.date | None] = mapped_column(Date)
    coordinator_notes: Mapped[str] = mapped_column(Text, default="")
    deletion_requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    anonymized_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    user: Mapped[User] = relationship()
    office: Mapped[Office] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    languages: Mapped[list[VolunteerLanguage]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="VolunteerLanguage.id"
    )
    windows: Mapped[list[AvailabilityWindow]] = relationship(
        cascade="all, delete-orphan", order_by="(AvailabilityWindow.weekday, AvailabilityWindow.starts)"
    )
    extra_dates: Mapped[list[ExtraDate]] = relationship(cascade="all, delete-orphan", order_by="ExtraDate.day")
    absences: Mapped[list[Absence]] = relationship(cascade="all, delete-orphan", order_by="Absence.starts_on")
    trainings: Mapped[list[Training]] = relationship(cascade="all, delete-orphan", order_by="Training.completed_on")

    @property
    def has_basic_training(self) -> bool:
        return any(t.kind is TrainingKind.BASIC for t in self.trainings)

    def modes(self) -> list[Mode]:
        flags = {Mode.ON_SITE: self.on_site, Mode.PHONE: self.by_phone, Mode.VIDEO: self.by_video}
        return [mode for mode, offered in flags.items() if offered]

    def certificate_expires_on(self, valid_years: int) -> dt.date | None:
        checked = self.certificate_checked_on
        return None if checked is None else add_years(checked, valid_years)


class VolunteerLanguage(Base):
    __tablename__ = "volunteer_languages"
    __table_args__ = (
        UniqueConstraint("volunteer_id", "language", name="uq_volunteer_languages_volunteer_id_language"),
        Index("ix_volunteer_languages_language_volunteer_id", "language", "volunteer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    level: Mapped[LanguageLevel] = mapped_column(enum_column(LanguageLevel))
    varieties: Mapped[list] = mapped_column(JSON, default=list)

    profile: Mapped[VolunteerProfile] = relationship(back_populates="languages")


class AvailabilityWindow(Base):
    """A weekly recurring time the volunteer can be asked (local time, Europe/Berlin)."""

    __tablename__ = "availability_windows"
    __table_args__ = (
        # Matching reads the windows of many volunteers on a few weekdays, from the index alone on PostgreSQL.
        Index("ix_availability_windows_volunteer_id_weekday", "volunteer_id", "weekday",
              postgresql_include=["starts", "ends", "valid_from", "valid_until"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Monday
    starts: Mapped[dt.time] = mapped_column(Time)
    ends: Mapped[dt.time] = mapped_column(Time)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)


class ExtraDate(Base):
    """A one-off date on which the volunteer is available beyond the weekly windows."""

    __tablename__ = "extra_dates"
    __table_args__ = (Index("ix_extra_dates_day", "day"),)  # matching asks who offers this day

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"),
                                              index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    starts: Mapped[dt.time] = mapped_column(Time)
    ends: Mapped[dt.time] = mapped_column(Time)


class Absence(Base):
    """Days on which the volunteer must not be asked (inclusive)."""

    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"),
                                              index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[AbsenceReason] = mapped_column(enum_column(AbsenceReason), default=AbsenceReason.OTHER)


class Training(Base):
    __tablename__ = "trainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"),
                                              index=True)
    kind: Mapped[TrainingKind] = mapped_column(enum_column(TrainingKind))
    title: Mapped[str] = mapped_column(String(200), default="")
    completed_on: Mapped[dt.date] = mapped_column(Date)


__all__ = ["Absence", "AbsenceReason", "AvailabilityWindow", "ExtraDate", "Gender", "Mode", "Topic",
           "Training", "TrainingKind", "VolunteerLanguage", "VolunteerProfile"]

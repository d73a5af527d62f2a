"""Coordinating offices, their municipalities, and the agencies that request help."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lotsen import clock
from lotsen.db import Base, UTCDateTime
from lotsen.enums import TitledEnum, enum_column
from lotsen.i18n import _l


class OfficeKind(TitledEnum):
    DISTRICT = "district"
    CITY = "city"
    STATE = "state"
    OTHER = "other"

    @classmethod
    def titles(cls):
        return {
            cls.DISTRICT: _l("District (Kreis)"),
            cls.CITY: _l("City"),
            cls.STATE: _l("Federal state"),
            cls.OTHER: _l("Other"),
        }


class AgencyType(TitledEnum):
    JOBCENTER = "jobcenter"
    RESCUE_SERVICE = "rescue_service"
    SOCIAL_SERVICE = "social_service"
    SCHOOL = "school"
    KITA = "kita"
    HEALTH_OFFICE = "health_office"
    HOSPITAL = "hospital"
    IMMIGRATION_OFFICE = "immigration_office"
    COUNSELLING = "counselling"
    OTHER = "other"

    @classmethod
    def titles(cls):
        return {
            cls.JOBCENTER: _l("Jobcenter"),
            cls.RESCUE_SERVICE: _l("Rescue service"),
            cls.SOCIAL_SERVICE: _l("Social services"),
            cls.SCHOOL: _l("School"),
            cls.KITA: _l("Day-care centre (Kita)"),
            cls.HEALTH_OFFICE: _l("Public health office"),
            cls.HOSPITAL: _l("Hospital"),
            cls.IMMIGRATION_OFFICE: _l("Immigration office"),
            cls.COUNSELLING: _l("Counselling service"),
            cls.OTHER: _l("Other"),
        }


agency_offices = Table(
    "agency_offices",
    Base.metadata,
    Column("agency_id", ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True),
    Column("office_id", ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Office(Base):
    """A coordinating office (Integrationsbüro, Leitstelle) with its own pool and settings."""

    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[OfficeKind] = mapped_column(enum_column(OfficeKind), default=OfficeKind.DISTRICT)
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    municipalities: Mapped[list[Municipality]] = relationship(
        back_populates="office", order_by="Municipality.name", cascade="all, delete-orphan"
    )
    agencies: Mapped[list[Agency]] = relationship(
        secondary=agency_offices, back_populates="offices", order_by="Agency.name"
    )

    def __repr__(self) -> str:
        return f"<Office {self.slug}>"


class Municipality(Base):
    """A town or city within an office's area (e.g. the 13 of Kreis Offenbach)."""

    __tablename__ = "municipalities"
    __table_args__ = (UniqueConstraint("office_id", "name", name="uq_municipalities_office_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))

    office: Mapped[Office] = relationship(back_populates="municipalities")


class Agency(Base):
    """An agency (Einrichtung) whose caseworkers request interpreters and guides."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[AgencyType] = mapped_column(enum_column(AgencyType))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(5), default="")
    town: Mapped[str] = mapped_column(String(120), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    offices: Mapped[list[Office]] = relationship(secondary=agency_offices, back_populates="agencies")

    @property
    def office_ids(self) -> set[int]:
        return {office.id for office in self.offices}


__all__ = ["Agency", "AgencyType", "Municipality", "Office", "OfficeKind", "agency_offices"]

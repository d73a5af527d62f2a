"""An office's additions to the gazetteer: missing postcodes and local place names."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lotsen.db import Base
from lotsen.offices.models import Municipality


class OfficePostcode(Base):
    """A postcode the offline data lacks (new estates, PO boxes), added by an office."""

    __tablename__ = "office_postcodes"
    __table_args__ = (UniqueConstraint("office_id", "postcode", name="uq_office_postcodes_office_id_postcode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    postcode: Mapped[str] = mapped_column(String(5))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    label: Mapped[str] = mapped_column(String(120), default="")


class PlaceAlias(Base):
    """A district or local name (Ober-Roden, Jügesheim) that stands for one of the office's municipalities."""

    __tablename__ = "place_aliases"
    __table_args__ = (UniqueConstraint("office_id", "alias", name="uq_place_aliases_office_id_alias"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(120))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"))

    municipality: Mapped[Municipality] = relationship()

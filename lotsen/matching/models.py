"""Matching's own index: which languages a volunteer speaks in which weekly window.

Kept in step by database triggers (migration 0005) with ``availability_windows`` and
``volunteer_languages``; nothing else writes it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Index, SmallInteger, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from lotsen.db import Base


class LanguageWindow(Base):
    """A volunteer's weekly window once per language they speak.

    The prefilter finds 'speaks X and offers weekday D around time T' with one range of one index,
    instead of intersecting tens of thousands of language rows with tens of thousands of windows.
    """

    __tablename__ = "language_windows"
    __table_args__ = (
        Index("ix_language_windows_language_weekday_starts", "language", "weekday", "starts",
              postgresql_include=["ends", "volunteer_id", "valid_from", "valid_until"]),
    )

    window_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    language_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    volunteer_id: Mapped[int]
    language: Mapped[str] = mapped_column(String(8))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    starts: Mapped[dt.time] = mapped_column(Time)
    ends: Mapped[dt.time] = mapped_column(Time)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)


__all__ = ["LanguageWindow"]

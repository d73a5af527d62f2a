"""A job for the worker: a CSV import today, the month's closing and reports later."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lotsen import clock
from lotsen.auth.models import User
from lotsen.db import Base, UTCDateTime
from lotsen.enums import TitledEnum, enum_column
from lotsen.i18n import _l


class JobStatus(TitledEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @classmethod
    def titles(cls):
        return {cls.QUEUED: _l("Waiting to start"), cls.RUNNING: _l("Running"), cls.DONE: _l("Done"),
                cls.FAILED: _l("Failed")}

    @property
    def is_over(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.QUEUED)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)  # what the job needs (dropped when it is over)
    result: Mapped[dict] = mapped_column(JSON, default=dict)  # what the page shows afterwards
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(64), default="")
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()

    @property
    def percent(self) -> int:
        return 100 if self.status is JobStatus.DONE else int(100 * self.done / self.total) if self.total else 0

    def can_view(self, user) -> bool:
        """Whoever started it, and admins."""
        return user is not None and getattr(user, "is_authenticated", False) and (
            user.is_admin or user.id == self.created_by_id)

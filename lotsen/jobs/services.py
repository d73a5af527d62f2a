"""Queueing jobs, and running them in the worker.

A job is claimed by one worker (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) with a lease; it runs in one
transaction of its own, so it is all or nothing; its progress is written beside it in short transactions the
waiting page can read at once. A worker that dies leaves the lease to run out; the job then runs again (its
transaction was rolled back), at most ``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
import uuid
from collections.abc import Callable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from lotsen import db
from lotsen.acting import Acting
from lotsen.auth.models import User
from lotsen.errors import DomainError
from lotsen.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=15)
MAX_ATTEMPTS = 2
PROGRESS_EVERY = 25  # rows between two progress writes

# kind -> handler(session, acting, job, progress) -> result dict. Areas add theirs (see register()).
HANDLERS: dict[str, Callable] = {}


def register(kind: str):
    def add(handler: Callable) -> Callable:
        HANDLERS[kind] = handler
        return handler
    return add


class JobFailed(DomainError):
    """The job refuses its input; ``result`` is kept for the page (e.g. the rows with their errors)."""

    def __init__(self, message: str, result: dict | None = None):
        super().__init__(message)
        self.result = result or {}


def enqueue(session: Session, acting: Acting, kind: str, *, office_id: int | None, payload: dict,
            total: int = 0) -> Job:
    job = Job(kind=kind, office_id=office_id, created_by=acting.actor, payload=payload, total=total,
              created_at=acting.now)
    session.add(job)
    session.flush()
    return job


def claim(session: Session, *, now: dt.datetime, worker: str) -> int | None:
    """Take the oldest waiting job (or one whose worker's lease ran out); returns its id."""
    due = (select(Job.id).where(or_(Job.status == JobStatus.QUEUED,
                                    (Job.status == JobStatus.RUNNING) & (Job.lease_until < now)))
           .order_by(Job.created_at, Job.id).limit(1).with_for_update(skip_locked=True))
    claimed = session.execute(update(Job).where(Job.id == due.scalar_subquery())
                              .values(status=JobStatus.RUNNING, worker=worker, lease_until=now + LEASE,
                                      started_at=now, attempts=Job.attempts + 1)
                              .returning(Job.id).execution_options(synchronize_session=False))
    return claimed.scalar()


def run_due(app, *, now: dt.datetime, zone: str) -> dict[str, int]:
    """Run waiting jobs one after the other, each in its own transaction."""
    maker = app.extensions["lotsen.sessionmaker"]
    worker = uuid.uuid4().hex
    counts = {"jobs_done": 0, "jobs_failed": 0}
    while True:
        with db.begin_writing(maker()) as session:
            job_id = claim(session, now=now, worker=worker)
            session.commit()
        if job_id is None:
            return counts
        outcome = _run(app, maker, job_id, now=now, zone=zone)
        counts["jobs_done" if outcome else "jobs_failed"] += 1


def _run(app, maker, job_id: int, *, now: dt.datetime, zone: str) -> bool:
    session = db.begin_writing(maker())
    try:
        job = session.get(Job, job_id)
        actor = session.get(User, job.created_by_id) if job.created_by_id else None
        handler = HANDLERS[job.kind]

        def progress(done: int, total: int) -> None:
            _write_progress(maker, job_id, done, total)

        result = handler(session, Acting(actor, now, zone, "worker"), job, progress)
        job.status, job.result, job.done = JobStatus.DONE, result or {}, job.total
        job.finished_at, job.payload, job.lease_until = now, {}, None
        session.commit()
        return True
    except JobFailed as refused:
        session.rollback()
        _finish_failed(maker, job_id, refused.message, refused.result, now)
    except Exception as error:  # noqa: BLE001  whatever went wrong, the job says so; nothing half-done stays
        session.rollback()
        log.error("Job %s failed:\n%s", job_id, traceback.format_exc())
        _finish_failed(maker, job_id, f"{type(error).__name__}: {error}"[:2000], {}, now)
    finally:
        session.close()
    return False


def _write_progress(maker, job_id: int, done: int, total: int) -> None:
    """Progress beside the running job. SQLite lets one writer in at a time, and the job is it: there the
    page shows "running" until the job is done (PostgreSQL, where Lotsen runs in production, shows every step)."""
    if maker.kw["bind"].dialect.name == "sqlite":
        return
    with maker() as own:
        own.execute(update(Job).where(Job.id == job_id).values(done=done, total=total))
        own.commit()


def _finish_failed(maker, job_id: int, message: str, result: dict, now: dt.datetime) -> None:
    with db.begin_writing(maker()) as own:
        own.execute(update(Job).where(Job.id == job_id).values(
            status=JobStatus.FAILED, error=message, result=result, payload={}, finished_at=now, lease_until=None))
        own.commit()

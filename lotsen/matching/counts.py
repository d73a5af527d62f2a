"""How many volunteers can take each upcoming request, stored for the dashboard (which never runs matching).

A request counts afresh when it is filed or changed (right then, in the same transaction); a change to
a profile or an assignment marks its office's upcoming requests stale, and the worker counts those at
its next tick, the stalest first.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from lotsen.matching import services as matching
from lotsen.requests.lifecycle import RequestStatus
from lotsen.requests.models import HelpRequest

COUNTED = (RequestStatus.OPEN, RequestStatus.OFFERED, RequestStatus.ACCEPTED)


def remember(session: Session, request: HelpRequest, count: int, now: dt.datetime) -> None:
    """Store a fresh count without touching the request's ``updated_at`` (nothing about it changed)."""
    session.execute(update(HelpRequest).where(HelpRequest.id == request.id).values(
        candidate_count=count, counted_at=now, updated_at=HelpRequest.updated_at)
        .execution_options(synchronize_session=False))
    set_committed_value(request, "candidate_count", count)  # as stored, without a pending change of its own
    set_committed_value(request, "counted_at", now)


def count_now(session: Session, request: HelpRequest, now: dt.datetime, zone: str) -> int:
    """Count the request's candidates now and store the figure."""
    session.flush()
    count = matching.count_candidates(session, request, now, zone)
    remember(session, request, count, now)
    return count


def mark_stale(session: Session, office_id: int) -> None:
    """Something that matching reads changed for the office: its upcoming requests are counted again."""
    session.execute(update(HelpRequest).where(HelpRequest.office_id == office_id,
                                              HelpRequest.status.in_(COUNTED), HelpRequest.counted_at.is_not(None))
                    .values(counted_at=None, updated_at=HelpRequest.updated_at)
                    .execution_options(synchronize_session=False))


def refresh_stale(session: Session, *, now: dt.datetime, zone: str, limit: int = 50,
                  max_age: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Count the upcoming requests marked stale (or not counted for ``max_age``), the stalest first."""
    stale = session.scalars(select(HelpRequest).where(
        HelpRequest.status.in_(COUNTED), HelpRequest.starts_at > now,
        (HelpRequest.counted_at.is_(None)) | (HelpRequest.counted_at < now - max_age))
        .order_by(HelpRequest.counted_at.is_not(None), HelpRequest.counted_at, HelpRequest.starts_at)
        .limit(limit)).all()
    for request in stale:
        remember(session, request, matching.count_candidates(session, request, now, zone), now)
    return len(stale)

"""Recording and reading audit events."""

from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lotsen.audit.describe import SIGN_INS
from lotsen.audit.models import AuditEvent
from lotsen.auth.models import User


def record(
    session: Session,
    action: str,
    *,
    actor: User | None,
    subject=None,
    office_id: int | None = None,
    details: dict | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Add one audit event to the session (committed with the change it describes).

    The address defaults to the current request's client address.
    """
    if ip_address is None:
        ip_address = (request.remote_addr or "") if has_request_context() else ""
    if getattr(actor, "is_api", False):  # an agency's system: no account, the token is named instead
        details = {**(details or {}), **actor.audit_details}
    if hasattr(subject, "_get_current_object"):  # the signed-in user, passed on as Flask-Login's proxy
        subject = subject._get_current_object()
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        office_id=office_id,
        subject_type=type(subject).__name__ if subject is not None else "",
        subject_id=getattr(subject, "id", None),
        details=details or {},
        ip_address=ip_address,
    )
    session.add(event)
    return event


def record_by(session: Session, acting, action: str, **fields) -> AuditEvent:
    """``record`` for a service that was told who acts and from where (``lotsen.acting.Acting``)."""
    return record(session, action, actor=acting.actor, ip_address=acting.address, **fields)


def list_events(session: Session, viewer: User, *, action: str = "", sign_ins: bool = False, page: int = 1,
                per_page: int = 50):
    """Events the viewer may read, newest first, with the total count: the changes, or (apart) the sign-ins."""
    query = select(AuditEvent)
    if not viewer.is_admin:
        query = query.where(AuditEvent.office_id == viewer.office_id)
    query = query.where(AuditEvent.action.in_(SIGN_INS) if sign_ins else AuditEvent.action.not_in(SIGN_INS))
    if action:
        query = query.where(AuditEvent.action == action)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    events = session.scalars(
        query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return events, total


def known_actions(session: Session, viewer: User) -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.action.not_in(SIGN_INS)).distinct().order_by(AuditEvent.action)
    if not viewer.is_admin:
        query = query.where(AuditEvent.office_id == viewer.office_id)
    return list(session.scalars(query))

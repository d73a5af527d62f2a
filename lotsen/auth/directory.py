"""Finding users and the choices a manager may offer (offices, agencies)."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from lotsen.auth.models import Role, User, UserStatus
from lotsen.auth.permissions import visible_agencies, visible_offices, visible_users
from lotsen.offices.models import Agency, Office

PER_PAGE = 50


def coordinators_of(session: Session, office_id: int) -> list[User]:
    """The office's active coordinators, who get its alerts."""
    return list(session.scalars(select(User).where(
        User.office_id == office_id, User.role == Role.COORDINATOR, User.status == UserStatus.ACTIVE)
        .order_by(User.id)))


def names(session: Session, user_ids) -> dict[int, str]:
    """Users' names by id."""
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(list(user_ids)))).all())


def search_users(session: Session, actor: User, *, q: str = "", role: str = "", status: str = "", page: int = 1):
    """The users the actor manages, filtered, by name; returns (users, total)."""
    query = visible_users(actor)
    if q:
        wanted = q.strip().lower()
        query = query.where(or_(func.lower(User.name).contains(wanted, autoescape=True),
                                User.email.contains(wanted, autoescape=True)))
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    if status in {s.value for s in UserStatus}:
        query = query.where(User.status == UserStatus(status))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    users = session.scalars(
        query.options(selectinload(User.office), selectinload(User.agency))
        .order_by(func.lower(User.name), User.id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return users, total


def count_pending(session: Session, actor: User) -> int:
    query = visible_users(actor, select(func.count(User.id))).where(User.status == UserStatus.PENDING)
    return session.scalar(query)


def manageable_offices(session: Session, actor: User) -> list[Office]:
    return list(session.scalars(visible_offices(actor)))


def manageable_agencies(session: Session, actor: User) -> list[Agency]:
    return list(session.scalars(visible_agencies(actor).where(Agency.is_active.is_(True)).order_by(Agency.name)))

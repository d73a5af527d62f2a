"""Who may see and manage what. Every check that crosses offices or agencies lives here."""

from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.sql import Select

from lotsen.auth.models import Role, User, caseworker_offices
from lotsen.offices.models import Agency, Office, agency_offices


def coordinates(actor: User | None, office_id: int | None) -> bool:
    """An admin, or a coordinator of this office: who may run the office's pool and requests."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return actor.is_admin or (actor.role is Role.COORDINATOR and office_id is not None
                              and actor.office_id == office_id)


# Shared agencies. An agency may work with several offices. Its master data (name, type, address, email,
# whether it is active, which offices it works with) is then the admins' to manage; a coordinator manages
# the master data of an agency that works with their office alone. Each office grants caseworkers access to
# its own requests of the agency (caseworker_offices); a caseworker sees and files their agency's requests
# of those offices only. A coordinator manages the caseworkers who work with their office, and deactivates
# one only if no other office relies on that account (otherwise they withdraw their own office's access).

def works_with(actor: User, agency: Agency) -> bool:
    """The agency works with the actor's office (or the actor is an admin)."""
    return actor.is_admin or (actor.role is Role.COORDINATOR and actor.office_id in agency.office_ids)


def can_manage_agency(actor: User, agency: Agency) -> bool:
    """Change the agency's master data: admins, or the coordinators of the one office it works with."""
    return actor.is_admin or (actor.role is Role.COORDINATOR and agency.office_ids == {actor.office_id})


def can_manage_user(actor: User, user: User) -> bool:
    """Admins manage everyone; coordinators their office's people and the caseworkers working with it."""
    if actor.is_admin:
        return True
    if actor.role is not Role.COORDINATOR or user.role is Role.ADMIN:
        return False
    if user.role is Role.CASEWORKER:
        return actor.office_id in user.caseworker_office_ids
    return user.office_id == actor.office_id


def can_manage_account(actor: User, user: User) -> bool:
    """Deactivate, reactivate or resend: the account as a whole, which no other office may rely on."""
    if not can_manage_user(actor, user):
        return False
    return actor.is_admin or user.role is not Role.CASEWORKER or user.caseworker_office_ids <= {actor.office_id}


def grantable_roles(actor: User) -> list[Role]:
    if actor.is_admin:
        return [Role.VOLUNTEER, Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN]
    if actor.role is Role.COORDINATOR:
        return [Role.VOLUNTEER, Role.CASEWORKER, Role.COORDINATOR]
    return []


def visible_users(actor: User, query: Select | None = None) -> Select:
    """Restrict a ``select(User)`` to the users the actor may manage."""
    query = query if query is not None else select(User)
    if actor.is_admin:
        return query
    caseworker_of_office = (User.role == Role.CASEWORKER) & exists().where(
        caseworker_offices.c.user_id == User.id, caseworker_offices.c.office_id == actor.office_id
    )
    own_office = (User.office_id == actor.office_id) & (User.role != Role.ADMIN)
    return query.where(or_(own_office, caseworker_of_office))


def visible_agencies(actor: User, query: Select | None = None) -> Select:
    query = query if query is not None else select(Agency)
    if actor.is_admin:
        return query
    return query.where(
        exists().where(agency_offices.c.agency_id == Agency.id, agency_offices.c.office_id == actor.office_id)
    )


def visible_offices(actor: User) -> Select:
    query = select(Office).order_by(Office.name)
    return query if actor.is_admin else query.where(Office.id == actor.office_id)

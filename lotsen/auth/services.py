"""Accounts: sign-in, registration, invitations, passwords, vetting, deactivation."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from lotsen import clock
from lotsen.audit.services import record
from lotsen.auth.directory import coordinators_of
from lotsen.auth.models import Role, User, UserStatus
from lotsen.auth.passwords import hash_password, needs_rehash, verify_password
from lotsen.auth.permissions import can_manage_user, grantable_roles
from lotsen.auth.tokens import make_token
from lotsen.errors import DomainError
from lotsen.i18n import _
from lotsen.notifications.outbox import queue_mail
from lotsen.offices.models import Agency, Office
from lotsen.urls import external_url
from lotsen.volunteers.services import mark_vetted, profile_of

MIN_PASSWORD_LENGTH = 10


class AccountError(DomainError):
    """A refused account change."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user with these credentials who may sign in, or None (same answer for every failure)."""
    user = find_by_email(session, email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = clock.now()
    record(session, "auth.login", actor=user, subject=user, office_id=user.office_id)
    return user


def _set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), "password")
    if password.strip().lower() == user.email:
        raise AccountError(_("Do not use your email address as password."), "password")
    user.password_hash = hash_password(password)
    # Every session and every link issued before this moment stops working.
    user.revoke_sessions()


def register_volunteer(session: Session, *, office: Office, name: str, email: str, password: str, locale: str) -> User | None:
    """Create a pending volunteer; a coordinator of the office vets them later.

    An address that already has an account gets a notice instead, and the caller shows the
    same confirmation either way, so the form does not reveal who is registered.
    """
    existing = find_by_email(session, email)
    if existing is not None:
        queue_mail(session, existing.email, "auth/already_registered", existing.locale, user=existing,
                   login_url=external_url("auth.login"), reset_url=external_url("auth.forgot_password"))
        return None
    user = User(email=normalize_email(email), name=name.strip(), role=Role.VOLUNTEER, status=UserStatus.PENDING,
                locale=locale, office=office, session_version=1)
    _set_password(user, password)
    session.add(user)
    session.flush()
    profile_of(session, user)
    record(session, "user.registered", actor=user, subject=user, office_id=office.id)
    queue_mail(session, user.email, "auth/registration_received", user.locale, user=user, office=office)
    for coordinator in coordinators_of(session, office.id):
        queue_mail(session, coordinator.email, "auth/registration_to_vet", coordinator.locale, volunteer=user,
                   url=external_url("users.show_user", user_id=user.id))
    return user


def invite_user(session: Session, actor: User, *, email: str, name: str, role: Role, locale: str,
                office: Office | None = None, agency: Agency | None = None) -> User:
    """Create an invited account and mail the invitee a link to set a password."""
    if role not in grantable_roles(actor):
        raise AccountError(_("You may not invite people with this role."), "role")
    if find_by_email(session, email) is not None:
        raise AccountError(_("An account with this email address already exists."), "email")
    if role is Role.CASEWORKER:
        if agency is None:
            raise AccountError(_("Choose the agency this caseworker works for."), "agency_id")
        office = None
    elif role in (Role.VOLUNTEER, Role.COORDINATOR):
        if office is None:
            raise AccountError(_("Choose the office."), "office_id")
        agency = None
    else:
        office, agency = None, None
    if not actor.is_admin and (
        (agency is not None and actor.office_id not in agency.office_ids)
        or (office is not None and office.id != actor.office_id)
    ):
        raise AccountError(_("You may not invite people for this office or agency."), "office_id")
    user = User(email=normalize_email(email), name=name.strip(), role=role, status=UserStatus.INVITED,
                locale=locale, office=office, agency=agency, session_version=1)
    session.add(user)
    session.flush()
    if role is Role.VOLUNTEER:
        # A volunteer whom a coordinator invites is vouched for by that coordinator.
        mark_vetted(profile_of(session, user))
    record(session, "user.invited", actor=actor, subject=user, office_id=_office_of(user, actor),
           details={"role": role.value, "email": user.email})
    send_invitation(session, user, actor)
    return user


def send_invitation(session: Session, user: User, actor: User) -> None:
    token = make_token(current_app.config["SECRET_KEY"], "invitation", user)
    queue_mail(session, user.email, "auth/invitation", user.locale, user=user, inviter=actor,
               url=external_url("auth.accept_invitation", token=token),
               days=current_app.config["INVITATION_MAX_AGE"] // 86400)


def accept_invitation(session: Session, user: User, password: str) -> None:
    """The invitee sets a password; the account becomes active."""
    if user.status is not UserStatus.INVITED:
        raise AccountError(_("This invitation has already been used."))
    _set_password(user, password)
    user.status = UserStatus.ACTIVE
    record(session, "user.invitation_accepted", actor=user, subject=user, office_id=user.office_id)


def request_password_reset(session: Session, email: str) -> None:
    """Mail a reset link if the address belongs to an account that may sign in; silent otherwise."""
    user = find_by_email(session, email)
    if user is None or not user.is_active:
        return
    token = make_token(current_app.config["SECRET_KEY"], "password-reset", user)
    queue_mail(session, user.email, "auth/password_reset", user.locale, user=user,
               url=external_url("auth.reset_password", token=token),
               minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60)
    record(session, "auth.password_reset_requested", actor=None, subject=user, office_id=user.office_id)


def reset_password(session: Session, user: User, password: str) -> None:
    if not user.is_active:
        raise AccountError(_("This account cannot sign in."))
    _set_password(user, password)
    record(session, "auth.password_reset", actor=user, subject=user, office_id=user.office_id)


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise AccountError(_("Your current password is not correct."), "current_password")
    _set_password(user, new)
    record(session, "auth.password_changed", actor=user, subject=user, office_id=user.office_id)


def update_account(session: Session, user: User, *, name: str, locale: str) -> None:
    user.name = name.strip()
    user.locale = locale
    record(session, "user.account_updated", actor=user, subject=user, office_id=user.office_id)


def _office_of(user: User, actor: User) -> int | None:
    """The office whose coordinators should see events about ``user``."""
    if user.office_id is not None:
        return user.office_id
    return actor.office_id


def _require_manager(actor: User, user: User) -> None:
    if not can_manage_user(actor, user) or actor.id == user.id:
        raise AccountError(_("You may not change this account."))


def deactivate_user(session: Session, actor: User, user: User) -> None:
    """Lock the account; the user's open sessions end at once."""
    _require_manager(actor, user)
    if not user.can_deactivate():
        raise AccountError(_("This account is already deactivated."))
    user.status = UserStatus.DEACTIVATED
    user.revoke_sessions()
    record(session, "user.deactivated", actor=actor, subject=user, office_id=_office_of(user, actor))


def reactivate_user(session: Session, actor: User, user: User) -> None:
    _require_manager(actor, user)
    if not user.can_reactivate():
        raise AccountError(_("This account is not deactivated."))
    user.status = UserStatus.ACTIVE if user.password_hash else UserStatus.INVITED
    record(session, "user.reactivated", actor=actor, subject=user, office_id=_office_of(user, actor))


def vet_volunteer(session: Session, actor: User, user: User) -> None:
    """A coordinator accepts a self-registered volunteer into the pool."""
    _require_manager(actor, user)
    if not user.can_vet():
        raise AccountError(_("Only volunteers awaiting vetting can be vetted."))
    user.status = UserStatus.ACTIVE
    mark_vetted(profile_of(session, user))
    record(session, "user.vetted", actor=actor, subject=user, office_id=user.office_id)
    queue_mail(session, user.email, "auth/vetted", user.locale, user=user, url=external_url("auth.login"))


def create_admin(session: Session, *, email: str, name: str, password: str) -> User:
    """An active administrator (from the command line)."""
    if find_by_email(session, email) is not None:
        raise AccountError(_("An account with this email address already exists."), "email")
    user = User(email=normalize_email(email), name=name.strip(), role=Role.ADMIN, status=UserStatus.ACTIVE,
                locale="de", session_version=1)
    _set_password(user, password)
    session.add(user)
    session.flush()
    record(session, "user.admin_created", actor=None, subject=user, ip_address="")
    return user

"""Accounts: sign-in, registration, invitations, passwords, vetting, deactivation."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from lotsen import clock
from lotsen.audit.services import record
from lotsen.auth import sessions
from lotsen.auth.directory import coordinators_of
from lotsen.auth.models import Role, User, UserStatus
from lotsen.auth.passwords import MAX_LENGTH, MIN_LENGTH, hash_password, needs_rehash, verify_password, weakness
from lotsen.auth.permissions import can_manage_account, can_manage_user, grantable_roles, works_with
from lotsen.auth.tokens import make_token
from lotsen.errors import DomainError
from lotsen.i18n import _
from lotsen.matching import counts
from lotsen.notifications.outbox import queue_mail
from lotsen.offices.models import Agency, Office
from lotsen.urls import external_url
from lotsen.volunteers.services import mark_vetted, profile_of


class AccountError(DomainError):
    """A refused account change."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user with these credentials who may sign in, or None (same answer for every failure).

    Someone who registered themselves may sign in once they confirmed their address.
    """
    user = find_by_email(session, email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if not user.is_active or (user.status is UserStatus.PENDING and user.email_verified_at is None):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def record_sign_in(session: Session, user: User, *, now: dt.datetime, address: str) -> None:
    """The sign-in is complete (password and, where set up, the second factor)."""
    user.last_login_at = now
    record(session, "auth.login", actor=user, subject=user, office_id=user.office_id, ip_address=address)


def end_sessions(session: Session, user: User, now: dt.datetime, reason: str) -> None:
    """Every session of the user ends (and every link issued before)."""
    user.revoke_sessions()
    sessions.end_all(session, user, now, reason)


def check_new_password(password: str, *, name: str, email: str) -> None:
    """Refuse a password that is too short or long, common, guessable, or made of the person's name or address."""
    problem = weakness(password, personal=(name, email))
    if problem == "length":
        raise AccountError(_("Use between %(min)d and %(max)d characters.", min=MIN_LENGTH, max=MAX_LENGTH),
                           "password")
    if problem == "personal":
        raise AccountError(_("Do not use your name, your email address or the word Lotsen in the password."),
                           "password")
    if problem is not None:
        raise AccountError(_("This password is too easy to guess: it is a common password or follows a common "
                             "pattern. A sentence of four or five words you can remember works well."), "password")


def _set_password(session: Session, user: User, password: str) -> None:
    check_new_password(password, name=user.name, email=user.email)
    user.password_hash = hash_password(password)
    if user.id is not None:  # every session and every link issued before this moment stops working
        end_sessions(session, user, clock.now(), "password_changed")


def register_volunteer(session: Session, *, office: Office, name: str, email: str, password: str, locale: str) -> User | None:
    """Create a pending volunteer who confirms their address by a mailed link; then a coordinator vets them.

    An address that already has an account gets a notice instead, and the caller shows the same
    confirmation either way, in about the same time (the password is checked and hashed on both paths),
    so the form does not reveal who is registered.
    """
    check_new_password(password, name=name, email=email)
    password_hash = hash_password(password)
    existing = find_by_email(session, email)
    if existing is not None:
        queue_mail(session, existing.email, "auth/already_registered", existing.locale, user=existing,
                   login_url=external_url("auth.login"), reset_url=external_url("auth.forgot_password"))
        return None
    user = User(email=normalize_email(email), name=name.strip(), role=Role.VOLUNTEER, status=UserStatus.PENDING,
                locale=locale, office=office, session_version=1, password_hash=password_hash)
    session.add(user)
    session.flush()
    profile_of(session, user)
    record(session, "user.registered", actor=user, subject=user, office_id=office.id)
    token = make_token(current_app.config["SECRET_KEY"], "verify-email", user)
    queue_mail(session, user.email, "auth/registration_received", user.locale, user=user, office=office,
               url=external_url("auth.verify_email", token=token),
               days=current_app.config["VERIFY_EMAIL_MAX_AGE"] // 86400)
    return user


def verify_email(session: Session, user: User) -> bool:
    """The registrant followed the mailed link; the office's coordinators are asked to vet them.
    Returns False when the address was confirmed before."""
    if user.email_verified_at is not None:
        return False
    user.email_verified_at = clock.now()
    record(session, "user.email_verified", actor=user, subject=user, office_id=user.office_id)
    if user.status is UserStatus.PENDING and user.office_id is not None:
        for coordinator in coordinators_of(session, user.office_id):
            queue_mail(session, coordinator.email, "auth/registration_to_vet", coordinator.locale, volunteer=user,
                       url=external_url("users.show_user", user_id=user.id))
    return True


def invite_user(session: Session, actor: User, *, email: str, name: str, role: Role, locale: str,
                office: Office | None = None, agency: Agency | None = None) -> tuple[User, bool]:
    """Create an invited account and mail the invitee a link to set a password; returns (user, created).

    A caseworker of a shared agency who already has an account is given access to the actor's office
    instead (created is then False).
    """
    if role not in grantable_roles(actor):
        raise AccountError(_("You may not invite people with this role."), "role")
    existing = find_by_email(session, email)
    if (existing is not None and role is Role.CASEWORKER and agency is not None and existing.role is Role.CASEWORKER
            and existing.agency_id == agency.id and not actor.is_admin and works_with(actor, agency)):
        grant_office_access(session, actor, existing)
        return existing, False
    if existing is not None:
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
    if role is Role.CASEWORKER:  # the inviting office grants access to its requests; an admin, to all of the agency's
        user.caseworker_offices = list(agency.offices) if actor.is_admin else [actor.office]
    session.add(user)
    session.flush()
    if role is Role.VOLUNTEER:
        # A volunteer whom a coordinator invites is vouched for by that coordinator.
        mark_vetted(profile_of(session, user))
    record(session, "user.invited", actor=actor, subject=user, office_id=_office_of(user, actor),
           details={"role": role.value, "email": user.email})
    send_invitation(session, user, actor)
    return user, True


def grant_office_access(session: Session, actor: User, caseworker: User) -> None:
    """The actor's office lets a caseworker of a shared agency see and file its requests."""
    if caseworker.role is not Role.CASEWORKER or caseworker.agency is None or not works_with(actor, caseworker.agency):
        raise AccountError(_("You may not invite people for this office or agency."), "agency_id")
    if actor.office_id in caseworker.caseworker_office_ids:
        raise AccountError(_("This caseworker already works with your office."), "email")
    caseworker.caseworker_offices.append(actor.office)
    record(session, "user.office_access_granted", actor=actor, subject=caseworker, office_id=actor.office_id)
    if caseworker.status is UserStatus.ACTIVE:
        queue_mail(session, caseworker.email, "auth/office_access", caseworker.locale, to_user=caseworker,
                   user=caseworker, office=actor.office, url=external_url("requests.new_request"))


def withdraw_office_access(session: Session, actor: User, caseworker: User) -> None:
    """The actor's office stops working with this caseworker; other offices' access stays."""
    if not can_manage_user(actor, caseworker) or caseworker.role is not Role.CASEWORKER or actor.is_admin:
        raise AccountError(_("You may not change this account."))
    caseworker.caseworker_offices = [o for o in caseworker.caseworker_offices if o.id != actor.office_id]
    record(session, "user.office_access_withdrawn", actor=actor, subject=caseworker, office_id=actor.office_id)


def send_invitation(session: Session, user: User, actor: User) -> None:
    token = make_token(current_app.config["SECRET_KEY"], "invitation", user)
    queue_mail(session, user.email, "auth/invitation", user.locale, user=user, inviter=actor,
               url=external_url("auth.accept_invitation", token=token),
               days=current_app.config["INVITATION_MAX_AGE"] // 86400)


def accept_invitation(session: Session, user: User, password: str) -> None:
    """The invitee sets a password; the account becomes active."""
    if user.status is not UserStatus.INVITED:
        raise AccountError(_("This invitation has already been used."))
    _set_password(session, user, password)
    user.status = UserStatus.ACTIVE
    user.email_verified_at = user.email_verified_at or clock.now()  # the invitation reached this address
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
    _set_password(session, user, password)
    record(session, "auth.password_reset", actor=user, subject=user, office_id=user.office_id)


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise AccountError(_("Your current password is not correct."), "current_password")
    _set_password(session, user, new)
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
    """The actor may act on the account as a whole (for a caseworker of a shared agency: no other office
    relies on it)."""
    if not can_manage_account(actor, user) or actor.id == user.id:
        raise AccountError(_("You may not change this account."))


def _pool_changed(session: Session, user: User) -> None:
    """A volunteer joined or left those who can be asked: the office's upcoming requests are counted again."""
    if user.role is Role.VOLUNTEER and user.office_id is not None:
        counts.mark_stale(session, user.office_id)


def deactivate_user(session: Session, actor: User, user: User) -> None:
    """Lock the account; the user's open sessions end at once."""
    _require_manager(actor, user)
    if not user.can_deactivate():
        raise AccountError(_("This account is already deactivated."))
    user.status = UserStatus.DEACTIVATED
    end_sessions(session, user, clock.now(), "deactivated")
    _pool_changed(session, user)
    record(session, "user.deactivated", actor=actor, subject=user, office_id=_office_of(user, actor))


def reactivate_user(session: Session, actor: User, user: User) -> None:
    _require_manager(actor, user)
    if not user.can_reactivate():
        raise AccountError(_("This account is not deactivated."))
    user.status = UserStatus.ACTIVE if user.password_hash else UserStatus.INVITED
    _pool_changed(session, user)
    record(session, "user.reactivated", actor=actor, subject=user, office_id=_office_of(user, actor))


def vet_volunteer(session: Session, actor: User, user: User) -> None:
    """A coordinator accepts a self-registered volunteer into the pool."""
    _require_manager(actor, user)
    if not user.can_vet():
        raise AccountError(_("Only volunteers awaiting vetting can be vetted."))
    user.status = UserStatus.ACTIVE
    mark_vetted(profile_of(session, user))
    _pool_changed(session, user)
    record(session, "user.vetted", actor=actor, subject=user, office_id=user.office_id)
    queue_mail(session, user.email, "auth/vetted", user.locale, user=user, url=external_url("auth.login"))


def create_admin(session: Session, *, email: str, name: str, password: str) -> User:
    """An active administrator (from the command line)."""
    if find_by_email(session, email) is not None:
        raise AccountError(_("An account with this email address already exists."), "email")
    user = User(email=normalize_email(email), name=name.strip(), role=Role.ADMIN, status=UserStatus.ACTIVE,
                locale="de", session_version=1, email_verified_at=clock.now())
    _set_password(session, user, password)
    session.add(user)
    session.flush()
    record(session, "user.admin_created", actor=None, subject=user, ip_address="")
    return user

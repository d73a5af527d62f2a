"""Two-factor sign-in for an account: checking a code, turning it on and off, new recovery codes, the admin's reset.

The codes themselves are in two_factor.py; this module changes accounts and records each step.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from lotsen.audit.services import record
from lotsen.auth import two_factor
from lotsen.auth.models import User
from lotsen.auth.passwords import verify_password
from lotsen.auth.services import AccountError, end_sessions
from lotsen.i18n import _
from lotsen.notifications.outbox import queue_mail
from lotsen.urls import external_url


def check_second_factor(session: Session, user: User, code: str, *, now: dt.datetime) -> str | None:
    """"totp" or "recovery" when ``code`` is a valid, unused code of the user's; None otherwise."""
    step = two_factor.verify_totp(user.totp_secret, code, now, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return "totp"
    remaining = two_factor.use_recovery_code(user.recovery_codes or [], code)
    if remaining is not None:
        user.recovery_codes = remaining
        record(session, "auth.recovery_code_used", actor=user, subject=user, office_id=user.office_id,
               details={"left": len(remaining)})
        return "recovery"
    return None


def enable_second_factor(session: Session, user: User, secret: str, code: str, *, now: dt.datetime) -> list[str]:
    """Turn on two-factor sign-in with ``secret`` once ``code`` proves the app has it; returns recovery codes."""
    step = two_factor.verify_totp(secret, code, now, None)
    if step is None:
        raise AccountError(_("This code is not correct. Check the time on your phone and try the next code."),
                           "code")
    codes = two_factor.new_recovery_codes()
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, now, step
    user.recovery_codes = [two_factor.hash_recovery_code(c) for c in codes]
    record(session, "auth.two_factor_enabled", actor=user, subject=user, office_id=user.office_id)
    return codes


def new_recovery_codes(session: Session, user: User, code: str, *, now: dt.datetime) -> list[str]:
    """Replace the recovery codes (the old ones stop working); needs a current code from the app."""
    step = two_factor.verify_totp(user.totp_secret, code, now, user.totp_last_step)
    if step is None:
        raise AccountError(_("This code is not correct, or it was used already."), "code")
    user.totp_last_step = step
    codes = two_factor.new_recovery_codes()
    user.recovery_codes = [two_factor.hash_recovery_code(c) for c in codes]
    record(session, "auth.recovery_codes_renewed", actor=user, subject=user, office_id=user.office_id)
    return codes


def disable_second_factor(session: Session, user: User, password: str, code: str, *, now: dt.datetime,
                          required: bool) -> None:
    """Turn two-factor sign-in off (password and a current code); not for roles that require it."""
    if required:
        raise AccountError(_("Your role requires two-factor sign-in. To move it to a new phone, set it up again "
                             "there; an administrator can reset it if the old phone is lost."))
    if not verify_password(user.password_hash, password):
        raise AccountError(_("Your current password is not correct."), "current_password")
    if check_second_factor(session, user, code, now=now) is None:
        raise AccountError(_("This code is not correct, or it was used already."), "code")
    _clear_second_factor(user)
    record(session, "auth.two_factor_disabled", actor=user, subject=user, office_id=user.office_id)


def reset_second_factor(session: Session, actor: User, user: User, *, now: dt.datetime) -> None:
    """An admin resets a user's second factor (phone lost): it is set up again at the next sign-in."""
    if not actor.is_admin or actor.id == user.id:
        raise AccountError(_("You may not change this account."))
    if not user.has_two_factor:
        raise AccountError(_("This account has no two-factor sign-in to reset."))
    _clear_second_factor(user)
    end_sessions(session, user, now, "two_factor_reset")
    record(session, "auth.two_factor_reset", actor=actor, subject=user, office_id=user.office_id)
    queue_mail(session, user.email, "auth/two_factor_reset", user.locale, user=user, url=external_url("auth.login"))


def _clear_second_factor(user: User) -> None:
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    user.recovery_codes = []

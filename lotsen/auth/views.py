"""Sign in and out, registration, invitations, password reset, the own account."""

from __future__ import annotations

import datetime as dt
import hashlib
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from lotsen import clock, db, security
from lotsen.auth import forms, services, sessions
from lotsen.auth import second_factor as factor
from lotsen.auth.models import User
from lotsen.auth.tokens import TokenError, load_token
from lotsen.extensions import limiter, login_manager
from lotsen.forms import options
from lotsen.i18n import _, language_of, ngettext
from lotsen.offices.models import Office
from lotsen.web import any_user, public, show_error, submit

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user, if this browser's server-side session still counts (see auth/sessions.py)."""
    uid, _sep, version = user_id.partition(":")
    if not uid.isdigit() or len(uid) > 18:
        return None
    user = db.session().get(User, int(uid), options=[joinedload(User.office)])  # the layout shows the office
    if user is None or str(user.session_version) != version or not user.is_active:
        return None
    row = sessions.find(db.session(), session.get("sid"))
    now = clock.now()
    if row is None or row.user_id != user.id:
        return None
    if not row.is_valid(now):
        if row.ended_at is None:
            security.event("session.expired", user=user.id)
        return None
    if row.needs_touch(now):
        _touch(row, now)
    g.user_session = row
    return user


def _touch(row: sessions.UserSession, now) -> None:
    """Note the session's use; a reading request does it in a short transaction of its own."""
    if not db.is_writing(db.session()):
        with db.begin_writing(current_app.extensions["lotsen.sessionmaker"]()) as own:
            own.execute(update(sessions.UserSession).where(sessions.UserSession.id == row.id)
                        .values(last_seen_at=now))
            own.commit()
        set_committed_value(row, "last_seen_at", now)
    else:
        row.last_seen_at = now


def _account_key() -> str:
    email = services.normalize_email(request.form.get("email", ""))
    return "login-account:" + hashlib.sha256(email.encode()).hexdigest()


def _pending_key() -> str:
    pending = session.get("pending_sign_in") or {}
    return f"second-factor:{pending.get('user', '-')}"


def _failed_login(_response) -> bool:
    return bool(g.get("login_failed"))


def safe_next(target: str | None) -> str | None:
    r"""A path on this site to go on to after signing in or switching the language; anything else is dropped.

    Browsers ignore tabs and line breaks in addresses and read a backslash as a slash, so "/\t/evil.example"
    or "/\\evil.example" would leave the site: any control character, space or backslash refuses the target.
    """
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _lifetimes() -> sessions.Lifetimes:
    return sessions.Lifetimes.from_config(current_app.config)


def complete_sign_in(user: User, *, remember: bool) -> None:
    """Start a server-side session for ``user`` in a fresh cookie session (no session fixation)."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session["sid"] = sessions.start(db.session(), user, now=clock.now(), remember=remember, lifetimes=_lifetimes(),
                                    address=request.remote_addr or "", user_agent=request.user_agent.string)
    session.permanent = remember  # the cookie outlives the browser only when asked to, and then REMEMBER_DAYS
    login_user(user)
    services.record_sign_in(db.session(), user, now=clock.now(), address=request.remote_addr or "")
    security.event("sign_in.succeeded", user=user.id, remember=remember)


def needs_second_factor_setup(user) -> bool:
    """The role requires two-factor sign-in and this account has none yet (demo accounts are spared)."""
    return (user.role.value in current_app.config["TWO_FACTOR_REQUIRED"] and not user.has_two_factor
            and not user.is_demo)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed_login)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_account_key,
               deduct_when=_failed_login)
@public
def login():
    """Sign in with email and password (and, where set up, a code from the authenticator app)."""
    if current_user.is_authenticated:
        return redirect(url_for("home.start"))
    form = forms.LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session(), form.email.data, form.password.data)
        if user is None:
            g.login_failed = True
            security.event("sign_in.failed", email=security.email_tag(form.email.data))
            form.form_errors.append(_("Email address or password is not correct, or the account is not active."))
        elif user.has_two_factor:
            locale = session.get("locale")
            session.clear()
            if locale:
                session["locale"] = locale
            session["pending_sign_in"] = {"user": user.id, "remember": bool(form.remember.data),
                                          "until": (clock.now() + PENDING_FOR).isoformat(),
                                          "next": safe_next(request.args.get("next")) or ""}
            return redirect(url_for("auth.second_factor"))
        else:
            complete_sign_in(user, remember=bool(form.remember.data))
            return redirect(safe_next(request.args.get("next")) or url_for("home.start"))
    return render_template("auth/login.html", form=form)


PENDING_FOR = dt.timedelta(minutes=10)  # to enter the code after the password


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_pending_key,
               deduct_when=_failed_login)
@public
def second_factor():
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    pending = session.get("pending_sign_in")
    user = None
    if isinstance(pending, dict) and str(pending.get("user", "")).isdigit():
        try:
            until = dt.datetime.fromisoformat(pending.get("until", ""))
        except (TypeError, ValueError):
            until = None
        if until is not None and clock.now() < until:
            user = db.session().get(User, int(pending["user"]))
    if user is None or not user.is_active or not user.has_two_factor:
        session.pop("pending_sign_in", None)
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    form = forms.SecondFactorForm()
    if form.validate_on_submit():
        how = factor.check_second_factor(db.session(), user, form.code.data, now=clock.now())
        if how is None:
            g.login_failed = True
            security.event("two_factor.failed", user=user.id)
            show_error(form, services.AccountError(_("This code is not correct, or it was used already."), "code"))
        else:
            security.event("two_factor.succeeded", user=user.id, how=how)
            target = pending.get("next") or ""
            complete_sign_in(user, remember=bool(pending.get("remember")))
            if how == "recovery":
                flash(ngettext("You signed in with a recovery code. %(num)d code is left.",
                               "You signed in with a recovery code. %(num)d codes are left.",
                               len(user.recovery_codes)), "warning")
            return redirect(safe_next(target) or url_for("home.start"))
    return render_template("auth/second_factor.html", form=form)


@bp.route("/logout", methods=["POST"])
@any_user
def logout():
    """Sign out on this device: the session ends on the server too."""
    row = g.get("user_session")
    if row is not None:
        sessions.end(db.session(), row, clock.now(), "signed_out")
    security.event("session.ended", user=current_user.id, reason="signed_out")
    logout_user()
    session.clear()
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))


def _target_email_key() -> str:
    email = services.normalize_email(request.form.get("email", ""))
    return "mail-to:" + hashlib.sha256(email.encode()).hexdigest()


def _mail_limits(view):
    """Mails a visitor can cause are throttled per address and per target email (every attempt counts)."""
    view = limiter.limit(lambda: current_app.config["MAIL_LIMIT_PER_EMAIL"], methods=["POST"],
                         key_func=_target_email_key)(view)
    return limiter.limit(lambda: current_app.config["MAIL_LIMIT_PER_ADDRESS"], methods=["POST"])(view)


@bp.route("/register", methods=["GET", "POST"])
@_mail_limits
@public
def register():
    """Volunteers register themselves; a coordinator vets them before they are asked."""
    form = forms.RegisterForm()
    form.office_id.choices = options((o.id, o.name) for o in db.session().scalars(select(Office).order_by(Office.name)))
    if request.method == "GET":
        form.locale.data = language_of()  # the language the visitor reads this page in
    if form.validate_on_submit():
        office = db.session().get(Office, form.office_id.data)
        try:
            services.register_volunteer(db.session(), office=office, name=form.name.data, email=form.email.data,
                                        password=form.password.data, locale=form.locale.data)
        except services.AccountError as error:
            show_error(form, error)
        else:
            return redirect(url_for("auth.registered"))
    return render_template("auth/register.html", form=form)


@bp.route("/register/done")
@public
def registered():
    """Confirmation after registering (the same whether or not the address was known)."""
    return render_template("auth/registered.html")


@bp.route("/password/forgot", methods=["GET", "POST"])
@_mail_limits
@public
def forgot_password():
    """Ask for a password-reset link by mail."""
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(db.session(), form.email.data)
        flash(_("If an account exists for this address, we have sent a link to reset the password."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


def _set_password_through_link(purpose: str, token: str, max_age_key: str, service):
    """The page behind a mailed link: check the link, then let its owner choose a password.

    Returns the user once ``service`` accepted the password, else the page to show.
    """
    try:
        user = load_token(db.session(), current_app.config["SECRET_KEY"], purpose, token,
                          current_app.config[max_age_key])
    except TokenError as error:
        return None, (render_template("auth/link_invalid.html", reason=error.reason, purpose=purpose), 410)
    form = forms.SetPasswordForm()
    if submit(form, lambda: service(db.session(), user, form.password.data)):
        return user, None
    return None, render_template("auth/set_password.html", form=form, purpose=purpose, invitee=user)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """Set a new password through a mailed link."""
    user, page = _set_password_through_link("password-reset", token, "PASSWORD_RESET_MAX_AGE",
                                            services.reset_password)
    if user is None:
        return page
    flash(_("Your password has been changed. Please sign in."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    """An invited person sets a password and so activates the account."""
    user, page = _set_password_through_link("invitation", token, "INVITATION_MAX_AGE", services.accept_invitation)
    if user is None:
        return page
    logout_user()
    complete_sign_in(user, remember=False)
    flash(_("Welcome to Lotsen. Your account is ready."), "success")
    return redirect(url_for("home.start"))


@bp.route("/account", methods=["GET", "POST"])
@any_user
def account():
    """Change the own name, language and password."""
    account_form = forms.AccountForm(prefix="account", obj=current_user if request.method == "GET" else None)
    password_form = forms.ChangePasswordForm(prefix="pw")
    if request.method == "POST" and "account-name" in request.form and account_form.validate():
        services.update_account(db.session(), current_user, name=account_form.name.data,
                                locale=account_form.locale.data)
        flash(_("Your details have been saved."), "success")
        return redirect(url_for("auth.account"))
    if request.method == "POST" and "pw-password" in request.form and password_form.validate():
        try:
            services.change_password(db.session(), current_user, password_form.current_password.data,
                                     password_form.password.data)
        except services.AccountError as error:
            show_error(password_form, error)
        else:
            # The password change ended every session, this one included: sign in again here.
            complete_sign_in(current_user._get_current_object(), remember=False)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", account_form=account_form, password_form=password_form)


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Choose the interface language on this device (signed-in users: for the account)."""
    form = forms.LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
    return redirect(safe_next(request.form.get("next")) or url_for("home.index"))

"""Sign in and out, registration, invitations, password reset, the own account."""

from __future__ import annotations

import hashlib

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lotsen import db
from lotsen.auth import forms, services
from lotsen.auth.models import User
from lotsen.auth.tokens import TokenError, load_token
from lotsen.extensions import limiter, login_manager
from lotsen.forms import options
from lotsen.i18n import _
from lotsen.offices.models import Office
from lotsen.web import any_user, public, show_error

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    uid, _sep, version = user_id.partition(":")
    if not uid.isdigit():
        return None
    user = db.session().get(User, int(uid), options=[joinedload(User.office)])  # the layout shows the office
    if user is None or str(user.session_version) != version or not user.is_active:
        return None
    return user


def _account_key() -> str:
    email = services.normalize_email(request.form.get("email", ""))
    return "login-account:" + hashlib.sha256(email.encode()).hexdigest()


def _failed_login(_response) -> bool:
    return bool(g.get("login_failed"))


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed_login)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_account_key,
               deduct_when=_failed_login)
@public
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("home.start"))
    form = forms.LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session(), form.email.data, form.password.data)
        if user is None:
            g.login_failed = True
            form.form_errors.append(_("Email address or password is not correct, or the account is not active."))
        else:
            locale = session.get("locale")
            session.clear()  # no session fixation: start a fresh session on sign-in
            if locale:
                session["locale"] = locale
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for("home.start"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@any_user
def logout():
    """Sign out on this device."""
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    """Volunteers register themselves; a coordinator vets them before they are asked."""
    form = forms.RegisterForm()
    form.office_id.choices = options((o.id, o.name) for o in db.session().scalars(select(Office).order_by(Office.name)))
    if request.method == "GET":
        form.locale.data = str(request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "de")
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
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
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
    if form.validate_on_submit():
        try:
            service(db.session(), user, form.password.data)
        except services.AccountError as error:
            show_error(form, error)
        else:
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
    login_user(user)
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
            login_user(current_user._get_current_object())
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
    return redirect(_safe_next(request.form.get("next")) or url_for("home.index"))

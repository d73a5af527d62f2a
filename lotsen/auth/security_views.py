"""The account's security: two-factor sign-in, the list of sessions, confirming the address after registering.

Routes on the auth blueprint (imported by lotsen/__init__.py). A role that requires two-factor sign-in is
sent to set it up before anything else (``require_second_factor``).
"""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from lotsen import clock, db, security
from lotsen.auth import forms, second_factor, services, sessions
from lotsen.auth import two_factor as totp
from lotsen.auth.tokens import TokenError, load_token
from lotsen.auth.views import bp, needs_second_factor_setup
from lotsen.errors import DomainError
from lotsen.i18n import _
from lotsen.web import any_user, public, show_error, writes

# Where someone who still has to set up the second factor may go meanwhile.
OPEN_WHILE_SETTING_UP = {"auth.two_factor", "auth.logout", "auth.set_language", "static", "health.healthz"}


@bp.before_app_request
def require_second_factor():
    """Coordinators and admins (by default) set up two-factor sign-in before they can do anything else."""
    if request.endpoint in OPEN_WHILE_SETTING_UP or not current_user.is_authenticated:
        return None
    if needs_second_factor_setup(current_user):
        flash(_("Your role requires two-factor sign-in. Please set it up now; it takes two minutes."), "info")
        return redirect(url_for("auth.two_factor"))
    return None


@bp.route("/account/two-factor", methods=["GET", "POST"])
@any_user
def two_factor():
    """Set up, renew or turn off two-factor sign-in with an authenticator app."""
    user = current_user._get_current_object()
    now = clock.now()
    required = user.role.value in current_app.config["TWO_FACTOR_REQUIRED"]
    action = request.form.get("action", "") if request.method == "POST" else ""
    setup_form, off_form, codes_form = (forms.TwoFactorSetupForm(prefix="setup"), forms.TwoFactorOffForm(prefix="off"),
                                        forms.RecoveryCodesForm(prefix="codes"))
    if action == "start" and FlaskForm().validate_on_submit():
        session["totp_setup"] = totp.new_secret()  # kept in the signed session until a code proves it
        setup_form = forms.TwoFactorSetupForm(prefix="setup", formdata=None)
    elif action == "confirm" and setup_form.validate_on_submit() and session.get("totp_setup"):
        try:
            codes = second_factor.enable_second_factor(db.session(), user, session["totp_setup"], setup_form.code.data,
                                                  now=now)
        except DomainError as error:
            show_error(setup_form, error)
        else:
            session.pop("totp_setup", None)
            security.event("two_factor.enabled", user=user.id)
            return render_template("auth/recovery_codes.html", codes=codes)
    elif action == "codes" and codes_form.validate_on_submit():
        try:
            codes = second_factor.new_recovery_codes(db.session(), user, codes_form.code.data, now=now)
        except DomainError as error:
            show_error(codes_form, error)
        else:
            return render_template("auth/recovery_codes.html", codes=codes)
    elif action == "off" and off_form.validate_on_submit():
        try:
            second_factor.disable_second_factor(db.session(), user, off_form.current_password.data, off_form.code.data,
                                           now=now, required=required)
        except DomainError as error:
            show_error(off_form, error)
        else:
            security.event("two_factor.disabled", user=user.id)
            flash(_("Two-factor sign-in is off."), "success")
            return redirect(url_for("auth.two_factor"))
    secret = session.get("totp_setup") if not user.has_two_factor else None
    uri = totp.provisioning_uri(secret, user.email) if secret else None
    return render_template("auth/two_factor.html", user=user, required=required, secret=secret,
                           qr=totp.qr_svg_data_uri(uri) if uri else None, setup_form=setup_form,
                           off_form=off_form, codes_form=codes_form, start_form=FlaskForm(),
                           codes_left=len(user.recovery_codes or []))


@bp.route("/account/sessions", methods=["GET", "POST"])
@any_user
def account_sessions():
    """Where the account is signed in; end one session, or all but this one."""
    user, now = current_user._get_current_object(), clock.now()
    this = g.get("user_session")
    if request.method == "POST" and FlaskForm().validate_on_submit():
        target = request.form.get("session", "")
        if target == "others":
            ended = sessions.end_all(db.session(), user, now, "ended_by_user", keep=this)
            security.event("session.ended", user=user.id, reason="ended_by_user", count=ended)
            flash(_("You are signed out everywhere else."), "success")
        elif target.isdigit() and len(target) < 19:
            row = db.session().scalar(select(sessions.UserSession).where(
                sessions.UserSession.id == int(target), sessions.UserSession.user_id == user.id))
            if row is not None and (this is None or row.id != this.id):
                sessions.end(db.session(), row, now, "ended_by_user")
                security.event("session.ended", user=user.id, reason="ended_by_user", count=1)
                flash(_("That session has ended."), "success")
        return redirect(url_for("auth.account_sessions"))
    return render_template("auth/sessions.html", rows=sessions.active(db.session(), user, now), this=this,
                           form=FlaskForm())


@bp.route("/register/confirm/<token>")
@public
@writes  # a link opened with GET that confirms the address (audit row, mails to the office)
def verify_email(token: str):
    """The link in the registration mail: the address is confirmed, the office is asked to vet."""
    try:
        user = load_token(db.session(), current_app.config["SECRET_KEY"], "verify-email", token,
                          current_app.config["VERIFY_EMAIL_MAX_AGE"])
    except TokenError as error:
        return render_template("auth/link_invalid.html", reason=error.reason, purpose="verify-email"), 410
    services.verify_email(db.session(), user)
    flash(_("Thank you, your email address is confirmed. You can sign in now and complete your profile; the "
            "office will be in touch."), "success")
    return redirect(url_for("auth.login"))




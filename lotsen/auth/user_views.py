"""Coordinators and admins manage people: list, invite, vet, deactivate, reactivate."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from lotsen import clock, db, security
from lotsen.api import tokens
from lotsen.assignments import changes
from lotsen.auth import directory, forms, second_factor, services
from lotsen.auth.models import Role, User, UserStatus
from lotsen.auth.permissions import can_manage_account, can_manage_user, grantable_roles
from lotsen.forms import options
from lotsen.i18n import _, ngettext
from lotsen.offices.models import Agency, Office
from lotsen.web import acting, arg_id, load, page_number, roles_required, show_error

bp = Blueprint("users", __name__, url_prefix="/users")
MANAGERS = (Role.COORDINATOR, Role.ADMIN)


def _managed_user(user_id: int) -> User:
    """Someone the signed-in manager may manage (anyone else is reported as missing, not as forbidden)."""
    return load(User, user_id, lambda user: can_manage_user(current_user, user))


@bp.route("/")
@roles_required(*MANAGERS)
def list_users():
    """People of the coordinator's office and its agencies (admins: everyone)."""
    form = forms.UserFilterForm(request.args)
    form.role.choices = options([("", _("All roles"))] + Role.choices())
    form.status.choices = options([("", _("All states"))] + UserStatus.choices())
    page = page_number()
    users, total = directory.search_users(db.session(), current_user, q=form.q.data or "",
                                          role=form.role.data or "", status=form.status.data or "", page=page)
    return render_template("users/list.html", form=form, users=users, total=total, page=page,
                           per_page=directory.PER_PAGE)


@bp.route("/invite", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def invite_user():
    """Invite a volunteer, caseworker or coordinator; they set their password through the mailed link."""
    session = db.session()
    form = forms.InviteForm()
    offices = directory.manageable_offices(session, current_user)
    form.set_choices(grantable_roles(current_user), offices, directory.manageable_agencies(session, current_user))
    if request.method == "GET":
        form.office_id.data = current_user.office_id or 0
        form.role.data = request.args.get("role", Role.VOLUNTEER.value)
        form.agency_id.data = arg_id("agency_id") or 0
    if form.validate_on_submit():
        office = session.get(Office, form.office_id.data) if form.office_id.data else None
        agency = session.get(Agency, form.agency_id.data) if form.agency_id.data else None
        try:
            user, created = services.invite_user(session, current_user, email=form.email.data,
                                                 name=form.name.data, role=Role(form.role.data),
                                                 locale=form.locale.data, office=office, agency=agency)
        except services.AccountError as error:
            show_error(form, error)
        else:
            flash(_("Invitation sent to %(email)s.", email=user.email) if created else
                  _("%(name)s already has an account with this agency and now also works with your office.",
                    name=user.name), "success")
            return redirect(url_for("users.show_user", user_id=user.id))
    return render_template("users/invite.html", form=form)


@bp.route("/<int:user_id>")
@roles_required(*MANAGERS)
def show_user(user_id: int):
    """One person's account and the actions a manager can take on it."""
    user = _managed_user(user_id)
    return render_template("users/show.html", user=user, action_form=FlaskForm(),
                           manages_account=can_manage_account(current_user, user))


def _account_action(user_id: int, action, message: str):
    user = _managed_user(user_id)
    try:
        action(db.session(), current_user, user)
    except services.AccountError as error:
        flash(error.message, "error")
        return redirect(url_for("users.show_user", user_id=user.id))
    flash(message % {"name": user.name}, "success")
    return redirect(url_for("users.show_user", user_id=user.id))


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@roles_required(*MANAGERS)
def deactivate_user(user_id: int):
    """Lock an account; its open sessions end at once. A volunteer's waiting offers are withdrawn and their
    assignments ahead reopen for someone else."""

    def deactivate(session, actor, user):
        services.deactivate_user(session, actor, user)
        if user.role is Role.VOLUNTEER:
            reopened = changes.take_off(session, acting(), user, _("The volunteer's account was deactivated."))
            if reopened:
                flash(ngettext("%(num)d request needs a volunteer again; the coordinators have been told.",
                               "%(num)d requests need a volunteer again; the coordinators have been told.",
                               len(reopened)), "warning")

    return _account_action(user_id, deactivate, _("%(name)s can no longer sign in."))


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
@roles_required(*MANAGERS)
def reactivate_user(user_id: int):
    """Unlock a deactivated account."""
    return _account_action(user_id, services.reactivate_user, _("%(name)s can sign in again."))


@bp.route("/<int:user_id>/vet", methods=["POST"])
@roles_required(*MANAGERS)
def vet_user(user_id: int):
    """Accept a self-registered volunteer into the pool."""
    return _account_action(user_id, services.vet_volunteer, _("%(name)s has been vetted and informed."))


@bp.route("/<int:user_id>/reset-two-factor", methods=["POST"])
@roles_required(Role.ADMIN)
def reset_two_factor(user_id: int):
    """Reset someone's two-factor sign-in (their phone is lost): they set it up again at the next sign-in."""

    def reset(session, actor, user):
        second_factor.reset_second_factor(session, actor, user, now=clock.now())
        security.event("two_factor.reset", user=user.id, by=actor.id)

    return _account_action(user_id, reset, _("%(name)s's two-factor sign-in has been reset."))


@bp.route("/<int:user_id>/withdraw-office-access", methods=["POST"])
@roles_required(Role.COORDINATOR)
def withdraw_office_access(user_id: int):
    """Stop working with a caseworker of a shared agency; the other offices keep working with them."""
    return _account_action(user_id, services.withdraw_office_access,
                           _("%(name)s no longer works with your office."))


@bp.route("/<int:user_id>/api-lead", methods=["POST"])
@roles_required(*MANAGERS)
def set_api_lead(user_id: int):
    """Make a caseworker their agency's lead caseworker (who may manage its API access), or no longer."""
    lead = request.form.get("lead") == "1"

    def change(session, actor, user):
        if user.role is not Role.CASEWORKER:
            raise services.AccountError(_("Only a caseworker can be an agency's lead caseworker."))
        if not can_manage_account(actor, user):  # the lead counts with every office: shared, it is the admins'
            raise services.AccountError(_("You may not change this account."))
        tokens.set_lead(session, acting(), user, lead)

    return _account_action(user_id, change, _("%(name)s now manages the agency's API access.") if lead else
                           _("%(name)s no longer manages the agency's API access."))


@bp.route("/<int:user_id>/resend-invitation", methods=["POST"])
@roles_required(*MANAGERS)
def resend_invitation(user_id: int):
    """Send the invitation link again to someone who has not set a password yet."""
    user = load(User, user_id, lambda u: can_manage_account(current_user, u))
    if user.status is not UserStatus.INVITED:
        flash(_("This person has already accepted the invitation."), "error")
    else:
        services.send_invitation(db.session(), user, current_user)
        flash(_("Invitation sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("users.show_user", user_id=user.id))

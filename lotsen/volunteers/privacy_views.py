"""A volunteer's own data: export everything, ask for deletion; coordinators carry it out."""

from __future__ import annotations

import json

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import BooleanField

from lotsen import clock, db
from lotsen.assignments import changes
from lotsen.audit.services import record
from lotsen.auth.models import Role
from lotsen.forms import Form, required
from lotsen.i18n import _, _l
from lotsen.volunteers import privacy, services
from lotsen.volunteers.views import bp, target_profile
from lotsen.web import acting, download, form_failed, roles_required, submit, writes


class DeletionRequestForm(Form):
    confirm = BooleanField(_l("I want my data deleted"), validators=[required()],
                           description=_l("This cannot be undone."))


class AnonymizeForm(Form):
    # The partial templates/volunteers/_anonymize.html writes this field by hand (show.html passes no form).
    confirm = BooleanField(validators=[required()])


def _me():
    return current_user._get_current_object()


@bp.route("/profile/data.json")
@roles_required(Role.VOLUNTEER, pending_ok=True)
@writes
def export_own_data():
    """Download everything Lotsen holds about the signed-in volunteer, as JSON."""
    session = db.session()
    # Recorded first, so the download itself shows up in the list of events it contains.
    record(session, "volunteer.data_exported", actor=_me(), subject=_me(), office_id=current_user.office_id)
    body = json.dumps(privacy.export_data(session, _me()), ensure_ascii=False, indent=2)
    return download(body, "application/json", f"lotsen-my-data-{clock.today().isoformat()}.json")


@bp.route("/profile/deletion", methods=["GET", "POST"])
@roles_required(Role.VOLUNTEER, pending_ok=True)
def request_deletion():
    """Explain what deletion means and let the volunteer ask for it."""
    profile = services.profile_of(db.session(), _me())
    form = DeletionRequestForm()
    if profile.deletion_requested_at is None and submit(form, lambda: privacy.request_deletion(db.session(), _me())):
        flash(_("Your request has been sent. The coordinating office will delete your data and confirm it "
                "by email."), "success")
        return redirect(url_for("volunteers.show_profile"))
    return render_template("volunteers/deletion.html", profile=profile, form=form)


@bp.route("/volunteers/<int:user_id>/anonymize", methods=["POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def anonymize_volunteer(user_id: int):
    """Delete a volunteer's personal data for good; anonymous statistics stay."""
    profile = target_profile(user_id)  # 404 for anyone the actor does not manage, and for the already deleted
    form = AnonymizeForm()
    if not form.validate():
        flash(_("Tick the box to confirm the deletion. Nothing has been deleted."), "error")
        return redirect(url_for("volunteers.show_volunteer", user_id=user_id))
    try:
        changes.take_off(db.session(), acting(), profile.user, _("The volunteer's data was deleted."))
        privacy.anonymize(db.session(), _me(), profile.user)
    except privacy.PrivacyError as error:
        form_failed()
        flash(error.message, "error")
        return redirect(url_for("volunteers.show_volunteer", user_id=user_id))
    flash(_("The volunteer's personal data has been deleted."), "success")
    return redirect(url_for("volunteers.list_volunteers"))

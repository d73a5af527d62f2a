"""Step 4 (weekly windows, extra dates, absences) and pausing."""

from __future__ import annotations

from flask import abort, flash, request
from flask_login import current_user

from lotsen import clock, db
from lotsen.i18n import _
from lotsen.volunteers import forms, services
from lotsen.volunteers.availability import Window
from lotsen.volunteers.views import back, profile_route, render_step, target_profile
from lotsen.web import form_failed, show_error


@profile_route("/availability", methods=["GET", "POST"])
def edit_availability(user_id: int | None = None):
    """Weekly windows, one-off extra dates and absences, each added with its own small form."""
    profile = target_profile(user_id)
    window_form = forms.WindowForm(prefix="window")
    extra_form = forms.ExtraDateForm(prefix="extra")
    absence_form = forms.AbsenceForm(prefix="absence")
    submitted = request.form.get("kind") if request.method == "POST" else None
    actions = {
        "window": (window_form, lambda f: services.add_window(
            db.session(), current(), profile,
            Window(f.weekday.data, f.starts.data, f.ends.data, f.valid_from.data, f.valid_until.data))),
        "extra": (extra_form, lambda f: services.add_extra_date(
            db.session(), current(), profile, day=f.day.data, starts=f.starts.data, ends=f.ends.data,
            today=clock.today())),
        "absence": (absence_form, lambda f: services.add_absence(
            db.session(), current(), profile, starts_on=f.starts_on.data, ends_on=f.ends_on.data,
            reason=f.reason.data)),
    }
    if submitted in actions:
        form, action = actions[submitted]
        if form.validate():
            try:
                action(form)
            except services.ProfileError as error:
                show_error(form, error)
            else:
                return back("volunteers.edit_availability", profile, _("Saved."))
        else:
            form_failed()
    return render_step("availability", profile, "availability", window_form=window_form, extra_form=extra_form,
                       absence_form=absence_form, weekdays=dict(forms.WEEKDAYS))


def current():
    return current_user._get_current_object()


def _remove(user_id, row_id, remover):
    profile = target_profile(user_id)
    try:
        remover(db.session(), current(), profile, row_id)
    except services.ProfileError:
        abort(404)
    return back("volunteers.edit_availability", profile, _("Removed."))


@profile_route("/availability/windows/<int:row_id>/remove", methods=["POST"])
def remove_window(row_id: int, user_id: int | None = None):
    """Remove a weekly window."""
    return _remove(user_id, row_id, services.remove_window)


@profile_route("/availability/dates/<int:row_id>/remove", methods=["POST"])
def remove_extra_date(row_id: int, user_id: int | None = None):
    """Remove a one-off date."""
    return _remove(user_id, row_id, services.remove_extra_date)


@profile_route("/availability/absences/<int:row_id>/remove", methods=["POST"])
def remove_absence(row_id: int, user_id: int | None = None):
    """Remove an absence."""
    return _remove(user_id, row_id, services.remove_absence)


@profile_route("/pause", methods=["POST"])
def pause_profile(user_id: int | None = None):
    """Stop being asked, optionally until a return date."""
    profile = target_profile(user_id)
    form = forms.PauseForm()
    if form.validate():
        try:
            services.pause(db.session(), current(), profile, until=form.until.data, today=clock.today())
        except services.ProfileError as error:
            form_failed()
            flash(error.message, "error")
            return back("volunteers.show_profile", profile)
        return back("volunteers.show_profile", profile, _("Paused. You will not be asked until you resume."))
    return back("volunteers.show_profile", profile)


@profile_route("/resume", methods=["POST"])
def resume_profile(user_id: int | None = None):
    """Be asked again."""
    profile = target_profile(user_id)
    services.resume(db.session(), current(), profile)
    return back("volunteers.show_profile", profile, _("Welcome back. You can be asked again."))

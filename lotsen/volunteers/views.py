"""The volunteer's profile in a few steps; coordinators use the same pages for any volunteer of theirs."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lotsen import clock, db
from lotsen import languages as catalogue
from lotsen.auth.models import Role, User
from lotsen.auth.permissions import can_manage_user
from lotsen.geo import services as places
from lotsen.i18n import _, _l
from lotsen.volunteers import forms, services
from lotsen.volunteers.models import VolunteerProfile
from lotsen.web import load, roles_required, show_error, submit

bp = Blueprint("volunteers", __name__)
PROFILE_ROLES = (Role.VOLUNTEER, Role.COORDINATOR, Role.ADMIN)

STEPS = [
    ("basics", _l("About me"), "volunteers.edit_basics"),
    ("languages", _l("Languages"), "volunteers.edit_languages"),
    ("place", _l("Where I live"), "volunteers.edit_place"),
    ("availability", _l("When I can"), "volunteers.edit_availability"),
    ("limits", _l("Limits and topics"), "volunteers.edit_limits"),
]


def profile_route(path: str, **options):
    """Register a page for the own profile and for a managed volunteer's profile."""

    def decorator(view):
        guarded = roles_required(*PROFILE_ROLES, pending_ok=True)(view)
        bp.add_url_rule(f"/profile{path}", view_func=guarded, **options)
        bp.add_url_rule(f"/volunteers/<int:user_id>/profile{path}", view_func=guarded, **options)
        return guarded

    return decorator


def target_profile(user_id: int | None) -> VolunteerProfile:
    """The profile a request is about: the own one, or a managed volunteer's (404 otherwise)."""
    if user_id is None:
        if current_user.role is not Role.VOLUNTEER:
            abort(404)
        user = current_user
    else:
        user = load(User, user_id, lambda found: found.role is Role.VOLUNTEER and can_manage_user(current_user, found))
    profile = services.profile_of(db.session(), user)
    if profile.anonymized_at is not None:
        abort(404)
    return profile


def completeness(profile: VolunteerProfile) -> dict[str, bool]:
    return {
        "basics": profile.german_level is not None,
        "languages": bool(profile.languages),
        "place": bool(profile.postcode),
        "availability": bool(profile.windows or profile.extra_dates),
        "limits": True,
    }


def render_step(template: str, profile: VolunteerProfile, step: str, **context):
    return render_template(f"volunteers/{template}.html", profile=profile, step=step, steps=STEPS,
                           done=completeness(profile), owner_id=_owner_param(profile), language_name=catalogue.name,
                           **context)


def _owner_param(profile: VolunteerProfile) -> int | None:
    """``user_id`` for URLs: None on the own profile."""
    return None if profile.user_id == current_user.id else profile.user_id


def back(endpoint: str, profile: VolunteerProfile, message: str | None = None):
    if message:
        flash(message, "success")
    return redirect(url_for(endpoint, user_id=_owner_param(profile)))


def _next_step(step: str) -> str:
    names = [name for name, _label, _endpoint in STEPS]
    index = names.index(step)
    return STEPS[index + 1][2] if index + 1 < len(STEPS) else "volunteers.show_profile"


@profile_route("")
def show_profile(user_id: int | None = None):
    """The profile at a glance, with the steps to complete it."""
    profile = target_profile(user_id)
    return render_step("profile", profile, "overview", pause_form=forms.PauseForm(),
                       matchable=services.is_matchable(profile),
                       paused=services.is_paused_on(profile, clock.today()))


@profile_route("/basics", methods=["GET", "POST"])
def edit_basics(user_id: int | None = None):
    """Step 1: guide or interpreter, ways of helping, German, phone, gender."""
    profile = target_profile(user_id)
    form = forms.BasicsForm()
    if request.method == "GET":
        form.roles.data = [r for r, on in (("guide", profile.is_guide), ("interpreter", profile.is_interpreter)) if on]
        form.modes.data = [m.value for m in profile.modes()]
        form.german_level.data = profile.german_level.value if profile.german_level else None
        form.phone.data = profile.phone
        form.gender.data = profile.gender.value if profile.gender else ""
    if submit(form, lambda: services.update_basics(
            db.session(), current_user, profile, is_guide="guide" in form.roles.data,
            is_interpreter="interpreter" in form.roles.data, modes=form.modes.data,
            german_level=form.german_level.data, phone=form.phone.data or "", gender=form.gender.data or None)):
        return back(_next_step("basics"), profile, _("Saved."))
    return render_step("basics", profile, "basics", form=form)


@profile_route("/place", methods=["GET", "POST"])
def edit_place(user_id: int | None = None):
    """Step 3: home postcode, municipality and how far the volunteer travels."""
    profile = target_profile(user_id)
    form = forms.PlaceForm()
    if request.method == "GET":
        form.postcode.data = profile.postcode
        form.municipality.data = profile.municipality.name if profile.municipality else ""
        form.travel_radius_km.data = profile.travel_radius_km
    if submit(form, lambda: services.set_place(db.session(), current_user, profile, postcode=form.postcode.data,
                                               municipality=form.municipality.data or "",
                                               travel_radius_km=form.travel_radius_km.data)):
        return back(_next_step("place"), profile, _("Saved."))
    return render_step("place", profile, "place", form=form,
                       place_names=places.place_names(db.session(), profile.office_id))


@profile_route("/limits", methods=["GET", "POST"])
def edit_limits(user_id: int | None = None):
    """Step 5: how often, how much notice, which topics."""
    profile = target_profile(user_id)
    form = forms.LimitsForm(obj=profile if request.method == "GET" else None)
    if submit(form, lambda: services.update_limits(
            db.session(), current_user, profile, max_per_week=form.max_per_week.data,
            max_per_month=form.max_per_month.data, min_notice_hours=form.min_notice_hours.data,
            short_notice=form.short_notice.data, topics_willing=form.topics_willing.data or [],
            topics_excluded=form.topics_excluded.data or [])):
        return back("volunteers.show_profile", profile, _("Your profile has been saved."))
    return render_step("limits", profile, "limits", form=form)


def _entry_form(entry, formdata=None) -> forms.LanguageEntryForm:
    form = forms.LanguageEntryForm(formdata=formdata, prefix=f"lang{entry.id}",
                                   data={"level": entry.level.value, "varieties": list(entry.varieties)})
    form.varieties.choices = catalogue.varieties(entry.language)
    return form


@profile_route("/languages", methods=["GET", "POST"])
def edit_languages(user_id: int | None = None):
    """Step 2: the languages, each with a level and, where it matters, varieties."""
    profile = target_profile(user_id)
    add_form = forms.AddLanguageForm(prefix="add")
    if add_form.validate_on_submit():
        try:
            services.add_language(db.session(), current_user, profile, language=add_form.language.data,
                                  level=add_form.level.data)
        except services.ProfileError as error:
            show_error(add_form, error)
        else:
            return back("volunteers.edit_languages", profile, _("Language added."))
    return render_step("languages", profile, "languages", add_form=add_form,
                       entries=[(entry, _entry_form(entry)) for entry in profile.languages],
                       language_choices=catalogue.choices())


@profile_route("/languages/<int:entry_id>", methods=["POST"])
def update_language(entry_id: int, user_id: int | None = None):
    """Change a language's level or varieties."""
    profile = target_profile(user_id)
    entry = next((e for e in profile.languages if e.id == entry_id), None)
    if entry is None:
        abort(404)
    form = _entry_form(entry, formdata=request.form)
    if form.validate():
        services.update_language(db.session(), current_user, profile, entry_id, level=form.level.data,
                                 varieties=form.varieties.data or [])
        return back("volunteers.edit_languages", profile, _("Saved."))
    flash(_("Please check your input."), "error")
    return back("volunteers.edit_languages", profile)


@profile_route("/languages/<int:entry_id>/remove", methods=["POST"])
def remove_language(entry_id: int, user_id: int | None = None):
    """Take a language off the profile."""
    profile = target_profile(user_id)
    try:
        services.remove_language(db.session(), current_user, profile, entry_id)
    except services.ProfileError:
        abort(404)
    return back("volunteers.edit_languages", profile, _("Language removed."))

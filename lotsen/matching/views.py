"""The coordinator's view of a request's candidates: ranked, explained, and why not for everyone else."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from lotsen import clock, db
from lotsen import languages as catalogue
from lotsen.auth.models import Role
from lotsen.i18n import _l
from lotsen.languages import LanguageLevel
from lotsen.matching import services
from lotsen.matching.rules import Reason
from lotsen.requests.models import HelpRequest
from lotsen.web import roles_required

bp = Blueprint("matching", __name__)

REASONS = {
    Reason.LANGUAGE: _l("does not speak the language"),
    Reason.KIND: _l("does not help in this role (guide or interpreter)"),
    Reason.MODE: _l("does not help this way (on site, phone, video)"),
    Reason.NOT_VETTED: _l("not vetted yet"),
    Reason.INACTIVE: _l("account not active"),
    Reason.PAUSED: _l("paused"),
    Reason.NO_DECLARATION: _l("confidentiality declaration missing"),
    Reason.CERTIFICATE: _l("certificate of conduct missing or expired"),
    Reason.TOPIC: _l("does not take this topic"),
    Reason.NO_HOME: _l("home postcode missing"),
    Reason.TOO_FAR: _l("lives beyond their travel radius"),
    Reason.UNAVAILABLE: _l("not available at this time (travel included)"),
    Reason.ABSENT: _l("absent on this day"),
    Reason.BUSY: _l("has another assignment then"),
    Reason.WEEKLY_LIMIT: _l("weekly limit reached"),
    Reason.MONTHLY_LIMIT: _l("monthly limit reached"),
    Reason.SHORT_NOTICE: _l("wants more notice"),
    Reason.GENDER: _l("gender does not match the request"),
}

PARTS = {"distance": _l("distance"), "load": _l("fair share"), "level": _l("language level"),
         "continuity": _l("continuity"), "variety": _l("variety")}


@bp.route("/requests/<int:request_id>/candidates")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def show_candidates(request_id: int):
    """Who can take the request, in which order and why; and for everyone else in the pool, why not."""
    found = db.session().get(HelpRequest, request_id)
    if found is None or not (current_user.is_admin or found.office_id == current_user.office_id):
        abort(404)
    outcome, profiles = services.explain(db.session(), found, clock.now(), str(clock.zone().key))
    return render_template("matching/candidates.html", req=found, outcome=outcome, profiles=profiles,
                           reasons=REASONS, parts=PARTS, language_name=catalogue.name,
                           levels={level.value: level.title for level in LanguageLevel})

"""The coordinator's view of a request's candidates: ranked, explained, and why not for everyone else."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from lotsen import clock, db
from lotsen import languages as catalogue
from lotsen.assignments.forms import OfferForm
from lotsen.assignments.services import offers_of
from lotsen.auth.models import Role
from lotsen.i18n import _l
from lotsen.languages import LanguageLevel
from lotsen.matching import services
from lotsen.matching.reasons import REASONS
from lotsen.requests.lifecycle import Action, can
from lotsen.requests.models import HelpRequest
from lotsen.web import roles_required

bp = Blueprint("matching", __name__)

PARTS = {"distance": _l("distance"), "load": _l("fair share"), "level": _l("language level"),
         "continuity": _l("continuity"), "variety": _l("variety")}


@bp.route("/requests/<int:request_id>/candidates")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def show_candidates(request_id: int):
    """Who can take the request, in which order and why; and for everyone else in the pool, why not."""
    found = db.session().get(HelpRequest, request_id)
    if found is None or not (current_user.is_admin or found.office_id == current_user.office_id):
        abort(404)
    session = db.session()
    outcome, profiles = services.explain(session, found, clock.now(), str(clock.zone().key))
    asked = {o.volunteer_id: o for o in offers_of(session, found)}
    return render_template("matching/candidates.html", req=found, outcome=outcome, profiles=profiles, asked=asked,
                           offer_form=OfferForm(formdata=None), can_offer=can(found.status, Action.OFFER),
                           reasons=REASONS, parts=PARTS, language_name=catalogue.name,
                           levels={level.value: level.title for level in LanguageLevel})

"""The coordinator's view of a request's candidates: ranked, explained, and why not for everyone else."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from lotsen import clock, db
from lotsen import languages as catalogue
from lotsen.assignments import offering
from lotsen.assignments.forms import OfferForm
from lotsen.auth.models import Role
from lotsen.i18n import _l
from lotsen.languages import LanguageLevel
from lotsen.matching import services
from lotsen.matching.reasons import REASONS
from lotsen.requests.models import HelpRequest
from lotsen.web import load, roles_required

bp = Blueprint("matching", __name__)

HELD = {"asked": _l("asked, waiting for the answer"), "declined": _l("declined this very time and place"),
        "confirmed": _l("has the assignment")}
PARTS = {"distance": _l("distance"), "load": _l("fair share"), "level": _l("language level"),
         "continuity": _l("continuity"), "variety": _l("variety")}


@bp.route("/requests/<int:request_id>/candidates")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def show_candidates(request_id: int):
    """Who can take the request, in which order and why; and for everyone else in the pool, why not."""
    found = load(HelpRequest, request_id, "can_coordinate")
    session, now = db.session(), clock.now()
    outcome, profiles = services.explain(session, found, now, str(clock.zone().key))
    held = {volunteer_id: HELD[why] for volunteer_id, why in offering.blocked(session, found).items()}
    return render_template("matching/candidates.html", req=found, outcome=outcome, profiles=profiles, held=held,
                           stepped_back=offering.stepped_back(session, found), offer_form=OfferForm(formdata=None),
                           can_offer=found.can_offer(current_user, now), why=_worded(), parts=PARTS,
                           language_name=catalogue.name, levels={level.value: level.title for level in LanguageLevel})


def _worded():
    """An entry's reasons in words: each reason translated once, each combination joined once (thousands of
    volunteers share a handful of combinations)."""
    words = {key: str(title) for key, title in REASONS.items()}
    joined: dict[tuple, str] = {}

    def why(entry) -> str:
        key = tuple(entry.reasons)
        text = joined.get(key)
        if text is None:
            text = joined[key] = "; ".join(words[reason] for reason in key)
        return text

    return why

"""The audit log page for coordinators (their office) and admins (everything)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from lotsen import db
from lotsen.audit import services
from lotsen.audit.describe import action_title, describe
from lotsen.auth.models import Role
from lotsen.web import page_number, roles_required

bp = Blueprint("audit", __name__, url_prefix="/audit")
PER_PAGE = 50


@bp.route("/")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def list_events():
    """Who did what, newest first, filterable by action; sign-ins on a tab of their own."""
    session = db.session()
    sign_ins = request.args.get("view") == "sign-ins"
    actions = services.known_actions(session, current_user)
    action = request.args.get("action", "")
    action = action if action in actions and not sign_ins else ""
    page = page_number()
    events, total = services.list_events(session, current_user, action=action, sign_ins=sign_ins, page=page,
                                         per_page=PER_PAGE)
    return render_template("audit/list.html", lines=describe(session, events), total=total, page=page,
                           per_page=PER_PAGE, actions=sorted(((a, action_title(a)) for a in actions),
                                                             key=lambda pair: pair[1]),
                           action=action, sign_ins=sign_ins)

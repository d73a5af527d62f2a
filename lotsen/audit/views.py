"""The audit log page for coordinators (their office) and admins (everything)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from lotsen import db
from lotsen.audit import services
from lotsen.auth.models import Role
from lotsen.web import roles_required

bp = Blueprint("audit", __name__, url_prefix="/audit")
PER_PAGE = 50


@bp.route("/")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def list_events():
    """Who did what, newest first, filterable by action."""
    actions = services.known_actions(db.session(), current_user)
    action = request.args.get("action", "")
    action = action if action in actions else ""
    page = max(request.args.get("page", 1, type=int), 1)
    events, total = services.list_events(db.session(), current_user, action=action, page=page, per_page=PER_PAGE)
    return render_template("audit/list.html", events=events, total=total, page=page, per_page=PER_PAGE,
                           actions=actions, action=action)

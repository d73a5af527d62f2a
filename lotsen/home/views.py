"""The start page: each role lands on its own."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from lotsen import clock, db, languages
from lotsen.assignments import queries as assignments
from lotsen.auth import directory
from lotsen.auth.models import Role, User, UserStatus
from lotsen.auth.permissions import visible_agencies, visible_users
from lotsen.offices.models import Agency, Office
from lotsen.requests import services as request_services
from lotsen.volunteers.services import is_paused_on, profile_of
from lotsen.volunteers.views import completeness
from lotsen.web import any_user, public

bp = Blueprint("home", __name__)


@bp.route("/")
@public
def index():
    """Send visitors to sign in and signed-in users to their role's start page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("home.start"))


@bp.route("/start")
@any_user
def start():
    """The role's start page."""
    session = db.session()
    user = current_user
    if user.role is Role.VOLUNTEER:
        profile = profile_of(session, user)
        done = completeness(profile)
        template = "home/pending.html" if user.is_pending else "home/volunteer.html"
        now = clock.now()
        ahead, to_record = assignments.volunteer_assignments(session, user, now)
        return render_template(template, profile=profile, steps_done=sum(done.values()), steps_total=len(done),
                               paused=is_paused_on(profile, clock.today()), language_name=languages.name,
                               offers=assignments.waiting_offers(session, user, now), assignments=ahead,
                               to_record=to_record)
    if user.role is Role.CASEWORKER:
        now = clock.now()
        rows, total = request_services.search(session, user, when="upcoming", now=now, per_page=10)
        return render_template("home/caseworker.html", agency=user.agency, rows=rows, total=total,
                               language_name=languages.name)
    pending_count = directory.count_pending(session, user)
    volunteers = session.scalar(
        visible_users(user, select(func.count(User.id))).where(User.role == Role.VOLUNTEER,
                                                               User.status == UserStatus.ACTIVE)
    )
    agencies = session.scalar(visible_agencies(user, select(func.count(Agency.id))).where(Agency.is_active.is_(True)))
    pending = directory.search_users(session, user, status=UserStatus.PENDING.value)[0][:10]
    overview = {"pending_count": pending_count, "volunteers": volunteers, "agencies": agencies, "pending": pending}
    if user.role is Role.COORDINATOR:
        return render_template("home/coordinator.html", office=user.office, **overview)
    offices = session.scalar(select(func.count(Office.id)))
    return render_template("home/admin.html", offices=offices, **overview)

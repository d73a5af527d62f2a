"""A health check for load balancers: the app answers and its database serves one primary-key read."""

from __future__ import annotations

import logging

from flask import Blueprint
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from lotsen import db
from lotsen.offices.models import Office
from lotsen.web import public

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

PLAIN = {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/healthz")
@public
def check():
    """Answer "ok" when one primary-key query succeeds, 503 when the database does not answer."""
    try:
        # Whether office 1 exists does not matter: the query proves the database answers.
        db.session().execute(select(Office.id).where(Office.id == 1)).first()
    except SQLAlchemyError as error:
        log.warning("health check failed: %s", error.__class__.__name__)
        return "unavailable\n", 503, PLAIN
    return "ok\n", 200, PLAIN

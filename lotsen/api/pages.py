"""The API's public pages: the OpenAPI document, its documentation page, and the problem types."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template

from lotsen.api import problems
from lotsen.web import public

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")


@bp.route("/openapi.json")
@public
def openapi_json():
    """The OpenAPI 3.1 document, generated from the code."""
    return jsonify(current_app.extensions["lotsen.api"].spec.to_dict())


@bp.route("/docs")
@public
def docs():
    """The documentation, readable offline: Swagger UI served from static/."""
    return render_template("api/docs.html", problem_types=[
        (problems.BASE + slug, status, title) for slug, (status, title) in problems.TYPES.items()])


@bp.route("/problems/<slug>")
@public
def problem_type(slug: str):
    """What a problem ``type`` means (its URI is stable)."""
    if slug not in problems.TYPES:
        abort(404)
    status, title = problems.TYPES[slug]
    return jsonify({"type": problems.BASE + slug, "status": status, "title": str(title)})

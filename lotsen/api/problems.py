"""Errors of the API as RFC 9457 problem details (``application/problem+json``), each with a stable ``type``.

The HTML pages keep their HTML error pages; ``lotsen.web`` sends every error under /api/ here.
"""

from __future__ import annotations

import json

from flask import Response, current_app
from werkzeug.exceptions import HTTPException

from lotsen.i18n import _l

MIMETYPE = "application/problem+json"
BASE = "/api/v1/problems/"

# slug: (status, title). The slugs are part of the API: never rename one.
TYPES = {
    "bad-request": (400, _l("The request could not be read")),
    "unauthorized": (401, _l("A valid API token is required")),
    "forbidden": (403, _l("The token does not allow this")),
    "not-found": (404, _l("Not found")),
    "method-not-allowed": (405, _l("This method is not allowed here")),
    "conflict": (409, _l("The current state does not allow this")),
    "payload-too-large": (413, _l("The request is too large")),
    "unsupported-media-type": (415, _l("Send JSON (Content-Type: application/json)")),
    "validation": (422, _l("The input is not valid")),
    "idempotency-key-reused": (422, _l("This Idempotency-Key was used for another request")),
    "too-many-requests": (429, _l("Too many requests with this token; please slow down")),
    "server-error": (500, _l("Something went wrong on our side")),
}
BY_STATUS = {status: slug for slug, (status, _title) in reversed(list(TYPES.items()))}


class ApiProblem(Exception):
    """Raised in an API view: answered as a problem of type ``slug``; ``extra`` adds members (``errors``)."""

    def __init__(self, slug: str, detail: str = "", **extra):
        super().__init__(detail or slug)
        self.slug, self.detail, self.extra = slug, detail, extra


def response(slug: str, detail: str = "", *, status: int | None = None, headers=None, **extra) -> Response:
    default_status, title = TYPES[slug]
    body = {"type": BASE + slug, "title": str(title), "status": status or default_status}
    if detail:
        body["detail"] = str(detail)
    body.update({key: value for key, value in extra.items() if value is not None})
    answer = current_app.response_class(json.dumps(body, ensure_ascii=False), status=body["status"],
                                        mimetype=MIMETYPE)
    if body["status"] == 401:
        answer.headers["WWW-Authenticate"] = 'Bearer realm="lotsen"'
    for name, value in (headers or {}).items():
        answer.headers[name] = value
    return answer


def of_problem(error: ApiProblem) -> Response:
    return response(error.slug, error.detail, **error.extra)


def of_http(error: HTTPException) -> Response:
    """A werkzeug error (404, 405, 429 ...), or flask-smorest's 422 with webargs' messages as field errors."""
    code = error.code or 500
    slug = BY_STATUS.get(code, "bad-request" if code < 500 else "server-error")
    data = getattr(error, "data", None) or {}
    errors = flatten(data.get("messages")) if isinstance(data, dict) and data.get("messages") else None
    headers = dict(error.get_headers()) if code in (405, 429) else {}
    headers.pop("Content-Type", None)
    if code == 429:
        headers["Retry-After"] = str(_seconds_to_reset())
    detail = error.description if code not in (404, 422) and isinstance(error.description, str) else ""
    return response(slug, detail if slug == "bad-request" else "", status=code, headers=headers, errors=errors)


def flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """webargs' ``{"json": {"inform": {"email": [...]}}}`` as ``{"inform.email": [...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if prefix == "" and key in ("json", "query", "headers", "files", "form"):
                name = ""
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten(value, name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = [str(m) for m in messages]
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            flat.update(flatten(value, f"{prefix}.{index}"))
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


def _seconds_to_reset() -> int:
    """When the token's window of calls opens again (Flask-Limiter's current limit), at least a second."""
    import math

    from lotsen import clock
    from lotsen.extensions import limiter

    current = limiter.current_limit
    return max(1, math.ceil(current.reset_at - clock.now().timestamp())) if current is not None else 60

"""The agencies' API (REST, OpenAPI 3.1, problem details, tokens, webhooks): see lotsen/api/views.py."""

from __future__ import annotations

import http

from flask_smorest import Api
from flask_smorest.utils import prepare_response

from lotsen.api.problems import MIMETYPE

DESCRIPTION = """An agency's system files and follows its requests, and confirms assignment records, as its
caseworkers do on the pages. Authenticate with a token issued by the coordinating office
(`Authorization: Bearer lotsen_...`); each token reaches one agency, the offices it was issued for, and its scopes.
Errors are problem details (RFC 9457, `application/problem+json`) whose `type` never changes; field errors are
listed under `errors`. POSTs accept an `Idempotency-Key` header: a retry with the same key gets the first answer.
Status changes are sent to the agency's webhook endpoints, signed in the `Lotsen-Signature` header
(`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>`); each event has an `id` to drop repeats.
Times are ISO 8601 in UTC; dates and start times sent are local to the office (Europe/Berlin)."""


class LotsenApi(Api):
    """flask-smorest's Api with Lotsen's errors: problem details documented for every status, and answered by
    ``lotsen.web`` (the HTML pages keep their own error pages)."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        pass  # lotsen.web answers errors under /api/ as problem details

    def _register_responses(self):
        from lotsen.api.schemas import ProblemOut

        problem = {"description": "A problem (RFC 9457)", "schema": ProblemOut}
        prepare_response(problem, self.spec, MIMETYPE)
        self.spec.components.response("PROBLEM", problem, lazy=True)
        for status in http.HTTPStatus:
            if status >= 400:
                response = {"description": status.phrase, "schema": ProblemOut}
                prepare_response(response, self.spec, MIMETYPE)
                self.spec.components.response(status.name, response, lazy=True)


def init_app(app) -> None:
    from lotsen.api import manage_views, pages, views, webhooks

    app.config.update(API_TITLE="Lotsen API", API_VERSION="1", OPENAPI_VERSION="3.1.0")
    api = LotsenApi(app, spec_kwargs={
        "info": {"description": DESCRIPTION},
        "security": [{"token": []}],
        "servers": [{"url": "/"}],
    })
    api.spec.components.security_scheme("token", {
        "type": "http", "scheme": "bearer",
        "description": "A token issued for the agency on Lotsen's page “API access”."})
    api.register_blueprint(views.blp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(manage_views.bp)
    app.extensions["lotsen.api"] = api
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith("api."):
            view.lotsen_access = "token"  # a bearer token, never a session: see lotsen/api/views.py
            view.lotsen_writes = True  # every call is audited
    webhooks.listen()

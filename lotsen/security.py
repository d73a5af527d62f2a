"""The security log: sign-ins, second factors, sessions ending, refused access and throttling.

One JSON line per event on the ``lotsen.security`` logger (stderr in production, where gunicorn or the
service manager keeps it). It is for the operator, not the offices' audit page, and holds no passwords,
codes or tokens; email addresses of failed sign-ins are kept as a short hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys

from flask import has_request_context, request

log = logging.getLogger("lotsen.security")


def email_tag(email: str) -> str:
    """A short, stable tag for an email address: enough to see repeated attempts, without the address."""
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:12]


def event(kind: str, **fields) -> None:
    """Log one security event (``kind`` like "sign_in.failed") with the request's address and path."""
    if has_request_context():
        fields.setdefault("address", request.remote_addr or "")
        fields.setdefault("path", request.path)
        fields.setdefault("method", request.method)
    log.info("%s", json.dumps({"event": kind, **fields}, default=str, sort_keys=True), extra={"security_event": kind})


def init_app(app) -> None:
    """Log at INFO; outside tests, to stderr as JSON lines unless the operator configured handlers."""
    log.setLevel(logging.INFO)
    if not app.testing and not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s lotsen.security %(message)s"))
        log.addHandler(handler)

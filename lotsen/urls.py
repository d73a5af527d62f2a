"""Absolute links for mails, always built from the configured ``BASE_URL``.

Links in mails never follow the request's Host header, so a forged header cannot
redirect a password-reset link.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def domain() -> str:
    """The host name of ``BASE_URL``: for Message-IDs and calendar UIDs."""
    return urlsplit(current_app.config["BASE_URL"]).hostname or "lotsen"

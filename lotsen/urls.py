"""Absolute links for mails, always built from the configured ``BASE_URL``.

Links in mails never follow the request's Host header, so a forged header cannot
redirect a password-reset link.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import current_app, url_for

SENTINEL = 2**31 - 1  # the largest id (lotsen.web.MAX_ID): a number no other part of a path contains


def external_url(endpoint: str, **values) -> str:
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def domain() -> str:
    """The host name of ``BASE_URL``: for Message-IDs and calendar UIDs."""
    return urlsplit(current_app.config["BASE_URL"]).hostname or "lotsen"


def path_of(endpoint: str, argument: str, **values) -> Callable[[int], str]:
    """The paths of one endpoint for many ids, built through the URL map once: a list links each of its rows
    with ``path(row.id)`` instead of building every link anew."""
    head, _sentinel, tail = url_for(endpoint, **{argument: SENTINEL}, **values).rpartition(str(SENTINEL))
    return lambda ident: f"{head}{int(ident)}{tail}"

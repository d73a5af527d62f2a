"""Links that work without signing in (an offer's answer page, an agency's record confirmation): the data
they carry is signed with the app's secret for one purpose and expires."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from lotsen.errors import DomainError
from lotsen.i18n import _


class LinkError(DomainError):
    """A link that was tampered with, is too old, or names nothing any more."""


def invalid() -> LinkError:
    return LinkError(_("This link is not valid. Please use the link from the most recent email."))


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def dumps(purpose: str, data: dict) -> str:
    return _serializer(purpose).dumps(data)


def loads(purpose: str, token: str, max_age: int, *keys: str) -> dict:
    """The data of a link made for ``purpose``, with an integer under each of ``keys``; or a LinkError."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkError(_("This link has expired.")) from None
    except BadSignature:
        raise invalid() from None
    if not isinstance(data, dict) or not all(isinstance(data.get(key), int) for key in keys):
        raise invalid()
    return data

"""Signed, expiring, single-use links (password reset, invitation).

A token carries the user's ``session_version``; setting a password bumps it, so a
token works once and every older token dies with it.
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from lotsen.auth.models import User


class TokenError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "expired", "invalid" or "used"


def make_token(secret_key: str, purpose: str, user: User) -> str:
    return URLSafeTimedSerializer(secret_key, salt=f"lotsen.{purpose}").dumps(
        {"u": user.id, "v": user.session_version}
    )


def load_token(session: Session, secret_key: str, purpose: str, token: str, max_age: int) -> User:
    serializer = URLSafeTimedSerializer(secret_key, salt=f"lotsen.{purpose}")
    try:
        data = serializer.loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenError("expired") from None
    except BadSignature:
        raise TokenError("invalid") from None
    user = session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None:
        raise TokenError("invalid")
    if user.session_version != data.get("v"):
        raise TokenError("used")
    return user

"""Two-factor sign-in: time-based one-time codes (TOTP, RFC 6238) from an authenticator app, and recovery codes.

The secret is shown once as a QR code (SVG) and as text; a code counts once (a code already used cannot be
replayed within its 30 seconds). Ten recovery codes are shown once and stored only as hashes; each works once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

import pyotp
import segno

ISSUER = "Lotsen"
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off a sheet of paper


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg_data_uri(uri: str) -> str:
    """The setup QR code as an SVG data URI (the page's policy allows data: images, nothing from elsewhere)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _clean(code: str) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace() and ch != "-").lower()


def verify_totp(secret: str, code: str, now: dt.datetime, last_step: int | None) -> int | None:
    """The time step a valid, unused code belongs to (one step of clock drift either way), else None."""
    code = _clean(code)
    if not secret or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step = int(now.timestamp()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        if last_step is not None and candidate <= last_step:
            continue  # used already (or older than a code used already)
        if hmac.compare_digest(totp.at(candidate * totp.interval), code):
            return candidate
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes like ``k7fq-m3xa``, for the user to keep on paper."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        codes.append(f"{raw[:4]}-{raw[4:]}")
    return codes


def hash_recovery_code(code: str) -> str:
    # The codes are long random strings, not passwords: a plain hash cannot be searched backwards.
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def use_recovery_code(stored: list[str], code: str) -> list[str] | None:
    """The stored hashes without the one ``code`` matches; None if it matches none."""
    digest = hash_recovery_code(code)
    for known in stored or []:
        if hmac.compare_digest(known, digest):
            return [other for other in stored if other != known]
    return None

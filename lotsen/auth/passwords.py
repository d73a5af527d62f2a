"""Argon2 password hashing, and what a new password must not be.

A new password has 10 to 256 characters, is not guessable by zxcvbn's estimate (its lists of common
passwords, words and keyboard patterns, plus ours of German ones: Passwort123, Sommer2026!, qwertzuiop), and
is not made of the person's name, email address, or the word Lotsen.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH, MAX_LENGTH = 10, 256
MIN_SCORE = 3  # zxcvbn's 0..4: 3 is "safely unguessable: moderate protection from offline slow-hash scenario"
COMMON_DE = Path(__file__).with_name("common_passwords_de.txt")

_hasher = PasswordHasher()
# Verified against when an email is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("lotsen-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def _common_german() -> frozenset[str]:
    lines = COMMON_DE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _fold(text: str) -> str:
    """Lower case, without accents and separators: "Müller-Lüdenscheidt" -> "mullerludenscheidt"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def weakness(password: str, *, personal: tuple[str, ...] = ()) -> str | None:
    """Why ``password`` may not be used ("length", "common", "personal", "guessable"), or None if it may."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return "length"
    lowered = password.lower()
    base = re.sub(r"[\d\W_]+$", "", lowered)  # Sommer2026! -> sommer
    common = _common_german()
    if lowered in common or base in common or _fold(base) in common:
        return "common"
    folded = _fold(password)
    parts = {"lotsen"}
    for value in personal:
        for piece in re.split(r"[\s@._+-]+", value or ""):
            if len(_fold(piece)) >= 3:
                parts.add(_fold(piece))
    if any(part in folded for part in parts):
        return "personal"
    inputs = sorted(parts)
    if zxcvbn(password[:72], user_inputs=inputs)["score"] < MIN_SCORE:
        return "guessable"
    return None

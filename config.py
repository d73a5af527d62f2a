"""Lotsen settings, read from environment variables with safe defaults.

Every setting has the prefix ``LOTSEN_``. Nothing secret lives in this file: without
``LOTSEN_SECRET_KEY`` a random key is generated once and kept in ``instance/secret_key``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("LOTSEN_INSTANCE_PATH", BASE_DIR / "instance"))


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"LOTSEN_{name}", default)


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return default if value in (None, "") else int(value)


def instance_secret_key(instance_dir: Path) -> str:
    """Return the key kept in the instance folder, creating it (mode 600) on first use."""
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load() -> dict:
    """Collect the configuration from the environment."""
    production = _env_bool("PRODUCTION", False)
    return {
        "INSTANCE_PATH": str(INSTANCE_DIR),
        "SECRET_KEY": _env("SECRET_KEY") or instance_secret_key(INSTANCE_DIR),
        "DATABASE_URL": _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'lotsen.db'}"),
        "PRODUCTION": production,
        # Behind a reverse proxy (nginx, Apache) the client address comes from X-Forwarded-For.
        "PROXY_FIX": _env_bool("PROXY_FIX", production),
        "TIMEZONE": _env("TIMEZONE", "Europe/Berlin"),
        "DEFAULT_LOCALE": _env("DEFAULT_LOCALE", "de"),
        # Interface languages offered, comma-separated, from de, en, ar, fa, tr, uk, ru. German and English are
        # complete; the others cover every page and mail a volunteer or a visitor sees.
        "LANGUAGES": [code.strip() for code in (_env("LANGUAGES", "de,en,ar,fa,tr,uk,ru") or "").split(",")
                      if code.strip()],
        "BASE_URL": _env("BASE_URL", "http://127.0.0.1:5000"),
        # Mail: without an SMTP host, mails are written as .eml files to instance/mail/.
        "MAIL_SERVER": _env("MAIL_SERVER", ""),
        "MAIL_PORT": _env_int("MAIL_PORT", 587),
        "MAIL_USERNAME": _env("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": _env("MAIL_PASSWORD", ""),
        "MAIL_STARTTLS": _env_bool("MAIL_STARTTLS", True),
        "MAIL_SSL": _env_bool("MAIL_SSL", False),
        "MAIL_SENDER": _env("MAIL_SENDER", "Lotsen <lotsen@localhost>"),
        "MAIL_DIR": _env("MAIL_DIR", str(INSTANCE_DIR / "mail")),
        # Throttling. memory:// counts per process: with several gunicorn workers set redis://127.0.0.1:6379
        # (gunicorn.conf.py refuses to start more than one worker on memory:// in production).
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": _env("RATELIMIT_KEY_PREFIX", "lotsen"),  # instances sharing a Redis differ here
        "LOGIN_LIMIT_PER_ADDRESS": _env("LOGIN_LIMIT_PER_ADDRESS", "20 per 10 minutes"),
        "LOGIN_LIMIT_PER_ACCOUNT": _env("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        # Mails a visitor can cause (registration, password reset): per address and per target email.
        "MAIL_LIMIT_PER_ADDRESS": _env("MAIL_LIMIT_PER_ADDRESS", "10 per hour"),
        "MAIL_LIMIT_PER_EMAIL": _env("MAIL_LIMIT_PER_EMAIL", "3 per hour"),
        "PASSWORD_RESET_MAX_AGE": _env_int("PASSWORD_RESET_MAX_AGE", 2 * 3600),
        "INVITATION_MAX_AGE": _env_int("INVITATION_MAX_AGE", 14 * 24 * 3600),
        "VERIFY_EMAIL_MAX_AGE": _env_int("VERIFY_EMAIL_MAX_AGE", 7 * 24 * 3600),
        # The API (lotsen/api): requests per token and minute; webhooks to http://localhost and to private
        # addresses only where this is on (development, tests), never in production.
        "API_RATE_LIMIT": _env("API_RATE_LIMIT", "120 per minute"),
        "API_TOKEN_MAX_DAYS": _env_int("API_TOKEN_MAX_DAYS", 730),
        "WEBHOOK_ALLOW_LOCAL": _env_bool("WEBHOOK_ALLOW_LOCAL", not production) and not production,
        # Sessions (lotsen/auth/sessions.py): ended after this long without use, at the latest after this
        # long; "stay signed in" keeps a session for REMEMBER_DAYS (and no longer).
        "SESSION_IDLE_MINUTES": _env_int("SESSION_IDLE_MINUTES", 60),
        "SESSION_MAX_HOURS": _env_int("SESSION_MAX_HOURS", 12),
        "REMEMBER_DAYS": _env_int("REMEMBER_DAYS", 14),
        # Two-factor sign-in is required for these roles (comma-separated; empty: offered to all, required of none).
        "TWO_FACTOR_REQUIRED": [r.strip() for r in (_env("TWO_FACTOR_REQUIRED", "coordinator,admin") or "").split(",")
                                if r.strip()],
        # Production cookies carry the __Host- prefix: sent only over HTTPS, only to this host, for the whole site.
        "SESSION_COOKIE_NAME": "__Host-lotsen" if production else "lotsen",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "HSTS": production,
    }

"""Translation helpers, locale selection and date formatting in the office's timezone."""

from __future__ import annotations

from babel import Locale
from flask import current_app, has_request_context, request, session
from flask_babel import force_locale, format_date, format_datetime, format_time, get_locale, ngettext  # noqa: F401  # noqa: F401
from flask_babel import gettext as _  # noqa: F401
from flask_babel import lazy_gettext as _l  # noqa: F401
from flask_login import current_user

LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}


def supported_locales() -> list[str]:
    return current_app.config["LANGUAGES"]


def select_locale() -> str:
    """The user's own setting, then the language chosen on this device, then the browser's."""
    if not has_request_context():
        return current_app.config["DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in supported_locales():
        return current_user.locale
    chosen = session.get("locale")
    if chosen in supported_locales():
        return chosen
    return request.accept_languages.best_match(supported_locales()) or current_app.config["DEFAULT_LOCALE"]


def text_direction(locale: str | None = None) -> str:
    """'rtl' or 'ltr' for the given or current locale."""
    code = str(locale or get_locale() or "de")
    return "rtl" if Locale.parse(code).character_order == "right-to-left" else "ltr"

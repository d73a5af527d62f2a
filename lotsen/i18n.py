"""Translation helpers, locale selection and date formatting in the office's timezone."""

from __future__ import annotations

import contextlib
import functools

from babel import Locale
from flask import current_app, has_app_context, has_request_context, request, session
from flask_babel import force_locale as _force_locale
from flask_babel import format_date, format_datetime, format_time, get_locale, ngettext  # noqa: F401  (re-exported)
from flask_babel import gettext as _  # noqa: F401
from flask_babel import lazy_gettext as _l  # noqa: F401
from flask_login import current_user

# The interface languages Lotsen has catalogues for. German and English are complete; the others translate
# every page and mail a volunteer or a visitor sees (tools/volunteer_strings.py names them), and coordinator
# pages show English where they have no translation. ``LOTSEN_LANGUAGES`` enables a subset.
CATALOGUED = ("de", "en", "ar", "fa", "tr", "uk", "ru")
# The regional formats a language is written with here: English as in Britain (day before month, 24 hours).
FORMATS = {"en": "en_GB"}


def formats_of(code: str) -> str:
    """The locale whose dates and numbers a language's pages use (its catalogue is the language's own)."""
    return FORMATS.get(code, code)


def language_of(locale=None) -> str:
    """The language code of a locale (``en`` for en_GB), by default the current one."""
    return Locale.parse(str(locale or get_locale() or "de")).language


@contextlib.contextmanager
def force_locale(code: str):
    """Speak ``code`` for a while (a mail, a page for someone else), with its regional formats."""
    with _force_locale(formats_of(code)):
        yield


def native_name(code: str) -> str:
    """The language named in itself (Deutsch, English, العربية, فارسی, Türkçe, Українська, Русский)."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def supported_locales() -> list[str]:
    """The enabled languages (outside an app, every catalogued one)."""
    return current_app.config["LANGUAGES"] if has_app_context() else list(CATALOGUED)


def usable_locale(code: str | None) -> str:
    """An account's language if it is enabled, else the default (an operator may have switched one off)."""
    return code if code in supported_locales() else current_app.config["DEFAULT_LOCALE"]


def language_names() -> dict[str, str]:
    """The enabled interface languages, each named in itself, in the order of the setting."""
    return _names(tuple(supported_locales()))


@functools.cache
def _names(codes: tuple[str, ...]) -> dict[str, str]:
    return {code: native_name(code) for code in codes}


def check_languages(languages: list[str], default: str) -> None:
    """Refuse a setting that names a language without a catalogue, or leaves out the default."""
    unknown = [code for code in languages if code not in CATALOGUED]
    if unknown:
        raise ValueError(f"LOTSEN_LANGUAGES: no catalogue for {', '.join(unknown)}; choose from "
                         f"{', '.join(CATALOGUED)}")
    if default not in languages:
        raise ValueError(f"LOTSEN_LANGUAGES must include the default language {default} (LOTSEN_DEFAULT_LOCALE)")


def select_locale() -> str:
    """The user's own setting, then the language chosen on this device, then the browser's."""
    return formats_of(_chosen_language())


def _chosen_language() -> str:
    if not has_request_context():
        return current_app.config["DEFAULT_LOCALE"]
    if request.blueprint == "api":  # a system with a token: no session, its Accept-Language
        return request.accept_languages.best_match(supported_locales()) or current_app.config["DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in supported_locales():
        return current_user.locale
    chosen = session.get("locale")
    if chosen in supported_locales():
        return chosen
    return request.accept_languages.best_match(supported_locales()) or current_app.config["DEFAULT_LOCALE"]


def when(value, fmt: str = "medium") -> str:
    """A moment in the reader's language and the office's time zone: the date as ``fmt`` asks, the time always
    short (no seconds, no zone name: "Dienstag, 8. Dezember 2026, 10:00"; "Tuesday, 8 December 2026, 10:00")."""
    if not value:
        return ""
    if fmt == "short":
        return format_datetime(value, "short")
    return _joiner(str(get_locale() or "de")).format(format_time(value, "short"), format_date(value, fmt))


@functools.cache
def _joiner(locale: str) -> str:
    """How the locale joins a date and a time ("{1}, {0}"), read once per locale: pages format many rows."""
    return str(Locale.parse(locale).datetime_formats["medium"])


def text_direction(locale: str | None = None) -> str:
    """'rtl' or 'ltr' for the given or current locale."""
    return _direction(str(locale or get_locale() or "de"))


@functools.cache
def _direction(locale: str) -> str:
    return "rtl" if Locale.parse(locale).character_order == "right-to-left" else "ltr"

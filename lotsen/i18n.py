"""Translation helpers, locale selection and date formatting in the office's timezone."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools

from babel import Locale, dates
from flask import current_app, g, has_app_context, has_request_context, request, session
from flask_babel import force_locale as _force_locale
from flask_babel import format_date, format_datetime, format_time, get_locale, get_timezone, get_translations  # noqa: F401
from flask_babel.speaklater import LazyString
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


# ----------------------------------------------------------------------------------------------- messages
# A page looks up hundreds of messages. Flask-Babel finds the catalogue anew for each (the context, the
# locale, its name, the cache); here it is found once per request (or app context) and kept on ``g``, and
# found again inside ``force_locale`` (a mail in the recipient's language) and after it.

_BOUND = "lotsen_translations"
_FORMATS = "lotsen_formats"


def _once(key: str, look_up):
    """``look_up()`` once per request (or app context), kept on ``g`` under ``key``; ``force_locale`` clears it."""
    if not has_app_context():
        return look_up()
    bound = g.get(key)
    if bound is None:
        bound = look_up()
        setattr(g, key, bound)
    return bound


def translations():
    """The current language's catalogue, looked up once per request."""
    return _once(_BOUND, get_translations)


def _(string: str, **variables) -> str:
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def _l(string: str, **variables) -> LazyString:
    """Translated when shown, in the language of that moment (for texts defined at import time)."""
    return LazyString(_, string, **variables)


def init_app(app) -> None:
    """Templates look messages up the same way (Flask-Babel installed its own callables before)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: translations().ugettext(string),
        ngettext=lambda singular, plural, num: translations().ungettext(singular, plural, num),
        pgettext=lambda context, string: translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, num: translations().unpgettext(context, singular, plural, num),
        newstyle=True)


@contextlib.contextmanager
def force_locale(code: str):
    """Speak ``code`` for a while (a mail, a page for someone else), with its regional formats."""
    outer = {key: g.pop(key, None) for key in (_BOUND, _FORMATS)} if has_app_context() else {}
    try:
        with _force_locale(formats_of(code)):
            yield
    finally:
        if has_app_context():
            for key, value in outer.items():
                g.pop(key, None)
                if value is not None:
                    setattr(g, key, value)


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


def reader_formats() -> tuple[str, dt.tzinfo]:
    """The reader's locale and time zone, looked up once per request (and again inside ``force_locale``)."""
    return _once(_FORMATS, lambda: (str(get_locale() or "de"), get_timezone()))


def when(value, fmt: str = "medium") -> str:
    """A moment in the reader's language and the office's time zone: the date as ``fmt`` asks, the time always
    short (no seconds, no zone name: "Dienstag, 8. Dezember 2026, 10:00"; "Tuesday, 8 December 2026, 10:00")."""
    if not value:
        return ""
    locale, zone = reader_formats()
    return _when(value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc), fmt, locale, zone)


@functools.lru_cache(maxsize=8192)
def _when(value: dt.datetime, fmt: str, locale: str, zone: dt.tzinfo) -> str:
    """Formatted once per moment, format, language and zone: lists show the same moments on every request."""
    if fmt == "short":
        return dates.format_datetime(value, "short", tzinfo=zone, locale=locale)
    local = value.astimezone(zone)
    return _joiner(locale).format(dates.format_time(local, "short", tzinfo=zone, locale=locale),
                                  dates.format_date(local.date(), fmt, locale=locale))


def time_until(delta: dt.timedelta) -> str:
    """"in 3 days", "vor 2 Stunden": a span from now in the reader's language (Babel, as Flask-Babel would)."""
    return dates.format_timedelta(delta, add_direction=True, threshold=1.1, locale=reader_formats()[0])


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

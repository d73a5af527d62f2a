"""The language catalogue: ISO 639 codes, named in the reader's language.

Names come from CLDR (Babel), then from pycountry's ISO 639-3 translations, and for the
languages field workers ask for by a different name, from labels written here.
Dari and Farsi, Kurmanji and Sorani are different languages; the ambiguous umbrella
codes (Kurdish, Serbo-Croatian) are left out so nobody picks them by accident.
"""

from __future__ import annotations

import gettext
import re
from functools import lru_cache

import pycountry
from babel import Locale

from lotsen.enums import TitledEnum
from lotsen.i18n import _l, get_locale


class LanguageLevel(TitledEnum):
    NATIVE = "native"
    FLUENT = "fluent"
    GOOD = "good"
    BASIC = "basic"

    @classmethod
    def titles(cls):
        return {
            cls.NATIVE: _l("Native speaker"),
            cls.FLUENT: _l("Fluent"),
            cls.GOOD: _l("Good"),
            cls.BASIC: _l("Basic"),
        }

    @property
    def rank(self) -> int:
        """4 for native down to 1 for basic."""
        return {"native": 4, "fluent": 3, "good": 2, "basic": 1}[self.value]


HAND_LABELS = {
    "prs": _l("Dari"),
    "fa": _l("Farsi (Persian)"),
    "kmr": _l("Kurmanji (Northern Kurdish)"),
    "ckb": _l("Sorani (Central Kurdish)"),
    "gsg": _l("German Sign Language (DGS)"),
    "ps": _l("Pashto"),
    "ti": _l("Tigrinya"),
}

VARIETIES = {
    "ar": {
        "arb": _l("Modern Standard Arabic"),
        "apc": _l("Levantine Arabic (Syria, Lebanon, Palestine, Jordan)"),
        "acm": _l("Iraqi Arabic"),
        "arz": _l("Egyptian Arabic"),
        "apd": _l("Sudanese Arabic"),
        "afb": _l("Gulf Arabic"),
        "ary": _l("Moroccan Arabic"),
    },
    "fa": {"pes": _l("Iranian Persian"), "tgk": _l("Tajik")},
    "pt": {"pt-br": _l("Brazilian Portuguese"), "pt-pt": _l("European Portuguese")},
    "sq": {"aln": _l("Gheg (Kosovo)"), "als": _l("Tosk (Albania)")},
}

# The languages German pools are asked for most; pickers may list them first.
HIGH_DEMAND = ["ar", "prs", "fa", "ps", "kmr", "ckb", "ti", "so", "tr", "uk", "ru", "ro", "bg", "pl", "sq",
               "sr", "hr", "bs", "ur", "ta", "fr", "en", "gsg"]

# Umbrella codes that hide a real difference (ask for Kurmanji or Sorani), and German itself,
# whose level every volunteer states separately.
EXCLUDED = {"ku", "sh", "de", "und", "zxx", "mul", "mis"}


@lru_cache(maxsize=1)
def codes() -> frozenset[str]:
    """Every code the catalogue offers."""
    cldr = {code for code in Locale("en").languages if re.fullmatch(r"[a-z]{2,3}", code)}
    return frozenset((cldr | set(HAND_LABELS)) - EXCLUDED)


@lru_cache(maxsize=8)
def _iso639_translations(locale: str):
    return gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=[locale], fallback=True)


def _pycountry_name(code: str, locale: str) -> str | None:
    entry = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    return _iso639_translations(locale).gettext(entry.name) if entry else None


def name(code: str, locale: str | None = None) -> str:
    """The language's name in ``locale`` (default: the current one)."""
    locale = str(locale or get_locale() or "de")
    if code in HAND_LABELS:
        return str(HAND_LABELS[code])
    return _name(code, locale)


@lru_cache(maxsize=8192)
def _name(code: str, locale: str) -> str:
    """CLDR's name, else ISO 639-3's: read once per language and locale (lists name the same ones per row)."""
    return Locale.parse(locale).languages.get(code) or _pycountry_name(code, locale) or code


def variety_name(language: str, variety: str) -> str:
    return str(VARIETIES.get(language, {}).get(variety, variety))


def varieties(language: str) -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in VARIETIES.get(language, {}).items()]


def choices(locale: str | None = None) -> list[tuple[str, str]]:
    """(code, name) for every language, sorted by name in the reader's language."""
    locale = str(locale or get_locale() or "de")
    return sorted(((code, name(code, locale)) for code in codes()), key=lambda pair: pair[1].casefold())


def resolve(text: str, locale: str | None = None) -> str | None:
    """The code for a code or a name typed in the current language, English or German."""
    text = (text or "").strip()
    if not text:
        return None
    if text.lower() in codes():
        return text.lower()
    wanted = text.casefold()
    for candidate_locale in dict.fromkeys([str(locale or get_locale() or "de"), "de", "en"]):
        for code, label in choices(candidate_locale):
            if label.casefold() == wanted:
                return code
    return None

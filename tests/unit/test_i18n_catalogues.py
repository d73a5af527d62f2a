"""German and English catalogues are complete and hold every marked string."""

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "lotsen" / "translations"
METHODS = [("lotsen/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]


def _catalogue(locale: str):
    with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=locale)


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


@pytest.mark.parametrize("locale", ["de", "en"])
def test_catalogue_has_no_untranslated_or_fuzzy_entries(locale):
    catalogue = _catalogue(locale)
    missing = [m.id for m in catalogue if m.id and not _translated(m)]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert missing == [] and fuzzy == []


@pytest.mark.parametrize("locale", ["de", "en"])
def test_every_marked_string_is_in_the_catalogue(locale):
    keywords = dict(DEFAULT_KEYWORDS, _l=None, lazy_gettext=None)
    extracted = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(str(ROOT), METHODS, keywords=keywords)
    }
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(locale) if m.id}
    assert sorted(extracted - known) == []


def test_german_translations_keep_their_placeholders():
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]")
    for message in _catalogue("de"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(placeholder.findall(ids[-1]))
        for string in strings:
            assert set(placeholder.findall(string)) <= wanted | set(placeholder.findall(ids[0])), message.id

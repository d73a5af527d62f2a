"""German and English catalogues are complete and hold every marked string; every other enabled language
translates every page and mail a volunteer or a visitor sees; placeholders and plural forms are right in all."""

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


import config  # noqa: E402
from lotsen.i18n import CATALOGUED, check_languages  # noqa: E402
from tools.volunteer_strings import missing, volunteer_messages  # noqa: E402

# The languages this run's setting enables (all catalogues unless LOTSEN_LANGUAGES says otherwise).
VOLUNTEER_LANGUAGES = [code for code in config.load()["LANGUAGES"] if code not in ("de", "en")]


def test_every_catalogue_is_enabled_by_default_and_a_wrong_setting_is_refused(monkeypatch):
    monkeypatch.delenv("LOTSEN_LANGUAGES", raising=False)
    assert config.load()["LANGUAGES"] == list(CATALOGUED)
    assert all((CATALOGUES / code / "LC_MESSAGES" / "messages.po").exists() for code in CATALOGUED)
    monkeypatch.setenv("LOTSEN_LANGUAGES", "de, en,tr")
    assert config.load()["LANGUAGES"] == ["de", "en", "tr"]
    with pytest.raises(ValueError, match="no catalogue for xx"):
        check_languages(["de", "xx"], "de")
    with pytest.raises(ValueError, match="must include the default"):
        check_languages(["en", "tr"], "de")


def test_the_volunteer_messages_cover_the_volunteer_pages_and_mails():
    messages = volunteer_messages()
    assert len(messages) > 700
    assert "You have already accepted this offer. The office will confirm shortly." in messages  # offer page
    assert ("your assignment begins in %(num)d hour:", "your assignment begins in %(num)d hours:") in messages  # mail
    assert ("%(num)d minute", "%(num)d minutes") in messages  # Python
    assert "Fill rate" not in messages  # a coordinator's page


@pytest.mark.parametrize("locale", VOLUNTEER_LANGUAGES)
def test_an_enabled_catalogue_translates_every_volunteer_page_and_mail(locale):
    assert missing(locale) == []


@pytest.mark.parametrize("locale", CATALOGUED)
def test_plural_forms_are_babels(locale):
    from babel.messages.plurals import get_plural

    catalogue = _catalogue(locale)
    assert catalogue.num_plurals == get_plural(locale).num_plurals
    for message in catalogue:
        if isinstance(message.id, tuple) and _translated(message):
            assert len(message.string) == catalogue.num_plurals, message.id


@pytest.mark.parametrize("locale", CATALOGUED)
def test_translations_keep_their_placeholders(locale):
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]")
    for message in _catalogue(locale):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(placeholder.findall(ids[-1]))
        for string in strings:
            assert set(placeholder.findall(string)) <= wanted | set(placeholder.findall(ids[0])), message.id
            if not isinstance(message.id, tuple) and string:  # a single form keeps every placeholder
                assert set(placeholder.findall(string)) == wanted, message.id

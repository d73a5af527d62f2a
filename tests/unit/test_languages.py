"""The language catalogue: ISO codes, names in the reader's language, distinct asks kept apart."""

from lotsen import languages


def test_dari_and_farsi_kurmanji_and_sorani_are_different_languages():
    codes = languages.codes()
    assert {"prs", "fa", "kmr", "ckb"} <= codes
    assert "ku" not in codes  # the umbrella would hide which Kurdish is needed
    assert languages.name("prs", "en") == "Dari" and languages.name("ckb", "en").startswith("Sorani")


def test_names_follow_the_locale_with_cldr_and_pycountry():
    assert languages.name("uk", "de") == "Ukrainisch"
    assert languages.name("uk", "en") == "Ukrainian"
    assert languages.name("ti", "en") == "Tigrinya"


def test_typed_names_and_codes_resolve_in_german_or_english():
    assert languages.resolve("Arabisch", "de") == "ar"
    assert languages.resolve("arabic", "de") == "ar"
    assert languages.resolve("TR", "en") == "tr"
    assert languages.resolve("Klingon-ish", "en") is None
    assert languages.resolve("", "en") is None


def test_arabic_has_the_varieties_pools_are_asked_for():
    varieties = dict(languages.varieties("ar"))
    assert {"apc", "acm", "arz", "apd"} <= set(varieties)
    assert languages.varieties("pl") == []


def test_the_catalogue_is_sorted_by_name_and_has_no_german():
    choices = languages.choices("de")
    names = [name for _code, name in choices]
    assert names == sorted(names, key=str.casefold)
    assert "de" not in {code for code, _name in choices}
    assert len(choices) > 300

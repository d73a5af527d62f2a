"""Reading an import file: headers in English or German, each cell checked, no database needed."""

import datetime as dt

import pytest

from lotsen.volunteers.importer import MAX_ROWS, ImportFileError, Language, parse

TODAY = dt.date(2026, 3, 1)


def read(text: str, **options):
    return parse(text.encode(options.pop("encoding", "utf-8")), today=TODAY)


def only_row(text: str):
    [row] = read(text).rows
    return row


def test_semicolons_commas_and_a_byte_order_mark_are_all_read():
    for text in ("\ufeffemail;name\na@example.org;Ana\n", "email,name\r\na@example.org,Ana\r\n"):
        row = only_row(text)
        assert (row.fields.email, row.fields.name, row.errors) == ("a@example.org", "Ana", [])


def test_german_headers_match_without_regard_to_case_or_umlauts():
    row = only_row("E-Mail;NAME;plz;Führungszeugnis;Verschwiegenheitserklaerung\nA@Example.org;Ana;63128;01.02.2024;"
                   "2024-02-01\n")
    assert row.fields.email == "a@example.org"
    assert row.fields.postcode == "63128"
    assert row.fields.certificate_checked_on == row.fields.declaration_signed_on == dt.date(2024, 2, 1)


def test_languages_by_code_or_name_with_levels_and_varieties():
    row = only_row('email;name;languages\na@example.org;Ana;"ar:native:apc+arb; Dari:fluent, Ukrainisch:good"\n')
    assert row.fields.languages == {Language("ar", "native", ("apc", "arb")), Language("prs", "fluent"),
                                    Language("uk", "good")}


@pytest.mark.parametrize("cell, message", [
    ("ar:expert", "expert is not a level"),
    ("xx:native", "xx is not a language in the catalogue"),
    ("ar:native:xyz", "xyz is not a variety of"),
    ("ar", "Write each language as language:level"),
    ("ar:native; Arabic:good", "is listed twice"),
])
def test_a_bad_language_cell_is_a_row_error_naming_the_column(cell, message):
    row = only_row(f'email;name;Sprachen\na@example.org;Ana;"{cell}"\n')
    [error] = row.errors
    assert error.startswith("Sprachen: ") and message in error


@pytest.mark.parametrize("header, cell, message", [
    ("postcode", "6312", "A postcode has five digits."),
    ("radius_km", "151", "from 0 to 150"),
    ("roles", "pilot", "Use guide, interpreter or guide+interpreter."),
    ("modes", "on_site+fax", "Use on_site, phone and video"),
    ("german_level", "C1", "C1 is not a level"),
    ("basic_training_on", "2026-03-02", "The date must not lie in the future."),
    ("basic_training_on", "30.02.2024", "30.02.2024 is not a date"),
    ("locale", "fr", "Use one of: de, en, ar, fa, tr, uk, ru."),
    ("email", "not-an-address", "not-an-address is not a valid email address."),
])
def test_each_bad_cell_is_a_row_error(header, cell, message):
    columns = "email;name" if header == "email" else f"email;name;{header}"
    values = f"{cell};Ana" if header == "email" else f"a@example.org;Ana;{cell}"
    [error] = only_row(f"{columns}\n{values}\n").errors
    assert error.startswith(f"{header}: ") and message in error


def test_roles_and_modes_are_sets_joined_by_plus():
    row = only_row("email;name;roles;modes\na@example.org;Ana;guide+interpreter;on_site+video\n")
    assert row.fields.roles == {"guide", "interpreter"} and row.fields.modes == {"on_site", "video"}


def test_empty_cells_mean_not_given_but_email_and_name_are_required():
    no_email, no_name = read("email;name;phone;radius_km\n;Ana;;\nb@example.org;;;\n").rows
    assert no_email.fields.phone is None and no_email.fields.radius_km is None
    assert no_email.errors == ["email: this cell must not be empty."]
    assert no_name.errors == ["name: this cell must not be empty."]


def test_formula_like_cells_stay_text_and_our_exports_quote_is_undone():
    row = only_row("email;name;phone\na@example.org;=SUM(A1:A3);'+49 170 1234567\n")
    assert row.fields.name == "=SUM(A1:A3)" and row.fields.phone == "+49 170 1234567"


def test_the_same_address_twice_is_an_error_on_the_later_row():
    rows = read("email;name\na@example.org;Ana\nA@example.org ;Ana again\n").rows
    assert rows[0].errors == [] and rows[1].errors == ["email: this address is already in line 2."]


def test_an_unquoted_delimiter_inside_a_cell_is_reported():
    [error] = only_row("email;name;languages\na@example.org;Ana;ar:native;uk:good\n").errors
    assert "more cells than the header row" in error


def test_unknown_columns_are_listed_and_ignored():
    sheet = read("email;name;status;matchable\na@example.org;Ana;active;yes\n")
    assert sheet.ignored == ["status", "matchable"] and sheet.rows[0].errors == []


@pytest.mark.parametrize("text, message", [
    ("name;phone\nAna;1\n", "email are missing"),
    ("email;name\n", "contains no volunteers"),
    ("email;E-Mail;name\na;b;c\n", "mean the same"),
    ("email;name\njürgen@example.org;Jürgen\n", "not saved as UTF-8"),
])
def test_a_file_that_cannot_be_used_as_a_whole_is_refused(text, message):
    encoding = "cp1252" if "jürgen" in text else "utf-8"
    with pytest.raises(ImportFileError, match=message):
        read(text, encoding=encoding)


def test_too_many_rows_are_refused():
    text = "email;name\n" + "".join(f"p{n}@example.org;P {n}\n" for n in range(MAX_ROWS + 1))
    with pytest.raises(ImportFileError, match=f"more than {MAX_ROWS} rows"):
        read(text)

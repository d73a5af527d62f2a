"""The interface languages: the choice at the top of every page, each language named in itself; right to left
for Arabic and Farsi; the recipient's account language on the no-password answer page, in mails and calendar
files; local formats; digits typed in Arabic or Persian script."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from flask_babel import format_decimal

from lotsen.assignments import answers, confirming, offering
from lotsen.auth.models import Role
from lotsen.i18n import force_locale, usable_locale, when
from lotsen.volunteers.forms import BasicsForm
from lotsen.forms import ASCII_DIGITS
from tests.builders import NOW, add_language, add_window, make_request, ready
from tests.conftest import mail_body, sign_in

UTC = dt.timezone.utc


def test_the_choice_names_each_language_in_itself_at_the_top(client):
    page = client.get("/login").get_data(as_text=True)
    header = page[page.index('<header'):page.index('</header>')]
    for code, name in (("ar", "العربية"), ("fa", "فارسی"), ("tr", "Türkçe"), ("uk", "Українська"),
                       ("ru", "Русский"), ("de", "Deutsch"), ("en", "English")):
        assert f'value="{code}" lang="{code}"' in header and f">{name}</option>" in header
    client.post("/language", data={"locale": "fa", "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in page
    client.post("/language", data={"locale": "tr", "next": "/login"})
    assert '<html lang="tr" dir="ltr">' in client.get("/login").get_data(as_text=True)


@pytest.mark.now(dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
def test_dates_and_numbers_are_local(app):
    moment = dt.datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    with app.test_request_context():
        seen = {}
        for code in ("de", "en", "ru"):
            with force_locale(code):
                seen[code] = (when(moment, "full"), when(moment), format_decimal(7.9))
    assert seen["de"] == ("Dienstag, 8. Dezember 2026, 10:00", "08.12.2026, 10:00", "7,9")
    assert seen["en"] == ("Tuesday, 8 December 2026, 10:00", "8 Dec 2026, 10:00", "7.9")  # British: day first
    assert seen["ru"][0] == "вторник, 8 декабря 2026\u202fг., 10:00"  # CLDR: a narrow no-break space


def test_digits_in_arabic_or_persian_script_are_digits(app):
    assert "٦٣١٢٨ ۰۱۵۱".translate(ASCII_DIGITS) == "63128 0151"
    with app.test_request_context(method="POST", data={"phone": "٠١٥١ ٢٣٤٥٦٧٨", "german_level": "fluent"}):
        form = BasicsForm()
        assert form.phone.data == "0151 2345678"


def test_an_account_language_that_is_switched_off_falls_back_to_the_default(app):
    app.config["LANGUAGES"] = ["de", "en"]
    with app.test_request_context():
        assert usable_locale("ar") == "de" and usable_locale("en") == "en"


@pytest.mark.now(NOW)
def test_the_answer_link_speaks_the_volunteers_language_and_so_do_mail_and_calendar(
        app, client, session, act, make_office, make_agency, make_user, mails):
    office = make_office()
    agency = make_agency(offices=[office])
    coordinator = make_user(Role.COORDINATOR, office=office, locale="de")
    volunteer = make_user(Role.VOLUNTEER, office=office, locale="uk", profile=ready())
    add_language(session, volunteer, "ar")
    add_window(session, volunteer, weekday=0, starts="07:00", ends="14:00")
    session.commit()
    filed = make_request(session, office, agency)
    [offer] = act(offering.make_offers, session, coordinator, filed.id, [volunteer.id])
    session.commit()
    [message] = [m for m in mails() if m["To"] == volunteer.email]
    with app.test_request_context(), force_locale("uk"):
        from flask_babel import gettext
        accept = gettext("Yes, I will take it")
    assert accept != "Yes, I will take it"
    body = mail_body(message)
    link = body[body.index("/answer/"):].split()[0]
    page = html.unescape(client.get(link, headers={"Accept-Language": "de-DE"}).get_data(as_text=True))
    assert '<html lang="uk"' in page and accept in page
    act(answers.accept, session, volunteer, offer.id)
    assignment = act(confirming.confirm, session, coordinator, offer.id)
    session.commit()
    day = filed.starts_at.astimezone(ZoneInfo("Europe/Berlin")).date().isoformat()
    [confirmed] = [m for m in mails() if m["To"] == volunteer.email and list(m.iter_attachments())]
    assert [part.get_filename() for part in confirmed.iter_attachments()] == [f"завдання-{day}.ics"]
    assert re.search("[\u0400-\u04ff]", str(confirmed["Subject"]))  # the subject is Ukrainian too
    sign_in(client, volunteer.email)
    download = client.get(f"/assignments/{assignment.id}/calendar.ics")
    assert download.headers["Content-Disposition"] == (
        f"attachment; filename=\"________-{day}.ics\"; filename*=UTF-8''{quote(f'завдання-{day}.ics')}")


def test_a_failed_submit_says_so_in_the_title_and_each_kind_of_field_says_what_to_do(client):
    client.post("/language", data={"locale": "de", "next": "/register"})
    page = html.unescape(client.post("/register", data={"name": "", "locale": "de"}).get_data(as_text=True))
    assert "<title>Fehler: Für das Ehrenamt registrieren – Lotsen</title>" in page
    assert 'id="error-summary" tabindex="-1" autofocus' in page
    assert "Bitte füllen Sie dieses Feld aus." in page  # a text field
    assert "Bitte setzen Sie hier ein Häkchen, um fortzufahren." in page  # the consent box
    assert "<title>Für das Ehrenamt registrieren – Lotsen</title>" in client.get("/register").get_data(as_text=True)

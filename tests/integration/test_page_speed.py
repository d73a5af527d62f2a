"""What makes pages cheaper keeps them the same: messages looked up once per request still follow the reader's
language (and a mail's, inside ``force_locale``), cached dates still follow the reader's language and zone,
links built once per list are the links the URL map builds, and the quick select writes WTForms' markup."""

import datetime as dt

import pytest
from flask import g, url_for
from wtforms import SelectField
from wtforms.widgets import Select

from lotsen.forms import FilterSelect, Form, options
from lotsen.i18n import _, force_locale, ngettext, when
from lotsen.requests.lifecycle import RequestStatus
from lotsen.urls import path_of


def test_messages_follow_the_request_and_a_forced_language_inside_it(app):
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert _("Dashboard") == "Übersicht"
        assert _("Cancelled") == "Abgesagt"
        with force_locale("en"):
            assert _("Cancelled") == "Cancelled"
            assert RequestStatus.CANCELLED.title == "Cancelled"
            with force_locale("ar"):
                assert _("Cancelled") == RequestStatus.CANCELLED.title == "ملغاة"
            assert _("Cancelled") == "Cancelled"
        assert _("Cancelled") == RequestStatus.CANCELLED.title == "Abgesagt"
        assert ngettext("%(num)d minute", "%(num)d minutes", 2) == "2 Minuten"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert _("Cancelled") == "Cancelled" and RequestStatus.CANCELLED.title == "Cancelled"


def test_a_page_in_each_language_after_another_keeps_its_own_words(client, login_as):
    from lotsen.auth.models import Role

    login_as(Role.COORDINATOR, locale="de")
    german = client.get("/coordination/").get_data(as_text=True)
    client.post("/language", data={"locale": "en"})
    english = client.get("/coordination/").get_data(as_text=True)
    assert "<h1>Übersicht</h1>" in german and "<h1>Dashboard</h1>" not in german
    assert "<h1>Dashboard</h1>" in english


def test_cached_dates_follow_the_reader(app):
    moment = dt.datetime(2027, 3, 28, 0, 30, tzinfo=dt.timezone.utc)  # 01:30 in Berlin, the night of the switch
    with app.test_request_context(headers={"Accept-Language": "de"}):
        german = when(moment, "short"), when(moment, "full")
        with force_locale("en"):
            english = when(moment, "short"), when(moment, "full")
        assert when(moment, "short") == german[0]
    assert german == ("28.03.27, 01:30", "Sonntag, 28. März 2027, 01:30")
    assert english == ("28/03/2027, 01:30", "Sunday, 28 March 2027, 01:30")
    with app.test_request_context(headers={"Accept-Language": "de"}):
        later = moment + dt.timedelta(hours=1)  # 03:30 summer time
        assert when(later, "short") == "28.03.27, 03:30"
        assert g.get("lotsen_formats") is not None


def test_links_built_once_are_the_url_maps(app):
    with app.test_request_context():
        show = path_of("requests.show_request", "request_id")
        confirm = path_of("assignments.confirm_offer", "offer_id")
        for ident in (1, 42, 2_147_483_647, 1_000_000):
            assert show(ident) == url_for("requests.show_request", request_id=ident)
            assert confirm(ident) == url_for("assignments.confirm_offer", offer_id=ident)


@pytest.mark.parametrize("selected", ["", "b", "<&>"])
def test_the_quick_select_writes_wtforms_markup(app, selected):
    choices = options([("", "Alle"), ("a", "Ä & Ö"), ("b", "<b>"), ("<&>", "quote \" here")])

    class Quick(Form):
        class Meta:
            csrf = False

        field = FilterSelect("Feld", choices=choices)

    class Plain(Form):
        class Meta:
            csrf = False

        field = SelectField("Feld", choices=choices, widget=Select())

    with app.test_request_context(query_string={"field": selected}):
        from flask import request

        quick, plain = Quick(request.args), Plain(request.args)
        assert str(quick.field()) == str(plain.field())
        assert str(quick.field(class_="x")) == str(plain.field(class_="x"))

"""Whatever the bytes: every form answers with field errors in the user's language, never a 500, never half-saved."""

import html
import re

import pytest
from sqlalchemy import func, select

from lotsen.auth.models import Role, User
from lotsen.requests.models import HelpRequest
from tests.conftest import sign_in
from tests.integration.test_access import _routes, _url, world  # noqa: F401  (the fixture)
from tests.integration.test_requests import request_form

HOSTILE = {
    "nul": "ab\x00cd",
    "overlong": "x" * 100_000,
    "bidi": "Ali\u202eevil.exe",
    "controls": "a\x07b\x1bc",
    "crlf": "/\r\n/evil.example/",
    "far future": "9999-12-31",
    "far past": "0001-01-01",
    "huge number": "9" * 40,
    "unknown choice": "not-a-choice",
}
FIELD_NAMES = re.compile(r'name="([^"]+)"')


def _fields(client, url: str) -> list[str]:
    response = client.get(url)
    if response.status_code != 200:
        return []
    return sorted({name for name in FIELD_NAMES.findall(response.get_data(as_text=True))
                   if name not in ("csrf_token", "next", "locale")} | {"name", "email", "note", "reason"})


def test_no_form_gives_a_500_whatever_it_is_sent(app, world):
    clients = {}
    for role in (Role.VOLUNTEER, Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN):
        clients[role] = app.test_client()
        sign_in(clients[role], world[role].email)
    tried = 0
    for rule, method in _routes(app):
        if method != "POST" or rule.endpoint in ("auth.logout", "auth.login"):
            continue
        view = app.view_functions[rule.endpoint]
        roles = [r for r in clients if view.lotsen_access == "public" or r in view.lotsen_access]
        url = _url(app, rule, world)
        for role in roles[:2]:
            client = clients[role]
            names = _fields(client, url)
            for kind, value in HOSTILE.items():
                response = client.post(url, data={name: value for name in names})
                assert response.status_code < 500, f"POST {url} as {role} with {kind}: {response.status_code}"
                tried += 1
    assert tried > 200


@pytest.mark.parametrize("path", ["/requests/99999999999999999999999999", "/users/18446744073709551617",
                                  "/offers/9223372036854775808", "/assignments/-1",
                                  "/requests/?page=999999999999999999999999", "/users/?page=-5",
                                  "/volunteers/?office_id=99999999999999999999"])
def test_ids_and_pages_beyond_any_integer_are_not_found_or_clamped(app, world, path):
    client = app.test_client()
    sign_in(client, world[Role.ADMIN].email)
    assert client.get(path).status_code in (200, 404)


class TestFieldErrors:
    @pytest.fixture
    def caseworker(self, world):
        return world[Role.CASEWORKER]

    @pytest.mark.parametrize("field, value, message", [
        ("notes", "Zimmer 204\x00; DROP TABLE requests", "unzulässige Zeichen"),
        ("contact_name", "Frau\u202e Schneider", "unzulässige Zeichen"),
        ("contact_name", "Frau\r\nBcc: alle@example.org", "unzulässige Zeichen"),
        ("client_reference", "A" * 61, "nicht länger als 60 Zeichen"),
        ("notes", "x" * 20_000, "zu lang"),
        ("day", "9999-12-31", "zwischen 1900 und 2200"),
        ("day", "0001-01-01", "zwischen 1900 und 2200"),
        ("topic", "not-a-topic", "Keine gültige Auswahl"),
    ])
    def test_a_hostile_field_gets_its_error_in_german_and_nothing_is_saved(self, client, session, caseworker, field,
                                                                          value, message):
        caseworker_user = session.get(User, caseworker.id)
        caseworker_user.locale = "de"
        session.commit()
        sign_in(client, caseworker.email)
        response = client.post("/requests/new", data=request_form(**{field: value}))
        text = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 200
        assert message in text
        assert session.scalar(select(func.count(HelpRequest.id)).where(HelpRequest.client_reference != "")) == 0 or \
            session.scalar(select(func.count(HelpRequest.id))) == 1  # only the world's own request

    def test_names_with_control_or_reordering_characters_never_reach_an_account(self, app, client, session, world):
        sign_in(client, world[Role.VOLUNTEER].email)
        for name in ("Ali\u202egpj.exe", "Ali\x1b[31m", "Ali\nBcc: x@example.org"):
            response = client.post("/account", data={"account-name": name, "account-locale": "en"})
            assert "not allowed" in response.get_data(as_text=True)
        session.expire_all()
        assert "\u202e" not in session.get(User, world[Role.VOLUNTEER].id).name


def test_a_request_more_than_two_years_ahead_is_a_typing_error(client, session, world):
    import datetime as dt

    from tests.timing import today

    sign_in(client, world[Role.CASEWORKER].email)
    far = (today() + dt.timedelta(days=800)).isoformat()
    response = client.post("/requests/new", data=request_form(day=far))
    assert "at most two years ahead" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(HelpRequest.id))) == 1  # the world's own request only


def test_an_imported_name_that_displays_as_another_is_refused(app, client, world):
    from tests.integration.test_import import csv_file, upload

    sign_in(client, world[Role.COORDINATOR].email)
    page = upload(client, csv_file("ali@example.org;Ali\u202egpj.exe;;63128;;;ar:native;;;;;;;de")).get_data(
        as_text=True)
    assert "not allowed" in page and 'name="confirm"' not in page

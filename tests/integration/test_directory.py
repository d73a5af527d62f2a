"""The coordinator's directory: filters, and the same list as CSV."""

import csv
import datetime as dt
import io
import re

import pytest

from lotsen.auth.models import Role, UserStatus
from lotsen.languages import LanguageLevel
from lotsen.offices.models import Municipality
from lotsen.volunteers.models import VolunteerLanguage
from tests.conftest import sign_in
from tests.timing import berlin

TODAY = dt.date(2027, 2, 10)
VETTED = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)

pytestmark = pytest.mark.now(berlin(TODAY, 10))  # "expiring soon" is counted from the clock's today


def _ready(**extra) -> dict:
    profile = {"vetted_at": VETTED, "declaration_signed_on": dt.date(2025, 1, 2),
               "certificate_checked_on": TODAY - dt.timedelta(days=365)}
    profile.update(extra)
    return profile


@pytest.fixture
def pool(session, make_office, make_user):
    office = make_office(name="Kreis Offenbach")
    rodgau = Municipality(office_id=office.id, name="Rodgau")
    session.add(rodgau)
    session.commit()
    people = {
        "amina": make_user(Role.VOLUNTEER, office=office, name="Amina Arabic",
                           profile=_ready(municipality_id=rodgau.id, by_phone=True)),
        "paula": make_user(Role.VOLUNTEER, office=office, name="Paula Paused",
                           profile=_ready(is_paused=True, on_site=False, by_video=True)),
        "nadia": make_user(Role.VOLUNTEER, office=office, name="Nadia NoDeclaration",
                           profile=_ready(declaration_signed_on=None)),
        "olga": make_user(Role.VOLUNTEER, office=office, name="Olga OldCertificate",
                          profile=_ready(certificate_checked_on=TODAY - dt.timedelta(days=5 * 365 - 10))),
        "petra": make_user(Role.VOLUNTEER, office=office, name="Petra Pending", status=UserStatus.PENDING),
        "other": make_user(Role.VOLUNTEER, name="Otto OtherOffice", profile=_ready()),
    }
    session.add(VolunteerLanguage(volunteer_id=people["amina"].id, language="ar", level=LanguageLevel.NATIVE,
                                  varieties=["apc"]))
    session.commit()
    people["office"], people["rodgau"] = office, rodgau
    return people


@pytest.fixture
def coordinator_client(client, make_user, pool):
    sign_in(client, make_user(Role.COORDINATOR, office=pool["office"]).email)
    return client


def _names(client, query: str = "") -> set[str]:
    page = client.get(f"/volunteers/?{query}").get_data(as_text=True)
    names = ("Amina Arabic", "Paula Paused", "Nadia NoDeclaration", "Olga OldCertificate", "Petra Pending",
             "Otto OtherOffice")
    return {name for name in names if name in page}


def test_lists_the_own_office_only(coordinator_client):
    assert _names(coordinator_client) == {"Amina Arabic", "Paula Paused", "Nadia NoDeclaration",
                                          "Olga OldCertificate", "Petra Pending"}


@pytest.mark.parametrize("query, expected", [
    ("language=ar", {"Amina Arabic"}),
    ("mode=by_video", {"Paula Paused"}),
    ("status=matchable", {"Amina Arabic", "Olga OldCertificate"}),
    ("status=paused", {"Paula Paused"}),
    ("status=incomplete", {"Nadia NoDeclaration"}),
    ("status=pending", {"Petra Pending"}),
    ("documents=missing", {"Nadia NoDeclaration", "Petra Pending"}),
    ("documents=expiring", {"Olga OldCertificate"}),
    ("q=olga", {"Olga OldCertificate"}),
])
def test_filters(coordinator_client, query, expected):
    assert _names(coordinator_client, query) == expected


def test_filters_by_municipality(coordinator_client, pool):
    assert _names(coordinator_client, f"municipality_id={pool['rodgau'].id}") == {"Amina Arabic"}


def test_exports_the_filtered_list_as_csv(coordinator_client, session, pool):
    profile = pool["amina"]
    from lotsen.volunteers.models import VolunteerProfile

    session.get(VolunteerProfile, profile.id).phone = "=HYPERLINK(\"x\")"
    session.commit()
    response = coordinator_client.get("/volunteers/export.csv?language=ar")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert [row["name"] for row in rows] == ["Amina Arabic"]
    assert rows[0]["languages"] == "ar:native:apc" and rows[0]["matchable"] == "yes"
    assert rows[0]["phone"].startswith("'=")  # never a live formula in a spreadsheet


def test_admin_sees_every_office_and_can_narrow_to_one(client, make_user, pool):
    sign_in(client, make_user(Role.ADMIN).email)
    assert "Otto OtherOffice" in _names(client)
    assert _names(client, f"office_id={pool['office'].id}") == {"Amina Arabic", "Paula Paused",
                                                                  "Nadia NoDeclaration", "Olga OldCertificate",
                                                                  "Petra Pending"}


def test_caseworkers_and_volunteers_may_not_see_the_directory(app, make_user, pool):
    for role in (Role.CASEWORKER, Role.VOLUNTEER):
        browser = app.test_client()
        sign_in(browser, make_user(role).email)
        assert browser.get("/volunteers/").status_code == 403
        assert browser.get("/volunteers/export.csv").status_code == 403


def test_a_long_list_links_the_first_and_last_page_and_two_either_side(app):
    macro = app.jinja_env.get_template("macros/forms.html").module.pagination
    with app.test_request_context("/volunteers/?page=7&language=ar"):
        nav = str(macro(7, 50, 3_940, "volunteers.list_volunteers"))  # 79 pages
    pages = [int(p) for p in re.findall(r">(\d+)</a>", nav)]
    assert pages == [1, 5, 6, 7, 8, 9, 79]
    assert nav.count('class="gap"') == 2 and 'aria-current="page">7<' in nav
    assert "page=79&amp;language=ar" in nav  # the filters stay
    with app.test_request_context("/volunteers/"):
        first = str(macro(1, 50, 120, "volunteers.list_volunteers"))  # 3 pages: no gaps
    assert re.findall(r">(\d+)</a>", first) == ["1", "2", "3"] and "gap" not in first

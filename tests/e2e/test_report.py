"""In the browser: a coordinator opens the report, switches the period, downloads a section and the XLSX."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from lotsen.auth.models import Role
from tests.e2e.test_offer_path import _sign_in
from tests.integration.test_reports import world  # noqa: F401

pytestmark = pytest.mark.now(dt.datetime(2027, 5, 3, 9, 0, tzinfo=dt.timezone.utc))


def test_the_report_switches_period_and_downloads(page: Page, session, world, make_user, tmp_path):  # noqa: F811
    coordinator = make_user(Role.COORDINATOR, office=world["office"], locale="en")
    _sign_in(page, coordinator.email)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report 1 Jan 2027 – 31 Dec 2027")
    page.get_by_role("combobox", name="Period").select_option("quarter")
    page.get_by_label("Month or quarter (number)").fill("1")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report 1 Jan 2027 – 31 Mar 2027")
    months = page.get_by_role("region", name="Requests by month")
    expect(months.get_by_role("row").filter(has_text="March 2027")).to_contain_text("7")
    expect(months.get_by_role("img")).to_have_attribute("alt", "Requests by month: Filled, Not filled, Cancelled "
                                                        "late, Cancelled in time (Month)")
    chart = months.get_by_role("img").element_handle()
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=chart)  # the SVG was drawn
    with page.expect_download() as download:
        months.get_by_role("link", name="This section as CSV").click()
    saved = tmp_path / "requests.csv"
    download.value.save_as(saved)
    assert saved.read_text(encoding="utf-8-sig").splitlines()[3] == "March 2027;7;2;2;1;1"
    with page.expect_download() as download:
        page.get_by_role("link", name="The whole report as XLSX").click()
    workbook = tmp_path / "report.xlsx"
    download.value.save_as(workbook)
    book = load_workbook(workbook)
    assert [cell.value for cell in book["Requests by month"][4]] == ["March 2027", 7, 2, 2, 1, 1]


def test_an_admin_compares_two_offices(page: Page, session, world, make_user):  # noqa: F811
    admin = make_user(Role.ADMIN, locale="en")
    _sign_in(page, admin.email)
    page.goto("/reports/?period=month&year=2027&number=3")
    page.get_by_text("Compare offices side by side").click()  # the disclosure opens by keyboard or pointer
    page.get_by_role("checkbox", name="Kreis Offenbach").check()
    page.get_by_role("checkbox", name="Anderswo").check()
    page.get_by_role("button", name="Show").click()
    months = page.get_by_role("region", name="Requests by month")
    expect(months.get_by_role("columnheader", name="Anderswo")).to_be_visible()
    expect(months.get_by_role("columnheader", name="Kreis Offenbach")).to_be_visible()
    expect(months.get_by_role("row").filter(has_text="March 2027")).to_have_text(
        "March 2027 1 0 1 0 0 7 2 2 1 1", use_inner_text=True)
    expect(months.get_by_role("img")).to_have_attribute(
        "alt", "Requests by month: Anderswo: Filled, Kreis Offenbach: Filled (Month)")
    chart = months.get_by_role("img").element_handle()
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=chart)
    expect(page.get_by_role("checkbox", name="Anderswo")).to_be_checked()  # the choice is kept
    page.wait_for_function("() => [...document.images].every(image => image.complete)")  # every chart drawn

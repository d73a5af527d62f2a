"""Filling the request form in the browser, as a caseworker does (shared by the browser tests)."""

import datetime as dt

from playwright.sync_api import Page, expect


def fill_request(page: Page, day: dt.date, *, start: str = "10:00", reference: str = "AZ-4711") -> None:
    """An Arabic interpreter on site in Dietzenbach, for health, on ``day`` at ``start``."""
    who = page.get_by_role("group", name="Who", exact=True)
    who.get_by_label("Who is needed").select_option(label="Interpreter")
    who.get_by_label("Language", exact=True).fill("Arabic")  # typed; the datalist only suggests
    when = page.get_by_role("group", name="When", exact=True)
    when.get_by_label("Date", exact=True).fill(day.isoformat())
    when.get_by_label("Start time", exact=True).fill(start)
    expect(when.get_by_label("Expected duration (minutes)")).to_have_value("90")  # the office's default
    expect(when.get_by_label("Urgent: needed sooner than the usual lead time")).not_to_be_checked()
    where = page.get_by_role("group", name="Where", exact=True)
    where.get_by_label("How", exact=True).select_option(label="On site")
    where.get_by_label("Postcode of the place").fill("63128")
    where.get_by_label("Town or district").fill("Dietzenbach")
    what = page.get_by_role("group", name="What", exact=True)
    what.get_by_label("Topic", exact=True).select_option(label="Health")
    what.get_by_label("Your reference (case number)").fill(reference)
    what.get_by_label("Contact person on the day").fill("Frau Keller")
    what.get_by_label("Contact phone on the day").fill("06074 123456")

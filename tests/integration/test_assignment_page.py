"""The volunteer's assignment page and its calendar entries, read back by a second, independent parser."""

import vobject

from lotsen.assignments import changes
from lotsen.auth.models import Role
from tests.builders import confirmed
from tests.conftest import mail_body, sign_in
from tests.integration.test_offers import (agency, caseworker, coordinator, filed, fresh, monday_9,  # noqa: F401
                                           now, office, pool)
from tests.integration.test_requests import page_text
from tests.timing import BERLIN


def calendars(mails, address: str) -> dict[str, tuple[str, vobject.base.Component]]:
    """The calendar attachments of the mails to ``address`` by METHOD: the text, and what vobject reads."""
    found = {}
    for message in mails():
        if message["To"] != address:
            continue
        for part in message.iter_attachments():
            if part.get_content_type() == "text/calendar":
                parsed = vobject.readOne(part.get_content())
                found[parsed.method.value] = (part.get_content(), parsed)
    return found


def test_the_volunteer_sees_everything_for_the_day_and_can_step_back(act, app, client, session, coordinator, filed,
                                                                     pool, mails):
    filed.notes = "Bitte am Empfang nach Frau Schneider fragen."
    session.commit()
    assignment = confirmed(act, session, coordinator, filed, pool[0])
    [confirmation] = [m for m in mails() if m["To"] == pool[0].email and m["Subject"].startswith("Confirmed")]
    assert f"http://lotsen.test/assignments/{assignment.id}" in mail_body(confirmation)
    sign_in(client, pool[0].email)
    assert f"/assignments/{assignment.id}" in page_text(client.get("/start"))
    page = page_text(client.get(f"/assignments/{assignment.id}"))
    for expected in ("Berliner Straße 60", "63128 Dietzenbach", "Bitte am Empfang nach Frau Schneider fragen.",
                     filed.contact_phone, f"/assignments/{assignment.id}/calendar.ics",
                     f"/assignments/{assignment.id}/withdraw"):
        assert expected in page
    download = client.get(f"/assignments/{assignment.id}/calendar.ics")
    assert download.mimetype == "text/calendar"
    entry = vobject.readOne(download.get_data(as_text=True))
    assert entry.method.value == "PUBLISH" and entry.vevent.uid.value == f"assignment-{assignment.id}@lotsen.test"
    assert "Why can you not come?" in page_text(client.get(f"/assignments/{assignment.id}/withdraw"))


def test_only_the_volunteer_and_the_office_see_an_assignment(act, app, session, coordinator, caseworker, filed, pool,
                                                             make_user, make_office):
    assignment = confirmed(act, session, coordinator, filed, pool[0])
    for user, status in ((pool[1], 404), (caseworker, 403), (make_user(Role.COORDINATOR, office=make_office()), 404),
                         (coordinator, 200), (pool[0], 200)):
        browser = app.test_client()
        sign_in(browser, user.email)
        assert browser.get(f"/assignments/{assignment.id}").status_code == status, user.role
        assert browser.get(f"/assignments/{assignment.id}/calendar.ics").status_code == status, user.role


def test_invitations_carry_organizer_attendee_local_times_and_a_link_back(act, session, coordinator, caseworker,
                                                                          filed, pool, mails):
    office = filed.office
    office.email = "integration@kreis-offenbach.example"
    session.commit()
    assignment = confirmed(act, session, coordinator, filed, pool[0])
    act(changes.cancel, session, caseworker, filed.id, "Termin entfällt")
    session.commit()
    entries = calendars(mails, pool[0].email)
    assert set(entries) == {"REQUEST", "CANCEL"}
    (text, invitation), (_text, cancellation) = entries["REQUEST"], entries["CANCEL"]
    request, cancel = invitation.vevent, cancellation.vevent
    for event in (request, cancel):  # RFC 5546: both methods need ORGANIZER and ATTENDEE
        assert event.uid.value == f"assignment-{assignment.id}@lotsen.test"
        assert event.organizer.value == "mailto:integration@kreis-offenbach.example"
        assert event.attendee.value == f"mailto:{pool[0].email}"
        assert event.attendee.params["CN"] == [pool[0].name]
        assert event.url.value == f"http://lotsen.test/assignments/{assignment.id}"
    start = request.dtstart.value
    assert "DTSTART;TZID=Europe/Berlin:" in text.replace("\r\n ", "")
    assert start == filed.starts_at and start.astimezone(BERLIN).hour == 9  # as the agency meant it
    assert start.utcoffset() == filed.starts_at.astimezone(BERLIN).utcoffset()  # read through its VTIMEZONE
    assert invitation.vtimezone.tzid.value == "Europe/Berlin"
    assert int(cancel.sequence.value) > int(request.sequence.value)
    assert cancel.status.value == "CANCELLED"


def test_the_private_feed_and_the_download_are_published(act, client, session, coordinator, filed, pool):
    assignment = confirmed(act, session, coordinator, filed, pool[0])
    sign_in(client, pool[0].email)
    client.post("/account/calendar", data={"action": "create"})
    fresh(session)
    token = session.get(type(pool[0]), pool[0].id).calendar_token
    feed = vobject.readOne(client.get(f"/calendar/{token}.ics").get_data(as_text=True))
    download = vobject.readOne(client.get(f"/assignments/{assignment.id}/calendar.ics").get_data(as_text=True))
    assert feed.method.value == download.method.value == "PUBLISH"
    assert [event.dtstart.value for event in feed.vevent_list] == [filed.starts_at]
    for event in (*feed.vevent_list, download.vevent):  # RFC 5546, 3.2.1: ORGANIZER, and no ATTENDEE
        assert event.organizer.value.startswith("mailto:")
        assert "attendee" not in event.contents
        assert event.uid.value == f"assignment-{assignment.id}@lotsen.test"

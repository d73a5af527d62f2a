"""The API from outside: the example client files a request over HTTP and is told by a signed webhook when the
office confirms it; the documentation page renders every operation offline under the Content-Security-Policy."""

import datetime as dt
import io
import sys
import threading
from pathlib import Path

from sqlalchemy import select

from lotsen.api import tokens, webhooks
from lotsen.assignments import answers, confirming, offering
from lotsen.auth.models import Role
from lotsen.notifications import outbox
from lotsen.requests.models import HelpRequest
from tests.builders import add_language, add_window, ready
from tests.timing import BERLIN, next_weekday, now, wait_until

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
import api_client  # noqa: E402  (the example as an agency would run it)


def test_the_example_client_files_a_request_and_waits_for_its_webhook(act, app, live_server, session, make_office,
                                                                       make_agency, make_user):
    office = make_office(name="Kreis Offenbach")
    agency = make_agency(offices=[office], name="Jobcenter Offenbach")
    coordinator = make_user(Role.COORDINATOR, office=office)
    volunteer = make_user(Role.VOLUNTEER, office=office, name="Amina Aziz", profile=ready(phone="0170 1234567"))
    add_language(session, volunteer)
    add_window(session, volunteer, weekday=0, starts="07:00", ends="14:00")
    session.commit()
    _token, raw = act(tokens.issue, session, coordinator, agency, name="Fachverfahren",
                      scopes=["requests:read", "requests:write"], expires_on=now().astimezone(BERLIN).date()
                      + dt.timedelta(days=30), zone=BERLIN, max_days=730)
    session.commit()
    receiver, events = api_client.receive("127.0.0.1:0", "")  # the secret is known once the endpoint exists
    port = receiver.server_address[1]
    _endpoint, secret = act(webhooks.add_endpoint, session, coordinator, agency,
                            f"http://localhost:{port}/lotsen", {office.id}, allow_local=True)
    session.commit()
    receiver.shutdown()
    receiver.server_close()
    receiver, events = api_client.receive(f"127.0.0.1:{port}", secret)
    printed, result = io.StringIO(), {}
    day = next_weekday(0, weeks=1)

    def agency_system():
        result["shown"] = api_client.file_and_wait(live_server, raw, {
            "kind": "interpreter", "language": "ar", "mode": "on_site", "date": day.isoformat(), "start": "09:00",
            "duration_minutes": 90, "postcode": "63128", "topic": "authorities", "client_reference": "BG-1",
            "contact_name": "Empfang", "contact_phone": "06074 0000"}, events, timeout=120, out=printed)

    system = threading.Thread(target=agency_system)
    system.start()
    try:
        filed = wait_until(lambda: (session.rollback(), session.scalar(select(HelpRequest)))[1])
        offer, = act(offering.make_offers, session, coordinator, filed.id, [volunteer.id])
        act(answers.accept, session, volunteer, offer.id)
        act(confirming.confirm, session, coordinator, offer.id)
        session.commit()
        wait_until(lambda: outbox.deliver_due(app)["sent"] == 0 and not system.is_alive(), interval=0.2)
    finally:
        system.join(timeout=120)
        receiver.shutdown()
        receiver.server_close()
    assert result["shown"]["status"] == "confirmed"
    lines = printed.getvalue().splitlines()
    assert lines[0] == f"Filed request {filed.id}; waiting for the office ..."
    assert [line.split("  ")[1] for line in lines[1:3]] == ["request.offered", "request.confirmed"]
    assert lines[-1] == "Confirmed: Amina, 0170 1234567"


def test_the_documentation_page_shows_every_operation_offline(page, live_server):
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.on("request", lambda request: problems.append(f"elsewhere: {request.url}")
            if not request.url.startswith(live_server) and not request.url.startswith("data:") else None)
    page.goto("/api/v1/docs")
    page.wait_for_selector(".opblock-summary", timeout=30_000)
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert {"/api/v1/requests", "/api/v1/requests/{request_id}/cancel", "/api/v1/records/{record_id}/confirm"} \
        <= {text.replace("\u200b", "").strip() for text in summaries}
    assert problems == []

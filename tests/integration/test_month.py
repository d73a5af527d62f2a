"""The office's month, paperless: statements drawn up by the worker, approved, paid as one SEPA file that the
pain.001 schema accepts; a CSV for the cash office; PDFs whose text reads back; the yearly tally; bank details
seen only by whom they concern; agency sheets."""

import datetime as dt
import html
import io
import os
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
import sepaxml
import xmlschema
from pypdf import PdfReader
from sqlalchemy import select

from lotsen.audit.models import AuditEvent
from lotsen.auth.models import Role
from lotsen.billing import records, statements
from lotsen.billing.models import (AssignmentRecord, PayoutDetails, Programme, RateVersion, Statement,
                                   StatementStatus, TaxAllowance)
from lotsen.billing.rules import Rule, Travel
from lotsen.reminders.worker import tick
from tests.builders import confirmed, make_request, took_place
from tests.conftest import mail_body, sign_in
from tests.integration.test_offers import (agency, caseworker, coordinator, fresh, office,  # noqa: F401
                                           pool)

HOUR = dt.timedelta(hours=1)
UTC = dt.timezone.utc
# A Monday in the middle of a month, ten days ahead of the clock these tests set.
DAY = dt.datetime(2027, 3, 15, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
CLOCK = dt.datetime(2027, 3, 5, 9, 0, tzinfo=UTC)
AFTER_MONTH = dt.datetime(2027, 4, 2, 9, 0, tzinfo=UTC)
IBAN_AMINA = "DE89370400440532013000"
SCHEMA = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", "pain.001.001.03.xsd")

pytestmark = pytest.mark.now(CLOCK)


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def programme(session, office):
    paid = Programme(office_id=office.id, name="Eigenes Budget", kinds=["guide", "interpreter"])
    paid.rates.append(RateVersion(valid_from=dt.date(2000, 1, 1), rule_data=Rule(
        per_hour=Decimal("15.00"), step_minutes=30, travel=Travel.KM, per_km=Decimal("0.30")).to_json()))
    session.add(paid)
    office.settings = {**office.settings, "payer_name": "Kreiskasse Offenbach", "payer_iban": "DE02120300000000202051"}
    session.commit()
    return paid


def done_record(act, session, coordinator, office, agency, volunteer, starts, *, minutes=90, km=0):
    """A request at ``starts``, taken by ``volunteer``, recorded afterwards and confirmed by the agency."""
    request = make_request(session, office, agency, starts=starts)
    assignment = confirmed(act, session, coordinator, request, volunteer)
    entry = act(records.record, session, volunteer, assignment.id,
                took_place(assignment, minutes=minutes, travel_km=km), at=assignment.ends_at + HOUR)
    act(records.answer, session, None, entry.id, entry.version, confirmed=True, via="link",
        at=assignment.ends_at + 2 * HOUR)
    session.commit()
    return entry


@pytest.fixture
def month_done(act, session, coordinator, office, agency, pool, programme):
    """Mondays (when the pool is free): Amina two assignments (1 h 30 with 12 km, 2 h), Bilal one, Dana's is still
    waiting for the agency."""
    amina, bilal, dana = pool
    session.add(PayoutDetails(volunteer_id=amina.id, account_holder="Amina Aziz", iban=IBAN_AMINA))
    session.commit()
    done_record(act, session, coordinator, office, agency, amina, DAY, km=12)
    done_record(act, session, coordinator, office, agency, amina, DAY + dt.timedelta(days=7), minutes=120)
    done_record(act, session, coordinator, office, agency, bilal, DAY)
    request = make_request(session, office, agency, starts=DAY + dt.timedelta(days=14))
    assignment = confirmed(act, session, coordinator, request, dana)
    act(records.record, session, dana, assignment.id, took_place(assignment), at=assignment.ends_at + HOUR)
    session.commit()
    return amina, bilal, dana


def close(app, client, session, office):
    response = client.post("/month/close?month=2027-03")
    assert response.status_code == 302 and "/month/jobs/" in response.headers["Location"]
    tick(app, now=AFTER_MONTH)  # the worker draws the statements up
    fresh(session)
    assert "2 statements drawn up" in page_text(client.get(response.headers["Location"]))
    return {s.volunteer_id: s for s in statements.statements_of(session, office.id, 2027, 3)}


class TestClosingTheMonth:
    def test_from_records_to_a_sepa_file(self, app, client, clock, session, office, coordinator, month_done,
                                         mails):
        amina, bilal, dana = month_done
        clock.set(AFTER_MONTH)
        sign_in(client, coordinator.email)
        page = page_text(client.get("/month?month=2027-03"))
        assert "1 record is still waiting for the agency" in page
        drawn = close(app, client, session, office)
        assert set(drawn) == {amina.id, bilal.id}  # Dana's record is not confirmed yet
        assert drawn[amina.id].total == Decimal("22.50") + Decimal("3.60") + Decimal("30.00")
        assert drawn[amina.id].minutes == 90 + 120
        assert drawn[bilal.id].total == Decimal("22.50")
        page = page_text(client.get("/month?month=2027-03"))
        assert "DE89 •••• 3000" in page and IBAN_AMINA not in page  # masked in the list

        # Approve all drafts: their records are fixed.
        client.post("/month/approve?month=2027-03")
        fresh(session)
        assert {s.status for s in statements.statements_of(session, office.id, 2027, 3)} == {StatementStatus.APPROVED}
        entry = session.scalar(select(AssignmentRecord).where(AssignmentRecord.volunteer_id == amina.id))
        assert entry.statement_id == drawn[amina.id].id and not entry.can_revise(coordinator)
        assert client.get(f"/records/{entry.id}/edit").status_code == 404

        # Pay: one SEPA file for Amina; Bilal has no bank details and is left out.
        response = client.post("/month/pay?month=2027-03", data={"execution_date": "2027-04-06"},
                               follow_redirects=True)
        page = page_text(response)
        assert "The SEPA file for 1 payment is ready" in page and "Left out for missing bank details: Bilal Bakr" in page
        fresh(session)
        paid = session.get(Statement, drawn[amina.id].id)
        assert paid.status is StatementStatus.PAID and session.get(Statement, drawn[bilal.id].id).status is \
            StatementStatus.APPROVED
        xml = client.get(f"/payouts/{paid.payout_id}/sepa.xml")
        assert xml.status_code == 200 and xml.mimetype == "application/xml"
        xmlschema.XMLSchema(SCHEMA).validate(xml.get_data(as_text=True))  # the schema sepaxml ships
        root = ET.fromstring(xml.get_data())
        ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
        assert root.find(".//p:GrpHdr/p:CtrlSum", ns).text == "56.10"
        assert root.find(".//p:CdtTrfTxInf/p:CdtrAcct/p:Id/p:IBAN", ns).text == IBAN_AMINA
        assert root.find(".//p:DbtrAcct/p:Id/p:IBAN", ns).text == "DE02120300000000202051"
        assert root.find(".//p:ReqdExctnDt", ns).text == "2027-04-06"
        cash = client.get(f"/payouts/{paid.payout_id}/cash-office.csv").get_data(as_text=True)
        assert cash.startswith("\ufeffEmpfaenger;IBAN") and f"Amina Aziz;{IBAN_AMINA};;56,10;" in cash

        # The second round: Bilal enters his bank details, the office pays the rest of the month.
        client.post("/logout")
        sign_in(client, bilal.email)
        client.post("/profile/payout", data={"account_holder": "Bilal Bakr", "iban": "DE44 5001 0517 5407 3249 31",
                                             "tax_allowance": "volunteering"})
        client.post("/logout")
        sign_in(client, coordinator.email)
        client.post("/month/pay?month=2027-03", data={"execution_date": "2027-04-06"})
        fresh(session)
        assert session.get(Statement, drawn[bilal.id].id).status is StatementStatus.PAID
        again = client.post("/month/pay?month=2027-03", data={"execution_date": "2027-04-06"},
                            follow_redirects=True)
        assert "There is no approved statement with bank details to pay" in page_text(again)

    def test_a_changed_record_changes_its_draft_when_drawn_up_again(self, act, app, client, clock, session,
                                                                    office, coordinator, month_done):
        amina = month_done[0]
        clock.set(AFTER_MONTH)
        sign_in(client, coordinator.email)
        first = close(app, client, session, office)[amina.id].total
        entry = session.scalars(select(AssignmentRecord).where(AssignmentRecord.volunteer_id == amina.id)
                                .order_by(AssignmentRecord.starts_at)).first()
        assignment = entry.assignment
        act(records.revise, session, coordinator, entry.id, took_place(assignment, minutes=150, travel_km=12),
            at=AFTER_MONTH)
        act(records.answer, session, None, entry.id, 2, confirmed=True, via="link", at=AFTER_MONTH)
        session.commit()
        second = close(app, client, session, office)[amina.id].total
        assert second - first == Decimal("15.00")  # one more hour at 15.00


class TestDocuments:
    def test_the_statement_pdf_reads_back_with_every_script(self, app, act, client, clock, session, office,
                                                            agency, coordinator, programme, make_user):
        names = ["Алина Шевченко", "ሰላም ተስፋዬ", "مريم الحسيني"]
        volunteers = [make_user(Role.VOLUNTEER, office=office, name=name) for name in names]
        clock.set(AFTER_MONTH)
        for volunteer in volunteers:
            session.add(Statement(office_id=office.id, volunteer_id=volunteer.id, year=2027, month=3,
                                  status=StatementStatus.APPROVED, total=Decimal("22.50"), minutes=90, items=[{
                                      "record": 1, "starts_at": DAY.isoformat(), "outcome": "took_place",
                                      "programme": "Eigenes Budget", "total": "22.50", "minutes": 90,
                                      "lines": [["time", "90", "15.00", "22.50", 0]]}]))
        session.commit()
        sign_in(client, coordinator.email)
        texts = []
        for volunteer in volunteers:
            statement = session.scalar(select(Statement).where(Statement.volunteer_id == volunteer.id))
            response = client.get(f"/statements/{statement.id}.pdf")
            assert response.status_code == 200 and response.mimetype == "application/pdf"
            reader = PdfReader(io.BytesIO(response.get_data()))
            texts.append(" ".join(page.extract_text() for page in reader.pages))
            fonts = {str(font) for page in reader.pages for font in _fonts(page)}
            if volunteer.name.startswith("م"):
                assert any("Arabic" in font for font in fonts), fonts
            if volunteer.name.startswith("ሰ"):
                assert any("Ethiopic" in font for font in fonts), fonts
        assert "Алина Шевченко" in texts[0]
        assert "ሰላም" in texts[1]
        assert all("Time: 1 h 30 min at €15.00 per hour = €22.50" in text for text in texts)
        assert all("Total: €22.50" in text for text in texts)
        exported = session.scalars(select(AuditEvent).where(AuditEvent.action == "statement.exported")).all()
        assert len(exported) == 3


def _fonts(page):
    resources = page.get("/Resources") or {}
    fonts = resources.get("/Font") or {}
    return [fonts[key].get_object().get("/BaseFont") for key in fonts]


class TestTallyAndBankDetails:
    def test_approvals_nearing_and_passing_the_limit_warn_volunteer_and_office_once_each(
            self, act, session, office, coordinator, pool, mails):
        amina = pool[0]
        session.add(PayoutDetails(volunteer_id=amina.id, account_holder="Amina Aziz", iban=IBAN_AMINA,
                                  tax_allowance=TaxAllowance.VOLUNTEERING, on_buergergeld=True))
        drafts = []
        for month, total in ((1, "700.00"), (2, "80.00"), (3, "100.00"), (4, "200.00")):
            drafts.append(Statement(office_id=office.id, volunteer_id=amina.id, year=2027, month=month,
                                    total=Decimal(total), items=[]))
        session.add_all(drafts)
        session.commit()
        subjects = lambda to: [m["Subject"] for m in mails() if m["To"] == to]  # noqa: E731
        act(statements.approve, session, coordinator, [drafts[0].id], office.id, at=CLOCK)
        session.commit()
        assert subjects(amina.email) == []  # 700 of 960: below 80 %
        act(statements.approve, session, coordinator, [drafts[1].id], office.id, at=CLOCK)
        session.commit()
        assert subjects(amina.email) == ["Your allowances in 2027: the yearly limit is near"]  # 780 >= 768
        act(statements.approve, session, coordinator, [drafts[2].id], office.id, at=CLOCK)
        session.commit()
        assert len(subjects(amina.email)) == 1  # 880: nothing new
        act(statements.approve, session, coordinator, [drafts[3].id], office.id, at=CLOCK)
        session.commit()
        assert sorted(subjects(amina.email)) == ["Your allowances in 2027: the yearly limit is exceeded",
                                                 "Your allowances in 2027: the yearly limit is near"]
        assert sorted(s for s in subjects(coordinator.email) if s.startswith("Yearly")) == [
            "Yearly limit exceeded: Amina Aziz", "Yearly limit near: Amina Aziz"]
        tally = statements.tally(session, amina.id, 2027)
        assert (tally.total, tally.limit, tally.is_over) == (Decimal("1080.00"), Decimal("960"), True)
        # The trainer allowance is higher; Bürgergeld then leaves 3,000 a year.
        details = session.get(PayoutDetails, amina.id)
        details.tax_allowance = TaxAllowance.TRAINER
        session.commit()
        assert statements.tally(session, amina.id, 2027).limit == Decimal("3000")
        details.on_buergergeld = False
        session.commit()
        assert statements.tally(session, amina.id, 2027).limit == Decimal("3300")

    def test_bank_details_are_checked_masked_audited_and_seen_only_by_whom_they_concern(
            self, client, session, office, coordinator, pool, make_user, make_office):
        amina = pool[0]
        sign_in(client, amina.email)
        wrong = client.post("/profile/payout", data={"account_holder": "Amina Aziz", "iban": "DE89 3704 0044 0532 0130 01",
                                                     "tax_allowance": "volunteering"})
        assert wrong.status_code == 200 and "This is not a valid IBAN" in page_text(wrong)
        assert 'value="DE89 3704 0044 0532 0130 01"' in page_text(wrong)  # the input is kept
        assert session.get(PayoutDetails, amina.id) is None
        client.post("/profile/payout", data={"account_holder": "Amina Aziz", "iban": "de89 3704 0044 0532 0130 00",
                                             "bic": "COBADEFFXXX", "tax_allowance": "trainer"})
        fresh(session)
        details = session.get(PayoutDetails, amina.id)
        assert (details.iban, details.bic, details.tax_allowance) == (IBAN_AMINA, "COBADEFFXXX", TaxAllowance.TRAINER)
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "payout_details.changed")).all()
        assert event.details["iban"] == "DE89 •••• 3000" and IBAN_AMINA not in str(event.details)
        client.post("/logout")
        for outsider in (pool[1], make_user(Role.COORDINATOR, office=make_office())):
            sign_in(client, outsider.email)
            assert client.get(f"/volunteers/{amina.id}/payout").status_code == 404
            client.post("/logout")
        sign_in(client, coordinator.email)
        assert IBAN_AMINA in page_text(client.get(f"/volunteers/{amina.id}/payout"))


class TestWhoSeesStatements:
    def test_a_volunteer_sees_their_approved_statements_and_certificate_not_drafts_or_others(
            self, client, session, office, pool):
        amina, bilal = pool[0], pool[1]
        draft = Statement(office_id=office.id, volunteer_id=amina.id, year=2027, month=2, total=Decimal("10"),
                          items=[])
        paid = Statement(office_id=office.id, volunteer_id=amina.id, year=2027, month=1, total=Decimal("56.10"),
                         items=[], status=StatementStatus.PAID)
        session.add_all([draft, paid])
        session.commit()
        sign_in(client, amina.email)
        assert client.get(f"/statements/{draft.id}").status_code == 404
        assert client.get(f"/statements/{paid.id}").status_code == 200
        certificate = client.get(f"/certificates/{amina.id}/2027.pdf")
        text = PdfReader(io.BytesIO(certificate.get_data())).pages[0].extract_text()
        assert "Amina Aziz" in text and "Total 2027: €56.10" in text
        client.post("/logout")
        sign_in(client, bilal.email)
        assert client.get(f"/statements/{paid.id}").status_code == 404
        assert client.get(f"/certificates/{amina.id}/2027.pdf").status_code == 404


class TestVolunteerTotals:
    def test_the_volunteer_sees_the_month_and_the_year_so_far(self, client, clock, session, pool, month_done):
        clock.set(AFTER_MONTH)
        sign_in(client, pool[0].email)
        march = page_text(client.get("/records?month=2027-03"))
        assert "This month: €56.10" in march and "This year so far: €56.10" in march
        april = page_text(client.get("/records?month=2027-04"))
        assert "This month: €0.00" in april and "This year so far: €56.10" in april


class TestAdmins:
    def test_an_admin_gets_the_first_office_and_can_switch(self, client, session, office, make_office, make_user):
        other = make_office(name="Aaa-Kreis")
        sign_in(client, make_user(Role.ADMIN).email)
        page = page_text(client.get("/month?month=2027-03"))
        assert "Aaa-Kreis" in page and f"/month?office_id={office.id}&amp;month=2027-03" in \
            client.get("/month?month=2027-03").get_data(as_text=True)
        assert f'<strong aria-current="page">{other.name}</strong>' in page
        assert client.get(f"/month?month=2027-03&office_id={office.id}").status_code == 200


class TestAgencySheets:
    def test_only_offices_that_charge_agencies_get_them(self, app, client, clock, session, office, agency,
                                                        coordinator, month_done):
        clock.set(AFTER_MONTH)
        sign_in(client, coordinator.email)
        url = f"/month/agencies/{agency.id}.csv?month=2027-03"
        assert client.get(url).status_code == 404
        office.settings = {**office.settings, "agency_sheets": True}
        session.commit()
        sheet = client.get(url).get_data(as_text=True)
        assert sheet.count("\r\n") == 1 + 3  # the header and the three confirmed records, not Dana's
        assert "Amina;90;22.50" not in sheet and "Amina;90;26.10" in sheet and "Bilal;90;22.50" in sheet
        assert "Aziz" not in sheet  # first names only
        assert client.get(f"/month/agencies/{agency.id}.pdf?month=2027-03").mimetype == "application/pdf"


class TestRetention:
    def test_a_record_keeps_its_case_number_for_the_cap_until_its_year_and_the_period_are_over(
            self, act, session, office, month_done):
        from lotsen import retention

        session.execute(AssignmentRecord.__table__.update().values(client_key="JC-4711"))
        session.commit()
        for moment, kept in ((dt.datetime(2027, 6, 1, tzinfo=UTC), True),  # the year goes on
                             (dt.datetime(2027, 12, 31, 12, tzinfo=UTC), True),
                             (dt.datetime(2028, 1, 2, tzinfo=UTC), False)):  # 2027 over, 180 days passed
            act(retention.purge, session, None, at=moment)
            session.commit()
            fresh(session)
            keys = set(session.scalars(select(AssignmentRecord.client_key)))
            assert keys == ({"JC-4711"} if kept else {""}), moment
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purged")
                                 .order_by(AuditEvent.id)).all()
        assert [e.details.get("records", 0) for e in events][-1] == 4
        assert not any(e.details.get("records") for e in events[:-1])


class TestPersonalData:
    def test_the_export_holds_bank_details_records_and_statements_and_erasure_takes_the_bank_details(
            self, act, app, client, session, office, coordinator, month_done):
        import json

        dana = month_done[2]  # her record still waits for the agency: she may change it
        session.add(PayoutDetails(volunteer_id=dana.id, account_holder="Dana Darwish", iban=IBAN_AMINA))
        entry = session.scalar(select(AssignmentRecord).where(AssignmentRecord.volunteer_id == dana.id))
        act(records.revise, session, dana, entry.id, took_place(entry.assignment, note="Bitte 12 km."),
            at=AFTER_MONTH)
        session.add(Statement(office_id=office.id, volunteer_id=dana.id, year=2027, month=3, total=Decimal("56.10"),
                              items=[], status=StatementStatus.PAID))
        session.commit()
        sign_in(client, dana.email)
        data = json.loads(client.get("/profile/data.json").get_data(as_text=True))
        assert data["bank_details"]["iban"] == IBAN_AMINA
        [exported] = data["assignment_records"]
        assert [v["note"] for v in exported["versions"]] == ["", "Bitte 12 km."]
        assert data["statements"] == [{"year": 2027, "month": 3, "status": "paid", "total": "56.10", "minutes": 0,
                                       "approved_at": None}]
        client.post("/logout")
        sign_in(client, coordinator.email)
        assert client.post(f"/volunteers/{dana.id}/anonymize", data={"confirm": "y"}).status_code == 302
        fresh(session)
        assert session.get(PayoutDetails, dana.id) is None
        entry = session.scalar(select(AssignmentRecord).where(AssignmentRecord.volunteer_id == dana.id))
        assert [v.note for v in entry.versions] == ["", ""]
        # The office's accounts keep the amounts.
        assert session.scalar(select(Statement.total).where(Statement.volunteer_id == dana.id)) == Decimal("56.10")

"""Per-office settings: one registry of definitions, values kept as JSON on the office.

Later areas add their settings by appending a ``Setting`` here; the settings page and
its form are built from this list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lotsen.enums import TitledEnum
from lotsen.i18n import _l
from lotsen.public_holidays import FederalState, HolidayCalendar


class ExcludedSetting(TitledEnum):
    LEGAL = "legal"
    COURT = "court"
    THERAPY = "therapy"
    HOSPITAL = "hospital"

    @classmethod
    def titles(cls):
        return {
            cls.LEGAL: _l("Legally binding talks (e.g. contracts, consent to treatment)"),
            cls.COURT: _l("Court and police interrogations"),
            cls.THERAPY: _l("Psychotherapy and trauma work"),
            cls.HOSPITAL: _l("Hospital treatment talks"),
        }


class Section(TitledEnum):
    REQUESTS = "requests"
    OFFERS = "offers"
    REMINDERS = "reminders"
    ALLOWANCE = "allowance"
    VOLUNTEERS = "volunteers"
    MATCHING = "matching"
    PRIVACY = "privacy"

    @classmethod
    def titles(cls):
        return {
            cls.MATCHING: _l("Matching"),
            cls.REQUESTS: _l("Requests"),
            cls.OFFERS: _l("Offers"),
            cls.REMINDERS: _l("Reminders"),
            cls.ALLOWANCE: _l("Assignment records and allowances"),
            cls.VOLUNTEERS: _l("Volunteers"),
            cls.PRIVACY: _l("Data protection"),
        }


@dataclass(frozen=True)
class Setting:
    key: str
    section: Section
    kind: str  # "int", "line", "iban", "text", "choice", "multi", "int_list", "bool"
    default: object
    label: object
    help: object = ""
    minimum: int | None = None
    maximum: int | None = None
    choices: type[TitledEnum] | None = None
    unit: object = field(default="")


SETTINGS: list[Setting] = [
    Setting("min_lead_working_days", Section.REQUESTS, "int", 3, _l("Minimum lead time"),
            _l("Working days between a request and its date, unless marked urgent."), 0, 30, unit=_l("working days")),
    Setting("federal_state", Section.REQUESTS, "choice", FederalState.NATIONWIDE.value, _l("Federal state"),
            _l("Lead times skip its public holidays, and requests on a holiday are flagged."), choices=FederalState),
    Setting("default_duration_minutes", Section.REQUESTS, "int", 90, _l("Default duration"), "", 15, 720,
            unit=_l("minutes")),
    Setting("max_duration_minutes", Section.REQUESTS, "int", 180, _l("Maximum duration"),
            _l("Lay assignments are commonly capped at about three hours."), 30, 720, unit=_l("minutes")),
    Setting("late_cancellation_hours", Section.REQUESTS, "int", 24, _l("Late cancellation"),
            _l("A cancellation closer than this to the start counts as late."), 0, 168, unit=_l("hours")),
    Setting("excluded_settings", Section.REQUESTS, "multi",
            [ExcludedSetting.LEGAL.value, ExcludedSetting.COURT.value, ExcludedSetting.THERAPY.value],
            _l("Settings lay volunteers must not take"), "", choices=ExcludedSetting),
    Setting("alternative_service", Section.REQUESTS, "text", "", _l("Alternative for excluded settings"),
            _l("Shown to caseworkers instead, e.g. a professional interpreting service or a phone/video service.")),
    Setting("offer_valid_hours", Section.OFFERS, "int", 24, _l("Offers expire after"),
            _l("An offer also expires when the appointment is nearer than this."), 1, 336, unit=_l("hours")),
    Setting("api_by_lead_caseworker", Section.REQUESTS, "bool", False,
            _l("Agencies' lead caseworkers manage their API access"),
            _l("The caseworker marked as an agency's lead may issue and revoke its API tokens and webhooks for "
               "this office's requests.")),
    Setting("auto_confirm", Section.OFFERS, "bool", False, _l("Confirm acceptances automatically"),
            _l("Otherwise a coordinator confirms each acceptance.")),
    Setting("wave_size", Section.OFFERS, "int", 3, _l("Volunteers per wave"),
            _l("When offering in waves, how many candidates are asked at a time."), 1, 20),
    Setting("wave_interval_minutes", Section.OFFERS, "int", 120, _l("Next wave after"),
            _l("If nobody in a wave has accepted by then, the next candidates are asked."), 15, 2880,
            unit=_l("minutes")),
    Setting("reminder_hours_before", Section.REMINDERS, "int_list", [24, 2], _l("Remind volunteers before"),
            _l("Hours before the start, separated by commas."), 1, 336, unit=_l("hours")),
    Setting("unfilled_alert_hours", Section.REMINDERS, "int", 48, _l("Alert coordinators about unfilled requests"),
            _l("Hours before the start of a request that nobody is confirmed for yet."), 1, 336, unit=_l("hours")),
    Setting("took_place_after_minutes", Section.REMINDERS, "int", 60,
            _l("Ask volunteers to record the assignment"), _l("Minutes after its end."), 0, 1440, unit=_l("minutes")),
    Setting("payer_name", Section.ALLOWANCE, "line", "", _l("Account holder paying the allowances"),
            _l("For the SEPA transfer file, e.g. “Kreis Offenbach – Kreiskasse”.")),
    Setting("payer_iban", Section.ALLOWANCE, "iban", "", _l("IBAN paying the allowances"), ""),
    Setting("payer_bic", Section.ALLOWANCE, "line", "", _l("BIC paying the allowances"),
            _l("Can stay empty for German accounts.")),
    Setting("agency_sheets", Section.ALLOWANCE, "bool", False, _l("Charge agencies"),
            _l("Monthly sheets of each agency's confirmed assignments with amounts.")),
    Setting("allowance_budget", Section.ALLOWANCE, "int", 0, _l("Budget for allowances per year"),
            _l("The reports show how much of it a period used; 0: no budget."), 0, 10_000_000, unit="EUR"),
    Setting("record_confirm_days", Section.ALLOWANCE, "int", 14, _l("Agencies confirm assignment records within"),
            _l("After this the office decides on records the agency has not answered."), 1, 90, unit=_l("days")),
    Setting("certificate_valid_years", Section.VOLUNTEERS, "int", 5, _l("Certificate of conduct valid for"),
            "", 1, 10, unit=_l("years")),
    Setting("expiry_warning_days", Section.VOLUNTEERS, "int", 60, _l("Warn about expiring documents"),
            _l("How long before a certificate expires it shows as expiring."), 7, 365, unit=_l("days")),
    Setting("travel_speed_kmh", Section.MATCHING, "int", 30, _l("Travel speed for estimating travel time"),
            _l("Straight-line kilometres per hour; travel time both ways must fit the volunteer's availability."),
            5, 120, unit=_l("km/h")),
    Setting("weight_distance", Section.MATCHING, "int", 3, _l("Weight: shorter distance"), "", 0, 10),
    Setting("weight_load", Section.MATCHING, "int", 3, _l("Weight: fewer assignments in the last 30 days"),
            _l("Spreads assignments fairly across the pool."), 0, 10),
    Setting("weight_level", Section.MATCHING, "int", 2, _l("Weight: higher language level"), "", 0, 10),
    Setting("weight_continuity", Section.MATCHING, "int", 4, _l("Weight: same volunteer as before"),
            _l("Earlier dates of a series, or the same case number."), 0, 10),
    Setting("weight_variety", Section.MATCHING, "int", 2, _l("Weight: preferred variety"), "", 0, 10),
    Setting("near_miss_km", Section.MATCHING, "int", 5, _l("Near misses: beyond the travel radius by up to"), "",
            0, 50, unit="km"),
    Setting("near_miss_minutes", Section.MATCHING, "int", 30, _l("Near misses: outside availability by up to"),
            "", 0, 180, unit=_l("minutes")),
    Setting("retention_mail_days", Section.PRIVACY, "int", 90, _l("Delete the text of sent mails after"),
            _l("Who got which mail when stays; subject, text and address go."), 7, 3650, unit=_l("days")),
    Setting("retention_contact_days", Section.PRIVACY, "int", 180, _l("Delete case numbers and contacts after"),
            _l("Counted from when the request's assignment was billed (its record on an approved statement), or "
               "from the day of the request if it had no record (cancelled or not filled): the case number, the "
               "contact for the day, the person to inform, the address and the notes go; what the reports count "
               "stays."), 30, 3650, unit=_l("days")),
]

BY_KEY = {setting.key: setting for setting in SETTINGS}


def value(office, key: str):
    """The office's value for a setting, or the default (also when there is no office)."""
    setting = BY_KEY[key]
    raw = ((office.settings or {}) if office is not None else {}).get(key, setting.default)
    return raw


def holiday_calendar(office) -> HolidayCalendar:
    """The public holidays of the office's federal state."""
    return HolidayCalendar(value(office, "federal_state"))


def all_values(office) -> dict:
    return {setting.key: value(office, setting.key) for setting in SETTINGS}


def to_storable(key: str, python_value) -> object:
    """Turn a validated form value into its JSON form."""
    setting = BY_KEY[key]
    if setting.kind == "iban":
        return "".join((python_value or "").split()).upper()
    if setting.kind == "int_list":
        return sorted({int(v) for v in python_value}, reverse=True)
    if setting.kind == "multi":
        return sorted(python_value)
    return python_value

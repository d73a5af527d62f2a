"""Forms for the assignment record, the agency's answer, the office's decision, programmes and their rates."""

from __future__ import annotations

from wtforms import (BooleanField, DateField, DecimalField, IntegerField, RadioField, SelectField, StringField,
                     TextAreaField, TimeField)
from wtforms.validators import Length, NumberRange, Optional

from lotsen.billing.models import RecordOutcome, TaxAllowance
from lotsen.billing.rules import Travel
from lotsen.forms import Form, options, required
from lotsen.i18n import _l
from lotsen.offices.forms import CheckboxListField
from lotsen.requests.models import RequestKind
from lotsen.volunteers.models import Mode

NUMBER = _l("Enter a number between %(min)s and %(max)s.")


def _minutes(label, maximum: int, description=""):
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=maximum, message=NUMBER)],
                        description=description, render_kw={"inputmode": "numeric"})


class RecordForm(Form):
    outcome = RadioField(_l("What happened?"), choices=options(
        [(o.value, o.title) for o in (RecordOutcome.TOOK_PLACE, RecordOutcome.NO_SHOW,
                                      RecordOutcome.DID_NOT_TAKE_PLACE)]), validators=[required()])
    starts = TimeField(_l("Started at"), validators=[required()])
    ends = TimeField(_l("Ended at"), validators=[required()],
                     description=_l("An end before the start means the next day."))
    waiting_minutes = _minutes(_l("Waiting time (minutes)"), 480)
    travel_minutes = _minutes(_l("Travel time there and back (minutes)"), 480)
    travel_km = DecimalField(_l("Kilometres travelled, there and back"), places=1, validators=[
        Optional(), NumberRange(min=0, max=1000, message=NUMBER)], render_kw={"inputmode": "decimal"})
    mode = SelectField(_l("How"), choices=options(Mode.choices()), validators=[required()])
    note = TextAreaField(_l("Note for the office"), validators=[Optional(), Length(max=1000)],
                         description=_l("If it did not take place, please say why. The agency does not see this."))


class AnswerForm(Form):
    comment = TextAreaField(_l("What is not right?"), validators=[Optional(), Length(max=1000)],
                            description=_l("Only needed if you dispute the record. The office reads this."))


class DecideForm(Form):
    note = TextAreaField(_l("Decision and reason"), validators=[required(), Length(max=1000)])


class ProgrammeChoiceForm(Form):
    programme_id = SelectField(_l("Paid from"), coerce=int, validators=[required()])


class ProgrammeForm(Form):
    name = StringField(_l("Name"), validators=[required(), Length(max=120)],
                       description=_l("For example “WIR-Lotsen”, “WIR lay interpreters” or “Own budget”."))
    kinds = CheckboxListField(_l("Pays these requests unless a coordinator chooses otherwise"),
                              choices=options(RequestKind.choices()), validators=[Optional()])
    is_active = BooleanField(_l("Active"), default=True)


def _money(label, maximum=1000, description=""):
    return DecimalField(label, places=2, validators=[Optional(), NumberRange(min=0, max=maximum, message=NUMBER)],
                        description=description, render_kw={"inputmode": "decimal"})


def _percent(label):
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=300, message=NUMBER)],
                        render_kw={"inputmode": "numeric"})


class RateForm(Form):
    valid_from = DateField(_l("Valid from"), validators=[required()])
    per_hour = _money(_l("Per hour (EUR)"), 500)
    step_minutes = SelectField(_l("Time is paid per started"), coerce=int, choices=options([
        (1, _l("minute")), (15, _l("quarter hour")), (30, _l("half hour")), (60, _l("hour"))]), default=30)
    first_hour_full = BooleanField(_l("The first started hour is paid in full"))
    minimum_minutes = _minutes(_l("Paid at least (minutes)"), 480)
    waiting_paid = BooleanField(_l("Waiting time counts as time worked"), default=True)
    flat_per_assignment = _money(_l("Flat amount per assignment (EUR)"), 500,
                                 _l("Paid whatever the length, e.g. 20.00; set the hourly rate to 0 if it is all."))
    travel = SelectField(_l("Travel is paid"), choices=options([
        (Travel.NONE.value, _l("not at all")), (Travel.KM.value, _l("per kilometre")),
        (Travel.TIME.value, _l("by travel time, at the hourly rate")),
        (Travel.ZONE.value, _l("as a flat amount by distance zone"))]), default=Travel.KM.value)
    per_km = _money(_l("Per kilometre (EUR)"), 5)
    travel_max_minutes = _minutes(_l("Travel time paid up to (minutes)"), 480)
    zones = StringField(_l("Distance zones"), validators=[Optional(), Length(max=200)],
                        description=_l("Up to km = EUR, separated by commas, e.g. “10=5.00, 25=10.00, 50=15.00”."))
    night_percent = _percent(_l("Night surcharge (%)"))
    night_from = TimeField(_l("Night from"), validators=[Optional()])
    night_until = TimeField(_l("Night until"), validators=[Optional()])
    sunday_percent = _percent(_l("Sunday surcharge (%)"))
    holiday_percent = _percent(_l("Public holiday surcharge (%)"))
    late_cancel_minutes = _minutes(_l("A late cancellation or no-show pays (minutes, at most as planned)"), 480)
    late_cancel_travel = BooleanField(_l("A late cancellation or no-show also pays the travel"), default=True)
    per_client_cap = IntegerField(_l("Paid assignments per client and year, at most"), validators=[
        Optional(), NumberRange(min=1, max=1000, message=NUMBER)], render_kw={"inputmode": "numeric"},
        description=_l("Counted by the agency's case number. Empty: no limit."))
    yearly_hour_cap = IntegerField(_l("Paid hours per volunteer and year, at most"), validators=[
        Optional(), NumberRange(min=1, max=5000, message=NUMBER)], render_kw={"inputmode": "numeric"},
        description=_l("Empty: no limit."))
    monthly_cap = _money(_l("Amount per volunteer and month, at most (EUR)"), 100000, _l("Empty: no limit."))


class PayoutDetailsForm(Form):
    account_holder = StringField(_l("Account holder"), validators=[Optional(), Length(max=140)])
    iban = StringField(_l("IBAN"), validators=[Optional(), Length(max=42)], render_kw={"autocomplete": "off"})
    bic = StringField(_l("BIC"), validators=[Optional(), Length(max=11)],
                      description=_l("Can stay empty for German accounts."))
    tax_allowance = RadioField(_l("My voluntary work falls under"), choices=options(TaxAllowance.choices()),
                               default=TaxAllowance.VOLUNTEERING.value, validators=[required()],
                               description=_l("Ask the office if you are not sure. The yearly limit is "
                                              "counted across everyone who pays you such allowances."))
    on_buergergeld = BooleanField(_l("I receive Bürgergeld (then 3,000 EUR a year are left to me; I report all "
                                     "payments to my Jobcenter)"))


class PayForm(Form):
    execution_date = DateField(_l("Execution date"), validators=[required()])

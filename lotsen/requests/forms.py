"""The request form (caseworkers, and coordinators taking a request by phone) and the cancel form."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Email, Length, NumberRange, Optional

from lotsen import languages as catalogue
from lotsen.forms import FilterSelect, Form, options, postcode_field, required, strip
from lotsen.i18n import _l
from lotsen.offices.forms import CheckboxListField
from lotsen.offices.settings import ExcludedSetting
from lotsen.requests.models import Recurrence, RequestKind
from lotsen.volunteers.models import Gender, Mode, Topic


class RequestForm(Form):
    agency_id = SelectField(_l("Agency"), coerce=int, validators=[Optional()])
    office_id = SelectField(_l("Coordinating office"), coerce=int, validators=[Optional()])
    kind = SelectField(_l("Who is needed"), choices=options(RequestKind.choices()), validators=[required()])
    language = StringField(_l("Language"), validators=[required(), Length(max=100)],
                           description=_l("Start typing and choose from the list."),
                           render_kw={"list": "language-list", "autocomplete": "off"})
    variety = SelectField(_l("Preferred variety (optional)"), validators=[Optional()])
    mode = SelectField(_l("How"), choices=options(Mode.choices()), validators=[required()])
    day = DateField(_l("Date"), validators=[required()])
    start = TimeField(_l("Start time"), validators=[required()])
    duration_minutes = IntegerField(_l("Expected duration (minutes)"), validators=[
        required(), NumberRange(min=15, max=720, message=_l("Enter a number between %(min)s and %(max)s."))],
        render_kw={"inputmode": "numeric", "step": 15})
    street = StringField(_l("Street and number"), validators=[Optional(), Length(max=200)],
                         render_kw={"autocomplete": "address-line1"})
    postcode = postcode_field(_l("Postcode of the place"))
    town = StringField(_l("Town or district"), validators=[Optional(), Length(max=120)],
                       render_kw={"list": "place-list"})
    topic = SelectField(_l("Topic"), choices=options(Topic.choices()), validators=[required()])
    involves = CheckboxListField(_l("The conversation involves"), choices=options(ExcludedSetting.choices()),
                                 description=_l("Tick what applies. Lay volunteers may not take some of these."))
    gender_preference = SelectField(_l("Volunteer's gender"),
                                    choices=options([("", _l("No preference"))] + Gender.choices()),
                                    validators=[Optional()],
                                    description=_l("Only if it matters, e.g. at a gynaecologist."))
    client_reference = StringField(_l("Your reference (case number)"), validators=[Optional(), Length(max=60)],
                                   description=_l("A pseudonymous reference such as your case number. Never the "
                                                  "client's name."))
    contact_name = StringField(_l("Contact person on the day"), validators=[required(), Length(max=200)])
    contact_phone = StringField(_l("Contact phone on the day"), validators=[required(), Length(max=50)],
                                render_kw={"autocomplete": "tel", "inputmode": "tel"})
    notes = TextAreaField(_l("Notes for the volunteer"), validators=[Optional(), Length(max=2000)],
                          description=_l("Where to go, what to bring. No health data and no names."))
    is_urgent = BooleanField(_l("Urgent: needed sooner than the usual lead time"))
    recurrence = SelectField(_l("Repeat"), choices=options([("", _l("Only once"))] + Recurrence.choices()),
                             validators=[Optional()])
    count = IntegerField(_l("Number of dates"), default=4, description=_l("Only for a repeated request."), validators=[
        Optional(), NumberRange(min=2, max=26, message=_l("Enter a number between %(min)s and %(max)s."))],
        render_kw={"inputmode": "numeric"})
    confirm_duplicate = BooleanField(_l("File it anyway"))
    # When the office files for an agency (taken by phone or mail): whom the agency's side is told through.
    inform_user_id = SelectField(_l("Person at the agency to inform"), validators=[Optional()],
                                 description=_l("Confirmations, changes and cancellations go to this person."))
    inform_name = StringField(_l("Or another contact: name"), validators=[Optional(), Length(max=200)])
    inform_email = StringField(_l("Contact's email address"), validators=[
        Optional(), Email(message=_l("Enter a valid email address."), check_deliverability=False), Length(max=254)],
        filters=[strip], render_kw={"inputmode": "email", "spellcheck": "false", "autocomplete": "off"})
    inform_phone = StringField(_l("Contact's phone"), validators=[Optional(), Length(max=50)],
                               render_kw={"inputmode": "tel"})
    submission_key = HiddenField()  # the form's one-time token: sent twice, it files once

    def set_varieties(self) -> None:
        self.variety.choices = options([("", _l("Any"))] + [
            (code, f"{catalogue.name(language)}: {label}")
            for language in sorted(catalogue.VARIETIES) for code, label in catalogue.varieties(language)])


class EditRequestForm(RequestForm):
    recurrence = None
    count = None
    agency_id = None
    office_id = None
    submission_key = None


class CancelForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[required(), Length(max=1000)])


class RequestFilterForm(Form):
    class Meta:
        csrf = False

    when = FilterSelect(_l("When"), choices=options([("upcoming", _l("Upcoming")), ("past", _l("Past and closed")),
                                                     ("all", _l("All"))]), validators=[Optional()])
    status = FilterSelect(_l("Status"), validators=[Optional()])
    reference = StringField(_l("Reference"), validators=[Optional(), Length(max=60)])

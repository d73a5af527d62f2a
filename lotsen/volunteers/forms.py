"""Forms for the profile steps and the coordinator's parts of a profile."""

from __future__ import annotations

from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import Length, NumberRange, Optional

from lotsen.forms import Form, options, postcode_field, required
from lotsen.i18n import _l
from lotsen.languages import LanguageLevel
from lotsen.offices.forms import CheckboxListField
from lotsen.volunteers.models import AbsenceReason, Gender, Mode, Topic, TrainingKind

WEEKDAYS = [(0, _l("Monday")), (1, _l("Tuesday")), (2, _l("Wednesday")), (3, _l("Thursday")), (4, _l("Friday")),
            (5, _l("Saturday")), (6, _l("Sunday"))]


def _date(label, optional=False):
    return DateField(label, validators=[Optional() if optional else required()],
                     render_kw={"autocomplete": "off"})


class BasicsForm(Form):
    roles = CheckboxListField(_l("I help as"), choices=options([("guide", _l("Integration guide (accompanying)")),
                                                               ("interpreter", _l("Lay interpreter"))]))
    modes = CheckboxListField(_l("I can help"), choices=options(Mode.choices()))
    german_level = SelectField(_l("My German"), choices=options(LanguageLevel.choices()), validators=[required()])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), Length(max=50)],
                        description=_l("The coordinating office calls you on this number; agencies see it only "
                                       "for assignments you have confirmed."),
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    gender = SelectField(_l("Gender (optional)"),
                         choices=options([("", _l("Prefer not to say"))] + Gender.choices()),
                         validators=[Optional()],
                         description=_l("Only used when someone asks for a woman or a man, e.g. at a "
                                        "gynaecologist. Agencies never see it."))


class AddLanguageForm(Form):
    language = StringField(_l("Language"), validators=[required(), Length(max=100)],
                           description=_l("Start typing and choose from the list."),
                           render_kw={"list": "language-list", "autocomplete": "off"})
    level = SelectField(_l("Level"), choices=options(LanguageLevel.choices()), validators=[required()])


class LanguageEntryForm(Form):
    level = SelectField(_l("Level"), choices=options(LanguageLevel.choices()), validators=[required()])
    varieties = CheckboxListField(_l("Varieties"), choices=[])


class PlaceForm(Form):
    postcode = postcode_field(_l("Home postcode"), optional=False)
    municipality = StringField(_l("Town or district"), validators=[Optional(), Length(max=120)],
                               render_kw={"list": "place-list", "autocomplete": "address-level2"})
    travel_radius_km = IntegerField(_l("How far I travel (km)"), default=10, validators=[
        required(), NumberRange(min=0, max=150, message=_l("Enter a number between %(min)s and %(max)s."))],
        render_kw={"inputmode": "numeric"})


class WindowForm(Form):
    weekday = SelectField(_l("Weekday"), coerce=int, choices=options(WEEKDAYS), validators=[Optional()])
    starts = TimeField(_l("From"), validators=[required()])
    ends = TimeField(_l("To"), validators=[required()])
    valid_from = _date(_l("First day (optional)"), optional=True)
    valid_until = _date(_l("Last day (optional)"), optional=True)


class ExtraDateForm(Form):
    day = _date(_l("Date"))
    starts = TimeField(_l("From"), validators=[required()])
    ends = TimeField(_l("To"), validators=[required()])


class AbsenceForm(Form):
    starts_on = _date(_l("First day"))
    ends_on = _date(_l("Last day"))
    reason = SelectField(_l("Reason"), choices=options(AbsenceReason.choices()), validators=[required()])


class LimitsForm(Form):
    max_per_week = IntegerField(_l("At most per week"), validators=[
        Optional(), NumberRange(min=1, max=20, message=_l("Enter a number between %(min)s and %(max)s."))],
        description=_l("Leave empty for no limit."), render_kw={"inputmode": "numeric"})
    max_per_month = IntegerField(_l("At most per month"), validators=[
        Optional(), NumberRange(min=1, max=60, message=_l("Enter a number between %(min)s and %(max)s."))],
        description=_l("Leave empty for no limit."), render_kw={"inputmode": "numeric"})
    min_notice_hours = IntegerField(_l("Ask me at least this many hours ahead"), default=24, validators=[
        required(), NumberRange(min=0, max=336, message=_l("Enter a number between %(min)s and %(max)s."))],
        render_kw={"inputmode": "numeric"})
    short_notice = BooleanField(_l("I can also help at short notice (urgent requests, the same day)"),
                                description=_l("You are then on the office's on-call list and are asked first "
                                               "when something is urgent. You can still say no each time."))
    topics_willing = CheckboxListField(_l("Topics I like to take"), choices=options(Topic.choices()))
    topics_excluded = CheckboxListField(_l("Topics I do not take"), choices=options(Topic.choices()))


class PauseForm(Form):
    until = _date(_l("Back on (optional)"), optional=True)


class DocumentsForm(Form):
    declaration_signed_on = _date(_l("Confidentiality declaration signed on"), optional=True)
    certificate_checked_on = _date(_l("Certificate of conduct checked on"), optional=True)
    coordinator_notes = TextAreaField(_l("Notes of the coordinating office"), validators=[Optional(),
                                                                                          Length(max=5000)],
                                      description=_l("Visible to coordinators only; included in the "
                                                     "volunteer's data export."))


class TrainingForm(Form):
    kind = SelectField(_l("Training"), choices=options(TrainingKind.choices()), validators=[required()])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    completed_on = _date(_l("Completed on"))

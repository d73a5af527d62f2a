"""Forms for offering, answering, confirming and changing assignments."""

from __future__ import annotations

from wtforms import DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from lotsen.assignments.dashboard import WAITING
from lotsen.assignments.models import DeclineReason
from lotsen.forms import FilterSelect, Form, options, required
from lotsen.i18n import _l
from lotsen.offices.forms import CheckboxListField
from lotsen.requests.models import RequestKind

NUMBER = _l("Enter a number between %(min)s and %(max)s.")


class DashboardFilterForm(Form):
    class Meta:
        csrf = False

    status = FilterSelect(_l("Status"), validators=[Optional()],  # built per request: in the reader's language
                          choices=lambda: options([("", _l("All"))] + [(s.value, s.title) for s in WAITING]))
    language = FilterSelect(_l("Language"), validators=[Optional()])
    municipality = FilterSelect(_l("Municipality"), validators=[Optional()])
    agency = FilterSelect(_l("Agency"), validators=[Optional()])
    kind = FilterSelect(_l("Who is needed"), validators=[Optional()],
                        choices=lambda: options([("", _l("All"))] + RequestKind.choices()))
    day = DateField(_l("From"), validators=[Optional()])


class OfferForm(Form):
    volunteer_ids = CheckboxListField(_l("Ask these volunteers"), coerce=int)
    how = SelectField(_l("How to ask"), choices=options([
        ("selected", _l("Ask the ticked volunteers now")),
        ("waves", _l("Ask the best candidates in waves until someone accepts"))]), default="selected")
    wave_size = IntegerField(_l("Volunteers per wave"), validators=[Optional(), NumberRange(min=1, max=20,
                                                                                            message=NUMBER)],
                             render_kw={"inputmode": "numeric"})
    wave_interval_minutes = IntegerField(_l("Next wave after (minutes)"), validators=[
        Optional(), NumberRange(min=15, max=2880, message=NUMBER)], render_kw={"inputmode": "numeric"})
    note = TextAreaField(_l("Why you ask them anyway"), validators=[Optional(), Length(max=1000)],
                         description=_l("Needed only when you ask a near miss, or someone who stepped back from "
                                        "this very date."))


class DeclineForm(Form):
    reason = SelectField(_l("Reason (optional)"), validators=[Optional()],
                         choices=options([("", _l("I would rather not say"))] + DeclineReason.choices()))


class NoteForm(Form):
    note = TextAreaField(_l("Reason"), validators=[required(), Length(max=1000)])


class WithdrawForm(Form):
    reason = TextAreaField(_l("Why can you not come?"), validators=[required(), Length(max=1000)],
                           description=_l("The office sees this, not the agency."))


class ReassignForm(Form):
    volunteer_id = SelectField(_l("New volunteer"), coerce=int, validators=[required()])
    note = TextAreaField(_l("Reason"), validators=[required(), Length(max=1000)])


class CloseForm(Form):
    reason = SelectField(_l("Why can it not be filled?"), validators=[required()])
    note = TextAreaField(_l("Note for the office"), validators=[Optional(), Length(max=1000)],
                         description=_l("Needed for “Other reason”."))
    alternative = TextAreaField(_l("What the agency can do instead"), validators=[Optional(), Length(max=1000)],
                                description=_l("For example a professional interpreting service, or interpreting by "
                                               "phone or video. The agency reads this."))

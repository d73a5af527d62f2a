"""The forms of the API access page."""

from __future__ import annotations

from wtforms import DateField, StringField
from wtforms.validators import Length

from lotsen.api.models import Scope
from lotsen.forms import Form, options, required
from lotsen.i18n import _l
from lotsen.offices.forms import CheckboxListField


class TokenForm(Form):
    name = StringField(_l("Name of the token"), validators=[required(), Length(max=100)],
                       description=_l("Which system uses it, e.g. “Jobcenter case management”."))
    scopes = CheckboxListField(_l("Permissions"), choices=options(Scope.choices()), validators=[required()])
    expires_on = DateField(_l("Valid until"), validators=[required()])


class WebhookForm(Form):
    url = StringField(_l("Endpoint address"), validators=[required(), Length(max=500)],
                      description=_l("Where Lotsen sends the agency's events, beginning with https://."),
                      render_kw={"inputmode": "url", "autocomplete": "url"})

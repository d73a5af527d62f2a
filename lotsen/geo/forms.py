"""Forms for an office's additions to the gazetteer, and for checking a postcode."""

from __future__ import annotations

from wtforms import FloatField, SelectField, StringField
from wtforms import Form as BaseForm
from wtforms.validators import Length, NumberRange, Optional, Regexp, StopValidation
from wtforms.widgets import TextInput

from lotsen.forms import Form, required, strip
from lotsen.i18n import _l


class CoordinateField(FloatField):
    """A decimal degree that also accepts the decimal comma German users type (50,0098)."""

    # A text box, not type="number": browsers in an English locale would refuse the comma before we see it.
    widget = TextInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        text = (valuelist[0] or "").strip().replace(",", ".")
        if not text:
            self.data = None
            return
        try:
            self.data = float(text)
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a number, for example 50.0098.")) from None

    def pre_validate(self, form: BaseForm) -> None:
        # Text that is no number already has its message; the range check would only add a second one.
        if self.process_errors:
            raise StopValidation()


def _postcode_field(label) -> StringField:
    # Not lotsen.forms.postcode_field: its autocomplete would offer the user's own address here.
    return StringField(label, validators=[required(), Regexp(r"^\d{5}$", message=_l("A postcode has five digits."))],
                       filters=[strip], render_kw={"inputmode": "numeric", "maxlength": 5, "autocomplete": "off"})


class PostcodeForm(Form):
    postcode = _postcode_field(_l("Postcode"))
    # The form only rejects impossible numbers; whether they lie in Germany is the service's rule.
    latitude = CoordinateField(_l("Latitude"), description=_l("Degrees north, for example 50.0098."),
                               validators=[required(), NumberRange(min=-90, max=90, message=_l(
                                   "Enter a number between %(min)s and %(max)s."))],
                               render_kw={"inputmode": "decimal"})
    longitude = CoordinateField(_l("Longitude"), description=_l("Degrees east, for example 8.7778."),
                                validators=[required(), NumberRange(min=-180, max=180, message=_l(
                                    "Enter a number between %(min)s and %(max)s."))],
                                render_kw={"inputmode": "decimal"})
    label = StringField(_l("Name of the place"), validators=[Optional(), Length(max=120)], filters=[strip],
                        description=_l("Optional, for example the name of a new estate."))


class AliasForm(Form):
    alias = StringField(_l("Local name"), validators=[required(), Length(max=120)], filters=[strip],
                        description=_l("A district or village, for example Ober-Roden."))
    # The view fills the choices; validate_choice is off so that the service, which knows which
    # municipalities belong to the office, refuses a foreign one in its own words.
    municipality_id = SelectField(_l("Belongs to the municipality"), coerce=int, validate_choice=False,
                                  validators=[required()])


class PostcodeCheckForm(Form):
    """Look a postcode up (GET, changes nothing, so no CSRF token)."""

    postcode = StringField(_l("Postcode"), filters=[strip],
                           render_kw={"inputmode": "numeric", "maxlength": 5, "autocomplete": "off"})

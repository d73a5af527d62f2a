"""Forms for offices, their settings, and agencies."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from lotsen.forms import Form, email_field, options, postcode_field, required, valid_iban
from lotsen.i18n import _l
from lotsen.offices.models import AgencyType, OfficeKind
from lotsen.offices.settings import SETTINGS, Setting


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OfficeForm(Form):
    name = StringField(_l("Name"), validators=[required(), Length(max=200)])
    slug = StringField(_l("Short name in addresses"), validators=[
        required(), Length(max=80),
        Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message=_l("Use lower-case letters, digits and hyphens only."))],
        description=_l("For example kreis-offenbach."))
    kind = SelectField(_l("Kind"), choices=options(OfficeKind.choices()), validators=[required()])
    email = email_field(_l("Contact email"))
    phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=50)],
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    municipalities = TextAreaField(_l("Municipalities"), validators=[Optional(), Length(max=10000)],
                                   description=_l("One per line."))

    def municipality_names(self) -> list[str]:
        lines = (self.municipalities.data or "").splitlines()
        return sorted({line.strip() for line in lines if line.strip()})


class AgencyForm(Form):
    name = StringField(_l("Name"), validators=[required(), Length(max=200)])
    type = SelectField(_l("Type"), choices=options(AgencyType.choices()), validators=[required()])
    email = StringField(_l("Email address"), validators=[Optional(), Length(max=254)],
                        render_kw={"autocomplete": "email", "inputmode": "email"})
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=50)],
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    street = StringField(_l("Street and number"), validators=[Optional(), Length(max=200)])
    postcode = postcode_field()
    town = StringField(_l("Town"), validators=[Optional(), Length(max=120)])
    is_active = BooleanField(_l("Active"), default=True)
    office_ids = CheckboxListField(_l("Works with these offices"), coerce=int)


def _int_list(setting: Setting):
    def validate(form, field):
        parts = [p.strip() for p in (field.data or "").split(",") if p.strip()]
        try:
            values = [int(p) for p in parts]
        except ValueError:
            raise ValidationError(_l("Enter whole numbers separated by commas.")) from None
        if any(not (setting.minimum <= v <= setting.maximum) for v in values):
            raise ValidationError(_l("Each number must lie between %(min)s and %(max)s.",
                                     min=setting.minimum, max=setting.maximum))
        field.parsed = values

    return validate


def _field_for(setting: Setting):
    between = NumberRange(min=setting.minimum, max=setting.maximum,
                          message=_l("Enter a number between %(min)s and %(max)s.", min=setting.minimum,
                                     max=setting.maximum)) if setting.minimum is not None else None
    common = {"label": setting.label, "description": setting.help}
    if setting.kind == "int":
        return IntegerField(validators=[required(), between], **common,
                            render_kw={"inputmode": "numeric"})
    if setting.kind == "line":
        return StringField(validators=[Optional(), Length(max=140)], **common)
    if setting.kind == "iban":
        return StringField(validators=[Optional(), valid_iban], **common, render_kw={"autocomplete": "off"})
    if setting.kind == "text":
        return TextAreaField(validators=[Optional(), Length(max=2000)], **common)
    if setting.kind == "choice":
        return SelectField(choices=options(setting.choices.choices()), validators=[required()], **common)
    if setting.kind == "multi":
        return CheckboxListField(choices=options(setting.choices.choices()), validators=[Optional()], **common)
    if setting.kind == "int_list":
        return StringField(validators=[required(), _int_list(setting)], **common)
    if setting.kind == "bool":
        return BooleanField(**common)
    raise ValueError(setting.kind)


def settings_form(values: dict, formdata=None) -> FlaskForm:
    """A form with one field per registered setting, filled with the office's values."""

    class SettingsForm(Form):
        pass

    for setting in SETTINGS:
        setattr(SettingsForm, setting.key, _field_for(setting))
    data = dict(values)
    for setting in SETTINGS:
        if setting.kind == "int_list":
            data[setting.key] = ", ".join(str(v) for v in values[setting.key])
    return SettingsForm(formdata=formdata, data=data)


def settings_from_form(form) -> dict:
    values = {}
    for setting in SETTINGS:
        field = form[setting.key]
        values[setting.key] = getattr(field, "parsed", None) if setting.kind == "int_list" else field.data
    return values

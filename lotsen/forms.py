"""Shared form pieces: translated messages for the standard validators."""

from __future__ import annotations

from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp

from lotsen.i18n import LANGUAGE_NAMES, _l


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def strip(value):
    return value.strip() if isinstance(value, str) else value


def required():
    return InputRequired(message=_l("Please fill in this field."))


def email_field(label=None, **kwargs) -> StringField:
    return StringField(
        label or _l("Email address"),
        validators=[required(), Email(message=_l("Enter a valid email address."), check_deliverability=False),
                    Length(max=254)],
        render_kw={"autocomplete": "email", "inputmode": "email", "spellcheck": "false"},
        filters=[strip],
        **kwargs,
    )


def name_field(label=None) -> StringField:
    return StringField(label or _l("Name"), validators=[required(), Length(max=200)],
                       render_kw={"autocomplete": "name"})


def postcode_field(label=None, optional=True) -> StringField:
    validators = [Optional() if optional else required(),
                  Regexp(r"^\d{5}$", message=_l("A postcode has five digits."))]
    return StringField(label or _l("Postcode"), validators=validators,
                       render_kw={"inputmode": "numeric", "autocomplete": "postal-code", "maxlength": 5})


def locale_field() -> SelectField:
    return SelectField(_l("Language"), choices=options(LANGUAGE_NAMES.items()), validators=[required()])

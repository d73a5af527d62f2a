"""Shared form pieces: the base of every form, and translated messages for the standard validators.

Every form of Lotsen is a ``Form``: whatever bytes arrive, text never carries NUL or other control
characters, nor characters that reorder text on screen (bidi overrides: a name that displays differently from
what it is), nor more than ``MAX_TEXT`` characters; dates lie between 1900 and 2200. Each is a field
error in the user's language, never a database error.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import g, has_request_context
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (DateField, DateTimeLocalField, DecimalField, FloatField, IntegerField, SelectField, StringField,
                     TextAreaField, TimeField)
from wtforms.fields.choices import SelectChoice
from markupsafe import Markup, escape
from wtforms.widgets import HiddenInput, Select
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp, StopValidation, ValidationError

from lotsen.i18n import _l, language_names

MAX_TEXT = 10_000  # whatever a field's own limit: nothing longer is ever read (a field's ``max_text`` may say more)
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2200, 12, 31)
# C0 and C1 controls (tabs and line breaks only in multi-line text), and the bidi embedding, override and
# isolate controls; the plain marks LRM/RLM/ALM stay allowed for right-to-left writing.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_BIDI = "\u202a-\u202e\u2066-\u2069"
FORBIDDEN_IN_LINE = re.compile(f"[{_CONTROLS}\t\n\r{_BIDI}]")
FORBIDDEN_IN_TEXT = re.compile(f"[{_CONTROLS}{_BIDI}]")


def unsafe_text(value: str, *, multiline: bool = False) -> bool:
    """Whether ``value`` holds characters no field of Lotsen accepts (see the module's docstring)."""
    return bool((FORBIDDEN_IN_TEXT if multiline else FORBIDDEN_IN_LINE).search(value))


# Eastern Arabic (U+0660…) and Persian (U+06F0…) digits, as phones in those languages type them.
ASCII_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
NUMERIC_FIELDS = (DateField, DateTimeLocalField, DecimalField, FloatField, IntegerField, TimeField)


def reads_digits(field) -> bool:
    """Fields whose value is numbers: dates, times, amounts, postcodes and phone numbers."""
    return isinstance(field, NUMERIC_FIELDS) or (field.render_kw or {}).get("inputmode") in ("numeric", "decimal",
                                                                                            "tel")


class _HiddenWithoutId(HiddenInput):
    """The CSRF token: a page has several forms, and an id may occur only once on a page."""

    def __call__(self, field, **kwargs):
        kwargs["id"] = False  # left out of the tag
        return super().__call__(field, **kwargs)


class Form(FlaskForm):
    """The base of every form (see the module's docstring). Digits typed in Arabic or Persian script count
    as digits wherever a field reads numbers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        token = self._fields.get("csrf_token")
        if token is not None:
            token.widget = _HiddenWithoutId()

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        formdata = self.meta.wrap_formdata(self, formdata)
        numeric = [field.name for field in self if reads_digits(field)]
        if formdata is not None and numeric and any(name in formdata for name in numeric):
            folded = MultiDict()
            for key, value in formdata.items(multi=True):
                folded.add(key, value.translate(ASCII_DIGITS) if key in numeric and isinstance(value, str)
                           else value)
            formdata = folded
        super().process(formdata, obj, data=data, extra_filters=extra_filters, **kwargs)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            problem = _problem(field)
            if problem is not None:
                field.errors = [*field.errors, problem] if isinstance(field.errors, list) else [problem]
                valid = False
        if not valid and has_request_context():
            g.form_invalid = True  # the page's title says so ("Error: …")
        return valid


def _problem(field):
    raw = field.raw_data or []
    texts = [value for value in raw if isinstance(value, str)]
    if any(len(value) > getattr(field, "max_text", MAX_TEXT) for value in texts):
        return _l("This is too long.")
    if field.type in ("PasswordField",):
        return _l("This field contains characters that are not allowed.") if any("\x00" in v for v in texts) else None
    multiline = isinstance(field, TextAreaField)
    if any(unsafe_text(value, multiline=multiline) for value in texts):
        return _l("This field contains characters that are not allowed.")
    if isinstance(field, DateField) and isinstance(field.data, dt.date) and not EARLIEST <= field.data <= LATEST:
        return _l("Enter a date between %(first)s and %(last)s.", first=EARLIEST.year, last=LATEST.year)
    return None


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def strip(value):
    return value.strip() if isinstance(value, str) else value


class _Required(InputRequired):
    """Required, with a message that says what to do with this kind of field."""

    def __call__(self, form, field):
        if field.raw_data and field.raw_data[0]:
            return
        field.errors[:] = []
        raise StopValidation(self.what_to_do(field))

    @staticmethod
    def what_to_do(field):
        if field.type == "BooleanField":
            return _l("Please tick this box to go on.")
        if field.type in ("SelectMultipleField", "CheckboxListField"):
            return _l("Please choose at least one.")
        if field.type in ("SelectField", "RadioField"):
            return _l("Please choose one.")
        return _l("Please fill in this field.")


def required():
    return _Required()


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
    return SelectField(_l("Language"), choices=lambda: options(language_names().items()), validators=[required()])


def valid_iban(_form, field) -> None:
    """An IBAN whose check digits and length are right for its country (schwifty, offline)."""
    if not field.data:
        return
    try:
        IBAN(field.data)
    except SchwiftyException:
        raise ValidationError(_l("This is not a valid IBAN. Please check it.")) from None


class QuickSelect(Select):
    """WTForms' select with its plain options written directly instead of through ``html_params`` (the same
    markup; a filter form lists dozens of options on every view of a busy page)."""

    @classmethod
    def _dispatch_render_option(cls):
        return cls.render_option

    @classmethod
    def render_option(cls, choice, **kwargs):
        if choice.render_kw or kwargs:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        selected = "selected " if choice.selected else ""  # (html_params sorts the attributes: the same order)
        return Markup(f'<option {selected}value="{escape(value)}">{escape(choice.label or choice.value)}</option>')


class FilterSelect(SelectField):
    """A select of a list's filters (rendered on every view of the list)."""

    widget = QuickSelect()

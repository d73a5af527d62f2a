"""Forms for signing in, registering, invitations and the own account."""

from __future__ import annotations

from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, Length, Optional

from lotsen.auth.models import Role
from lotsen.forms import FilterSelect, Form, email_field, locale_field, name_field, options, required
from lotsen.i18n import _l


def new_password_field(label=None) -> PasswordField:
    return PasswordField(
        label or _l("New password"),
        validators=[required(), Length(min=10, max=256, message=_l("Use between 10 and 256 characters."))],
        description=_l("At least 10 characters. A sentence you can remember works well."),
        render_kw={"autocomplete": "new-password"},
    )


def confirm_field() -> PasswordField:
    return PasswordField(
        _l("Repeat the password"),
        validators=[required(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(Form):
    email = email_field()
    password = PasswordField(_l("Password"), validators=[required()], render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Stay signed in on this device"))


def code_field(label=None) -> StringField:
    return StringField(label or _l("Code"), validators=[required(), Length(max=20)],
                       description=_l("The six digits your authenticator app shows now, or one of your recovery "
                                      "codes."),
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false",
                                  "autocapitalize": "off"})


class SecondFactorForm(Form):
    code = code_field()


class TwoFactorSetupForm(Form):
    code = StringField(_l("Code from the app"), validators=[required(), Length(max=20)],
                       description=_l("The six digits the app shows for Lotsen after scanning."),
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class TwoFactorOffForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[required()],
                                     render_kw={"autocomplete": "current-password"})
    code = code_field()


class RecoveryCodesForm(Form):
    code = StringField(_l("Code from the app"), validators=[required(), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class RegisterForm(Form):
    office_id = SelectField(_l("Office"), coerce=int, validators=[required()],
                            description=_l("The integration office whose pool you want to join."))
    name = name_field()
    email = email_field()
    password = new_password_field(_l("Password"))
    confirm = confirm_field()
    locale = locale_field()
    privacy = BooleanField(
        _l("I agree that the office stores my details to arrange assignments."),
        validators=[required()],
    )


class ForgotPasswordForm(Form):
    email = email_field()


class SetPasswordForm(Form):
    password = new_password_field()
    confirm = confirm_field()


class AccountForm(Form):
    name = name_field()
    locale = locale_field()


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[required()],
                                     render_kw={"autocomplete": "current-password"})
    password = new_password_field()
    confirm = confirm_field()


class InviteForm(Form):
    role = SelectField(_l("Role"), validators=[required()])
    name = name_field()
    email = email_field()
    locale = locale_field()
    office_id = SelectField(_l("Office"), coerce=int, validators=[Optional()],
                            description=_l("For volunteers and coordinators."))
    agency_id = SelectField(_l("Agency"), coerce=int, validators=[Optional()],
                            description=_l("For caseworkers."))

    def set_choices(self, roles: list[Role], offices, agencies) -> None:
        self.role.choices = options((role.value, role.title) for role in roles)
        self.office_id.choices = options([(0, _l("— none —"))] + [(o.id, o.name) for o in offices])
        self.agency_id.choices = options([(0, _l("— none —"))] + [(a.id, a.name) for a in agencies])


class LanguageForm(Form):
    locale = locale_field()


class UserFilterForm(Form):
    class Meta:
        csrf = False

    q = StringField(_l("Name or email"), validators=[Optional(), Length(max=100)])
    role = FilterSelect(_l("Role"), validators=[Optional()])
    status = FilterSelect(_l("Status"), validators=[Optional()])

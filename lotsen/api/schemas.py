"""What the API reads and answers, as marshmallow schemas: flask-smorest validates input with them and builds
the OpenAPI document from them. Text fields refuse what no form of Lotsen accepts (NUL, controls, bidi
overrides); lengths and ranges are the database's and the forms'."""

from __future__ import annotations

import datetime as dt
import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from lotsen.api.models import Scope
from lotsen.api.webhooks import EVENT_TYPES
from lotsen.billing.lifecycle import RecordStatus
from lotsen.billing.models import RecordOutcome
from lotsen.forms import EARLIEST, LATEST, unsafe_text
from lotsen.i18n import _, _l
from lotsen.offices.settings import ExcludedSetting
from lotsen.requests.lifecycle import RequestStatus, UnfilledReason
from lotsen.requests.models import Recurrence, RequestKind
from lotsen.volunteers.models import Gender, Mode, Topic
from lotsen.web import MAX_ID


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _values(enum_cls) -> list[str]:
    return [member.value for member in enum_cls]


# Field errors in the caller's language (Accept-Language), as the forms say them.
REQUIRED = {"required": _l("This field is required."), "null": _l("This field is required.")}


def _messages(invalid):
    return {**REQUIRED, "invalid": invalid}


def _between(low, high) -> validate.Range:
    return validate.Range(min=low, max=high, error=_l("Enter a number between {min} and {max}."))


class Text(fields.String):
    """A string of at most ``max_length`` characters with nothing a form would refuse."""

    default_error_messages = {**REQUIRED, "invalid": _l("Enter text."), "invalid_utf8": _l("Enter text.")}

    def __init__(self, max_length: int, *, multiline: bool = False, min_length: int | None = None, **kwargs):
        self.multiline = multiline
        length = validate.Length(min=min_length, max=max_length, error=_l("Use at most {max} characters.")
                                 if not min_length else _l("Use between {min} and {max} characters."))
        extra = kwargs.pop("validate", None)
        super().__init__(validate=[length, extra] if extra else length, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if unsafe_text(text, multiline=self.multiline):
            raise ValidationError(_("This field contains characters that are not allowed."))
        return text


class Int(fields.Integer):
    default_error_messages = _messages(_l("Enter a whole number."))


class Flag(fields.Boolean):
    default_error_messages = _messages(_l("Enter true or false."))


class Day(fields.Date):
    default_error_messages = {**_messages(_l("Enter a date as YYYY-MM-DD.")),
                              "format": _l("Enter a date as YYYY-MM-DD.")}


class Clock(fields.Time):
    default_error_messages = {**_messages(_l("Enter a time as HH:MM.")), "format": _l("Enter a time as HH:MM.")}


def _email(value: str) -> None:
    if value and not EMAIL.match(value):
        raise ValidationError(_("Enter a valid email address."))


class Listed(fields.List):
    default_error_messages = _messages(_l("Enter a list."))


class Nested(fields.Nested):
    default_error_messages = {**_messages(_l("Enter an object.")), "type": _l("Enter an object.")}


def _choice(enum_cls, **kwargs) -> fields.String:
    return Text(40, validate=validate.OneOf(_values(enum_cls), error=_l("Choose one of: {choices}.")),
                metadata={"enum": _values(enum_cls)}, **kwargs)


def _day(**kwargs) -> fields.Date:
    return Day(validate=validate.Range(min=EARLIEST, max=LATEST, error=_l(
        "Enter a date between 1900 and 2200.")), **kwargs)


class Strict(Schema):
    class Meta:
        unknown = EXCLUDE  # fields a later version adds are ignored by an older client's server


# ------------------------------------------------------------------------------------------------ input

class InformIn(Strict):
    caseworker_id = Int(validate=_between(1, MAX_ID), allow_none=True,
                                   metadata={"description": "A caseworker of the agency to tell by mail."})
    name = Text(200, load_default="")
    email = Text(254, validate=_email, load_default="", metadata={"format": "email"})
    phone = Text(50, load_default="")


class SeriesIn(Strict):
    recurrence = _choice(Recurrence, required=True)
    count = Int(required=True, validate=_between(2, 26))


class RequestIn(Strict):
    office_id = Int(validate=_between(1, MAX_ID), load_default=None, metadata={
        "description": "The coordinating office; may be left out when the token reaches one office."})
    kind = _choice(RequestKind, required=True)
    language = Text(100, required=True, metadata={"description": "An ISO 639 code (e.g. ar, fa, uk) or the "
                                                                  "language's name in German or English."})
    variety = Text(8, load_default="")
    mode = _choice(Mode, required=True)
    date = _day(required=True, metadata={"description": "The local date (Europe/Berlin)."})
    start = Clock(required=True, metadata={"description": "The local start time, e.g. 09:30."})
    duration_minutes = Int(required=True, validate=_between(15, 720))
    street = Text(200, load_default="")
    postcode = Text(5, load_default="")
    town = Text(120, load_default="")
    topic = _choice(Topic, required=True)
    gender_preference = Text(10, validate=validate.OneOf(["", *_values(Gender)], error=_l(
        "Choose one of: {choices}.")), load_default="")
    client_reference = Text(60, load_default="")
    contact_name = Text(200, required=True, min_length=1)
    contact_phone = Text(50, required=True, min_length=1)
    notes = Text(2000, multiline=True, load_default="")
    urgent = Flag(load_default=False)
    involves = Listed(_choice(ExcludedSetting), load_default=list, validate=validate.Length(max=10))
    inform = Nested(InformIn, load_default=None, allow_none=True, metadata={
        "description": "Whom the office tells of confirmations and changes; the agency's address if left out."})
    series = Nested(SeriesIn, load_default=None, allow_none=True)
    allow_duplicate = Flag(load_default=False, metadata={
        "description": "File even when the agency has a request for the same reference, language and time."})

    @validates_schema
    def _contact_fields(self, data, **kwargs):
        for name in ("contact_name", "contact_phone"):
            if not (data.get(name) or "").strip():
                raise ValidationError(_("This field is required."), name)


class RequestChangeIn(Strict):
    date = _day()
    start = Clock()
    duration_minutes = Int(validate=_between(15, 720))
    mode = _choice(Mode)
    street = Text(200)
    postcode = Text(5)
    town = Text(120)


class CancelIn(Strict):
    reason = Text(2000, multiline=True, required=True, min_length=1)


class ListArgs(Strict):
    status = Listed(_choice(RequestStatus), load_default=list, validate=validate.Length(max=10))
    starts_from = _day(load_default=None, metadata={"description": "Only requests on or after this local date."})
    starts_before = _day(load_default=None, metadata={"description": "Only requests before this local date."})
    reference = Text(60, load_default="")
    limit = Int(load_default=50, validate=_between(1, 100))
    cursor = Text(200, load_default="", metadata={"description": "From the previous page's next_cursor."})


class RecordListArgs(Strict):
    limit = Int(load_default=50, validate=_between(1, 100))
    cursor = Text(200, load_default="")


class AnswerIn(Strict):
    version = Int(required=True, validate=_between(1, 10_000),
                             metadata={"description": "The version you confirm (records change)."})


class DisputeIn(AnswerIn):
    comment = Text(2000, multiline=True, required=True, min_length=1)


# ------------------------------------------------------------------------------------------------ output

class OfficeOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class PlaceOut(Schema):
    street = fields.String(required=True)
    postcode = fields.String(required=True)
    town = fields.String(required=True)


class VolunteerOut(Schema):
    first_name = fields.String(required=True)
    phone = fields.String(required=True)


class HistoryOut(Schema):
    at = fields.AwareDateTime(required=True)
    action = fields.String(required=True)
    title = fields.String(required=True)
    by = fields.String(required=True)
    note = fields.String(required=True)
    late = fields.Boolean(required=True)


class RequestOut(Schema):
    id = fields.Integer(required=True)
    status = _choice(RequestStatus, required=True)
    status_title = fields.String(required=True)
    office = fields.Nested(OfficeOut, required=True)
    kind = _choice(RequestKind, required=True)
    language = fields.String(required=True)
    language_name = fields.String(required=True)
    variety = fields.String(required=True)
    mode = _choice(Mode, required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(required=True)
    place = fields.Nested(PlaceOut, allow_none=True, required=True)
    topic = _choice(Topic, required=True)
    gender_preference = fields.String(allow_none=True, required=True)
    client_reference = fields.String(required=True)
    contact_name = fields.String(required=True)
    contact_phone = fields.String(required=True)
    notes = fields.String(required=True)
    urgent = fields.Boolean(required=True)
    series_id = fields.Integer(allow_none=True, required=True)
    cancelled_late = fields.Boolean(required=True)
    unfilled_reason = fields.String(allow_none=True, required=True, metadata={"enum": _values(UnfilledReason)})
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


class RequestDetailOut(RequestOut):
    volunteer = fields.Nested(VolunteerOut, allow_none=True, required=True, metadata={
        "description": "The confirmed volunteer's first name and phone; null until one is confirmed."})
    history = fields.List(fields.Nested(HistoryOut), required=True)


class RequestPageOut(Schema):
    items = fields.List(fields.Nested(RequestOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CreatedOut(Schema):
    items = fields.List(fields.Nested(RequestOut), required=True, metadata={
        "description": "The request filed, or every date of the series."})


class RecordOut(Schema):
    id = fields.Integer(required=True)
    request_id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    status = _choice(RecordStatus, required=True)
    outcome = _choice(RecordOutcome, required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    minutes = fields.Integer(required=True)
    volunteer_first_name = fields.String(required=True)
    confirm_by = fields.AwareDateTime(allow_none=True, required=True)
    answered_at = fields.AwareDateTime(allow_none=True, required=True)


class RecordPageOut(Schema):
    items = fields.List(fields.Nested(RecordOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class MeOut(Schema):
    token = fields.String(required=True, metadata={"description": "The token's name."})
    agency = fields.Nested(OfficeOut, required=True)
    offices = fields.List(fields.Nested(OfficeOut), required=True)
    scopes = fields.List(_choice(Scope), required=True)
    expires_at = fields.AwareDateTime(required=True)
    webhook_events = fields.List(fields.String(metadata={"enum": EVENT_TYPES}), required=True)


class ProblemOut(Schema):
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "Field errors: the field's name and what is wrong with it."})
    duplicates = fields.List(fields.Integer())


def utc(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(dt.timezone.utc) if value else None

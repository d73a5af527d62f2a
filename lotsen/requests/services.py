"""Filing, changing and cancelling requests, series of them, and the history of each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import format_date
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from lotsen import languages as catalogue
from lotsen.acting import person
from lotsen.audit.services import record
from lotsen.auth.models import Role, User
from lotsen.geo import services as places
from lotsen.i18n import _
from lotsen.matching import counts
from lotsen.notifications.outbox import mail_coordinators
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Agency, Office
from lotsen.requests.errors import RequestError
from lotsen.requests.history import describe_changes
from lotsen.requests.informing import is_informed_person, tell_agency, whom_to_inform
from lotsen.requests.lifecycle import ACTIVE, Action, RequestStatus, UnfilledReason, can
from lotsen.requests.models import HelpRequest, Recurrence, RequestKind, RequestSeries
from lotsen.requests.timing import NonexistentTime, earliest_regular_day, repeat, to_utc
from lotsen.urls import external_url
from lotsen.volunteers.models import Gender, Mode, Topic

MAX_SERIES = 26
MAX_AHEAD = dt.timedelta(days=731)  # a date further out is a typing error, not a plan


class AlreadyFiled(RequestError):
    """The same form was sent before (a second tab, a double click): the request exists already."""

    def __init__(self, message: str, request: HelpRequest):
        super().__init__(message)
        self.request = request


class DuplicateWarning(RequestError):
    """The agency already has a request for the same client, language and time."""

    def __init__(self, message: str, duplicates: list[HelpRequest]):
        super().__init__(message, "confirm_duplicate")
        self.duplicates = duplicates


@dataclass
class RequestData:
    """What a request form says, already typed."""

    kind: str
    language: str
    mode: str
    day: dt.date
    start: dt.time
    duration_minutes: int
    topic: str
    variety: str = ""
    street: str = ""
    postcode: str = ""
    town: str = ""
    gender_preference: str = ""
    client_reference: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    notes: str = ""
    is_urgent: bool = False
    involves: list[str] = field(default_factory=list)
    # Whom the agency's side is told through, when the office files for an agency: a caseworker, or a contact.
    inform_user_id: int | None = None
    inform_name: str = ""
    inform_email: str = ""
    inform_phone: str = ""


@dataclass
class Checked:
    language: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    latitude: float | None
    longitude: float | None
    municipality_id: int | None


def offices_of(agency: Agency, actor: User | None = None) -> list[Office]:
    """The offices a request of the agency can go to (for a caseworker: those that work with them)."""
    offices = [o for o in agency.offices if actor is None or actor.role is not Role.CASEWORKER
               or o.id in actor.caseworker_office_ids]
    return sorted(offices, key=lambda office: office.name)


def check(session: Session, office: Office, data: RequestData, *, now: dt.datetime, zone,
          enforce_lead_time: bool = True) -> Checked:
    """Apply the office's rules to one date; raise RequestError naming the field at fault.

    The lead time binds new dates; a date that is only corrected (a phone number, a note) keeps its slot.
    """
    excluded = set(office_settings.value(office, "excluded_settings")) & set(data.involves)
    if excluded:
        alternative = office_settings.value(office, "alternative_service").strip()
        message = _("Lay volunteers do not take such conversations. Please use a professional interpreter.")
        raise RequestError(f"{message} {alternative}".strip(), "involves")
    language = catalogue.resolve(data.language)
    if language is None:
        raise RequestError(_("Choose a language from the list."), "language")
    if data.variety and data.variety not in dict(catalogue.varieties(language)):
        raise RequestError(_("This variety does not belong to the chosen language."), "variety")
    maximum = office_settings.value(office, "max_duration_minutes")
    if data.duration_minutes > maximum:
        raise RequestError(_("Assignments of lay volunteers last at most %(n)d minutes. Please split longer "
                             "appointments.", n=maximum), "duration_minutes")
    try:
        starts_at = to_utc(data.day, data.start, zone)
    except NonexistentTime:
        raise RequestError(_("%(time)s does not exist on %(date)s: the clocks go forward that night. Please "
                             "choose another time.", time=data.start.strftime("%H:%M"),
                             date=format_date(data.day)), "start") from None
    if starts_at <= now:
        raise RequestError(_("This time lies in the past."), "day")
    if starts_at > now + MAX_AHEAD:
        raise RequestError(_("Requests can be filed at most two years ahead."), "day")
    if enforce_lead_time and not data.is_urgent:
        earliest = earliest_regular_day(now.astimezone(zone).date(),
                                        office_settings.value(office, "min_lead_working_days"),
                                        office_settings.holiday_calendar(office))
        if data.day < earliest:
            raise RequestError(_("The earliest date for a regular request is %(date)s. For a same-day need (e.g. "
                                 "rescue service or hospital), mark the request as urgent.",
                                 date=format_date(earliest)), "day")
    latitude = longitude = municipality_id = None
    if data.mode == Mode.ON_SITE.value:
        if not data.postcode.strip():
            raise RequestError(_("On-site assignments need the postcode of the place."), "postcode")
        try:
            point = places.locate(session, office.id, data.postcode)
        except places.PlaceError as error:
            raise RequestError(error.message, "postcode") from None
        latitude, longitude = point.latitude, point.longitude
        found = places.find_municipality(session, office.id, data.town)
        municipality_id = found.id if found else None
    return Checked(language, starts_at, starts_at + dt.timedelta(minutes=data.duration_minutes), latitude,
                   longitude, municipality_id)


def _fill(request: HelpRequest, data: RequestData, checked: Checked) -> None:
    on_site = data.mode == Mode.ON_SITE.value
    request.kind = RequestKind(data.kind)
    request.language = checked.language
    request.variety = data.variety or ""
    request.mode = Mode(data.mode)
    request.starts_at, request.ends_at = checked.starts_at, checked.ends_at
    request.duration_minutes = data.duration_minutes
    request.street = data.street.strip() if on_site else ""
    request.postcode = data.postcode.strip() if on_site else ""
    request.town = data.town.strip() if on_site else ""
    request.latitude, request.longitude = checked.latitude, checked.longitude
    request.municipality_id = checked.municipality_id
    request.topic = Topic(data.topic)
    request.gender_preference = Gender(data.gender_preference) if data.gender_preference else None
    request.client_reference = data.client_reference.strip()
    request.contact_name = data.contact_name.strip()
    request.contact_phone = data.contact_phone.strip()
    request.notes = data.notes.strip()
    request.is_urgent = data.is_urgent


def find_duplicates(session: Session, agency_id: int, client_reference: str, language: str,
                    starts_at: dt.datetime, ends_at: dt.datetime, *, exclude_id: int | None = None) -> list[HelpRequest]:
    """Active requests of the agency for the same client and language whose time overlaps."""
    if not client_reference.strip():
        return []
    query = select(HelpRequest).where(
        HelpRequest.agency_id == agency_id, HelpRequest.status.in_(ACTIVE),
        func.lower(HelpRequest.client_reference) == client_reference.strip().lower(),
        HelpRequest.language == language, HelpRequest.starts_at < ends_at, HelpRequest.ends_at > starts_at)
    if exclude_id is not None:
        query = query.where(HelpRequest.id != exclude_id)
    return list(session.scalars(query))


def _warn_duplicates(duplicates: list[HelpRequest]) -> None:
    if duplicates:
        raise DuplicateWarning(_("Your agency already has a request for this client reference, language and time "
                                 "(no. %(ids)s). Tick the box to file it anyway.",
                                 ids=", ".join(str(d.id) for d in duplicates)), duplicates)


def create_requests(session: Session, actor: User, office: Office, agency: Agency, data: RequestData, *,
                    now: dt.datetime, zone, recurrence: str = "", count: int = 1,
                    allow_duplicate: bool = False, submission_key: str = "", address: str = "") -> list[HelpRequest]:
    """File one request, or a series of ``count`` dates that prefer the same volunteer.

    ``address`` is the client's network address for the audit log (none from the worker or the command line).

    ``submission_key`` is the form's one-time token: a form sent twice files once (``AlreadyFiled``).
    An urgent request alerts the office's coordinators at once.
    """
    if office not in offices_of(agency, actor):
        raise RequestError(_("This agency does not work with that office."), "office_id")
    if submission_key:
        _refuse_resubmission(session, submission_key)
    inform = whom_to_inform(session, actor, agency, office.id, data)
    if recurrence and not 2 <= count <= MAX_SERIES:
        raise RequestError(_("A series has between 2 and %(n)d dates.", n=MAX_SERIES), "count")
    days = repeat(data.day, Recurrence(recurrence).days, count) if recurrence else [data.day]
    series = RequestSeries(office_id=office.id, agency_id=agency.id, recurrence=Recurrence(recurrence)) \
        if recurrence else None
    created = []
    for index, day in enumerate(days):
        dated = RequestData(**{**vars(data), "day": day, "involves": list(data.involves)})
        # Later dates of a series lie further out than the first, which the lead time already bound.
        checked = check(session, office, dated, now=now, zone=zone, enforce_lead_time=index == 0)
        if not allow_duplicate:
            _warn_duplicates(find_duplicates(session, agency.id, dated.client_reference, checked.language,
                                             checked.starts_at, checked.ends_at))
        request = HelpRequest(office_id=office.id, agency_id=agency.id, created_by=person(actor), series=series,
                              submission_key=(submission_key or None) if index == 0 else None,
                              created_at=now, updated_at=now)
        request.inform_user, request.inform_name, request.inform_email, request.inform_phone = inform
        _fill(request, dated, checked)
        request.apply(Action.CREATE, actor, details={"urgent": data.is_urgent} if data.is_urgent else None, at=now)
        created.append(request)
    _add_once(session, created, submission_key)
    record(session, "request.created", actor=actor, subject=created[0], office_id=office.id,
           details={"ids": [r.id for r in created], "agency_id": agency.id}, ip_address=address)
    zone_key = str(getattr(zone, "key", zone))
    for request in created:
        counts.count_now(session, request, now, zone_key)
    if data.is_urgent:
        mail_coordinators(session, office.id, "requests/urgent", req=created[0],
                          url=external_url("matching.show_candidates", request_id=created[0].id))
    return created


def _refuse_resubmission(session: Session, submission_key: str) -> None:
    earlier = session.scalar(select(HelpRequest).where(HelpRequest.submission_key == submission_key))
    if earlier is not None:
        raise AlreadyFiled(_("This request has already been sent (request no. %(id)d).", id=earlier.id), earlier)


def _add_once(session: Session, created: list[HelpRequest], submission_key: str) -> None:
    """Add and flush the new requests; if the same form was filed at this very moment elsewhere, say so instead.

    On PostgreSQL the second insert of a key waits for the first transaction and then fails; the savepoint
    takes back only our rows, and the request that won is found.
    """
    if not submission_key:
        session.add_all(created)
        session.flush()
        return
    try:
        with session.begin_nested():
            session.add_all(created)
            session.flush()
    except IntegrityError:
        _refuse_resubmission(session, submission_key)
        raise


def _snapshot(request: HelpRequest) -> dict:
    fields = ("kind", "language", "variety", "mode", "starts_at", "duration_minutes", "street", "postcode", "town",
              "topic", "gender_preference", "client_reference", "contact_name", "contact_phone", "notes", "is_urgent")
    values = {}
    for name in fields:
        value = getattr(request, name)
        values[name] = value.value if hasattr(value, "value") else (
            value.isoformat() if isinstance(value, dt.datetime) else value)
    return values


def update_request(session: Session, actor: User, request: HelpRequest, data: RequestData, *, now: dt.datetime,
                   zone, allow_duplicate: bool = False, address: str = "") -> None:
    """Change a request that nobody has been asked for yet; the history keeps what changed."""
    if not can(request.status, Action.EDIT):
        raise RequestError(_("Only open requests can be changed. Please call the coordinating office."))
    try:
        moved = to_utc(data.day, data.start, zone) != request.starts_at
    except NonexistentTime:
        moved = True  # check() explains
    checked = check(session, request.office, data, now=now, zone=zone, enforce_lead_time=moved)
    if not allow_duplicate:
        _warn_duplicates(find_duplicates(session, request.agency_id, data.client_reference, checked.language,
                                         checked.starts_at, checked.ends_at, exclude_id=request.id))
    before = _snapshot(request)
    if actor.role is not Role.CASEWORKER:  # the office may name another person to inform
        request.inform_user, request.inform_name, request.inform_email, request.inform_phone = whom_to_inform(
            session, actor, request.agency, request.office_id, data)
    _fill(request, data, checked)
    after = _snapshot(request)
    changes = {key: {"from": before[key], "to": after[key]} for key in before if before[key] != after[key]}
    if changes:
        request.apply(Action.EDIT, actor, details=changes, at=now)
        record(session, "request.updated", actor=actor, subject=request, office_id=request.office_id,
               details={"fields": sorted(changes)}, ip_address=address)
        counts.count_now(session, request, now, str(getattr(zone, "key", zone)))
        if not is_informed_person(request, actor):  # the office changed it on the agency's behalf
            tell_agency(session, request, "requests/changed", changes=describe_changes(changes))


def is_late(request: HelpRequest, now: dt.datetime) -> bool:
    """Whether a change now is closer to the start than the office's late-cancellation setting."""
    hours = office_settings.value(request.office, "late_cancellation_hours")
    return request.starts_at - now < dt.timedelta(hours=hours)


def cancel_request(session: Session, actor: User, request: HelpRequest, reason: str, *, now: dt.datetime,
                   address: str = "") -> bool:
    """Cancel with a reason; returns whether it was late (closer to the start than the office's setting)."""
    if not can(request.status, Action.CANCEL):
        raise RequestError(_("This request can no longer be cancelled."))
    if not reason.strip():
        raise RequestError(_("Please give a reason."), "reason")
    late = is_late(request, now)
    request.cancel_reason, request.cancelled_late = reason.strip(), late
    request.apply(Action.CANCEL, actor, note=reason.strip(), details={"late": late}, at=now)
    record(session, "request.cancelled", actor=actor, subject=request, office_id=request.office_id,
           details={"late": late}, ip_address=address)
    return late


def mark_unfilled(session: Session, *, now: dt.datetime) -> int:
    """Requests whose start passed without a confirmed volunteer become unfilled; returns how many."""
    due = session.scalars(select(HelpRequest).where(
        HelpRequest.status.in_([RequestStatus.OPEN, RequestStatus.OFFERED, RequestStatus.ACCEPTED]),
        HelpRequest.starts_at <= now))
    count = 0
    for request in due:
        request.apply(Action.MARK_UNFILLED, None, at=now)
        request.unfilled_reason = UnfilledReason.START_PASSED
        request.next_wave_at = None
        count += 1
    return count


def visible(actor: User, query: Select | None = None) -> Select:
    """Restrict a ``select(HelpRequest)``: a caseworker's agency, a coordinator's office, everything for admins."""
    query = query if query is not None else select(HelpRequest)
    if actor.role is Role.CASEWORKER:  # their agency's requests of the offices that work with them
        return query.where(HelpRequest.agency_id == actor.agency_id,
                           HelpRequest.office_id.in_(sorted(actor.caseworker_office_ids)))
    if actor.role is Role.COORDINATOR:
        return query.where(HelpRequest.office_id == actor.office_id)
    if actor.role is Role.ADMIN:
        return query
    return query.where(False)


def search(session: Session, actor: User, *, status: str = "", reference: str = "", when: str = "upcoming",
           now: dt.datetime, page: int = 1, per_page: int = 50):
    """The requests the actor may see, filtered; returns (requests, total)."""
    query = visible(actor)
    if status in {s.value for s in RequestStatus}:
        query = query.where(HelpRequest.status == RequestStatus(status))
    if reference.strip():
        query = query.where(func.lower(HelpRequest.client_reference).contains(reference.strip().lower(),
                                                                              autoescape=True))
    if when == "upcoming":
        query = query.where(HelpRequest.ends_at >= now)
        order = (HelpRequest.starts_at.asc(), HelpRequest.id)
    else:
        query = query.where(or_(HelpRequest.ends_at < now, HelpRequest.status.not_in(ACTIVE))) if when == "past" \
            else query
        order = (HelpRequest.starts_at.desc(), HelpRequest.id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(*order).limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total

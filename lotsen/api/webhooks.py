"""Webhooks: an agency's system is told when its requests change, through the outbox, signed.

Every step of a request's life cycle is a ``RequestEvent``; a flush that adds one of the steps below queues one
delivery per active endpoint of the request's agency (``publish_request_events``, a ``before_flush`` hook, so no
status change is missed whichever service made it). A record waiting for the agency's confirmation is published
by ``billing.records``. Deliveries are outbox rows (channel ``webhook``): claimed, retried with back-off and
leased like mails, each keyed by endpoint and event, so an event reaches an endpoint once however often the
worker runs; a receiver drops the rare repeat (a worker that died mid-send) by the event's id.

The body is thin on purpose: ids and the new status, never names or notes. The receiver reads the rest with
its token, which decides what it may see.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

from sqlalchemy import event as orm_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from lotsen import clock
from lotsen.acting import Acting
from lotsen.api.models import WebhookEndpoint
from lotsen.audit.services import record_by
from lotsen.errors import DomainError
from lotsen.i18n import _
from lotsen.notifications.models import OutboxMessage, OutboxStatus
from lotsen.requests.lifecycle import Action

SIGNATURE_HEADER = "Lotsen-Signature"
TOLERANCE = dt.timedelta(minutes=5)  # how old a signed timestamp a receiver should accept
TIMEOUT = 10  # seconds a receiver has to answer
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
MAX_ENDPOINTS = 5

# The steps of a request an agency's system is told of, by event type.
REQUEST_EVENTS = {
    Action.OFFER: "request.offered",
    Action.CONFIRM: "request.confirmed",
    Action.REASSIGN: "request.confirmed",
    Action.STEP_BACK: "request.volunteer_stepped_back",
    Action.TAKE_OFF: "request.volunteer_stepped_back",
    Action.CANCEL: "request.cancelled",
    Action.MARK_UNFILLED: "request.unfilled",
    Action.CLOSE: "request.not_fillable",
}
RECORD_AWAITING = "record.awaiting_confirmation"
EVENT_TYPES = sorted({*REQUEST_EVENTS.values(), RECORD_AWAITING})


class WebhookError(DomainError):
    """An endpoint that cannot be registered as given."""


# ----------------------------------------------------------------------------------------------- signing

def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value: ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body with the secret>``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, now: dt.datetime | None = None) -> bool:
    """What a receiver checks: the signature matches the body, and its timestamp is recent (no replays)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    moment = (now or clock.now()).timestamp()
    if abs(moment - timestamp) > TOLERANCE.total_seconds():
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# ----------------------------------------------------------------------------------------------- endpoints

def check_url(url: str, *, allow_local: bool) -> str:
    """An https:// address (http:// only for this machine, and only where the instance allows it)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises on a port that is no number)
    except ValueError:
        host, parts = "", None
    if parts is None or not host or parts.username or parts.password or parts.fragment or len(url) > 500:
        raise WebhookError(_("Enter the full address of the endpoint, e.g. https://example.org/lotsen/events."),
                           "url")
    if parts.scheme == "https" or (parts.scheme == "http" and allow_local and host in LOCAL_HOSTS):
        return url
    raise WebhookError(_("The address must begin with https:// (http:// only for localhost while developing)."),
                       "url")


def add_endpoint(session: Session, acting: Acting, agency, url: str, office_ids: set[int], *,
                 allow_local: bool) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for the agency; returns it and its signing secret (shown once)."""
    url = check_url(url, allow_local=allow_local)
    active = session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.agency_id == agency.id,
                                                           WebhookEndpoint.is_active.is_(True))).all()
    if len(active) >= MAX_ENDPOINTS:
        raise WebhookError(_("An agency has at most %(n)d endpoints. Remove one first.", n=MAX_ENDPOINTS), "url")
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(agency_id=agency.id, url=url, secret=secret, office_ids=sorted(office_ids),
                               is_active=True, created_at=acting.now,
                               created_by_id=getattr(acting.actor, "id", None))
    session.add(endpoint)
    session.flush()
    for office_id in sorted(office_ids):
        record_by(session, acting, "api.webhook_added", subject=endpoint, office_id=office_id,
                  details={"agency": agency.id, "url": url})
    return endpoint, secret


def remove_endpoint(session: Session, acting: Acting, endpoint: WebhookEndpoint) -> None:
    """Stop delivering to it; deliveries still waiting are cancelled."""
    endpoint.is_active = False
    from lotsen.notifications import outbox

    outbox.cancel(session, endpoint.subject)
    for office_id in endpoint.office_ids:
        record_by(session, acting, "api.webhook_removed", subject=endpoint, office_id=office_id,
                  details={"agency": endpoint.agency_id, "url": endpoint.url})


def deliveries(session: Session, endpoints: list[WebhookEndpoint], limit: int = 50) -> list[OutboxMessage]:
    """The endpoints' most recent deliveries, newest first."""
    if not endpoints:
        return []
    return list(session.scalars(select(OutboxMessage).where(
        OutboxMessage.subject.in_([e.subject for e in endpoints]), OutboxMessage.channel == "webhook")
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit)))


def send_again(session: Session, acting: Acting, delivery: OutboxMessage) -> None:
    """Deliver an event once more, with the same id (the receiver decides whether it is a repeat)."""
    delivery.status, delivery.attempts, delivery.due_at, delivery.last_error = (
        OutboxStatus.PENDING, 0, acting.now, "")
    record_by(session, acting, "api.webhook_resent", subject=delivery, office_id=delivery.office_id,
              details={"event": (delivery.payload or {}).get("event_id")})


# ----------------------------------------------------------------------------------------------- publishing

def publish(session: Session, *, agency_id: int, office_id: int, type_: str, data: dict,
            at: dt.datetime | None = None) -> list[OutboxMessage]:
    """Queue one delivery of a new event to each active endpoint of the agency that covers the office."""
    with session.no_autoflush:
        endpoints = [e for e in session.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.agency_id == agency_id, WebhookEndpoint.is_active.is_(True)))
            if office_id in (e.office_ids or [])]
    if not endpoints:
        return []
    at = at or clock.now()
    event_id = f"evt_{uuid.uuid4().hex}"
    body = json.dumps({"id": event_id, "type": type_, "created_at": at.isoformat(), "data": data},
                      separators=(",", ":"), sort_keys=True)
    queued = []
    for endpoint in endpoints:
        message = OutboxMessage(
            idempotency_key=f"webhook|{endpoint.id}|{event_id}", subject=endpoint.subject, kind=f"webhook/{type_}",
            channel="webhook", recipient=endpoint.url, locale="", office_id=office_id, due_at=at,
            status=OutboxStatus.PENDING, created_at=at,
            payload={"event_id": event_id, "type": type_, "endpoint_id": endpoint.id, "body": body})
        session.add(message)
        queued.append(message)
    return queued


def publish_request_events(session: Session, flush_context, instances) -> None:
    """``before_flush``: the new steps of requests that an agency's system is told of."""
    from lotsen.requests.models import RequestEvent

    for added in list(session.new):
        if not isinstance(added, RequestEvent) or added.request is None:
            continue
        action = Action(added.action)
        type_ = REQUEST_EVENTS.get(action)
        if type_ is None or (action is Action.OFFER and added.from_status == added.to_status):
            continue  # a later wave of offers changes nothing for the agency
        request = added.request
        data = {"request_id": request.id, "status": added.to_status, "starts_at": request.starts_at.isoformat()}
        if action in (Action.CANCEL, Action.STEP_BACK, Action.TAKE_OFF):
            data["late"] = bool((added.details or {}).get("late"))
        publish(session, agency_id=request.agency_id, office_id=request.office_id, type_=type_, data=data,
                at=added.at)


def record_awaiting(session: Session, record) -> None:
    """A record (or a new version of it) waits for the agency's confirmation."""
    publish(session, agency_id=record.agency_id, office_id=record.office_id, type_=RECORD_AWAITING,
            data={"record_id": record.id, "request_id": record.assignment.request_id, "version": record.version,
                  "confirm_by": record.confirm_by.isoformat() if record.confirm_by else None})


def listen() -> None:
    """Publish requests' status changes from every session (once per process)."""
    if not orm_event.contains(Session, "before_flush", publish_request_events):
        orm_event.listen(Session, "before_flush", publish_request_events)


# ----------------------------------------------------------------------------------------------- delivering

class DeliveryError(Exception):
    """The receiver did not take the event; ``permanent`` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def _public_only(host: str, port: int) -> None:
    """Refuse to post into the instance's own network (an endpoint pointing at a private address)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise DeliveryError(f"cannot resolve {host}: {error}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global:
            raise DeliveryError(f"{host} resolves to a non-public address ({address})", permanent=True)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a receiver answers itself; a redirect is not followed
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def deliver(session: Session, message: OutboxMessage, *, allow_local: bool, now: dt.datetime) -> str:
    """Post one claimed delivery, signed with its endpoint's current secret; returns the receiver's answer
    (e.g. "HTTP 204"), or raises ``DeliveryError``."""
    payload = message.payload or {}
    endpoint = session.get(WebhookEndpoint, payload.get("endpoint_id"))
    if endpoint is None or not endpoint.is_active:
        raise DeliveryError("the endpoint was removed", permanent=True)
    parts = urlsplit(endpoint.url)
    local = parts.scheme == "http" or (parts.hostname or "") in LOCAL_HOSTS
    if local and not allow_local:
        raise DeliveryError("local endpoints are not allowed on this instance", permanent=True)
    if not allow_local:
        _public_only(parts.hostname or "", parts.port or 443)
    body = payload.get("body", "").encode()
    headers = {
        "Content-Type": "application/json", "User-Agent": "Lotsen-Webhooks/1",
        "Lotsen-Event-Id": payload.get("event_id", ""), "Lotsen-Event-Type": payload.get("type", ""),
        "Lotsen-Delivery-Attempt": str(message.attempts),
        SIGNATURE_HEADER: signature(endpoint.secret, int(now.timestamp()), body),
    }
    outgoing = urllib.request.Request(endpoint.url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(outgoing, timeout=TIMEOUT) as response:
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as error:  # any refusal may pass (a receiver being deployed): try again
        raise DeliveryError(f"HTTP {error.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise DeliveryError(f"{type(error).__name__}: {getattr(error, 'reason', error)}") from None

"""API tokens: who may issue them for an agency, issuing (shown once, kept as a hash), revoking, and
reading a presented token.

A token reaches its agency's requests of the offices its issuer could grant: a coordinator their own office,
an admin every office the agency works with, and the agency's lead caseworker the offices that work with them
and allow it (office setting ``api_by_lead_caseworker``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lotsen.acting import Acting, ApiClient
from lotsen.api.models import ApiToken, IdempotentResponse, Scope
from lotsen.audit.services import record_by
from lotsen.auth.models import Role
from lotsen.errors import DomainError
from lotsen.i18n import _
from lotsen.offices import settings as office_settings
from lotsen.offices.models import Agency, Office

PREFIX = "lotsen_"
MAX_NAME = 100
KEEP_ANSWERS = dt.timedelta(hours=24)  # how long a retry with the same Idempotency-Key gets the first answer


class TokenError(DomainError):
    """A token that cannot be issued or revoked as asked."""


def digest(raw: str) -> str:
    """What is stored of a token: its SHA-256 (the token holds 256 random bits; no slow hash is needed)."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def grantable_offices(session: Session, actor, agency: Agency) -> set[int]:
    """The offices whose requests of ``agency`` the actor may open to a token (empty: none, may not manage)."""
    if actor is None or getattr(actor, "is_api", False) or not getattr(actor, "is_authenticated", False):
        return set()
    offices = set(agency.office_ids)
    if actor.is_admin:
        return offices
    if actor.role is Role.COORDINATOR:
        return offices & {actor.office_id}
    if actor.role is Role.CASEWORKER and actor.agency_id == agency.id and actor.manages_api:
        allowed = set()
        for office_id in sorted(offices & actor.caseworker_office_ids):
            office = session.get(Office, office_id)
            if office is not None and office_settings.value(office, "api_by_lead_caseworker"):
                allowed.add(office_id)
        return allowed
    return set()


def can_manage(session: Session, actor, agency: Agency) -> bool:
    return bool(grantable_offices(session, actor, agency))


def tokens_of(session: Session, actor, agency: Agency) -> list[ApiToken]:
    """The agency's tokens that reach an office the actor may grant, newest first."""
    mine = grantable_offices(session, actor, agency)
    rows = session.scalars(select(ApiToken).where(ApiToken.agency_id == agency.id)
                           .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    return [token for token in rows if mine & set(token.office_ids or [])]


def issue(session: Session, acting: Acting, agency: Agency, *, name: str, scopes: list[str],
          expires_on: dt.date, zone, max_days: int) -> tuple[ApiToken, str]:
    """A new token for the agency's system; returns it and the token itself, which is never shown again."""
    offices = grantable_offices(session, acting.actor, agency)
    if not offices:
        raise TokenError(_("You may not issue tokens for this agency."))
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise TokenError(_("Name the token (at most %(n)d characters), e.g. after the system that uses it.",
                           n=MAX_NAME), "name")
    chosen = {Scope(value) for value in scopes if value in {s.value for s in Scope}}
    if not chosen:
        raise TokenError(_("Choose at least one permission."), "scopes")
    today = acting.now.astimezone(zone).date()
    if not today < expires_on <= today + dt.timedelta(days=max_days):
        raise TokenError(_("Choose an expiry date after today and at most %(n)d days ahead.", n=max_days),
                         "expires_on")
    raw = PREFIX + secrets.token_urlsafe(32)
    expires_at = dt.datetime.combine(expires_on + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    token = ApiToken(agency_id=agency.id, name=name, prefix=raw[:len(PREFIX) + 6], token_hash=digest(raw),
                     scopes=sorted(scope.value for scope in chosen), office_ids=sorted(offices),
                     expires_at=expires_at.astimezone(dt.timezone.utc), created_at=acting.now,
                     created_by_id=acting.actor.id)
    session.add(token)
    session.flush()
    for office_id in sorted(offices):
        record_by(session, acting, "api.token_created", subject=token, office_id=office_id,
                  details={"agency": agency.id, "name": name, "scopes": token.scopes,
                           "expires_at": token.expires_at.isoformat()})
    return token, raw


def revoke(session: Session, acting: Acting, token: ApiToken) -> None:
    """Revoked at once: the next call with it is refused."""
    if not grantable_offices(session, acting.actor, token.agency) & set(token.office_ids or []):
        raise TokenError(_("You may not revoke this token."))
    if token.revoked_at is not None:
        return
    token.revoked_at, token.revoked_by_id = acting.now, acting.actor.id
    for office_id in token.office_ids:
        record_by(session, acting, "api.token_revoked", subject=token, office_id=office_id,
                  details={"agency": token.agency_id, "name": token.name})


def find(session: Session, raw: str) -> ApiToken | None:
    """The token presented, whatever its state (the caller checks it is live)."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))


def client(token: ApiToken) -> ApiClient:
    return ApiClient(token_id=token.id, name=token.name, agency_id=token.agency_id,
                     office_ids=frozenset(token.office_ids or []), scopes=frozenset(token.scopes or []))


def set_lead(session: Session, acting: Acting, user, lead: bool) -> None:
    """Mark a caseworker (the caller checks the role) as their agency's lead (who manages its API access where the office allows it)."""
    user.manages_api = lead
    for office_id in sorted(user.caseworker_office_ids) or [None]:
        record_by(session, acting, "api.lead_set" if lead else "api.lead_unset", subject=user, office_id=office_id,
                  details={"agency": user.agency_id})


def forget_answers(session: Session, acting: Acting) -> int:
    """Drop the answers kept for ``Idempotency-Key`` retries once they are a day old (the worker, hourly)."""
    return session.execute(delete(IdempotentResponse).where(IdempotentResponse.created_at < acting.now - KEEP_ANSWERS)
                           .execution_options(synchronize_session=False)).rowcount

"""Who acts, from where and when: all a service needs to know of the world outside it.

Views build it from the request (``lotsen.web.acting()``), the worker and the CLI from themselves, tests
as they like; services never read ``flask.request``, ``current_user`` or the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lotsen.auth.models import User


@dataclass(frozen=True)
class Acting:
    actor: User | None  # None: Lotsen itself (the worker)
    now: dt.datetime  # timezone-aware
    zone: str = "Europe/Berlin"  # the offices' time zone, for local days and times
    address: str = ""  # the client's address, for the audit log

    def by(self, actor: User | None) -> Acting:
        """The same moment and place, another actor (a step Lotsen takes on someone's behalf)."""
        return replace(self, actor=actor)


@dataclass(frozen=True)
class ApiClient:
    """An agency's system calling the API with a token: it acts as the agency's caseworkers do, within the
    token's offices and scopes. It is no account: what it does is kept under the token's name."""

    token_id: int
    name: str
    agency_id: int
    office_ids: frozenset[int]
    scopes: frozenset[str]

    is_api = True
    is_authenticated = True
    is_admin = False
    is_pending = False
    id = None  # noqa: A003  (no user row: the audit log names the token in its details)
    office_id = None
    locale = "de"

    @property
    def role(self):
        from lotsen.auth.models import Role

        return Role.CASEWORKER

    @property
    def caseworker_office_ids(self) -> set[int]:
        return set(self.office_ids)

    @property
    def audit_details(self) -> dict:
        return {"api_token": self.token_id, "api_token_name": self.name}

    @property
    def label(self) -> str:
        """How the history names it."""
        return f"{self.name} (API)"


def person(actor):
    """The user row behind an actor, or None for Lotsen itself and for an agency's system (``ApiClient``)."""
    return None if actor is None or getattr(actor, "is_api", False) else actor

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

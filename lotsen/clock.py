"""The one source of the current time for code and tests.

Only this module reads the wall clock. Services take ``now`` as an argument; views, the worker and the
CLI ask here and pass it on. Tests move this clock (``tests/conftest.py``'s ``clock`` fixture, built on
time-machine), and the database server's own ``now()`` is never used for business logic.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app

UTC = dt.timezone.utc


def now() -> dt.datetime:
    """The current moment, timezone-aware in UTC."""
    return dt.datetime.now(UTC)


def zone() -> ZoneInfo:
    """The offices' time zone (Europe/Berlin unless configured otherwise)."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def today() -> dt.date:
    """Today's date where the offices are (Europe/Berlin by default)."""
    return now().astimezone(zone()).date()

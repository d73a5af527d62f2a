"""The current time, in UTC and as a local date in the configured time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def today() -> dt.date:
    """Today's date where the offices are (Europe/Berlin by default)."""
    return now().astimezone(zone()).date()

"""Time for tests: a clock the test sets, dates built relative to it, and waiting on a condition.

Only ``lotsen.clock`` reads the time in the app; time-machine moves what it reads (and everything else
that asks the wall clock), so a test that sets the clock gets the same answers on any day it runs.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

import time_machine

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.timezone.utc


class Clock:
    """The test's clock: ``set`` it to a moment (frozen, or ticking on from there), ``advance`` it.

    Until a test sets it, the time is the real one (or the one ``make test-dates`` shifted to).
    """

    def __init__(self) -> None:
        self._travel: time_machine.travel | None = None
        self._traveller = None

    def set(self, moment: dt.datetime, *, tick: bool = False) -> dt.datetime:
        """Make ``moment`` (timezone-aware) the current time; it stands still unless ``tick``."""
        if moment.tzinfo is None:
            raise ValueError("give the clock a timezone-aware moment")
        self.stop()
        self._travel = time_machine.travel(moment, tick=tick)
        self._traveller = self._travel.start()
        return moment.astimezone(UTC)

    def advance(self, delta: dt.timedelta | None = None, **parts: float) -> dt.datetime:
        """Move the clock on by ``delta`` (or ``hours=...``, ``days=...``); sets it first if need be."""
        delta = delta or dt.timedelta(**parts)
        if self._traveller is None:
            self.set(now())
        self._traveller.shift(delta)
        return now()

    def stop(self) -> None:
        if self._travel is not None:
            self._travel.stop()
            self._travel = self._traveller = None


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def today() -> dt.date:
    """Today in Berlin."""
    return now().astimezone(BERLIN).date()


def berlin(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    """``day`` at ``hour:minute`` Berlin time, in UTC."""
    return dt.datetime.combine(day, dt.time(hour, minute), BERLIN).astimezone(UTC)


def next_weekday(weekday: int, *, after: dt.date | None = None, weeks: int = 0) -> dt.date:
    """The first ``weekday`` (0 = Monday) strictly after ``after`` (today), plus ``weeks`` weeks."""
    start = after or today()
    return start + dt.timedelta(days=(weekday - start.weekday() - 1) % 7 + 1 + 7 * weeks)


def wait_until(condition: Callable[[], object], *, timeout: float = 120, interval: float = 0.05,
               message: Callable[[], str] | str = "") -> object:
    """Poll ``condition`` until it is true; fail after a generous ``timeout`` seconds (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"not reached within {timeout} s: {message() if callable(message) else message}")
        time.sleep(interval)

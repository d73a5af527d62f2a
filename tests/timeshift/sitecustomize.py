"""Move this Python process's clock ``LOTSEN_TEST_DAYS_AHEAD`` days ahead (``make test-dates``).

``make test-dates`` puts this folder on ``PYTHONPATH``, so Python imports this module at start-up in
pytest and in every Python process the tests start (``lotsen worker`` and the like): the whole process
tree lives as if today were that many days later. time-machine shifts the wall clock only (``time.time``,
``datetime.now``, ``date.today``); ``time.monotonic`` and ``time.sleep`` stay real, so timeouts, sleeps
and timer threads behave as on any other day. Tests that set a clock of their own (the ``clock``
fixture) travel on from here as usual.
"""

import os

_days = os.environ.get("LOTSEN_TEST_DAYS_AHEAD", "").strip()
if _days:
    import datetime as _dt

    import time_machine as _time_machine

    _travel = _time_machine.travel(_dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(days=float(_days)), tick=True)
    _travel.start()

"""One clock: only ``lotsen.clock`` reads the time, tests set it, and ``make test-dates`` shifts every process."""

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lotsen import clock as app_clock
from tests import processes
from tests.conftest import DAYS_AHEAD
from tests.timing import BERLIN, UTC, berlin, next_weekday, wait_until

ROOT = Path(__file__).resolve().parents[2]
READS_THE_CLOCK = re.compile(r"datetime\.now\(|datetime\.utcnow\(|datetime\.today\(|date\.today\(|"
                             r"time\.time(_ns)?\(|localtime\(|gmtime\(|formatdate\(|func\.now\(|(?<![\w.])now\(\)|"
                             r"CURRENT_TIMESTAMP|current_timestamp|server_default=.*now", re.IGNORECASE)


def test_only_lotsen_clock_reads_the_wall_clock():
    offenders = []
    for path in sorted((ROOT / "lotsen").rglob("*.py")) + sorted((ROOT / "migrations").rglob("*.py")):
        if path == ROOT / "lotsen" / "clock.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if READS_THE_CLOCK.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_clock_fixture_sets_and_advances_the_apps_time(clock):
    moment = dt.datetime(2031, 3, 30, 0, 30, tzinfo=UTC)  # the day after the spring-forward night of 2031
    clock.set(moment)
    assert app_clock.now() == moment
    assert clock.advance(hours=2) == moment + dt.timedelta(hours=2)
    assert app_clock.now() == moment + dt.timedelta(hours=2)


@pytest.mark.now(dt.datetime(2030, 1, 1, 23, 30, tzinfo=UTC))
def test_a_mark_sets_the_clock_and_dates_follow_it():
    assert app_clock.now() == dt.datetime(2030, 1, 1, 23, 30, tzinfo=UTC)
    assert next_weekday(0) == dt.date(2030, 1, 7)  # 00:30 on Wednesday 2 January in Berlin: next Monday is the 7th
    assert berlin(dt.date(2030, 7, 1), 9) == dt.datetime(2030, 7, 1, 7, 0, tzinfo=UTC)
    assert dt.datetime.now(BERLIN).date() == dt.date(2030, 1, 2)


def test_processes_the_tests_start_live_on_the_same_day_as_the_tests(tmp_path):
    """Under ``make test-dates`` the children are shifted too; in a plain run both read the real clock."""
    done = subprocess.run([sys.executable, "-c", "import datetime; print(datetime.datetime.now(datetime.timezone.utc)"
                                                 ".isoformat())"], capture_output=True, text=True, check=True)
    theirs = dt.datetime.fromisoformat(done.stdout.strip())
    assert abs(theirs - app_clock.now()) < dt.timedelta(hours=1)


def test_make_test_dates_really_moves_the_clock_ahead(tmp_path):
    marker = tmp_path / "now"
    marker.touch()
    kernel_now = dt.datetime.fromtimestamp(os.stat(marker).st_mtime, UTC)  # the file system is never shifted
    expected = dt.timedelta(days=float(DAYS_AHEAD or 0))
    assert abs((app_clock.now() - kernel_now) - expected) < dt.timedelta(hours=1)


def test_a_process_a_test_started_dies_with_the_test_process():
    """A worker must not outlive a test run that was killed: the middle process here plays the test process."""
    code = ("import sys, time; sys.path.insert(0, %r); from tests import processes; "
            "child = processes.start([sys.executable, '-c', 'import time; time.sleep(600)']); "
            "print(child.pid, flush=True); time.sleep(600)") % str(ROOT)
    middle = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        grandchild = int(middle.stdout.readline())
        assert _alive(grandchild)
        middle.send_signal(signal.SIGKILL)
        middle.wait()
        wait_until(lambda: not _alive(grandchild), timeout=30, message="the worker outlived its test process")
    finally:
        processes.stop(middle)
        middle.stdout.close()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; it only waits for its parent to collect it


def test_wait_until_fails_with_its_message_once_the_deadline_passes():
    started = time.monotonic()
    with pytest.raises(AssertionError, match="never"):
        wait_until(lambda: False, timeout=0.2, message="never")
    assert time.monotonic() - started >= 0.2

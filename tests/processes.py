"""Processes the tests start (``lotsen worker``) never outlive the test run.

The fixture that starts one stops it after the test, passed or failed; and should the test process
itself die (killed, interrupted), Linux sends the child SIGKILL too (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _libc is not None:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def start(args: list[str], **popen) -> subprocess.Popen:
    """Start a child process that dies with this one."""
    return subprocess.Popen(args, preexec_fn=_die_with_parent, **popen)  # noqa: PLW1509  (no threads touched)


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not ended within ``timeout`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()

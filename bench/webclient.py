"""The HTTP benchmark's server and clients: gunicorn in a process group of its own, browsers that sign in
through the login form, and the measuring of one target with N concurrent clients (bench/http.py)."""

from __future__ import annotations

import dataclasses
import html.parser
import http.client
import math
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-2026"
USER_AGENT = "lotsen-bench-http/1"  # fixed: the session is bound to it (session_protection "strong")
NOISY_CORES = 0.25  # other processes taking more than this while measuring disturb the figures


# ---------------------------------------------------------------------------------------------
# The server and its clients
# ---------------------------------------------------------------------------------------------


class Server:
    """gunicorn with N sync workers, in a process group of its own, logging to a file."""

    def __init__(self, url: str, port: int, folder: Path, workers: int):
        self.url, self.port, self.folder, self.workers = url, port, folder, workers
        self.log = folder / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(os.environ, LOTSEN_DATABASE_URL=self.url, LOTSEN_INSTANCE_PATH=str(self.folder),
                   LOTSEN_MAIL_DIR=str(self.folder / "mail"), LOTSEN_BASE_URL=f"http://127.0.0.1:{self.port}",
                   LOTSEN_PRODUCTION="1", LOTSEN_RATELIMIT_STORAGE_URI=os.environ.get(
                       "LOTSEN_BENCH_REDIS_URL", "redis://127.0.0.1:6379"), LOTSEN_RATELIMIT_KEY_PREFIX="lotsen-bench-http",
                   LOTSEN_TWO_FACTOR_REQUIRED="")  # the pages, not the second factor, are measured
        command = [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
                   "--bind", f"127.0.0.1:{self.port}", "--error-logfile", str(self.log), "--log-level", "warning",
                   "lotsen:create_app()"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_until_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"/healthz did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def worker_pids(self) -> list[str]:
        try:
            return Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return []

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text().splitlines()[-lines:]) if self.log.exists() else "(no log)"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # the master stops its workers gracefully
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)  # the group started above, and nothing else
            self.process.wait()


def cpu_seconds(pids) -> float | None:
    """User + system CPU the processes have used so far (Linux /proc; None elsewhere)."""
    total = 0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def machine_busy_seconds() -> float | None:
    """CPU time all processes of the machine have used so far (everything but idle and iowait)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuShare:
    """Where the machine's CPU went while a target was measured."""

    workers_ms: float | None = None  # gunicorn workers, per answered request
    database_ms: float | None = None  # the workers' PostgreSQL backends, per answered request
    client_cores: float = 0.0  # the load-generating threads
    other_cores: float | None = None  # everything else on the machine: noise in the figures


class CpuMeter:
    def __init__(self, server: Server, backends):
        self.server, self.backends = server, backends

    def read(self) -> tuple:
        workers, database = self.server.worker_pids(), self.backends()
        return (time.process_time(), cpu_seconds(workers), cpu_seconds(database), machine_busy_seconds())

    @staticmethod
    def share(before: tuple, after: tuple, seconds: float, answered: int) -> CpuShare:
        client, workers, database, machine = (
            None if a is None or b is None else b - a for a, b in zip(before, after))
        per_request = lambda cpu: None if cpu is None or not answered else cpu * 1000 / answered  # noqa: E731
        other = (None if None in (workers, database, machine)
                 else max(0.0, machine - workers - database - client) / seconds)
        return CpuShare(per_request(workers), per_request(database), client / seconds, other)


def wait_for_quiet(limit: float, busy_cores: float = NOISY_CORES) -> str:
    """Wait (up to ``limit`` seconds) until the machine has been idle for 2 s: others' work would count as ours."""
    deadline, quiet_since = time.monotonic() + limit, None
    while time.monotonic() < deadline:
        before = machine_busy_seconds()
        if before is None:
            return ""
        time.sleep(0.5)
        busy = (machine_busy_seconds() - before) / 0.5
        quiet_since = (quiet_since or time.monotonic()) if busy < busy_cores else None
        if quiet_since and time.monotonic() - quiet_since >= 2:
            return ""
    return f"the machine stayed busy for {limit:.0f} s; measured anyway"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """One connection (kept alive where the server allows it) and the cookies it was given."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None):
        self.port = port
        self.cookies = dict(cookies or {})
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, http.client.HTTPResponse, bytes]:
        headers = {"User-Agent": USER_AGENT, "Accept-Language": "de"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):  # a kept-alive connection the server has closed meanwhile is opened again
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                if attempt == 2:
                    raise
        for header in response.msg.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response.status, response, data

    def close(self) -> None:
        self.connection.close()


class _CsrfToken(html.parser.HTMLParser):
    token = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") == "csrf_token":
            self.token = attrs.get("value") or ""


def csrf_token(page: bytes) -> str:
    parser = _CsrfToken()
    parser.feed(page.decode("utf-8", "replace"))
    if not parser.token:
        raise SystemExit("the login form has no csrf_token field")
    return parser.token


def sign_in(port: int, email: str) -> dict[str, str]:
    """Sign in through the login form as a browser would; returns the session cookies."""
    browser = Browser(port)
    try:
        _status, _response, page = browser.request("GET", "/login")
        status, response, _page = browser.request(
            "POST", "/login", {"csrf_token": csrf_token(page), "email": email, "password": PASSWORD})
        if status != 302:
            raise SystemExit(f"signing in as {email} failed: HTTP {status}")
        return browser.cookies
    finally:
        browser.close()


def resolve(port: int, cookies: dict[str, str], path: str) -> tuple[str, int]:
    """The path a signed-in browser ends up on (same-site redirects followed), and its status."""
    browser = Browser(port, cookies)
    try:
        for _ in range(5):
            status, response, _page = browser.request("GET", path)
            location = response.getheader("Location")
            if status not in (301, 302, 303, 307, 308) or not location:
                return path, status
            target = urllib.parse.urlsplit(location)
            if target.netloc not in ("", f"127.0.0.1:{port}", f"localhost:{port}"):
                return path, status
            if target.path.startswith("/login"):
                return target.path, 401  # not signed in (any more)
            path = target.path + (f"?{target.query}" if target.query else "")
        return path, status
    finally:
        browser.close()


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


@dataclass
class Target:
    name: str
    asked: str  # the path as given
    cookies: dict[str, str]
    is_page: bool = True
    path: str = ""  # the path measured (after redirects)
    problem: str = ""  # why it could not be measured
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    statements: str = ""
    cpu: CpuShare = field(default_factory=CpuShare)

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 0.50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 0.99)


def hammer(port: int, meter: CpuMeter, target: Target, clients: int, warmup: float, seconds: float) -> None:
    """``clients`` threads request the path back to back; only answers inside the measured window count."""
    start = time.perf_counter() + 0.3
    measured_from, stop = start + warmup, start + warmup + seconds
    lock = threading.Lock()

    def client() -> None:
        browser = Browser(port, target.cookies)
        latencies, errors = [], {}
        time.sleep(max(0.0, start - time.perf_counter()))
        while (began := time.perf_counter()) < stop:
            try:
                status = browser.request("GET", target.path)[0]
            except OSError as error:
                status = type(error).__name__
            ended = time.perf_counter()
            if measured_from <= ended <= stop:
                if status == 200:
                    latencies.append((ended - began) * 1000)
                else:
                    errors[str(status)] = errors.get(str(status), 0) + 1
        browser.close()
        with lock:
            target.latencies_ms += latencies
            for key, n in errors.items():
                target.errors[key] = target.errors.get(key, 0) + n

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, measured_from - time.perf_counter()))
    before = meter.read()
    time.sleep(max(0.0, stop - time.perf_counter()))
    after = meter.read()
    for thread in threads:
        thread.join()
    target.seconds = seconds
    target.cpu = CpuMeter.share(before, after, seconds, len(target.latencies_ms))


def measure(port: int, meter: CpuMeter, target: Target, args) -> None:
    """Measure a target on a quiet machine; again (up to ``--retries`` times) if other processes disturbed it."""
    best = None
    for attempt in range(1 + args.retries):
        waited = wait_for_quiet(args.quiet_wait) if args.quiet_wait else ""
        print(f"Measuring {target.name} ({target.path}){' again' if attempt else ''} ..."
              + (f" ({waited})" if waited else ""), flush=True)
        trial = dataclasses.replace(target, latencies_ms=[], errors={})
        hammer(port, meter, trial, args.clients, args.warmup, args.seconds)
        noise = trial.cpu.other_cores
        print(f"  {trial.rate:.1f} req/s, p99 {trial.p99:.1f} ms"
              + ("" if noise is None else f"; other processes took {noise:.2f} cores"), flush=True)
        if best is None or (noise or 0.0) < (best.cpu.other_cores or 0.0):
            best = trial
        if noise is None or noise <= NOISY_CORES:
            break
    target.seconds, target.latencies_ms, target.errors, target.cpu = (best.seconds, best.latencies_ms, best.errors,
                                                                      best.cpu)

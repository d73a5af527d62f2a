"""A real SMTP server on 127.0.0.1 that keeps what arrives: aiosmtpd, for tests and benchmarks.

Test modules take the fixture by importing it (``tests/conftest.py`` stays as it is)::

    from tests.smtp_sink import smtp_sink  # noqa: F401  (the fixture)

    def test_...(app, smtp_sink):
        ...
        assert [m.message_id for m in smtp_sink.messages] == [...]

``SmtpSink`` is usable on its own as a context manager (``bench/outbox.py`` does). The sink
records a message when its data is complete and only then waits ``delay`` seconds before answering
250, as a server that stored a message and is slow to confirm it: a client that dies in between
has delivered the message without knowing it, which is the case the outbox must survive.
"""

from __future__ import annotations

import asyncio
import email
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from functools import cached_property

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

HOST = "127.0.0.1"


@dataclass
class Received:
    """One message as the server took it: the envelope, the raw bytes, and (parsed on demand) the message."""

    peer: tuple
    mail_from: str
    recipients: tuple[str, ...]
    data: bytes = field(repr=False)

    @cached_property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=policy.default)

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()


class SmtpSink:
    """Accepts every message on 127.0.0.1 (a free port) and records it; thread-safe to read from tests."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay  # seconds between storing a message and answering 250; may change while running
        self.hold_from: int | None = None  # once this many messages arrived, answer none until ``release()``
        self._lock = threading.Condition()
        self._messages: list[Received] = []
        self._connections = 0
        self._open = 0
        self._most_open = 0
        self._controller = _Controller(self, hostname=HOST, port=0, server_hostname="smtp-sink.test")

    # ------------------------------------------------------------------------------------- running

    def start(self) -> SmtpSink:
        self._controller.start()
        with self._lock:  # the controller's own readiness probe is not a client
            self._lock.wait_for(lambda: self._open == 0, timeout=5)
        self.clear()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        return self._controller.port

    # ------------------------------------------------------------------------------------- reading

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    def count(self) -> int:
        with self._lock:
            return len(self._messages)

    def message_ids(self) -> list[str]:
        return [received.message_id for received in self.messages]

    @property
    def connections(self) -> int:
        """SMTP connections opened since the start (or the last ``clear``)."""
        with self._lock:
            return self._connections

    @property
    def most_open(self) -> int:
        """The most connections open at one moment: 2 means two clients were sending at once."""
        with self._lock:
            return self._most_open

    def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until at least ``count`` messages arrived; False if ``timeout`` seconds passed first."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
            return True

    def release(self) -> None:
        """Answer the held messages and keep answering from now on."""
        self.hold_from = None

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._connections = 0
            self._most_open = self._open

    # ------------------------------------------------------------------------------------- the server's side

    def _opened(self) -> None:
        with self._lock:
            self._connections += 1
            self._open += 1
            self._most_open = max(self._most_open, self._open)

    def _closed(self) -> None:
        with self._lock:
            self._open -= 1
            self._lock.notify_all()

    def _store(self, received: Received) -> None:
        with self._lock:
            self._messages.append(received)
            self._lock.notify_all()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802  (aiosmtpd's hook name)
        self._store(Received(peer=tuple(session.peer), mail_from=envelope.mail_from,
                             recipients=tuple(envelope.rcpt_tos), data=bytes(envelope.original_content)))
        if self.delay:
            await asyncio.sleep(self.delay)
        while self.hold_from is not None and self.count() >= self.hold_from:
            await asyncio.sleep(0.01)  # a client that waits here is stuck mid-message, for as long as the test wants
        return "250 Message accepted for delivery"


class _Server(SMTP):
    """aiosmtpd's protocol, telling the sink when a client connects and goes."""

    def __init__(self, sink: SmtpSink, **kwargs):
        super().__init__(sink, **kwargs)
        self._sink = sink

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._sink._opened()

    def connection_lost(self, error) -> None:
        self._sink._closed()
        super().connection_lost(error)


class _Controller(Controller):
    """A controller that listens on a free port (aiosmtpd probes ``self.port``, so learn it first)."""

    def __init__(self, sink: SmtpSink, **kwargs):
        super().__init__(sink, **kwargs)
        self._sink = sink

    def factory(self):
        return _Server(self._sink, **self.SMTP_kwargs)

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp_sink():
    """A running SMTP server on 127.0.0.1 (``smtp_sink.port``) that records every message."""
    with SmtpSink() as sink:
        yield sink

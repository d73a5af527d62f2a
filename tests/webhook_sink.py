"""A real HTTP receiver on 127.0.0.1 that keeps the webhook events it is sent (tests and the example client).

``WebhookSink`` is a context manager; ``status`` is what it answers (set it to 500 to make deliveries fail).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Delivery:
    headers: dict
    body: bytes

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class WebhookSink:
    status: int = 204
    deliveries: list[Delivery] = field(default_factory=list)

    def __enter__(self) -> WebhookSink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink._lock:
                    sink.deliveries.append(Delivery(dict(self.headers), body))
                self.send_response(sink.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    @property
    def url(self) -> str:
        return f"http://localhost:{self._server.server_address[1]}/lotsen/events"

    def events(self, type_: str | None = None) -> list[dict]:
        return [d.event for d in self.deliveries if type_ is None or d.event["type"] == type_]


@pytest.fixture
def webhook_sink():
    with WebhookSink() as sink:
        yield sink

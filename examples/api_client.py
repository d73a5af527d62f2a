"""An agency's system, in short: file a request through Lotsen's API and wait for its webhook.

    python examples/api_client.py --base-url https://lotsen.example.de --token lotsen_... \
        --secret whsec_... --listen 127.0.0.1:8765 --language ar --date 2027-03-01 --start 09:30

The token comes from the agency's page *API-Zugang* (scopes "read requests" and "write requests"); the
endpoint registered there must reach this program (``--listen``; a tunnel or reverse proxy in production,
http://localhost:8765/ while developing) and its secret is ``--secret``. The program files one request
(with an Idempotency-Key, so a retry after a lost answer files nothing twice), then prints every signed
event about it until the request is confirmed (or ends otherwise), and shows the confirmed volunteer.
Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import queue
import sys
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

FINAL = {"request.confirmed", "request.cancelled", "request.unfilled", "request.not_fillable"}
TOLERANCE = 300  # seconds: older signatures are refused (a replayed event)


def verify(secret: str, header: str, body: bytes) -> bool:
    """Lotsen-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body, keyed with the secret>."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > TOLERANCE:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def call(base_url: str, token: str, method: str, path: str, payload: dict | None = None, **headers) -> tuple:
    """One API call; returns (status, JSON body). Problems (RFC 9457) come back as they are."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(base_url.rstrip("/") + path, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept-Language": "de", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def receive(listen: str, secret: str) -> tuple[ThreadingHTTPServer, queue.Queue]:
    """A receiver for webhooks: checks each signature, drops repeats by event id, answers 204 at once."""
    events: queue.Queue = queue.Queue()
    seen: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802  (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not verify(secret, self.headers.get("Lotsen-Signature", ""), body):
                self.send_response(401)
                self.end_headers()
                return
            event = json.loads(body)
            if event["id"] not in seen:  # a repeat after a lost answer is acknowledged, not handled twice
                seen.add(event["id"])
                events.put(event)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    host, port = listen.rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    return server, events


def file_and_wait(base_url: str, token: str, request: dict, events: queue.Queue, *, timeout: float,
                  out=sys.stdout) -> dict | None:
    """File ``request``; print its events until a final one; return the request as the API then shows it."""
    status, answer = call(base_url, token, "POST", "/api/v1/requests", request,
                          **{"Idempotency-Key": str(uuid.uuid4())})
    if status != 201:
        print(f"Refused ({status}): {answer.get('title')}", file=out)
        for field, messages in (answer.get("errors") or {}).items():
            print(f"  {field}: {' '.join(messages)}", file=out)
        return None
    request_id = answer["items"][0]["id"]
    print(f"Filed request {request_id}; waiting for the office ...", file=out)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            event = events.get(timeout=min(5.0, max(0.1, deadline - time.monotonic())))
        except queue.Empty:
            continue
        if event["data"].get("request_id") != request_id:
            continue
        print(f"{event['created_at']}  {event['type']}", file=out)
        if event["type"] in FINAL:
            _status, shown = call(base_url, token, "GET", f"/api/v1/requests/{request_id}")
            volunteer = shown.get("volunteer")
            if volunteer:
                print(f"Confirmed: {volunteer['first_name']}, {volunteer['phone']}", file=out)
            return shown
    print("No final answer yet; the request stays filed.", file=out)
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--secret", required=True, help="the webhook endpoint's signing secret")
    parser.add_argument("--listen", default="127.0.0.1:8765")
    parser.add_argument("--language", default="ar")
    parser.add_argument("--date", required=True, help="YYYY-MM-DD, local to the office")
    parser.add_argument("--start", default="09:00")
    parser.add_argument("--postcode", default="63128")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the answer")
    args = parser.parse_args(argv)
    server, events = receive(args.listen, args.secret)
    try:
        shown = file_and_wait(args.base_url, args.token, {
            "kind": "interpreter", "language": args.language, "mode": "on_site", "date": args.date,
            "start": args.start, "duration_minutes": 90, "postcode": args.postcode, "topic": "authorities",
            "client_reference": "BG-" + uuid.uuid4().hex[:6].upper(), "contact_name": "Empfang",
            "contact_phone": "06074 0000"}, events, timeout=args.timeout)
    finally:
        server.shutdown()
    return 0 if shown and shown["status"] == "confirmed" else 1


if __name__ == "__main__":
    sys.exit(main())

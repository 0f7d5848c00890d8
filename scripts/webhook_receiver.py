"""A webhook receiver for a first try: checks each request's signature, prints the event in one
line, and answers 204 (401 when the signature does not match). Standard library only, so it can be
copied as a starting point (the recipe: docs/webhooks.md).

    .venv/bin/python scripts/webhook_receiver.py --port 9100 --secret "$SECRET"

It listens on 127.0.0.1 only: the local stack may deliver to loopback over plain http, a deployed
stack only to a public https URL.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def verify(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300, now: float | None = None) -> bool:
    """The signature of docs/webhooks.md: HMAC-SHA256 of "{timestamp}.{event_id}." + the raw body."""
    ts, event_id = headers.get("x-smartdecl-timestamp", ""), headers.get("x-smartdecl-event-id", "")
    if not ts.isdigit() or abs((time.time() if now is None else now) - int(ts)) > tolerance:
        return False
    signed = f"{ts}.{event_id}.".encode() + body
    expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    offered = headers.get("x-smartdecl-signature", "").split(",")
    return any(hmac.compare_digest(expected, s.strip()) for s in offered)


def describe(event: dict) -> str:
    """One line a person can read: type, declaration, state or receipt, bill."""
    data = event.get("data") or {}
    what = data.get("channel_label") or data.get("smart_status_label") or data.get("smart_status") or ""
    return f"{event.get('event_type')} {event.get('seq_no')} {what} bill={data.get('bill_no')}"


def serve(port: int, secret: str, out=sys.stdout) -> HTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            if not verify(secret, headers, body):
                print(
                    f"refused (signature does not match): {headers.get('x-smartdecl-event-id')}", file=out, flush=True
                )
                self.send_response(401)
            else:
                print(describe(json.loads(body)), file=out, flush=True)
                self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return HTTPServer(("127.0.0.1", port), Handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--secret", required=True, help="the subscription's secret (shown once, when it was created)")
    args = parser.parse_args(argv)
    server = serve(args.port, args.secret)
    print(f"listening on http://127.0.0.1:{server.server_port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

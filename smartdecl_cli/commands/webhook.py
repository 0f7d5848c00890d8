"""`smartdecl webhook listen`: a receiver for a first try of webhooks. It checks each delivery's
signature (docs/webhooks.md: HMAC-SHA256 of "{timestamp}.{event_id}." + the raw body, keyed with
the subscription's secret, the timestamp within 5 minutes), prints the event in one line (China
time with its zone) or as JSON, and answers 204; a delivery whose signature does not match is
answered 401 and printed as refused. Standard library only."""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Annotated, Any

import typer

from ..context import JsonOpt, command, state
from ..output import china_time, out

app = typer.Typer(help="Webhooks: a local receiver to try them (listen).", no_args_is_help=True)

TOLERANCE_SECONDS = 300  # an older (or far-future) delivery may be a replay


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> bool:
    """`headers` with lower-case names. Several signatures may be offered (a secret being rotated)."""
    ts, event_id = headers.get("x-smartdecl-timestamp", "").strip(), headers.get("x-smartdecl-event-id", "").strip()
    if not (ts.isdigit() and event_id) or abs((time.time() if now is None else now) - int(ts)) > TOLERANCE_SECONDS:
        return False
    signed = f"{ts}.{event_id}.".encode() + body
    expected = "v1=" + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, s.strip()) for s in headers.get("x-smartdecl-signature", "").split(","))


def describe(event: dict[str, Any]) -> str:
    """One line a person reads: when (China time), what, which declaration, its state or receipt."""
    data = event.get("data") or {}
    what = (
        data.get("channel_label")
        or data.get("smart_status_label")
        or data.get("state")
        or data.get("smart_status")
        or ""
    )
    reason = data.get("reason_zh") or ""
    bits = (china_time(event.get("occurred_at") or ""), event.get("event_type"), event.get("seq_no"), what, reason)
    return "  ".join(str(b) for b in bits if b)


def server(secret: str, host: str, port: int, as_json: bool, stream: IO[str]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            if not verify(secret, headers, body):
                event_id = headers.get("x-smartdecl-event-id") or "-"
                print(f"refused (the signature does not match): {event_id}", file=stream, flush=True)
                self.send_response(401)
                self.end_headers()
                return
            try:
                event = json.loads(body)
            except ValueError:
                event = {"event_type": "unreadable", "data": {}}
            line = json.dumps(event, ensure_ascii=False, separators=(",", ":")) if as_json else describe(event)
            print(line, file=stream, flush=True)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return ThreadingHTTPServer((host, port), Handler)


@app.command("listen")
@command
def webhook_listen(
    secret: Annotated[
        str, typer.Option(envvar="SMARTDECL_WEBHOOK_SECRET", help="The subscription's secret (shown once).")
    ],
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 9100,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback: the local stack delivers there).")] = (
        "127.0.0.1"
    ),
    as_json: JsonOpt = False,
) -> None:
    """Receive webhooks: each signed delivery printed and answered 204, a forged one refused with 401.
    Subscribe it with `smartdecl subscriptions create --protocol webhook --endpoint http://127.0.0.1:9100/`
    (a deployed service delivers only to a public https address). Ctrl-C stops."""
    lang = state().lang
    listening = server(secret, host, port, as_json, sys.stdout)
    where = f"http://{host}:{listening.server_port}/"
    out.print(
        f"正在监听 {where}（Ctrl-C 停止）" if lang == "zh" else f"listening on {where} (Ctrl-C stops)",
        markup=False,
        highlight=False,
    )
    try:
        listening.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        listening.server_close()

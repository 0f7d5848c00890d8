"""Signed webhook deliveries (docs/webhooks.md): one POST per call, to the address just checked.

Each delivery re-checks the URL (domain.subscriptions.check_delivery_target) and then connects to
the address that passed the check, not to a fresh DNS answer: a host that resolves to a public
address at check time and to 169.254.169.254 a moment later (DNS rebinding) is never reached.
TLS is still verified for the URL's host name. Redirects are never followed (a 3xx is a failure:
it could point anywhere, the checks would not have seen it).

Retries are the caller's: `backoff_schedule(attempt)` gives the wait after a failed attempt.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from chalicelib.domain.events import Event
from chalicelib.domain.subscriptions import Resolver, WebhookTargetRefused, check_delivery_target

SIGNATURE_VERSION = "v1"
HEADER_EVENT_ID = "X-Smartdecl-Event-Id"
HEADER_EVENT_TYPE = "X-Smartdecl-Event-Type"
HEADER_TIMESTAMP = "X-Smartdecl-Timestamp"
HEADER_SIGNATURE = "X-Smartdecl-Signature"
USER_AGENT = "SmartDecl-Webhooks/1"

# Waits after failed attempt 1, 2, … 5: 10 s, 1 min, 5 min, 30 min, 2 h; the 6th failure is final.
BACKOFF_SECONDS = (10, 60, 300, 1800, 7200)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1


def backoff_schedule(attempt: int) -> int | None:
    """Seconds to wait after failed attempt number `attempt` (1-based); None: give up."""
    if attempt < 1:
        raise ValueError("attempts are numbered from 1")
    return BACKOFF_SECONDS[attempt - 1] if attempt < MAX_ATTEMPTS else None


def encode_body(event: Event) -> bytes:
    """The exact bytes that are sent and signed."""
    return json.dumps(event.as_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(secret: str, timestamp: int | str, event_id: str, body: bytes | str) -> str:
    """`v1=` + hex HMAC-SHA256, keyed with the secret's UTF-8 bytes, over "{timestamp}.{event_id}.{body}"."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.{event_id}.".encode("utf-8") + raw, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def verify(secret: str, headers: Mapping[str, str], body: bytes | str, tolerance_seconds: int = 300,
           now: float | None = None) -> bool:
    """The receiver's check: a valid v1 signature over this body, and a timestamp within tolerance."""
    lower = {k.lower(): v for k, v in headers.items()}
    timestamp = lower.get(HEADER_TIMESTAMP.lower(), "").strip()
    event_id = lower.get(HEADER_EVENT_ID.lower(), "").strip()
    signatures = lower.get(HEADER_SIGNATURE.lower(), "")
    if not (timestamp.isdigit() and event_id and signatures):
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance_seconds:
        return False  # an old (or far-future) delivery may be a replay
    expected = sign(secret, timestamp, event_id, body)
    # several comma-separated values are allowed, e.g. while a secret is being rotated
    return any(hmac.compare_digest(expected, s.strip()) for s in signatures.split(","))


@dataclass(frozen=True)
class DeliveryAttempt:
    """What one POST did: record it, and decide on a retry with backoff_schedule."""

    event_id: str
    url: str
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None = None
    refused: bool = False  # the target failed the address check: nothing was sent

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300

    def as_json(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "url": self.url,
                "attempted_at": self.attempted_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "status_code": self.status_code, "duration_ms": self.duration_ms, "error": self.error,
                "refused": self.refused, "ok": self.ok}


class PinnedHostAdapter(HTTPAdapter):
    """Connects to the IP literal in the URL, and speaks TLS (SNI, certificate) for the Host header's name."""

    def build_connection_pool_key_attributes(self, request, verify, cert=None):  # type: ignore[override]
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        name = _host_name(request.headers.get("Host"))
        if host_params["scheme"] == "https" and name and name != host_params["host"].strip("[]"):
            pool_kwargs["server_hostname"] = name
            pool_kwargs["assert_hostname"] = name
        return host_params, pool_kwargs


def _host_name(host_header: str | None) -> str | None:
    if not host_header:
        return None
    if host_header.startswith("["):
        return host_header[1:host_header.index("]")]
    return host_header.rsplit(":", 1)[0]


def pinned_session() -> requests.Session:
    """The session deliveries need: pinned addresses, no environment proxies, no transport retries."""
    session = requests.Session()
    session.trust_env = False  # a proxy from the environment would connect to a name we did not check
    adapter = PinnedHostAdapter(max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class WebhookSender:
    """POSTs one signed event to one webhook URL.

    `session` must route IP-literal URLs with a Host header as `pinned_session()` does (the default).
    `local_mode` allows loopback targets and plain http to them (the local stack and tests only).
    `verify_tls` is requests' `verify`: True, or a CA bundle path (tests).
    """

    def __init__(self, session: requests.Session | None = None, timeout_seconds: float = 5,
                 resolver: Resolver | None = None, local_mode: bool = False,
                 clock: Callable[[], float] = time.time, verify_tls: bool | str = True) -> None:
        self._session = session or pinned_session()
        self._timeout = timeout_seconds
        self._resolver = resolver
        self._local_mode = local_mode
        self._clock = clock
        self._verify = verify_tls

    def deliver(self, url: str, secret: str, event: Event) -> DeliveryAttempt:
        now = self._clock()
        at = datetime.fromtimestamp(now, timezone.utc)
        started = time.monotonic()

        def attempt(status: int | None, error: str | None, refused: bool = False) -> DeliveryAttempt:
            return DeliveryAttempt(event.event_id, url, at, status, int((time.monotonic() - started) * 1000),
                                   error, refused)

        try:
            target = check_delivery_target(url, self._resolver, self._local_mode)
        except WebhookTargetRefused as exc:
            return attempt(None, f"refused: {exc.message_en}", refused=True)
        body, timestamp = encode_body(event), int(now)
        headers = {"Host": target.host_header, "Content-Type": "application/json; charset=utf-8",
                   "User-Agent": USER_AGENT, HEADER_EVENT_ID: event.event_id, HEADER_EVENT_TYPE: event.event_type,
                   HEADER_TIMESTAMP: str(timestamp), HEADER_SIGNATURE: sign(secret, timestamp, event.event_id, body)}
        try:
            # stream: the status line is all we need; never download what a receiver sends back
            with self._session.post(target.pinned_url(), data=body, headers=headers, timeout=self._timeout,
                                    allow_redirects=False, stream=True, verify=self._verify) as response:
                status, location = response.status_code, response.headers.get("Location")
        except requests.RequestException as exc:
            return attempt(None, f"{type(exc).__name__}: {exc}"[:500])
        if 200 <= status < 300:
            return attempt(status, None)
        if 300 <= status < 400:
            return attempt(status, f"redirect not followed (HTTP {status} to {location})"[:500])
        return attempt(status, f"HTTP {status}")

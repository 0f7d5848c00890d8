"""Signed webhook deliveries (docs/webhooks.md): one POST per call, to the address just checked.

Each delivery re-checks the URL (domain.subscriptions.check_delivery_target) and then connects to
the address that passed the check, not to a fresh DNS answer: a host that resolves to a public
address at check time and to 169.254.169.254 a moment later (DNS rebinding) is never reached.
TLS is still verified for the URL's host name. Redirects are never followed (a 3xx is a failure:
it could point anywhere, the checks would not have seen it).

Retries are the caller's: `domain.delivery_retries.backoff_schedule(attempt)` gives the wait after a
failed attempt.

The delivery log, which the subscriber reads, keeps a classified outcome only (`outcome`:
http_<status>, timeout, connection_refused, tls_error, dns_error, connection_error,
blocked_address): raw socket errors and Location headers would let a subscriber map ports and
addresses behind its URL (issue #9). The raw detail goes to our own log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NameResolutionError

from chalicelib.domain.events import Event
from chalicelib.domain.subscriptions import LoopbackPorts, Resolver, WebhookTargetRefused, check_delivery_target
from chalicelib.observability import logger

SIGNATURE_VERSION = "v1"
HEADER_EVENT_ID = "X-Smartdecl-Event-Id"
HEADER_EVENT_TYPE = "X-Smartdecl-Event-Type"
HEADER_TIMESTAMP = "X-Smartdecl-Timestamp"
HEADER_SIGNATURE = "X-Smartdecl-Signature"
USER_AGENT = "SmartDecl-Webhooks/1"


def encode_body(event: Event) -> bytes:
    """The exact bytes that are sent and signed."""
    return json.dumps(event.as_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(secret: str, timestamp: int | str, event_id: str, body: bytes | str) -> str:
    """`v1=` + hex HMAC-SHA256, keyed with the secret's UTF-8 bytes, over "{timestamp}.{event_id}.{body}"."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.{event_id}.".encode() + raw, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def verify(
    secret: str, headers: Mapping[str, str], body: bytes | str, tolerance_seconds: int = 300, now: float | None = None
) -> bool:
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
    error: str | None = None  # the classified outcome of a failed attempt (never raw socket text)
    refused: bool = False  # the target failed the address check: nothing was sent
    outcome: str | None = None  # http_<status> | timeout | connection_refused | tls_error | dns_error | …

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300

    def as_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "url": self.url,
            "attempted_at": self.attempted_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "status_code": self.status_code,
            "duration_ms": self.duration_ms,
            "error": self.error,
            "outcome": self.outcome,
            "refused": self.refused,
            "ok": self.ok,
        }


class PinnedHostAdapter(HTTPAdapter):
    """Connects to the IP literal in the URL, and speaks TLS (SNI, certificate) for the Host header's name."""

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
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
        return host_header[1 : host_header.index("]")]
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
    `local_mode` allows loopback targets and plain http to them (the local stack and tests only),
    never to the stack's own ports (`loopback`): a subscription made before a port changed hands is
    checked again at every delivery.
    `verify_tls` is requests' `verify`: True, or a CA bundle path (tests).
    """

    def __init__(
        self,
        session: requests.Session | None = None,
        timeout_seconds: float = 5,
        resolver: Resolver | None = None,
        local_mode: bool = False,
        loopback: LoopbackPorts | None = None,
        clock: Callable[[], float] = time.time,
        verify_tls: bool | str = True,
    ) -> None:
        self._session = session or pinned_session()
        self._timeout = timeout_seconds
        self._resolver = resolver
        self._local_mode = local_mode
        self._loopback = loopback
        self._clock = clock
        self._verify = verify_tls

    def deliver(self, url: str, secret: str, event: Event) -> DeliveryAttempt:
        now = self._clock()
        at = datetime.fromtimestamp(now, UTC)
        started = time.monotonic()

        def attempt(status: int | None, outcome: str, refused: bool = False) -> DeliveryAttempt:
            failed = not (status is not None and 200 <= status < 300)
            return DeliveryAttempt(
                event.event_id,
                url,
                at,
                status,
                int((time.monotonic() - started) * 1000),
                outcome if failed else None,
                refused,
                outcome,
            )

        try:
            target = check_delivery_target(url, self._resolver, self._local_mode, self._loopback)
        except WebhookTargetRefused as exc:
            logger.info("webhook target refused", extra={"event_id": event.event_id, "reason": exc.message_en})
            return attempt(None, "dns_error" if exc.code == "unresolvable" else "blocked_address", refused=True)
        body, timestamp = encode_body(event), int(now)
        headers = {
            "Host": target.host_header,
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            HEADER_EVENT_ID: event.event_id,
            HEADER_EVENT_TYPE: event.event_type,
            HEADER_TIMESTAMP: str(timestamp),
            HEADER_SIGNATURE: sign(secret, timestamp, event.event_id, body),
        }
        try:
            # stream: the status line is all we need; never download what a receiver sends back
            with self._session.post(
                target.pinned_url(),
                data=body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,
                verify=self._verify,
            ) as response:
                status = response.status_code
        except requests.RequestException as exc:
            outcome = classify_failure(exc)
            logger.info(
                "webhook delivery failed",
                extra={"event_id": event.event_id, "outcome": outcome, "detail": f"{type(exc).__name__}: {exc}"[:500]},
            )
            return attempt(None, outcome)
        return attempt(status, f"http_{status}")  # a 3xx is a failure: redirects are never followed


def classify_failure(exc: BaseException) -> str:
    """A transport failure as one of a few outcomes a subscriber may see."""
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls_error"
    for cause in _causes(exc):
        if isinstance(cause, ConnectionRefusedError):
            return "connection_refused"
        if isinstance(cause, NameResolutionError) or type(cause).__name__ == "gaierror":
            return "dns_error"
    if "Connection refused" in str(exc) or "[Errno 111]" in str(exc):
        return "connection_refused"
    return "connection_error"


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception, what it wraps (urllib3's MaxRetryError.reason, args) and its chain."""
    seen: list[BaseException] = []
    todo: list[Any] = [exc]
    while todo and len(seen) < 20:
        current = todo.pop()
        if not isinstance(current, BaseException) or any(current is s for s in seen):
            continue
        seen.append(current)
        todo.extend([current.__cause__, current.__context__, *current.args])
        if isinstance(current, MaxRetryError):
            todo.append(current.reason)
    return seen

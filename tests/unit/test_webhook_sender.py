"""Webhook signatures (sign/verify), the retry schedule, and deliveries that must not leave: all without
a network (a recording session stands in for requests; real HTTP is in tests/integration)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from chalicelib.adapters.webhook_sender import (
    PinnedHostAdapter,
    WebhookSender,
    encode_body,
    sign,
    verify,
)
from chalicelib.domain.delivery_retries import MAX_ATTEMPTS, backoff_schedule
from chalicelib.domain.events import Event

SECRET = "5f" * 32
NOW = 1_711_000_000
EVENT = Event.make(
    "customs_receipt",
    seq_no="I20240001031824871",
    ie_flag="I",
    ent_codes=["1108919038"],
    occurred_at=datetime(2024, 3, 21, 2, 15, tzinfo=UTC),
    data={"channel": "L", "entry_id": "010120241000012345"},
    key="L:2024-03-21T10:20:00",
)


def headers_for(body: bytes, timestamp: int = NOW, secret: str = SECRET, event_id: str = EVENT.event_id) -> dict:
    return {
        "X-Smartdecl-Event-Id": event_id,
        "X-Smartdecl-Timestamp": str(timestamp),
        "X-Smartdecl-Signature": sign(secret, timestamp, event_id, body),
    }


class _Response:
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status_code, self.headers = status, headers or {}

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


class RecordingSession:
    """Stands in for requests.Session: records each POST and answers with a fixed status."""

    def __init__(
        self, status: int = 204, headers: dict[str, str] | None = None, error: Exception | None = None
    ) -> None:
        self.posts: list[dict[str, Any]] = []
        self.status, self.headers, self.error = status, headers, error

    def post(self, url: str, **kwargs: Any) -> _Response:
        self.posts.append({"url": url, **kwargs})
        if self.error:
            raise self.error
        return _Response(self.status, self.headers)


def sender(session: RecordingSession, dns: dict[str, list[str]] | None = None, **kw: Any) -> WebhookSender:
    table = dns or {}
    return WebhookSender(
        session=session, resolver=lambda host: table.get(host, ["93.184.216.34"]), clock=lambda: NOW + 0.75, **kw
    )


# ---- sign / verify ---------------------------------------------------------------------------------


def test_the_signature_is_hmac_sha256_over_timestamp_event_id_and_body():
    import hashlib
    import hmac

    body = b'{"a":1}'

    expected = hmac.new(SECRET.encode(), f"{NOW}.evt1.".encode() + body, hashlib.sha256).hexdigest()

    assert sign(SECRET, NOW, "evt1", body) == f"v1={expected}"
    assert sign(SECRET, str(NOW), "evt1", body.decode()) == f"v1={expected}"


def test_a_genuine_delivery_verifies():
    body = encode_body(EVENT)

    assert verify(SECRET, headers_for(body), body, now=NOW + 10)


def test_header_names_are_matched_case_insensitively():
    body = encode_body(EVENT)

    assert verify(SECRET, {k.lower(): v for k, v in headers_for(body).items()}, body, now=NOW)


def test_a_tampered_body_does_not_verify():
    body = encode_body(EVENT)

    assert not verify(SECRET, headers_for(body), body.replace(b"010120241000012345", b"010120241000099999"), now=NOW)


def test_another_event_id_does_not_verify():
    body = encode_body(EVENT)
    headers = {**headers_for(body), "X-Smartdecl-Event-Id": "0" * 32}

    assert not verify(SECRET, headers, body, now=NOW)


def test_a_wrong_secret_does_not_verify():
    body = encode_body(EVENT)

    assert not verify("another-secret", headers_for(body), body, now=NOW)


@pytest.mark.parametrize("age", [301, -301, 86_400])
def test_a_timestamp_outside_the_tolerance_does_not_verify(age):
    body = encode_body(EVENT)

    assert not verify(SECRET, headers_for(body), body, now=NOW + age)
    assert verify(SECRET, headers_for(body), body, now=NOW + age, tolerance_seconds=abs(age))


@pytest.mark.parametrize("drop", ["X-Smartdecl-Event-Id", "X-Smartdecl-Timestamp", "X-Smartdecl-Signature"])
def test_a_delivery_missing_a_header_does_not_verify(drop):
    body = encode_body(EVENT)
    headers = headers_for(body)
    del headers[drop]

    assert not verify(SECRET, headers, body, now=NOW)


def test_one_of_several_signatures_may_match_while_a_secret_is_rotated():
    body = encode_body(EVENT)
    headers = headers_for(body)
    headers["X-Smartdecl-Signature"] = (
        sign("old-secret", NOW, EVENT.event_id, body) + ", " + headers["X-Smartdecl-Signature"]
    )

    assert verify(SECRET, headers, body, now=NOW)


# ---- retries -------------------------------------------------------------------------------------


def test_the_backoff_is_10s_1min_5min_30min_2h_then_give_up_after_six_attempts():
    assert [backoff_schedule(n) for n in range(1, MAX_ATTEMPTS + 1)] == [10, 60, 300, 1800, 7200, None]
    assert MAX_ATTEMPTS == 6
    with pytest.raises(ValueError):
        backoff_schedule(0)


# ---- deliver without a network --------------------------------------------------------------------


def test_a_delivery_posts_the_signed_body_to_the_checked_address_with_the_host_header():
    session = RecordingSession(status=200)

    attempt = sender(session).deliver("https://erp.example.com/customs/events", SECRET, EVENT)

    [post] = session.posts
    assert post["url"] == "https://93.184.216.34:443/customs/events"
    assert post["headers"]["Host"] == "erp.example.com" and post["allow_redirects"] is False
    assert post["data"] == encode_body(EVENT) and post["headers"]["X-Smartdecl-Timestamp"] == str(NOW)
    assert verify(SECRET, post["headers"], post["data"], now=NOW)
    assert attempt.ok and attempt.status_code == 200 and attempt.error is None
    assert attempt.attempted_at == datetime.fromtimestamp(NOW + 0.75, UTC)


def test_a_target_resolving_to_a_private_address_is_refused_at_delivery_and_nothing_is_sent():
    session = RecordingSession()

    attempt = sender(session, {"erp.example.com": ["10.0.0.8"]}).deliver("https://erp.example.com/in", SECRET, EVENT)

    assert session.posts == []
    assert attempt.refused and not attempt.ok and attempt.status_code is None
    assert attempt.error == attempt.outcome == "blocked_address"  # the address itself is not shown


def test_a_host_that_turned_to_the_metadata_address_after_subscribing_is_refused():
    # DNS rebinding: public when subscribed, metadata when delivering
    answers = iter([["93.184.216.34"], ["169.254.169.254"]])
    from chalicelib.domain.subscription_content import parse_subscription

    resolve = lambda host: next(answers)  # noqa: E731
    _, errors = parse_subscription({"protocol": "webhook", "endpoint": "https://rebind.example.com/"}, resolver=resolve)
    session = RecordingSession()

    attempt = WebhookSender(session=session, resolver=resolve).deliver("https://rebind.example.com/", SECRET, EVENT)

    assert errors == [] and session.posts == [] and attempt.refused and attempt.error == "blocked_address"


def test_a_loopback_target_is_refused_outside_local_mode():
    session = RecordingSession()

    attempt = sender(session).deliver("https://127.0.0.1:8443/in", SECRET, EVENT)

    assert attempt.refused and session.posts == []


def test_a_subscription_to_a_port_the_local_stack_took_later_is_refused_at_delivery():
    from chalicelib.domain.subscriptions import LoopbackPorts

    session = RecordingSession()
    local = WebhookSender(session=session, local_mode=True, loopback=LoopbackPorts(stack=frozenset({5000})))

    attempt = local.deliver("http://127.0.0.1:5000/moto-api/reset", SECRET, EVENT)

    assert attempt.refused and attempt.error == "blocked_address" and session.posts == []


def test_a_redirect_answer_is_a_failure_that_does_not_record_where_it_pointed():
    session = RecordingSession(status=302, headers={"Location": "http://169.254.169.254/"})

    attempt = sender(session).deliver("https://erp.example.com/in", SECRET, EVENT)

    assert not attempt.ok and attempt.status_code == 302 and attempt.error == "http_302"
    assert "169.254.169.254" not in str(attempt.as_json())


def test_a_server_error_and_a_transport_error_are_recorded():
    failed = sender(RecordingSession(status=503)).deliver("https://erp.example.com/in", SECRET, EVENT)
    timed_out = sender(RecordingSession(error=requests.ConnectTimeout("slow"))).deliver(
        "https://erp.example.com/in", SECRET, EVENT
    )

    assert (failed.status_code, failed.error, failed.refused) == (503, "http_503", False)
    assert timed_out.status_code is None and timed_out.error == "timeout" and not timed_out.refused
    assert timed_out.as_json()["ok"] is False and timed_out.as_json()["attempted_at"].endswith("Z")


def test_the_pinning_adapter_checks_tls_for_the_name_in_the_host_header():
    request = requests.Request("POST", "https://93.184.216.34:443/in", headers={"Host": "erp.example.com"}).prepare()

    host_params, pool_kwargs = PinnedHostAdapter().build_connection_pool_key_attributes(request, True)

    assert host_params["host"] == "93.184.216.34"
    assert pool_kwargs["server_hostname"] == pool_kwargs["assert_hostname"] == "erp.example.com"


def test_the_recipe_in_the_docs_verifies_a_delivery_and_refuses_a_tampered_one():
    import re
    import time as _time
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text(encoding="utf-8")
    [snippet] = [block for block in re.findall(r"```python\n(.*?)```", docs, re.DOTALL) if "def verify" in block]
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)  # our own documentation
    body, now = encode_body(EVENT), int(_time.time())

    assert namespace["verify"](SECRET, headers_for(body, timestamp=now), body)
    assert not namespace["verify"](SECRET, headers_for(body, timestamp=now), body + b" ")
    assert not namespace["verify"](SECRET, headers_for(body, timestamp=now - 600), body)

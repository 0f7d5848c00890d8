"""Issue #9: the webhook delivery log says what happened in a few words a subscriber may see, never
raw socket text, addresses or Location headers (which would let it probe ports behind its URL)."""

from __future__ import annotations

import json
import socket

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from chalicelib.adapters.webhook_sender import WebhookSender, classify_failure
from tests.unit.test_webhook_sender import EVENT


def _refused() -> requests.ConnectionError:
    inner = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    inner.__cause__ = ConnectionRefusedError(111, "Connection refused")
    return requests.ConnectionError(MaxRetryError(None, "/hook", inner))


@pytest.mark.parametrize(
    "exc, outcome",
    [
        (requests.ConnectTimeout("connect timed out"), "timeout"),
        (requests.ReadTimeout("read timed out"), "timeout"),
        (requests.exceptions.SSLError("certificate verify failed: IP address mismatch"), "tls_error"),
        (_refused(), "connection_refused"),
        (
            requests.ConnectionError(
                MaxRetryError(None, "/", NameResolutionError("h", None, socket.gaierror(-2, "x")))
            ),
            "dns_error",
        ),
        (requests.ConnectionError("Connection reset by peer"), "connection_error"),
        (requests.exceptions.ChunkedEncodingError("broken"), "connection_error"),
    ],
)
def test_transport_failures_are_classified(exc, outcome):
    assert classify_failure(exc) == outcome


def test_an_unresolvable_host_is_a_dns_error_and_a_private_one_is_blocked():
    def resolver(host: str) -> list[str]:
        if host == "gone.example.com":
            raise socket.gaierror(-2, "Name or service not known")
        return ["10.1.2.3"]

    sender = WebhookSender(resolver=resolver)

    gone = sender.deliver("https://gone.example.com/hook", "s" * 32, EVENT)
    private = sender.deliver("https://inside.example.com:6379/hook", "s" * 32, EVENT)

    assert (gone.outcome, gone.refused) == ("dns_error", True)
    assert (private.outcome, private.refused) == ("blocked_address", True)
    assert "10.1.2.3" not in json.dumps(private.as_json()) and "6379" not in str(private.error)

"""WebhookSender over real HTTP(S) to a server on 127.0.0.1, in local mode."""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from chalicelib.adapters.webhook_sender import WebhookSender, encode_body, verify
from chalicelib.domain.events import Event

SECRET = "a1" * 32
EVENT = Event.make(
    "smart_status_changed",
    seq_no="I20240001031824871",
    ie_flag="I",
    ent_codes=["1108919038"],
    occurred_at=datetime(2024, 3, 21, 2, 15, tzinfo=dt.UTC),
    data={"smart_status": "succeeded", "entry_id": "010120241000012345"},
    key="succeeded:4",
)


class Receiver(BaseHTTPRequestHandler):
    """/hook 204, /redirect 302 to /hook, /fail 500, /slow answers after half a second."""

    received: list[dict] = []

    def do_POST(self) -> None:  # http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if self.path == "/slow":
            time.sleep(0.5)
        status = {"/hook": 204, "/redirect": 302, "/fail": 500}.get(self.path, 404)
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "/hook")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@contextmanager
def serving(tls: ssl.SSLContext | None = None) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serving() as p:
        yield p


@pytest.fixture(autouse=True)
def _clear() -> None:
    Receiver.received = []


def local_sender(**kw) -> WebhookSender:
    dns = {"hooks.local.test": ["127.0.0.1"], "localhost": ["127.0.0.1"]}
    return WebhookSender(local_mode=True, resolver=lambda host: dns[host], **{"timeout_seconds": 2, **kw})


def test_a_delivery_arrives_signed_with_the_documented_headers(port):
    before = int(time.time())

    attempt = local_sender().deliver(f"http://localhost:{port}/hook", SECRET, EVENT)

    assert attempt.ok and attempt.status_code == 204 and attempt.duration_ms >= 0
    [got] = Receiver.received
    headers = got["headers"]
    assert got["body"] == encode_body(EVENT)
    assert headers["Host"] == f"localhost:{port}" and headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["X-Smartdecl-Event-Id"] == EVENT.event_id
    assert before <= int(headers["X-Smartdecl-Timestamp"]) <= int(time.time())
    assert headers["X-Smartdecl-Signature"].startswith("v1=")
    assert verify(SECRET, headers, got["body"])


def test_the_delivery_connects_to_the_checked_address_not_to_a_new_dns_answer(port):
    # "hooks.local.test" exists only in the injected resolver: real DNS would fail
    attempt = local_sender().deliver(f"http://hooks.local.test:{port}/hook", SECRET, EVENT)

    assert attempt.ok and Receiver.received[0]["headers"]["Host"] == f"hooks.local.test:{port}"


def test_a_redirect_is_not_followed_and_its_location_is_not_recorded(port):
    attempt = local_sender().deliver(f"http://127.0.0.1:{port}/redirect", SECRET, EVENT)

    assert not attempt.ok and attempt.status_code == 302 and attempt.error == attempt.outcome == "http_302"
    assert "/hook" not in json.dumps(attempt.as_json())
    assert [r["path"] for r in Receiver.received] == ["/redirect"]


def test_a_server_error_is_a_failed_attempt(port):
    attempt = local_sender().deliver(f"http://127.0.0.1:{port}/fail", SECRET, EVENT)

    assert (attempt.ok, attempt.status_code, attempt.error, attempt.outcome) == (False, 500, "http_500", "http_500")


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(port):
    attempt = local_sender(timeout_seconds=0.1).deliver(f"http://127.0.0.1:{port}/slow", SECRET, EVENT)

    assert not attempt.ok and attempt.status_code is None and attempt.error == "timeout"


def test_a_closed_port_is_recorded_as_connection_refused_without_socket_text():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]

    attempt = local_sender().deliver(f"http://127.0.0.1:{closed}/hook", SECRET, EVENT)

    assert not attempt.ok and not attempt.refused and attempt.error == attempt.outcome == "connection_refused"
    assert "Errno" not in json.dumps(attempt.as_json()) and str(closed) not in attempt.error


def test_loopback_is_refused_when_not_in_local_mode(port):
    attempt = WebhookSender(timeout_seconds=2).deliver(f"http://127.0.0.1:{port}/hook", SECRET, EVENT)

    assert attempt.refused and Receiver.received == []


# ---- TLS: pinned to 127.0.0.1, verified for the host name -------------------------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> dict[str, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = dt.datetime.now(dt.UTC)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("test ca"))
        .issuer_name(name("test ca"))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name("hooks.local.test"))
        .issuer_name(ca.subject)
        .public_key(leaf_key.public_key())
        .serial_number(2)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("hooks.local.test")]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    files = {"ca": folder / "ca.pem", "cert": folder / "leaf.pem", "key": folder / "leaf.key"}
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files["cert"].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return files


@pytest.fixture(scope="module")
def tls_port(tls_files) -> Iterator[int]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files["cert"], tls_files["key"])
    with serving(context) as p:
        yield p


def test_https_to_a_pinned_address_verifies_the_certificate_for_the_host_name(tls_port, tls_files):
    attempt = local_sender(verify_tls=str(tls_files["ca"])).deliver(
        f"https://hooks.local.test:{tls_port}/hook", SECRET, EVENT
    )

    assert attempt.ok, attempt.error
    assert Receiver.received[0]["headers"]["Host"] == f"hooks.local.test:{tls_port}"


def test_https_to_a_host_the_certificate_does_not_name_fails(tls_port, tls_files):
    attempt = local_sender(verify_tls=str(tls_files["ca"])).deliver(f"https://localhost:{tls_port}/hook", SECRET, EVENT)

    assert not attempt.ok and attempt.error == "tls_error" and Receiver.received == []

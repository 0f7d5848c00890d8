"""`smartdecl login` against a deployed service: the browser sign-in (authorization code + PKCE, a
loopback redirect), with a stand-in for the API and its identity provider on loopback, and the
browser played by a function that follows the URL."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from typer.testing import CliRunner

from infra.local_aws import free_port
from smartdecl_cli import signin
from smartdecl_cli.main import app

ID_TOKEN = "header.eyJlbnRfY29kZSI6IjExMDg5MTkwMzgifQ.signature"  # ent_code 1108919038, read unverified


@dataclass
class Provider:
    """The deployed API (health, config.json, enablement) and the identity provider, in one server."""

    base: str = ""
    refuse: str | None = None  # an OAuth error the provider answers instead of a code
    authorize: dict[str, str] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)  # code → its challenge


class ProviderHandler(BaseHTTPRequestHandler):
    server: ProviderServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        route = {
            "/health": self.health,
            "/console/config.json": self.config,
            "/oauth2/authorize": self.authorize,
            "/enablement": self.enablement,
        }.get(parts.path)
        if route is None:
            return self._json(404, {"code": "not_found"})
        return route(query)

    def health(self, query: dict[str, str]) -> None:
        self._json(200, {"status": "ok"})

    def config(self, query: dict[str, str]) -> None:
        base = self.server.state.base
        self._json(
            200,
            {
                "sign_in": "oidc",
                "client_id": "console-client",
                "scopes": "openid profile email",
                "authorize_url": f"{base}/oauth2/authorize",
                "token_url": f"{base}/oauth2/token",
            },
        )

    def authorize(self, query: dict[str, str]) -> None:
        state = self.server.state
        state.authorize = query
        answer = {"error": state.refuse} if state.refuse else {"code": "the-code"}
        state.codes["the-code"] = query.get("code_challenge", "")
        self.send_response(302)
        self.send_header("Location", f"{query['redirect_uri']}?{urlencode({**answer, 'state': query['state']})}")
        self.end_headers()

    def enablement(self, query: dict[str, str]) -> None:
        if self.headers.get("Authorization") != f"Bearer {ID_TOKEN}":
            return self._json(401, {"code": "sign_in_required", "message_en": "Sign in"})
        return self._json(200, {"enabled": True})

    def do_POST(self) -> None:  # the token endpoint: the code and its PKCE verifier
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        form = {k: v[0] for k, v in parse_qs(body).items()}
        state = self.server.state
        state.token_requests.append(form)
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        if state.codes.get(form.get("code", "")) != challenge:
            return self._json(400, {"error": "invalid_grant"})
        return self._json(200, {"id_token": ID_TOKEN, "token_type": "Bearer", "expires_in": 3600})

    def _json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ProviderServer(ThreadingHTTPServer):
    def __init__(self, state: Provider) -> None:
        self.state = state
        super().__init__(("127.0.0.1", 0), ProviderHandler)


@pytest.fixture
def provider() -> Iterator[Provider]:
    state = Provider()
    server = ProviderServer(state)
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def browser(monkeypatch) -> list[str]:
    """The person's browser: follows the sign-in URL (the provider redirects it to the CLI's loopback)."""
    opened: list[str] = []

    def open_url(url: str) -> None:
        opened.append(url)
        # a browser is another process: it must not block the CLI, which now waits for the redirect
        threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 10}, daemon=True).start()

    monkeypatch.setattr(signin, "OPEN_BROWSER", open_url)
    return opened


def run_login(provider: Provider, tmp_path, *args: str):
    env = {"SMARTDECL_CONFIG_DIR": str(tmp_path / "config"), "SMARTDECL_LANG": "en", "SMARTDECL_BACKOFF_SECONDS": "0"}
    port = free_port()
    result = CliRunner().invoke(
        app, ["--url", provider.base, "login", "--callback-port", str(port), *args], env=env, catch_exceptions=False
    )
    return result, port


def saved_profiles(tmp_path) -> dict:
    path = tmp_path / "config" / "profiles.json"
    return json.loads(path.read_text()) if path.exists() else {}


def test_login_to_a_deployed_service_signs_in_in_the_browser_with_pkce_and_saves_the_id_token(
    provider, browser, tmp_path
):
    result, port = run_login(provider, tmp_path)

    assert result.exit_code == 0, result.output
    assert saved_profiles(tmp_path)["default"] == {"url": provider.base, "token": ID_TOKEN}
    # the provider saw a public client with PKCE (S256) and the loopback redirect
    assert provider.authorize["client_id"] == "console-client"
    assert provider.authorize["code_challenge_method"] == "S256"
    assert provider.authorize["redirect_uri"] == f"http://localhost:{port}/callback"
    (exchange,) = provider.token_requests
    assert exchange["grant_type"] == "authorization_code" and exchange["code_verifier"]
    assert browser == [browser[0]] and browser[0].startswith(f"{provider.base}/oauth2/authorize?")


def test_login_saves_nothing_when_the_identity_provider_refuses(provider, browser, tmp_path):
    provider.refuse = "access_denied"
    result, _ = run_login(provider, tmp_path)
    assert result.exit_code == 1 and "access_denied" in result.output
    assert saved_profiles(tmp_path) == {}


def test_login_to_a_deployed_service_refuses_the_local_options(provider, browser, tmp_path):
    result, _ = run_login(provider, tmp_path, "--ent-code", "1108919038")
    assert result.exit_code == 2 and "local only" in result.output
    assert browser == [] and saved_profiles(tmp_path) == {}


def test_login_saves_nothing_when_nothing_answers_at_the_url(tmp_path):
    not_ours = Provider(base=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    result, _ = run_login(not_ours, tmp_path)
    assert result.exit_code == 1 and "unreachable" in result.output.lower()
    assert saved_profiles(tmp_path) == {}

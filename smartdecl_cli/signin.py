"""Signing in through the public API only, the way the console does: the API's `console/config.json`
says how. Locally (`make run`) `POST /dev/token` issues a development token for a chosen enterprise
and card; deployed, the identity provider signs the person in in their browser (OAuth 2.0
authorization code with PKCE, RFC 7636, and a loopback redirect, RFC 8252 §7.3) and its ID token
is the bearer token."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from smartdecl_client import ApiError, Client

# Tests replace the browser with a function that follows the URL itself.
OPEN_BROWSER: Callable[[str], Any] = webbrowser.open
DEFAULT_CALLBACK_PORT = 8765  # the redirect http://localhost:8765/callback is registered with the identity provider


class SignInFailed(Exception):
    """The identity provider did not sign the person in (denied, timed out, or a bad answer)."""


@dataclass(frozen=True)
class LocalCard:
    ent_code: str
    ent_uscc: str | None
    role: str
    card_no: str


def sign_in_mode(client: Client) -> dict[str, Any]:
    """The service answers (GET /health), then says how people sign in (console/config.json)."""
    health = client.get("/health")
    if not isinstance(health, dict):
        raise SignInFailed(f"{client.url} answered /health, but not as a smartdecl API")
    try:
        config = client.get("/console/config.json")
    except ApiError as exc:
        raise SignInFailed(f"{client.url} does not say how to sign in (console/config.json: {exc.status})") from exc
    if not isinstance(config, dict) or config.get("sign_in") not in ("local", "oidc", "unconfigured"):
        raise SignInFailed(f"{client.url} does not say how to sign in (console/config.json)")
    return config


def local_token(client: Client, card: LocalCard) -> str:
    """The local stack's development token (the deployed API has no /dev/token)."""
    body = {"ent_code": card.ent_code, "ent_uscc": card.ent_uscc, "role": card.role, "card_no": card.card_no}
    answer = client.post("/dev/token", body)
    return str(answer["id_token"])


def browser_token(
    config: dict[str, Any], *, port: int = DEFAULT_CALLBACK_PORT, timeout_seconds: float = 300, say=print
) -> str:
    """The identity provider's ID token, after the person signed in in their browser."""
    verifier = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9_-], within RFC 7636's 43..128
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    redirect_uri = f"http://localhost:{port}/callback"
    url = (
        config["authorize_url"]
        + "?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": config["client_id"],
                "redirect_uri": redirect_uri,
                "scope": config.get("scopes") or "openid",
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )
    with _Callback(port, timeout_seconds) as callback:  # listening before the browser is sent there
        say(f"Sign in in your browser; if it does not open, visit:\n{url}")
        OPEN_BROWSER(url)
        query = callback.wait()
    if query.get("state") != state:
        raise SignInFailed("the sign-in answer does not belong to this sign-in (state differs)")
    if "error" in query:
        raise SignInFailed(f"the identity provider refused: {query['error']} {query.get('error_description', '')}")
    if not query.get("code"):
        raise SignInFailed("the identity provider sent no code")
    answer = requests.post(
        config["token_url"],
        data={
            "grant_type": "authorization_code",
            "client_id": config["client_id"],
            "code": query["code"],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        timeout=30,
    )
    if not answer.ok:
        raise SignInFailed(f"the identity provider refused the code: HTTP {answer.status_code}")
    token = (answer.json() or {}).get("id_token")
    if not token:
        raise SignInFailed("the identity provider's answer has no id_token")
    return str(token)


class _Callback:
    """One request to http://localhost:<port>/callback, read and answered with a short page."""

    def __init__(self, port: int, timeout_seconds: float) -> None:
        self.query: dict[str, str] | None = None
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != "/callback":
                    self.send_error(404)
                    return
                owner.query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                body = "smartdecl: 登录完成，可以关闭此页。Signed in; you may close this page.".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        try:
            self.server = HTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise SignInFailed(f"cannot listen on localhost:{port} ({exc}); try another --callback-port") from exc
        self.timeout_seconds = timeout_seconds

    def __enter__(self) -> _Callback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.server_close()

    def wait(self) -> dict[str, str]:
        deadline = time.monotonic() + self.timeout_seconds
        while self.query is None:  # other requests (a favicon) may come first
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SignInFailed("no answer from the browser sign-in in time")
            self.server.timeout = remaining
            self.server.handle_request()
        return self.query

"""The CLI against the API in-process: requests go through a transport into Chalice's test client
(the same wiring as the integration tests, on moto); the local runner plays the queues between
requests, and the fixed clock moves past the event feed's settle time."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from typer.testing import CliRunner

import smartdecl_client
from smartdecl_cli.main import app
from tests.factories import ENT_A, token

URL = "http://127.0.0.1:8000"


class ProcessDied(Exception):
    """Stands in for a crash (kill -9, power cut): not an error the CLI could handle."""


@dataclass
class ChaliceTransport(BaseAdapter):
    """requests → Chalice's test client. `before` runs ahead of each request (the engine's turn);
    `crash_after(n, path)` lets the n-th request to `path` reach the API, then dies before its answer."""

    http: Any
    before: Callable[[], None] | None = None
    sent: list[tuple[str, str]] = field(default_factory=list)
    _crash: tuple[int, str] | None = None
    _refuse_connection: int = 0

    def __post_init__(self) -> None:
        super().__init__()

    def crash_after(self, n: int, path: str) -> None:
        self._crash = (n, path)

    def refuse_connections(self, times: int) -> None:
        self._refuse_connection = times

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if self._refuse_connection:
            self._refuse_connection -= 1
            raise requests.ConnectionError("connection refused (test)")
        if self.before:
            self.before()
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = request.body or b""
        answer = self.http.request(
            request.method, path, headers=dict(request.headers), body=body.encode() if isinstance(body, str) else body
        )
        self.sent.append((request.method, parts.path))
        if self._crash and sum(1 for _, p in self.sent if p == self._crash[1]) == self._crash[0]:
            self._crash = None
            raise ProcessDied()
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.body if isinstance(answer.body, bytes) else (answer.body or "").encode()
        response.headers = CaseInsensitiveDict(answer.headers)
        response.url, response.request = request.url, request
        return response

    def close(self) -> None:
        pass


@dataclass
class Cli:
    runner: CliRunner
    transport: ChaliceTransport
    env: dict[str, str]

    def __call__(self, *args: str, token_: str | None = None) -> Any:
        env = dict(self.env)
        if token_ is not None:
            env["SMARTDECL_TOKEN"] = token_
        result = self.runner.invoke(app, [str(a) for a in args], env=env)
        result.json = _json(result.stdout)
        return result


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


@pytest.fixture
def cli(api, runner, container, tmp_path, monkeypatch):
    """`cli("import", "file.json", "--json")` → a click Result with .exit_code, .stdout, .json."""

    def engine_turn() -> None:
        runner.drain()
        container.clock.advance(seconds=3)

    transport = ChaliceTransport(api.client.http, before=engine_turn)
    monkeypatch.setattr(smartdecl_client, "TRANSPORT", transport)
    env = {
        "SMARTDECL_URL": URL,
        "SMARTDECL_TOKEN": token(ENT_A),
        "SMARTDECL_CONFIG_DIR": str(tmp_path / "config"),
        "SMARTDECL_BACKOFF_SECONDS": "0",
        "SMARTDECL_LANG": "en",
        "COLUMNS": "200",
    }
    return Cli(CliRunner(), transport, env)


@pytest.fixture
def customs_endpoint(simulator_url):
    return simulator_url

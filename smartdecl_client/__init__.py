"""The HTTP client of smartdecl's public API, shared by the `smartdecl` CLI and the broker-side agent:
bearer token, the API's bilingual errors, retries with back-off where safe. Only `requests`: the
agent's PC has nothing of the service installed."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import BaseAdapter

# Requests that may be sent twice without doing anything twice. A POST joins them only when it
# carries an Idempotency-Key (imports) — the API then answers a repeat with the first answer.
SAFE_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})

# Tests mount an in-process transport here (the Chalice test client); None: the network.
TRANSPORT: BaseAdapter | None = None


class ApiError(Exception):
    """The service refused: its {code, message_zh, message_en, details} and the HTTP status."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        self.status = status
        self.code = str(body.get("code") or "error")
        self.message_zh = str(body.get("message_zh") or body.get("message") or "请求失败")
        self.message_en = str(body.get("message_en") or body.get("message") or "Request failed")
        self.details = body.get("details")
        super().__init__(f"{status} {self.code}: {self.message_en}")


class Unreachable(Exception):
    """No answer from the service (after the retries, where retrying was safe)."""


class Client:
    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        retries: int = 4,
        backoff_seconds: float = 0.5,
        timeout_seconds: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = "smartdecl-cli/1",
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.retries, self.backoff, self.timeout, self.sleep = retries, backoff_seconds, timeout_seconds, sleep
        self.user_agent = user_agent
        self.session = requests.Session()
        if TRANSPORT is not None:
            self.session.mount("http://", TRANSPORT)
            self.session.mount("https://", TRANSPORT)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, json=body, **kw)

    def put(self, path: str, body: Any = None) -> Any:
        return self.request("PUT", path, json=body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = False,
    ) -> Any:
        """`idempotent`: the route does nothing twice when sent twice (the agent's routes), so a POST
        is retried too."""
        hdrs = {"Accept": "application/json", "User-Agent": self.user_agent, **(headers or {})}
        if self.token:
            hdrs["Authorization"] = f"Bearer {self.token}"
        retry_safe = idempotent or method in SAFE_METHODS or "Idempotency-Key" in hdrs
        clean = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.session.request(
                    method, self.url + path, params=clean, json=json, data=data, headers=hdrs, timeout=self.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if not retry_safe or attempt > self.retries:
                    raise Unreachable(f"{self.url}: {type(exc).__name__}") from exc
            else:
                if response.status_code in RETRY_STATUSES and retry_safe and attempt <= self.retries:
                    pass
                elif response.status_code >= 400:
                    raise ApiError(response.status_code, _body(response))
                else:
                    return _body(response) if response.content else None
            self.sleep(self.backoff * 2 ** (attempt - 1))


def _param(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"code": f"http_{response.status_code}", "message": response.text[:200]}

"""requests → the service's own exchange-channel use cases, in this process: what the agent's routes
(chalicelib/api/agent.py) call, on the engine harness's fakes (tests/exchange_fakes.exchange_harness),
as one agent credential of the enterprise. The real agent then talks to the real service logic
(leases, sends, the declaration's lifecycle, receipts) without a stack: fast enough for a hundred
declarations in a test. The route layer it stands in for is thin (parse, call one service, answer)
and has its own tests (tests/integration, tests/e2e)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from chalicelib.api.errors import STATUS
from chalicelib.domain.errors import DomainError
from chalicelib.domain.identity import Identity
from chalicelib.services import exchange, exchange_channel, exchange_inbox
from chalicelib.services.exchange import Exchange

_ITEM = re.compile(r"^/agent/outbox/([^/]+)/([^/]+)/(written|events)$")


class ServiceTransport(BaseAdapter):
    """`after(method, path)` runs once the service has handled a request, before the agent reads the
    answer: a test may kill the agent there (the service committed; the agent never knew)."""

    def __init__(self, x: Exchange, identity: Identity, after: Callable[[str, str], None] | None = None) -> None:
        super().__init__()
        self.x, self.identity, self.after = x, identity, after
        self.handled: list[tuple[str, str]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        path = parts.path[parts.path.find("/agent/") :]  # without the stage (/prod)
        body = request.body or b""
        data = body.encode() if isinstance(body, str) else body
        method = request.method or "GET"
        try:
            status, payload = 200, self._route(method, path, parse_qs(parts.query), request.headers, data)
        except DomainError as err:
            status, payload = STATUS.get(err.kind, 400), err.as_dict()
        self.handled.append((method, path))
        if self.after is not None:
            self.after(method, path)
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(payload, ensure_ascii=False).encode()
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
        response.url, response.request = request.url, request
        return response

    def _route(self, method: str, path: str, query: dict[str, list[str]], headers: Any, data: bytes) -> Any:
        x, me = self.x, self.identity
        if (method, path) == ("GET", "/agent/outbox"):
            return exchange.take(x, me, (query.get("max") or [None])[0])
        if (method, path) == ("POST", "/agent/inbox"):
            name, sha = headers.get("X-Smartdecl-File-Name"), headers.get("X-Smartdecl-File-Sha256")
            return exchange_inbox.apply_inbox_file(x, me, name, sha, data)
        if (method, path) == ("POST", "/agent/heartbeat"):
            return exchange_channel.heartbeat(x, me, json.loads(data))
        found = _ITEM.match(path)
        if method == "POST" and found:
            client_seq_no, send_no, what = found[1], exchange.send_number(found[2]), found[3]
            use = exchange.acknowledge if what == "written" else exchange.report
            return use(x, me, client_seq_no, send_no, json.loads(data))
        raise DomainError("not_found", "无此路径", f"no route {method} {path}", kind="not_found")

    def close(self) -> None:
        pass

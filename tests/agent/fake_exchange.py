"""A stand-in for the service's side of docs/customs-channel.md (the agent's routes), in memory, with
a clock the test moves: leases of 5 minutes, acknowledgements, idempotent events, InBox files applied
once by (name, sha256), heartbeats. Reached in-process through a requests transport, or over HTTP
(`serve`) by an agent in another process."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.etree import ElementTree

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

CREDENTIAL = "sdag_TESTAGENT01.s3cret-of-the-agent"
PERSON_TOKEN = "a-legal-card-holder-s-token"
LEASE = timedelta(minutes=5)
_ITEM = re.compile(r"^/agent/outbox/([^/]+)/(\d+)/(written|events)$")


def message_xml(client_seq_no: str, note: str = "") -> bytes:
    """A small DecMessage, enough for the agent (which never reads it) and the simulator's checks."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<DecMessage xmlns="http://www.chinaport.gov.cn/dec" Version="4.8"><DecHead>'
        f"<SeqNo>{client_seq_no}</SeqNo><IEFlag>I</IEFlag><CustomMaster>0101</CustomMaster>"
        f"<AgentCode>1108919038</AgentCode><TradeCode>1108919038</TradeCode><NoteS>{note}</NoteS>"
        "</DecHead><DecLists><DecList><GNo>1</GNo><CodeTS>8471300000</CodeTS><GName>笔记本电脑</GName></DecList>"
        f"</DecLists><DecSign><OperType>C</OperType><ClientSeqNo>{client_seq_no}</ClientSeqNo></DecSign>"
        "</DecMessage>"
    ).encode()


@dataclass
class Item:
    client_seq_no: str
    send_no: int
    ie_flag: str
    xml: bytes
    first_try: int
    state: str = "queued"  # queued, taken, written, sent, send_failed, gave_up
    lease_token: str | None = None
    lease_expires: datetime | None = None
    handed_out: int = 0
    acks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.xml).hexdigest()


@dataclass
class FakeExchange:
    now: datetime = field(default_factory=lambda: datetime(2024, 3, 20, 2, 0, tzinfo=UTC))
    credential: str = CREDENTIAL
    down: bool = False
    items: dict[tuple[str, int], Item] = field(default_factory=dict)
    events: list[tuple[str, int, int, str]] = field(default_factory=list)  # every event received
    receipts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    forwarded: Counter = field(default_factory=Counter)  # (name, sha) → times received
    heartbeats: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    credentials_created: int = 0
    enabled: bool = True  # has the enterprise accepted the user notice (a person's routes need it)
    credential_list: list[dict[str, Any]] = field(default_factory=list)
    _tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- the test's side ----------------------------------------------------------------

    def queue(
        self, client_seq_no: str, *, send_no: int = 1, first_try: int = 1, ie_flag: str = "I", note: str = ""
    ) -> Item:
        item = Item(client_seq_no, send_no, ie_flag, message_xml(client_seq_no, note), first_try)
        self.items[(client_seq_no, send_no)] = item
        return item

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def event_set(self) -> set[tuple[str, int, int, str]]:
        return set(self.events)

    def applied(self) -> dict[tuple[str, str], int]:
        return {k: 1 for k, r in self.receipts.items() if r["outcome"] == "applied"}

    # ---- the routes -----------------------------------------------------------------------

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        parts = urlsplit(url)
        path = re.sub(r"^/prod(?=/)", "", parts.path)  # the API's stage, as deployed
        parts = parts._replace(path=path)
        with self._lock:
            self.requests.append((method, parts.path))
            if (method, parts.path) == ("POST", "/dev/token"):  # a person signs in (the local stack's way)
                return 200, {"id_token": PERSON_TOKEN, "token_type": "Bearer", "expires_in": 3600}
            if parts.path.startswith(("/agent-credentials", "/customs/channel")):
                return self._person(method, parts.path, headers, body)
            if headers.get("Authorization") != f"Bearer {self.credential}":
                return 401, _error("sign_in_required", "请使用代理凭证", "An agent credential is required")
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if (method, parts.path) == ("GET", "/agent/outbox"):
                return 200, {"messages": self._take(int(query.get("max") or 10))}
            if (method, parts.path) == ("POST", "/agent/inbox"):
                return self._inbox(headers, body)
            if (method, parts.path) == ("POST", "/agent/heartbeat"):
                self.heartbeats.append(json.loads(body))
                return 200, {"server_time": self.now.isoformat(), "poll_seconds": 5}
            found = _ITEM.match(parts.path)
            if method == "POST" and found:
                item = self.items.get((found[1], int(found[2])))
                if item is None:
                    return 404, _error("not_found", "无此报文", "No such message")
                payload = json.loads(body)
                return self._written(item, payload) if found[3] == "written" else self._event(item, payload)
            return 404, _error("not_found", "无此接口", "No such route")

    def _person(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        """A person's routes (legal card): agent credentials, and the channel's state (报文客户端状态)."""
        if headers.get("Authorization") != f"Bearer {PERSON_TOKEN}":
            return 401, _error("sign_in_required", "请登录", "Sign in")
        if not self.enabled:
            return 403, _error("not_enabled", "请先阅读并同意用户须知", "Accept the user notice first")
        if (method, path) == ("POST", "/agent-credentials"):
            self.credentials_created += 1
            made = {"credential_id": f"AG{self.credentials_created:04d}", "name": json.loads(body)["name"]}
            self.credential_list.append({**made, "created_at": self.now.isoformat(), "last_contact_at": None})
            key = self.credential if self.credentials_created == 1 else f"sdag_{made['credential_id']}.s3cret"
            return 201, {**made, "created_at": self.now.isoformat(), "key": key}
        if (method, path) == ("GET", "/agent-credentials"):
            return 200, {"items": list(self.credential_list)}
        if method == "DELETE" and path.startswith("/agent-credentials/"):
            wanted = path.rsplit("/", 1)[1]
            kept = [c for c in self.credential_list if c["credential_id"] != wanted]
            if len(kept) == len(self.credential_list):
                return 404, _error("not_found", "无此凭证", "No such credential")
            self.credential_list = kept
            return 204, None
        if (method, path) == ("GET", "/customs/channel"):
            last = self.heartbeats[-1] if self.heartbeats else None
            return 200, {
                "channel": "exchange",
                "agent": {"state": "online" if last else "never_seen", "version": last and last["agent_version"]},
                "client": {"state": last["client"] if last else "unknown"},
                "outbox": dict(Counter(item.state for item in self.items.values())),
            }
        return 404, _error("not_found", "无此接口", "No such route")

    def _take(self, most: int) -> list[dict[str, Any]]:
        handed = []
        for item in self.items.values():
            leased_out = item.state == "taken" and item.lease_expires and item.lease_expires > self.now
            if item.state not in ("queued", "taken") or leased_out:
                continue
            self._tokens += 1
            item.state, item.lease_token = "taken", f"lease-{self._tokens}"
            item.lease_expires = self.now + LEASE
            item.handed_out += 1
            handed.append(
                {
                    "client_seq_no": item.client_seq_no,
                    "send_no": item.send_no,
                    "ie_flag": item.ie_flag,
                    "message_version": "4.8",
                    "xml_base64": base64.b64encode(item.xml).decode(),
                    "sha256": item.sha256,
                    "lease_token": item.lease_token,
                    "lease_expires_at": item.lease_expires.isoformat(),
                    "first_try": item.first_try,
                }
            )
            if len(handed) == most:
                break
        return handed

    def _written(self, item: Item, payload: dict[str, Any]) -> tuple[int, Any]:
        if payload.get("sha256") != item.sha256:
            return 409, _error("sha256_mismatch", "文件与报文不符", "The file is not the message")
        item.acks.append(payload)
        if item.state == "taken":
            if payload.get("lease_token") != item.lease_token:  # handed out again since
                return 409, _error("lease_lost", "租约已失效", "The lease was lost")
            item.state = "written"
        return 200, {"state": "written"}

    def _event(self, item: Item, payload: dict[str, Any]) -> tuple[int, Any]:
        kind = payload["kind"]
        self.events.append((item.client_seq_no, item.send_no, int(payload["try"]), kind))
        item.state = kind if kind in ("sent", "send_failed", "gave_up") else item.state
        return 200, {"state": item.state}

    def _inbox(self, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        name = unquote(headers.get("X-Smartdecl-File-Name", ""))
        sha = hashlib.sha256(body).hexdigest()
        if headers.get("X-Smartdecl-File-Sha256") != sha:
            return 400, _error("sha256_mismatch", "文件摘要不符", "The file's sha256 differs")
        key = (name, sha)
        self.forwarded[key] += 1
        if key in self.receipts:
            return 200, {**self.receipts[key], "outcome": "duplicate"}
        try:
            root = _parse(body)
        except (ElementTree.ParseError, ValueError):
            return 422, _error("unreadable_file", "无法读取的文件", "The service cannot read this file")
        kind = root.tag.rsplit("}", 1)[-1]
        answer = {"receipt_id": f"{name}:{sha[:12]}", "kind": kind, "outcome": "applied"}
        self.receipts[key] = answer
        return 200, answer


def _parse(body: bytes) -> ElementTree.Element:
    """expat reads no GB encodings: the declared one decodes the text first."""
    declared = re.match(rb'<\?xml[^>]*encoding="([^"]+)"', body)
    if declared and declared[1].lower() not in (b"utf-8", b"us-ascii"):
        text = body.decode(declared[1].decode())
        return ElementTree.fromstring(re.sub(r"^<\?xml[^>]*\?>", "", text).strip())
    return ElementTree.fromstring(body)


def _error(code: str, zh: str, en: str) -> dict[str, str]:
    return {"code": code, "message_zh": zh, "message_en": en}


class FakeTransport(BaseAdapter):
    """requests → FakeExchange, in this process; `down` answers with a refused connection."""

    def __init__(self, fake: FakeExchange) -> None:
        super().__init__()
        self.fake = fake

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if self.fake.down:
            raise requests.ConnectionError("connection refused (fake service down)")
        body = request.body or b""
        status, payload = self.fake.handle(
            request.method or "GET",
            request.url or "",
            dict(request.headers),
            body.encode() if isinstance(body, str) else body,
        )
        response = requests.Response()
        response.status_code = status
        response._content = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
        response.url, response.request = request.url, request
        return response

    def close(self) -> None:
        pass


def serve(fake: FakeExchange) -> tuple[ThreadingHTTPServer, str]:
    """The fake over HTTP on loopback (for an agent in another process). Stop: shutdown(), server_close()."""

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, payload = fake.handle(
                self.command, self.path, dict(self.headers.items()), self.rfile.read(length) if length else b""
            )
            body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._any()

        def do_POST(self) -> None:
            self._any()

        def do_DELETE(self) -> None:
            self._any()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"

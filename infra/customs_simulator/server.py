"""The customs-side simulator: an in-memory stand-in for the Single Window over HTTP.

Endpoints (details and examples in infra/customs_simulator/README.md):

Customs (obey the service mode; 401 when started with an auth token and the request lacks it):
- ``POST /dec/declare`` DecMessage XML (Content-Type application/xml, else 415) → 200 with a
  ``DecImportResponse`` (ResponseCode 0 + SeqNo when accepted, 1 + Chinese ErrorMessage when
  refused); 400 with a refused DecImportResponse when the body is not readable XML or declares
  a DTD. A repeated ClientSeqNo of an accepted declaration is the same declaration: the first
  answer comes back again and the duplicate is counted; a refused one is examined afresh.
  Acceptance assigns an entry_id (customs + year + 1/0 + 9 digits)
  and schedules the business receipts DEC_RESULT: L then P, or L then E for customs_reject.
- ``GET /dec/lookup?client_seq_no=…`` → 200 with the stored DecImportResponse, 404 if never arrived.
- ``PUT|GET|DELETE /logistics/manifests/{bill_no}`` and ``/logistics/arrivals/{bill_no}`` (JSON).

Sandbox (never subject to the mode):
- NoteS containing ``SANDBOX:REJECT`` → refused; ``SANDBOX:CUSTOMS_REJECT`` → accepted, then
  DEC_RESULT E (退单); ``SANDBOX:SLOW`` → the first arrival answers after ``sandbox_slow_seconds``
  (3 s by default). ``POST /sandbox/outcomes {"client_seq_no", "outcome": reject|accept|
  customs_reject}`` forces one ClientSeqNo and wins over NoteS.

Control (never subject to the mode): ``POST /control/mode`` (``mode``, ``slow_seconds``, and
``for_seconds``: normal again after that long), ``GET /control/stats``,
``POST /control/reset``, ``POST|GET /control/receipts``, ``GET /control/declarations/{client_seq_no}``,
``GET /health``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit
from xml.etree.ElementTree import Element, SubElement, tostring

from chalicelib.domain.errors import DomainError

# The reader's helpers: safe parsing (DTDs refused), any encoding, envelopes, local names.
from chalicelib.formats.dec_message import _descendants, _open_envelopes, _outermost, _parse, _value

log = logging.getLogger(__name__)

CHINA_TIME = timezone(timedelta(hours=8))  # receipt dates carry no zone and mean China time
MODES = ("normal", "down", "slow", "error500")
OUTCOMES = ("reject", "accept", "customs_reject")
AGENCY_AGREEMENT = "10000001"  # EdocCode of 代理报关委托协议(电子)
MAX_BODY = 10 * 1024 * 1024
RECEIPT_RETRIES = 3
CHANNEL_NOTES = {"L": "海关入库成功", "P": "放行", "E": "退单：沙箱强制退单(SANDBOX:CUSTOMS_REJECT)"}
_DIGITS4 = re.compile(r"^\d{4}$")
_DIGITS10 = re.compile(r"^\d{10}$")


class ClientMode(Protocol):
    """A Single Window client played on a folder tree (client_mode.SingleWindowClient)."""

    def configure(self, payload: dict[str, Any]) -> dict[str, Any]: ...
    def force_failures(self, client_seq_no: Any, tries: Any = 1) -> dict[str, Any]: ...
    def force_card_failure(self, client_seq_no: Any = None, fail_code: Any = "C134") -> dict[str, Any]: ...
    def status(self) -> dict[str, Any]: ...
    def reset(self) -> None: ...
    def stop(self) -> None: ...


class BadRequest(Exception):
    """A control, sandbox or logistics request the simulator cannot act on (→ 400)."""


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str = "application/xml; charset=utf-8"
    delay: float = 0.0  # seconds to wait before answering (SANDBOX:SLOW)


@dataclass
class StoredDeclaration:
    client_seq_no: str
    accepted: bool
    response_xml: bytes
    outcome: str  # accept | customs_reject | reject
    custom_master: str = ""
    ie_flag: str = ""
    seq_no: str | None = None
    entry_id: str | None = None
    declared_at: datetime | None = None
    duplicates: int = 0
    channels: list[str] = field(default_factory=list)
    # client mode: receipts become files in the client's InBox instead of POSTs to the receipt URL
    receipt_sink: Callable[[StoredDeclaration, str, bytes], None] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "client_seq_no": self.client_seq_no,
            "accepted": self.accepted,
            "outcome": self.outcome,
            "custom_master": self.custom_master,
            "ie_flag": self.ie_flag,
            "seq_no": self.seq_no,
            "entry_id": self.entry_id,
            "duplicates": self.duplicates,
            "channels": list(self.channels),
            "declared_at": _receipt_time(self.declared_at) if self.declared_at else None,
        }


class CustomsSimulator:
    """The simulator's state and rules, without HTTP. Every change happens under one lock."""

    def __init__(
        self,
        *,
        receipt_url: str | None = None,
        receipt_secret: str | None = None,
        receipt_delay_seconds: float = 1.0,
        receipt_retry_backoff_seconds: float = 0.5,
        sandbox_slow_seconds: float = 3.0,
        auth_token: str | None = None,
    ) -> None:
        self.auth_token = auth_token
        self.sandbox_slow_seconds = sandbox_slow_seconds
        self.receipt_retry_backoff_seconds = receipt_retry_backoff_seconds
        self._initial_receipts = (receipt_url, receipt_secret, receipt_delay_seconds)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        # opened without proxies: receipts go to a configured, usually local, address
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._generation = 0  # bumped by reset, so receipt threads of old declarations stop
        self.clients: dict[str, ClientMode] = {}  # client mode: name (the enterprise) → its folder tree
        self._clear()

    def _clear(self) -> None:
        self.receipt_url, self.receipt_secret, self.receipt_delay_seconds = self._initial_receipts
        self.mode = "normal"
        self.slow_seconds = 2.0
        self._mode_until: float | None = None  # a mode set for a while: normal again from then
        self._declarations: dict[str, StoredDeclaration] = {}
        self._forced: dict[str, str] = {}
        self._counters: dict[tuple[str, str, str], int] = {}
        self._seq_counter = 0
        self._receipts: list[dict[str, Any]] = []
        self._manifests: dict[str, dict[str, Any]] = {}
        self._arrivals: dict[str, dict[str, Any]] = {}
        self._stats = {
            "accepted": 0,
            "refused": 0,
            "unreadable": 0,
            "resent_after_refusal": 0,
            "receipts_sent": 0,
            "receipts_failed": 0,
            "receipts_kept": 0,
        }

    # ---- control ------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._generation += 1
            self._clear()
        for client in self.clients.values():
            client.reset()

    def stop(self) -> None:
        self._stopping.set()
        for client in self.clients.values():
            client.stop()

    def service_mode(self) -> tuple[str, float]:
        with self._lock:
            if self._mode_until is not None and time.monotonic() >= self._mode_until:
                self.mode, self._mode_until = "normal", None
            return self.mode, self.slow_seconds

    def wait(self, seconds: float) -> bool:
        """Sleep unless the simulator stops first; True when it stopped."""
        return self._stopping.wait(seconds) if seconds > 0 else self._stopping.is_set()

    def set_mode(self, mode: Any, slow_seconds: Any = None, for_seconds: Any = None) -> dict[str, Any]:
        """`for_seconds`: the mode lasts that long, then customs is normal again by itself (a fault of a
        known length, however long whoever set it is kept waiting by customs' own slowness)."""
        if mode not in MODES:
            raise BadRequest(f"mode must be one of {', '.join(MODES)}")
        lasts = None if for_seconds is None else _seconds(for_seconds, "for_seconds")
        with self._lock:
            self.mode = mode
            if slow_seconds is not None:
                self.slow_seconds = _seconds(slow_seconds, "slow_seconds")
            self._mode_until = None if lasts is None else time.monotonic() + lasts
            return {"mode": self.mode, "slow_seconds": self.slow_seconds, "for_seconds": lasts}

    def configure_receipts(self, payload: dict[str, Any]) -> dict[str, Any]:
        url, secret = payload.get("url"), payload.get("secret")
        if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
            raise BadRequest("url must be an http(s) URL or null")
        if secret is not None and not isinstance(secret, str):
            raise BadRequest("secret must be a string or null")
        with self._lock:
            self.receipt_url, self.receipt_secret = url, secret
            if "delay_seconds" in payload:
                self.receipt_delay_seconds = _seconds(payload["delay_seconds"], "delay_seconds")
            return {
                "url": self.receipt_url,
                "signed": bool(self.receipt_secret),
                "delay_seconds": self.receipt_delay_seconds,
            }

    def force_outcome(self, client_seq_no: Any, outcome: Any) -> dict[str, str]:
        if not isinstance(client_seq_no, str) or not client_seq_no.strip():
            raise BadRequest("client_seq_no is required")
        if outcome not in OUTCOMES:
            raise BadRequest(f"outcome must be one of {', '.join(OUTCOMES)}")
        with self._lock:
            self._forced[client_seq_no.strip()] = outcome
        return {"client_seq_no": client_seq_no.strip(), "outcome": outcome}

    def stats(self) -> dict[str, Any]:
        mode, _ = self.service_mode()
        with self._lock:
            by_client = {k: d.duplicates for k, d in self._declarations.items() if d.duplicates}
            return {
                "declarations": len(self._declarations),
                **self._stats,
                "duplicates": sum(by_client.values()),
                "duplicates_by_client_seq_no": by_client,
                "mode": mode,
            }

    def receipts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._receipts]

    def declaration(self, client_seq_no: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._declarations.get(client_seq_no)
            return found.as_dict() if found else None

    # ---- customs ------------------------------------------------------------------------

    def declare(
        self, body: bytes, receipt_sink: Callable[[StoredDeclaration, str, bytes], None] | None = None
    ) -> Answer:
        """One DecMessage: accepted or refused by the rules below. `receipt_sink` takes the accepted
        declaration's receipts (the Single Window client's InBox) instead of the receipt URL."""
        try:
            message = _read_message(body)
        except ValueError as exc:
            with self._lock:
                self._stats["unreadable"] += 1
            return Answer(400, _import_response("1", str(exc), ""))
        head = next(iter(_descendants(message, "DecHead")), None)
        client_seq_no = _client_seq_no(message, head)
        if not client_seq_no:
            with self._lock:
                self._stats["unreadable"] += 1
            return Answer(200, _import_response("1", "报文缺少客户端编号(DecSign/ClientSeqNo)", ""))
        note = _text(head, "NoteS") if head is not None else ""
        with self._lock:
            # check and store in one step: two concurrent sends of one ClientSeqNo make one declaration
            known = self._declarations.get(client_seq_no)
            if known and known.accepted:
                known.duplicates += 1
                return Answer(200, known.response_xml)
            if known:
                # a refused message was never entered, so its number may come again, corrected
                self._stats["resent_after_refusal"] += 1
            stored = self._decide(message, head, client_seq_no, note)
            stored.receipt_sink = receipt_sink
            self._declarations[client_seq_no] = stored
            self._stats["accepted" if stored.accepted else "refused"] += 1
            if stored.accepted:
                threading.Thread(
                    target=self._send_receipts,
                    args=(stored, self._generation),
                    name=f"receipts-{client_seq_no}",
                    daemon=True,
                ).start()
        delay = self.sandbox_slow_seconds if "SANDBOX:SLOW" in note else 0.0
        return Answer(200, stored.response_xml, delay=delay)

    def lookup(self, client_seq_no: str) -> bytes | None:
        with self._lock:
            found = self._declarations.get(client_seq_no)
            return found.response_xml if found else None

    def _decide(self, message: Element, head: Element | None, client_seq_no: str, note: str) -> StoredDeclaration:
        outcome = self._forced.get(client_seq_no) or _outcome_from_note(note)
        if outcome == "reject":
            reason = "沙箱强制退回(SANDBOX:REJECT)：报关单不予受理"
            return StoredDeclaration(client_seq_no, False, _import_response("1", reason, client_seq_no), outcome)
        problems = _check(message, head)
        if problems:
            reason = "报关单不予受理：" + "；".join(problems)
            return StoredDeclaration(client_seq_no, False, _import_response("1", reason, client_seq_no), "reject")
        assert head is not None  # _check refuses a message without DecHead
        ie_flag, custom_master = _text(head, "IEFlag").upper(), _text(head, "CustomMaster")
        now = datetime.now(CHINA_TIME)
        year = f"{now.year:04d}"
        key = (custom_master, year, ie_flag)
        self._counters[key] = self._counters.get(key, 0) + 1
        entry_id = f"{custom_master}{year}{'1' if ie_flag == 'I' else '0'}{self._counters[key]:09d}"
        self._seq_counter += 1
        # customs' own 统一编号: the I/E + year + 13 digits form, counted from 9e12 so that it
        # never looks like one of the client's low ClientSeqNo numbers
        seq_no = f"{ie_flag}{year}{9_000_000_000_000 + self._seq_counter:013d}"
        return StoredDeclaration(
            client_seq_no,
            True,
            _import_response("0", "申报成功", client_seq_no, seq_no),
            outcome,
            custom_master,
            ie_flag,
            seq_no,
            entry_id,
            now,
        )

    # ---- receipts -----------------------------------------------------------------------

    def _send_receipts(self, declaration: StoredDeclaration, generation: int) -> None:
        for channel in ("L", "E") if declaration.outcome == "customs_reject" else ("L", "P"):
            if self.wait(self.receipt_delay_seconds):
                return
            with self._lock:
                if generation != self._generation:
                    return
                url, secret = self.receipt_url, self.receipt_secret
                xml = _dec_result(declaration, channel, datetime.now(CHINA_TIME))
                declaration.channels.append(channel)
            if declaration.receipt_sink is not None:
                delivery = "inbox" if self._into_inbox(declaration, channel, xml) else "failed"
            else:
                delivery = "kept" if not url else ("delivered" if self._deliver(url, secret, xml) else "failed")
            with self._lock:
                if generation != self._generation:
                    return
                self._receipts.append(
                    {
                        "client_seq_no": declaration.client_seq_no,
                        "channel": channel,
                        "xml": xml.decode("utf-8"),
                        "delivery": delivery,
                    }
                )
                self._stats[
                    {
                        "kept": "receipts_kept",
                        "delivered": "receipts_sent",
                        "inbox": "receipts_sent",
                        "failed": "receipts_failed",
                    }[delivery]
                ] += 1

    def _into_inbox(self, declaration: StoredDeclaration, channel: str, xml: bytes) -> bool:
        assert declaration.receipt_sink is not None
        try:
            declaration.receipt_sink(declaration, channel, xml)
            return True
        except OSError as exc:
            log.warning("receipt %s for %s not written: %s", channel, declaration.client_seq_no, exc)
            return False

    def _deliver(self, url: str, secret: str | None, body: bytes) -> bool:
        headers = {"Content-Type": "application/xml; charset=utf-8"}
        if secret:
            digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
            headers["X-Receipt-Signature"] = f"sha256={digest}"
        for attempt in range(RECEIPT_RETRIES + 1):
            if attempt and self.wait(self.receipt_retry_backoff_seconds * 2 ** (attempt - 1)):
                return False
            try:
                request = urllib.request.Request(url, data=body, headers=headers, method="POST")
                with self._opener.open(request, timeout=5) as response:
                    if 200 <= response.status < 300:
                        return True
            except (urllib.error.URLError, OSError, ValueError) as exc:
                log.debug("receipt to %s failed (attempt %d): %s", url, attempt + 1, exc)
        return False

    # ---- logistics ----------------------------------------------------------------------

    def put_logistics(self, kind: str, bill_no: str, payload: Any) -> dict[str, Any]:
        record = {"bill_no": bill_no, **(_manifest(payload) if kind == "manifests" else _arrival(payload))}
        with self._lock:
            self._logistics(kind)[bill_no] = record
        return record

    def get_logistics(self, kind: str, bill_no: str) -> dict[str, Any] | None:
        with self._lock:
            return self._logistics(kind).get(bill_no)

    def delete_logistics(self, kind: str, bill_no: str) -> bool:
        with self._lock:
            return self._logistics(kind).pop(bill_no, None) is not None

    def _logistics(self, kind: str) -> dict[str, dict[str, Any]]:
        return self._manifests if kind == "manifests" else self._arrivals


# ---- messages ---------------------------------------------------------------------------


def _read_message(body: bytes) -> Element:
    try:
        root = _open_envelopes(_parse(body))
    except DomainError as exc:
        raise ValueError(f"报文无法读取：{exc.message_zh}") from None
    messages = _outermost(root, "DecMessage")
    if not messages:
        raise ValueError("报文中没有报关单(DecMessage)")
    if len(messages) > 1:
        raise ValueError("一次只能申报一份报关单(DecMessage)")
    return messages[0]


def _text(element: Element, name: str) -> str:
    found = _value(element, name)
    return found[1] if found else ""


def _client_seq_no(message: Element, head: Element | None) -> str:
    for sign in _descendants(message, "DecSign"):
        if value := _text(sign, "ClientSeqNo"):
            return value
    return _text(head, "SeqNo") if head is not None else ""


def _outcome_from_note(note: str) -> str:
    if "SANDBOX:REJECT" in note:
        return "reject"
    if "SANDBOX:CUSTOMS_REJECT" in note:
        return "customs_reject"
    return "accept"


def _check(message: Element, head: Element | None) -> list[str]:
    """The few rules the simulator enforces, as Chinese reasons; empty when acceptable."""
    if head is None:
        return ["缺少报关单表头(DecHead)"]
    problems = []
    if _text(head, "IEFlag").upper() not in ("I", "E"):
        problems.append("进出口标志(IEFlag)必须为I或E")
    if not _DIGITS4.match(_text(head, "CustomMaster")):
        problems.append("申报地海关(CustomMaster)必须为4位数字")
    goods = [item for item in _descendants(message, "DecList") if any((n.text or "").strip() for n in item.iter())]
    if not goods:
        problems.append("缺少商品项(DecList)")
    for number, item in enumerate(goods, 1):
        if not _DIGITS10.match(_text(item, "CodeTS")):
            problems.append(f"第{number}项商品编号(CodeTS)必须为10位数字")
    oper_types = [_text(sign, "OperType").upper() for sign in _descendants(message, "DecSign")]
    if oper_types != ["C"]:
        problems.append(f"操作类型(DecSign/OperType)必须为C(申报)，收到{'、'.join(oper_types) or '空'}")
    agent, trade = _text(head, "AgentCode").upper(), _text(head, "TradeCode").upper()
    if agent and trade and agent != trade:
        codes = {_text(edoc, "EdocCode") for edoc in _descendants(message, "EdocRealation")}
        if AGENCY_AGREEMENT not in codes:
            problems.append("缺少代理报关委托协议")
    return problems


def _xml(root: Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode").encode("utf-8")


def _import_response(code: str, message: str, client_seq_no: str, seq_no: str | None = None) -> bytes:
    root = Element("DecImportResponse")
    SubElement(root, "ResponseCode").text = code
    SubElement(root, "ErrorMessage").text = message
    SubElement(root, "ClientSeqNo").text = client_seq_no
    if seq_no:
        SubElement(root, "SeqNo").text = seq_no
    return _xml(root)


def _receipt_time(moment: datetime) -> str:
    return moment.astimezone(CHINA_TIME).strftime("%Y-%m-%dT%H:%M:%S")


def _dec_result(declaration: StoredDeclaration, channel: str, now: datetime) -> bytes:
    root = Element("DEC_RESULT")
    for tag, text in (
        ("CUS_CIQ_NO", declaration.seq_no),
        ("ENTRY_ID", declaration.entry_id),
        ("NOTICE_DATE", _receipt_time(now)),
        ("CHANNEL", channel),
        ("NOTE", CHANNEL_NOTES[channel]),
        ("CUSTOM_MASTER", declaration.custom_master),
        ("I_E_DATE", None),
        ("D_DATE", _receipt_time(declaration.declared_at or now)),
        ("CLIENT_SEQ_NO", declaration.client_seq_no),
    ):
        SubElement(root, tag).text = text
    return _xml(root)


# ---- logistics payloads -----------------------------------------------------------------


def _manifest(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise BadRequest("a JSON object is required")
    pack_no = payload.get("pack_no")
    if isinstance(pack_no, bool) or not isinstance(pack_no, int) or pack_no < 0:
        raise BadRequest("pack_no must be a whole number ≥ 0")
    try:
        gross_wt = Decimal(str(payload.get("gross_wt")))
    except InvalidOperation:
        raise BadRequest('gross_wt must be a decimal, e.g. "1250.5"') from None
    if not gross_wt.is_finite() or gross_wt < 0:
        raise BadRequest("gross_wt must be a decimal ≥ 0")
    record: dict[str, Any] = {"pack_no": pack_no, "gross_wt": str(gross_wt)}
    for name in ("traf_name", "voyage_no"):
        value = payload.get(name)
        if value is not None and not isinstance(value, str):
            raise BadRequest(f"{name} must be a string")
        record[name] = value
    return record


def _arrival(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict) or not isinstance(payload.get("arrived"), bool):
        raise BadRequest("arrived (true/false) is required")
    arrived_at = payload.get("arrived_at")
    if arrived_at is not None:
        try:
            datetime.fromisoformat(arrived_at)
        except (TypeError, ValueError):
            raise BadRequest("arrived_at must be an ISO 8601 date-time") from None
    return {"arrived": payload["arrived"], "arrived_at": arrived_at}


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise BadRequest(f"{name} must be a number of seconds ≥ 0")
    return float(value)


# ---- HTTP -------------------------------------------------------------------------------

_LOGISTICS = re.compile(r"^/logistics/(manifests|arrivals)/([^/]+)$")
_DECLARATION = re.compile(r"^/control/declarations/([^/]+)$")
_CLIENT = re.compile(r"^/control/clients/([^/]+)(/fail|/card-failure)?$")


class SimulatorServer(ThreadingHTTPServer):
    """ThreadingHTTPServer holding the simulator; shutdown() also stops receipts and frees the port."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], simulator: CustomsSimulator) -> None:
        self.simulator = simulator
        super().__init__(address, _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        if isinstance(host, bytes):  # typed str | bytes by socketserver; an IPv4 server has str
            host = host.decode()
        return f"http://{host}:{port}"

    def shutdown(self) -> None:
        self.simulator.stop()
        super().shutdown()
        self.server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that timed out and hung up is expected here (slow modes), not worth a traceback
        log.debug("request from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: SimulatorServer
    server_version = "CustomsSimulator/1.0"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)  # quiet: stderr only by choice

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path
        try:
            body = self._body()
            if path.startswith(("/dec/", "/logistics/")):
                answer = self._customs_side(method, path, url.query, body)
            else:
                answer = self._control(method, path, body)
        except BadRequest as exc:
            answer = _json(400, {"error": str(exc)})
        if answer.delay and self.server.simulator.wait(answer.delay):
            return  # shutting down: drop the connection unanswered
        self._send(answer)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise BadRequest(f"body larger than {MAX_BODY} bytes")
        return self.rfile.read(length) if length else b""

    def _customs_side(self, method: str, path: str, query: str, body: bytes) -> Answer:
        sim = self.server.simulator
        mode, slow = sim.service_mode()
        if mode == "down":
            return _json(503, {"error": "customs simulator is down (mode=down)"})
        if mode == "error500":
            return _json(500, {"error": "customs simulator internal error (mode=error500)"})
        if sim.auth_token and not hmac.compare_digest(
            self.headers.get("Authorization", ""), f"Bearer {sim.auth_token}"
        ):
            return _json(401, {"error": "missing or wrong bearer token"})
        answer = self._customs_route(method, path, query, body)
        if mode == "slow":
            answer.delay += slow  # processed first, answered late: a client time-out still declared
        return answer

    def _customs_route(self, method: str, path: str, query: str, body: bytes) -> Answer:
        sim = self.server.simulator
        if path == "/dec/declare":
            if method != "POST":
                return _json(405, {"error": "use POST"})
            if "xml" not in self.headers.get("Content-Type", ""):
                return _json(415, {"error": "Content-Type must be application/xml"})
            return sim.declare(body)
        if path == "/dec/lookup":
            if method != "GET":
                return _json(405, {"error": "use GET"})
            client_seq_no = (parse_qs(query).get("client_seq_no") or [""])[0]
            if not client_seq_no:
                raise BadRequest("client_seq_no is required")
            found = sim.lookup(client_seq_no)
            return Answer(200, found) if found else _json(404, {"error": f"{client_seq_no} never arrived"})
        if match := _LOGISTICS.match(path):
            return self._logistics_route(method, match.group(1), unquote(match.group(2)), body)
        return _json(404, {"error": f"no route {path}"})

    def _logistics_route(self, method: str, kind: str, bill_no: str, body: bytes) -> Answer:
        sim = self.server.simulator
        if method == "PUT":
            return _json(200, sim.put_logistics(kind, bill_no, _json_body(body)))
        if method == "GET":
            record = sim.get_logistics(kind, bill_no)
            return _json(200, record) if record else _json(404, {"error": f"no {kind[:-1]} for {bill_no}"})
        if method == "DELETE":
            return Answer(204, b"") if sim.delete_logistics(kind, bill_no) else _json(404, {"error": "none"})
        return _json(405, {"error": "use PUT, GET or DELETE"})

    def _control(self, method: str, path: str, body: bytes) -> Answer:
        sim = self.server.simulator
        route = (method, path)
        if route == ("GET", "/health"):
            return _json(200, {"ok": True, "mode": sim.service_mode()[0]})
        if route == ("GET", "/control/stats"):
            return _json(200, sim.stats())
        if route == ("POST", "/control/mode"):
            payload = _object(body)
            mode, slow, lasts = payload.get("mode"), payload.get("slow_seconds"), payload.get("for_seconds")
            return _json(200, sim.set_mode(mode, slow, lasts))
        if route == ("POST", "/control/reset"):
            sim.reset()
            return _json(200, {"reset": True})
        if route == ("POST", "/control/receipts"):
            return _json(200, sim.configure_receipts(_object(body)))
        if route == ("GET", "/control/receipts"):
            return _json(200, sim.receipts())
        if route == ("POST", "/sandbox/outcomes"):
            payload = _object(body)
            return _json(200, sim.force_outcome(payload.get("client_seq_no"), payload.get("outcome")))
        if path.startswith("/control/clients"):
            return self._client_control(method, path, body)
        if method == "GET" and (match := _DECLARATION.match(path)):
            found = sim.declaration(unquote(match.group(1)))
            return _json(200, found) if found else _json(404, {"error": "never arrived"})
        return _json(404, {"error": f"no route {method} {path}"})

    def _client_control(self, method: str, path: str, body: bytes) -> Answer:
        """Client mode: GET /control/clients; POST /control/clients[/{name}] {mode, fail_rate, encoding};
        POST /control/clients/{name}/fail {client_seq_no, tries}; POST …/card-failure {client_seq_no?, fail_code?}."""
        clients = self.server.simulator.clients
        if (method, path) == ("GET", "/control/clients"):
            return _json(200, {name: client.status() for name, client in clients.items()})
        if (method, path) == ("POST", "/control/clients"):  # every client at once (all down, all up)
            payload = _object(body)
            return _json(200, {name: client.configure(payload) for name, client in clients.items()})
        match = _CLIENT.match(path)
        if method != "POST" or not match:
            return _json(404, {"error": f"no route {method} {path}"})
        client = clients.get(unquote(match.group(1)))
        if client is None:
            return _json(404, {"error": f"no client {match.group(1)}; known: {', '.join(clients) or 'none'}"})
        payload = _object(body)
        if match.group(2) == "/fail":
            return _json(200, client.force_failures(payload.get("client_seq_no"), payload.get("tries", 1)))
        if match.group(2) == "/card-failure":
            return _json(200, client.force_card_failure(payload.get("client_seq_no"), payload.get("fail_code", "C134")))
        return _json(200, client.configure(payload))

    def _send(self, answer: Answer) -> None:
        try:
            self.send_response(answer.status)
            if answer.status != 204:
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (time-out); the declaration is stored all the same


def _json(status: int, payload: Any) -> Answer:
    return Answer(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        raise BadRequest("the body is not JSON") from None


def _object(body: bytes) -> dict[str, Any]:
    payload = _json_body(body)
    if not isinstance(payload, dict):
        raise BadRequest("a JSON object is required")
    return payload


def start_simulator(
    port: int = 0,
    receipt_url: str | None = None,
    receipt_secret: str | None = None,
    *,
    host: str = "127.0.0.1",
    receipt_delay_seconds: float = 1.0,
    receipt_retry_backoff_seconds: float = 0.5,
    sandbox_slow_seconds: float = 3.0,
    auth_token: str | None = None,
    client_roots: dict[str, Any] | None = None,
    client_fail_rate: float = 0.0,
    client_encoding: str = "gb18030",
    client_seed: int | None = None,
) -> tuple[SimulatorServer, str]:
    """Serve the simulator from a daemon thread; returns (server, base_url). Stop with server.shutdown().
    `client_roots` (name → folder tree holding the sandbox marker) also plays the Single Window client
    on each (client_mode.py)."""
    simulator = CustomsSimulator(
        receipt_url=receipt_url,
        receipt_secret=receipt_secret,
        receipt_delay_seconds=receipt_delay_seconds,
        receipt_retry_backoff_seconds=receipt_retry_backoff_seconds,
        sandbox_slow_seconds=sandbox_slow_seconds,
        auth_token=auth_token,
    )
    add_clients(simulator, client_roots or {}, fail_rate=client_fail_rate, encoding=client_encoding, seed=client_seed)
    server = SimulatorServer((host, port), simulator)
    # a short poll interval: shutdown() waits for it, and tests start and stop servers often
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="customs-simulator", daemon=True
    ).start()
    return server, server.base_url


def add_clients(
    simulator: CustomsSimulator,
    roots: dict[str, Any],
    *,
    fail_rate: float = 0.0,
    encoding: str = "gb18030",
    seed: int | None = None,
) -> None:
    """Client mode on each root (refused, NotASandbox, for a root without the marker); started."""
    from pathlib import Path

    from .client_mode import ClientSettings, SingleWindowClient

    clients = {  # every root checked before any client starts
        name: SingleWindowClient(
            simulator, Path(root), settings=ClientSettings(fail_rate=fail_rate, encoding=encoding), seed=seed
        )
        for name, root in roots.items()
    }
    for name, client in clients.items():
        simulator.clients[name] = client.start()

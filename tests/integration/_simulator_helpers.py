"""Shared by the simulator and gateway tests: a minimal DecMessage, a receipt receiver, polling."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

import requests

from infra.customs_simulator import SimulatorServer, start_simulator
from tests import polling

NS = "http://www.chinaport.gov.cn/dec"
AGENT = "1101980001"
CONSIGNEE = "1101980002"


def dec_message(
    client_seq_no: str = "I20240000000000001",
    *,
    ie_flag: str = "I",
    custom_master: str = "0101",
    note: str = "",
    agent_code: str = AGENT,
    trade_code: str = CONSIGNEE,
    agreement: bool = True,
    code_ts: str = "8471300000",
    oper_type: str = "C",
    encoding: str = "UTF-8",
) -> bytes:
    """A minimal DecMessage customs accepts: DecHead, one DecList, DecSign, the agency agreement."""
    edoc = (
        (
            "<EdocRealation><EdocID>AG2024001</EdocID><EdocCode>10000001</EdocCode>"
            "<EdocFomatType>US</EdocFomatType></EdocRealation>"
        )
        if agreement
        else ""
    )
    xml = f"""<?xml version="1.0" encoding="{encoding}"?>
<DecMessage xmlns="{NS}" version="3.1">
  <DecHead>
    <SeqNo/>
    <IEFlag>{ie_flag}</IEFlag>
    <CustomMaster>{custom_master}</CustomMaster>
    <IEPort>{custom_master}</IEPort>
    <AgentCode>{agent_code}</AgentCode>
    <AgentName>北京报关行有限公司</AgentName>
    <TradeCode>{trade_code}</TradeCode>
    <TradeName>北京进口贸易有限公司</TradeName>
    <BillNo>BL2024032001</BillNo>
    <TradeMode>0110</TradeMode>
    <PackNo>10</PackNo>
    <GrossWet>1250.5</GrossWet>
    <NetWt>1200</NetWt>
    <NoteS>{escape(note)}</NoteS>
  </DecHead>
  <DecLists>
    <DecList><GNo>1</GNo><CodeTS>{code_ts}</CodeTS><GName>笔记本电脑</GName><GModel>品牌|型号</GModel>
      <GQty>10</GQty><GUnit>001</GUnit><DeclPrice>5000</DeclPrice><DeclTotal>50000</DeclTotal>
      <TradeCurr>USD</TradeCurr></DecList>
  </DecLists>
  <DecSign><OperType>{oper_type}</OperType><ClientSeqNo>{client_seq_no}</ClientSeqNo></DecSign>
  {edoc}
</DecMessage>
"""
    return xml.encode("gb18030" if encoding.lower() in ("gb2312", "gbk") else "utf-8")


@contextmanager
def running_simulator(**kwargs: Any) -> Iterator[tuple[SimulatorServer, str]]:
    """A simulator on a free loopback port with test-sized delays, shut down afterwards."""
    options = {
        "receipt_delay_seconds": 0.05,
        "receipt_retry_backoff_seconds": 0.01,
        "sandbox_slow_seconds": 0.3,
        **kwargs,
    }
    server, base_url = start_simulator(**options)
    try:
        yield server, base_url
    finally:
        server.shutdown()


def control_get(base_url: str, path: str) -> Any:
    response = requests.get(base_url + path, timeout=5)
    response.raise_for_status()
    return response.json()


def control_post(base_url: str, path: str, payload: Any = None) -> Any:
    response = requests.post(base_url + path, json=payload if payload is not None else {}, timeout=5)
    response.raise_for_status()
    return response.json()


def declare(base_url: str, body: bytes, *, timeout: float = 5, token: str | None = None) -> requests.Response:
    headers = {"Content-Type": "application/xml"} | ({"Authorization": f"Bearer {token}"} if token else {})
    return requests.post(f"{base_url}/dec/declare", data=body, timeout=timeout, headers=headers)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ReceiptReceiver:
    """Records the POSTs it gets; answers 500 to the first `fail_first` of them."""

    fail_first: int = 0
    received: list[Received] = field(default_factory=list)
    attempts: int = 0
    url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.attempts += 1
                    failing = receiver.attempts <= receiver.fail_first
                    if not failing:
                        receiver.received.append(Received(self.path, dict(self.headers), body))
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_port}/receipts"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "the simulator") -> Any:
    """Poll until `predicate()` is truthy; its value (tests.polling says what it saw if it never is)."""
    return polling.wait_until(what, predicate, timeout=timeout, interval=0.01)

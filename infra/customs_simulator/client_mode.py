"""Client mode: the simulator plays the Single Window client (单一窗口客户端) on a local folder tree, as
the agent meets it on a broker's PC (docs/customs-channel.md, "The client's folders").

For each zip the agent puts in `<root>/Deccus001/OutBox` it
- moves it to `FailBox` (a share of them, `fail_rate`, or the tries forced by a control route), or
- moves it to `SentBox`, lets the simulator decide it as over HTTP (`CustomsSimulator.declare`: the
  same checks, sandbox outcomes and duplicates), and writes the answer into `InBox` as
  `Successed_<stem>_<time>` or `Failed_<stem>_<time>` (a DecImportResponse in GB18030 or UTF-8),
  then the DEC_RESULT receipts (入库成功, 放行 …) as `Receipt_<CUS_CIQ_NO>_<CHANNEL>_<time>.xml`;
- or, when a card failure is forced, writes a `Failed_` file carrying `failCode` (e.g. C134).
Every InBox file is written as `<name>.tmp`, then renamed. When down, it moves nothing.

It only ever touches a root that holds the sandbox marker file (`SMARTDECL-SANDBOX.txt`): a real
client's folders are never a simulator's to move.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.etree.ElementTree import Element, SubElement, tostring

from .server import CHINA_TIME, BadRequest, CustomsSimulator, StoredDeclaration

log = logging.getLogger(__name__)

SANDBOX_MARKER = "SMARTDECL-SANDBOX.txt"
MARKER_TEXT = (
    "This folder tree is a sandbox for smartdecl's customs simulator (client mode): it moves files here\n"
    "as the Single Window client would. 此目录为 smartdecl 海关模拟器的沙箱，模拟单一窗口客户端收发报文。\n"
)
FOLDERS = ("OutBox", "SentBox", "FailBox", "InBox")
ENCODINGS = ("gb18030", "utf-8")
CARD_FAILURES = {"C134": "读卡失败：未检测到电子口岸卡(IC卡/UKey)，请插卡后重试"}


class NotASandbox(Exception):
    """A root without the sandbox marker: the simulator will not move files there."""


def make_sandbox(root: Path, kind: str = "Deccus001") -> Path:
    """A fresh client folder tree with its marker (what `make run` does for each local agent)."""
    for name in FOLDERS:
        (root / kind / name).mkdir(parents=True, exist_ok=True)
    (root / SANDBOX_MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    return root


@dataclass
class ClientSettings:
    mode: str = "up"  # up | down
    fail_rate: float = 0.0
    encoding: str = "gb18030"


@dataclass
class SingleWindowClient:
    """One folder tree. `tick()` is one pass of the client over OutBox; `start()` runs it in a thread."""

    simulator: CustomsSimulator
    root: Path
    kind: str = "Deccus001"
    settings: ClientSettings = field(default_factory=ClientSettings)
    seed: int | None = None
    poll_seconds: float = 0.2
    _forced_failures: dict[str, int] = field(default_factory=dict)
    _card_failures: dict[str, str] = field(default_factory=dict)  # ClientSeqNo ("*": the next one) → failCode
    _stats: dict[str, int] = field(
        default_factory=lambda: {"taken": 0, "sent": 0, "failed": 0, "answered": 0, "card_failures": 0}
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _counter: int = 0

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        if not (self.root / SANDBOX_MARKER).is_file():
            raise NotASandbox(
                f"{self.root} has no {SANDBOX_MARKER}: the simulator moves files only in a sandbox folder tree"
            )
        self._random = random.Random(self.seed)
        for name in FOLDERS:
            (self.box / name).mkdir(parents=True, exist_ok=True)

    @property
    def box(self) -> Path:
        return self.root / self.kind

    # ---- control ----------------------------------------------------------------------------

    def configure(self, payload: dict[str, Any]) -> dict[str, Any]:
        mode, rate, encoding = payload.get("mode"), payload.get("fail_rate"), payload.get("encoding")
        if mode is not None and mode not in ("up", "down"):
            raise BadRequest("mode must be up or down")
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1):
            raise BadRequest("fail_rate must be a number from 0 to 1")
        if encoding is not None and encoding not in ENCODINGS:
            raise BadRequest(f"encoding must be one of {', '.join(ENCODINGS)}")
        with self._lock:
            if mode is not None:
                self.settings.mode = mode
            if rate is not None:
                self.settings.fail_rate = float(rate)
            if encoding is not None:
                self.settings.encoding = encoding
        return self.status()

    def force_failures(self, client_seq_no: Any, tries: Any = 1) -> dict[str, Any]:
        if not isinstance(client_seq_no, str) or not client_seq_no:
            raise BadRequest("client_seq_no is required")
        if isinstance(tries, bool) or not isinstance(tries, int) or tries < 1:
            raise BadRequest("tries must be a whole number ≥ 1")
        with self._lock:
            self._forced_failures[client_seq_no] = tries
        return {"client_seq_no": client_seq_no, "tries": tries}

    def force_card_failure(self, client_seq_no: Any = None, fail_code: Any = "C134") -> dict[str, Any]:
        if client_seq_no is not None and (not isinstance(client_seq_no, str) or not client_seq_no):
            raise BadRequest("client_seq_no must be a ClientSeqNo, or absent for the next file")
        if fail_code not in CARD_FAILURES:
            raise BadRequest(f"fail_code must be one of {', '.join(CARD_FAILURES)}")
        with self._lock:
            self._card_failures[client_seq_no or "*"] = fail_code
        return {"client_seq_no": client_seq_no, "fail_code": fail_code}

    def reset(self) -> None:
        with self._lock:
            self.settings = ClientSettings(encoding=self.settings.encoding)
            self._forced_failures.clear()
            self._card_failures.clear()

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "root": str(self.root),
                "mode": self.settings.mode,
                "fail_rate": self.settings.fail_rate,
                "encoding": self.settings.encoding,
                **self._stats,
            }

    # ---- the client's work --------------------------------------------------------------------

    def start(self) -> SingleWindowClient:
        threading.Thread(target=self._run, name=f"client-{self.root.name}", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.tick()
            except OSError as exc:  # a file moved under us, a share hiccup: the next pass tries again
                log.warning("client mode on %s: %s", self.root, exc)

    def tick(self) -> int:
        """One pass over OutBox; how many files it took."""
        if self.settings.mode == "down":
            return 0
        taken = 0
        for path in sorted((self.box / "OutBox").glob("*.zip")):
            self._take(path)
            taken += 1
        return taken

    def _take(self, path: Path) -> None:
        stem = path.stem
        message = _read_zip(path)
        client_seq_no = _client_seq_no_of(stem)
        with self._lock:
            self._stats["taken"] += 1
            forced = self._forced_failures.get(client_seq_no, 0)
            if forced:
                self._forced_failures[client_seq_no] = forced - 1
            card = self._card_failures.pop(client_seq_no, None) or self._card_failures.pop("*", None)
            fails = bool(forced) or (not card and self._random.random() < self.settings.fail_rate)
        if fails:
            os.replace(path, self.box / "FailBox" / path.name)
            with self._lock:
                self._stats["failed"] += 1
            return
        os.replace(path, self.box / "SentBox" / path.name)
        with self._lock:
            self._stats["sent"] += 1
        if card:
            self._write_inbox(f"Failed_{stem}_{self._stamp()}", _card_failure(client_seq_no, card))
            with self._lock:
                self._stats["card_failures"] += 1
            return
        answer = self.simulator.declare(message, receipt_sink=self._receipt)
        accepted = ElementTree.fromstring(answer.body).findtext("ResponseCode") == "0"
        name = f"{'Successed' if accepted else 'Failed'}_{stem}_{self._stamp()}"
        self._write_inbox(name, answer.body)
        with self._lock:
            self._stats["answered"] += 1

    def _receipt(self, declaration: StoredDeclaration, channel: str, xml: bytes) -> None:
        self._write_inbox(f"Receipt_{declaration.seq_no}_{channel}_{self._stamp()}.xml", xml)

    def _write_inbox(self, name: str, utf8_xml: bytes) -> None:
        """In the chosen encoding (its XML declaration says which), as `.tmp`, then renamed."""
        data = _encoded(utf8_xml, self.settings.encoding)
        partial = self.box / "InBox" / f"{name}.tmp"
        partial.write_bytes(data)
        os.replace(partial, self.box / "InBox" / name)

    def _stamp(self) -> str:
        """yyyyMMddHHmmss and more digits, as the client's names carry (unique within this client)."""
        with self._lock:
            self._counter += 1
            counter = self._counter
        return datetime.now(CHINA_TIME).strftime("%Y%m%d%H%M%S%f") + f"{counter % 10000:04d}"


def _read_zip(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.lower().endswith(".xml")]
        return archive.read(names[0]) if names else b""


def _client_seq_no_of(stem: str) -> str:
    """`I_<ClientSeqNo>_t-<try>` → ClientSeqNo."""
    parts = stem.split("_")
    return parts[1] if len(parts) >= 3 else stem


def _card_failure(client_seq_no: str, fail_code: str) -> bytes:
    root = Element("DecImportResponse")
    SubElement(root, "ResponseCode").text = "1"
    SubElement(root, "ErrorMessage").text = f"{CARD_FAILURES[fail_code]}({fail_code})"
    SubElement(root, "ClientSeqNo").text = client_seq_no
    SubElement(root, "failCode").text = fail_code
    SubElement(root, "failInfo").text = CARD_FAILURES[fail_code]
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode").encode("utf-8")


def _encoded(utf8_xml: bytes, encoding: str) -> bytes:
    if encoding == "utf-8":
        return utf8_xml
    text = utf8_xml.decode("utf-8").replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"', 1)
    return text.encode(encoding)

"""The agent on a folder tree named as on a broker's Windows PC (spaces, Chinese), against the fake
service in-process; a client double that plays the Single Window client's moves one at a time."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import smartdecl_client
from smartdecl_agent.agent import Agent
from smartdecl_agent.folders import Folders
from smartdecl_agent.journal import Journal
from smartdecl_agent.names import parse_outgoing
from smartdecl_agent.service import ExchangeApi
from smartdecl_agent.settings import AgentSettings
from smartdecl_client import Client

from .fake_exchange import CREDENTIAL, FakeExchange, FakeTransport

URL = "https://smartdecl.example.cn/prod"


class Killed(BaseException):
    """The agent's process dies here (kill -9, power cut): nothing below runs, nothing is cleaned up."""


@dataclass
class FixedClock:
    now: datetime = field(default_factory=lambda: datetime(2024, 3, 20, 10, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def root(tmp_path) -> Path:
    """`C:\\海关 单一窗口\\ImpPath`, with the client's four folders (the client makes them)."""
    base = tmp_path / "海关 单一窗口" / "ImpPath"
    for name in ("OutBox", "SentBox", "FailBox", "InBox"):
        (base / "Deccus001" / name).mkdir(parents=True)
    return base


@pytest.fixture
def fake(monkeypatch) -> FakeExchange:
    service = FakeExchange()
    monkeypatch.setattr(smartdecl_client, "TRANSPORT", FakeTransport(service))
    return service


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


def settings_for(root: Path) -> AgentSettings:
    return AgentSettings(url=URL, credential=CREDENTIAL, root=root, state_dir=root / "smartdecl")


@pytest.fixture
def make_agent(root, fake, clock) -> Iterator[Callable[..., Agent]]:
    """A fresh agent on the same root and journal, as after a restart; `fault` may kill it."""
    made: list[Agent] = []

    def make(fault: Callable[[str], None] | None = None) -> Agent:
        settings = settings_for(root)
        folders = Folders.at(root, settings.state_dir)
        folders.ensure_own()
        api = ExchangeApi(Client(URL, CREDENTIAL, retries=0, backoff_seconds=0, sleep=lambda s: None))
        journal = Journal(folders.journal, durable=False)  # no disk syncs: these tests kill processes, not power
        agent = Agent(settings, api, journal, folders, clock=clock, started_at=clock(), durable=False)
        if fault is not None:
            agent.fault = fault
        made.append(agent)
        return agent

    yield make
    for agent in made:
        agent.journal.close()


@dataclass
class ClientDouble:
    """The Single Window client, one move at a time: OutBox → SentBox (then Successed_ and a receipt in
    InBox) or → FailBox; it remembers every file it ever took from OutBox."""

    root: Path
    fail: dict[str, int] = field(default_factory=dict)  # ClientSeqNo → tries that fail
    taken: list[str] = field(default_factory=list)
    answered: int = 0

    @property
    def box(self) -> Path:
        return self.root / "Deccus001"

    def act(self) -> None:
        for path in sorted((self.box / "OutBox").glob("*.zip")):
            name = parse_outgoing(path.name)
            assert name is not None, path.name
            self.taken.append(path.name)
            if self.fail.get(name.client_seq_no, 0) > 0:
                self.fail[name.client_seq_no] -= 1
                os.replace(path, self.box / "FailBox" / path.name)
                continue
            os.replace(path, self.box / "SentBox" / path.name)
            self.answered += 1
            self.write_inbox(
                f"Successed_{name.stem}_20240320100000{self.answered:03d}1234",
                success(name.client_seq_no, f"I2024900000000{self.answered:04d}"),
            )
            self.write_inbox(
                f"Receipt_I2024900000000{self.answered:04d}_L_20240320100001000.xml",
                dec_result(name.client_seq_no, "L"),
            )

    def write_inbox(self, name: str, data: bytes) -> Path:
        """As the client does: under `.tmp`, then renamed."""
        partial = self.box / "InBox" / f"{name}.tmp"
        partial.write_bytes(data)
        final = self.box / "InBox" / name
        os.replace(partial, final)
        return final


def success(client_seq_no: str, seq_no: str, encoding: str = "utf-8") -> bytes:
    text = (
        f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n'
        '<DecImportResponse xmlns="http://www.chinaport.gov.cn/dec"><ResponseCode>0</ResponseCode>'
        f"<ErrorMessage>导入成功</ErrorMessage><ClientSeqNo>{client_seq_no}</ClientSeqNo><SeqNo>{seq_no}</SeqNo>"
        "<TrnPreId></TrnPreId></DecImportResponse>"
    )
    return text.encode(encoding)


def failure(client_seq_no: str, message: str, encoding: str = "gb18030") -> bytes:
    text = (
        f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n'
        "<DecImportResponse><ResponseCode>1</ResponseCode>"
        f"<ErrorMessage>{message}</ErrorMessage><ClientSeqNo>{client_seq_no}</ClientSeqNo></DecImportResponse>"
    )
    return text.encode(encoding)


def dec_result(client_seq_no: str, channel: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<DEC_RESULT><CUS_CIQ_NO>I20249000000000001</CUS_CIQ_NO>'
        f"<ENTRY_ID>010120241000000001</ENTRY_ID><CHANNEL>{channel}</CHANNEL><NOTE>海关入库成功</NOTE>"
        f"<CLIENT_SEQ_NO>{client_seq_no}</CLIENT_SEQ_NO></DEC_RESULT>"
    ).encode()


@pytest.fixture
def client(root) -> ClientDouble:
    return ClientDouble(root)

"""Fakes of the exchange channel's ports (services/exchange_ports.py), with the adapters' conditions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.domain.exchange import Send, SendState
from chalicelib.services.exchange_ports import (
    AgentCredentials,
    Credential,
    CustomsChannels,
    ExchangeOutbox,
    InboxFiles,
    OpenSend,
    SendMoved,
)
from chalicelib.services.ports import EventPublisher, ReceiptRepository


class FakeExchangeOutbox(ExchangeOutbox):
    """Sends in a dict. `before_save` may pause or interleave at a write (deterministic races)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, int], Send] = {}
        self.before_save = None
        self.puts = 0

    def put(self, send: Send) -> bool:
        self.puts += 1
        key = (send.client_seq_no, send.send_no)
        if key in self.items:
            return False
        self.items[key] = send
        return True

    def sends(self, client_seq_no: str) -> list[Send]:
        found = sorted((s for (c, _), s in self.items.items() if c == client_seq_no), key=lambda s: s.send_no)
        return [replace(s, xml=b"") for s in found]

    def get(self, client_seq_no: str, send_no: int) -> Send | None:
        found = self.items.get((client_seq_no, send_no))
        return replace(found, xml=b"") if found is not None else None

    def check(self, send: Send, expected_version: int) -> None:
        current = self.items.get((send.client_seq_no, send.send_no))
        if current is None or current.version != expected_version:
            raise SendMoved(f"{send.client_seq_no}/{send.send_no}")

    def write(self, send: Send) -> None:
        stored = self.items[(send.client_seq_no, send.send_no)]
        self.items[(send.client_seq_no, send.send_no)] = replace(send, xml=stored.xml)  # the XML is never rewritten

    def save(self, send: Send, expected_version: int) -> None:
        if self.before_save is not None:
            self.before_save(send)
        self.check(send, expected_version)
        self.write(send)

    def due(self, ent_code: str, now: datetime, limit: int) -> list[Send]:
        mine = [s for s in self.items.values() if s.ent_code == ent_code and s.leasable(now)]
        queued = sorted((s for s in mine if s.state == SendState.QUEUED), key=lambda s: s.created_at)
        taken = sorted((s for s in mine if s.state == SendState.TAKEN), key=lambda s: s.lease_expires_at or now)
        return (queued + taken)[:limit]

    def counts(self, ent_code: str) -> dict[str, int]:
        out = {str(state): 0 for state in (SendState.QUEUED, SendState.TAKEN, SendState.WRITTEN, SendState.SENT)}
        for send in self.items.values():
            if send.ent_code == ent_code and send.open:
                out[str(send.state)] += 1
        return out

    def first_open(self, ent_code: str) -> tuple[str, int] | None:
        mine = [s for s in self.items.values() if s.ent_code == ent_code and s.open]
        first = min(mine, key=lambda s: (list(SendState).index(s.state), s.created_at), default=None)
        return (first.client_seq_no, first.send_no) if first else None

    def open_sends(self, limit: int = 1000) -> list[OpenSend]:
        return [
            OpenSend(s.client_seq_no, s.send_no, s.ent_code, str(s.state), s.created_at, s.taken_at, s.overdue_at)
            for s in self.items.values()
            if s.open
        ][:limit]


class FakeAgentCredentials(AgentCredentials):
    def __init__(self) -> None:
        self.items: dict[str, Credential] = {}
        self.reads = 0

    def add(self, credential: Credential) -> None:
        assert credential.credential_id not in self.items
        self.items[credential.credential_id] = credential

    def get(self, credential_id: str) -> Credential | None:
        self.reads += 1
        return self.items.get(credential_id)

    def list(self, ent_code: str) -> list[Credential]:
        return sorted((c for c in self.items.values() if c.ent_code == ent_code), key=lambda c: c.created_at)

    def revoke(self, credential_id: str, at: datetime) -> None:
        self.items[credential_id] = replace(self.items[credential_id], revoked_at=at)

    def contact(self, credential_id: str, at: datetime, hostname: str | None, agent_version: str | None) -> None:
        found = self.items.get(credential_id)
        if found is not None:
            self.items[credential_id] = replace(
                found, last_contact_at=at, hostname=hostname, agent_version=agent_version
            )


class FakeCustomsChannels(CustomsChannels):
    def __init__(self) -> None:
        self.items: dict[str, tuple[dict[str, Any], int]] = {}

    def get(self, ent_code: str) -> tuple[dict[str, Any], int] | None:
        return self.items.get(ent_code)

    def get_many(self, ent_codes: Sequence[str]) -> dict[str, tuple[dict[str, Any], int]]:
        return {e: self.items[e] for e in ent_codes if e in self.items}

    def save(self, ent_code: str, fields: dict[str, Any], expected_version: int | None) -> None:
        current = self.items.get(ent_code)
        if (current[1] if current else None) != expected_version:
            raise SendMoved(ent_code)
        self.items[ent_code] = (dict(fields), (expected_version or 0) + 1)


class FakeInboxFiles(InboxFiles):
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, tuple[str, bytes]]] = {}
        self.kept_files: dict[str, list[dict[str, Any]]] = {}

    def park(
        self, ent_code: str, customs_seq_no: str, file_id: str, file_name: str, data: bytes, now: datetime
    ) -> None:
        self.items.setdefault((ent_code, customs_seq_no), {})[file_id] = (file_name, data)

    def parked(self, ent_code: str, customs_seq_no: str) -> list[tuple[str, str, bytes]]:
        return [(fid, name, data) for fid, (name, data) in self.items.get((ent_code, customs_seq_no), {}).items()]

    def unpark(self, ent_code: str, customs_seq_no: str, file_id: str) -> None:
        self.items.get((ent_code, customs_seq_no), {}).pop(file_id, None)

    def keep(self, ent_code: str, file_id: str, file: dict[str, Any], now: datetime) -> bool:
        mine = self.kept_files.setdefault(ent_code, [])
        if any(f["file_id"] == file_id for f in mine):
            return False
        mine.insert(0, {**file, "file_id": file_id})
        return True

    def kept(self, ent_code: str, limit: int = 50) -> list[dict[str, Any]]:
        return list(self.kept_files.get(ent_code, []))[:limit]


# ---- the exchange channel on the engine harness ----------------------------------------------------


class FakeReceipts(ReceiptRepository):
    """The receipts table as the fake unit of work keeps it (uow.receipts): a receipt once."""

    def __init__(self, uow) -> None:
        self.uow = uow

    def add(self, receipt_id, body, seq_no, received_at):
        if receipt_id in self.uow.receipts:
            return dict(self.uow.receipts[receipt_id])
        self.uow.receipts[receipt_id] = {**body, "seq_no": seq_no, "applied": False}
        return None

    def mark_applied(self, receipt_id):
        self.uow.receipts[receipt_id]["applied"] = True

    def unmatched(self, limit=100):
        return [r for r in self.uow.receipts.values() if not r.get("seq_no")][:limit]

    def conflicts(self, limit=100):
        return [r for r in self.uow.receipts.values() if r.get("conflict")][:limit]


class RecordingPublisher(EventPublisher):
    def __init__(self) -> None:
        self.events: list = []

    def publish(self, events) -> None:
        self.events.extend(events)


def exchange_harness():
    """The engine harness declaring through the exchange channel, as the wiring builds it for
    SMARTDECL_CUSTOMS_CHANNEL=exchange on these fakes: (harness, Exchange, outbox)."""
    from chalicelib.config import Settings
    from chalicelib.services.receipts import RecentDeclarations
    from tests.engine_harness import Harness

    outbox = FakeExchangeOutbox()
    h = Harness(
        customs=None,  # type: ignore[arg-type] # the wiring's exchange gateway, on the fake outbox
        settings=Settings(customs_channel="exchange"),
        more={
            "exchange_outbox": outbox,
            "inbox_files": FakeInboxFiles(),
            "customs_channels": FakeCustomsChannels(),
            "agent_credentials": FakeAgentCredentials(),
            "publisher": RecordingPublisher(),
            "recent_declarations": RecentDeclarations(size=0),
        },
    )
    h.uow.outbox = outbox
    h.wiring.receipts = FakeReceipts(h.uow)
    x = h.wiring.exchange
    tokens = iter(f"lease-{n}" for n in range(1, 10_000))
    x.new_token = lambda: next(tokens)
    return h, x, outbox

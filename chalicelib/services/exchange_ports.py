"""Ports of the exchange channel: the enterprise's outbox of sends, the agent credentials and the
customs channel's state (docs/customs-channel.md). Adapters: adapters/exchange_outbox.py,
adapters/agent_credentials.py; fakes: tests/exchange_fakes.py."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.exchange import Send


class SendMoved(Exception):
    """A conditional write found the send at another version (another request moved it first)."""


@dataclass(frozen=True)
class SendWrite:
    """A send's move, written with the declaration's step it causes (UnitOfWork.commit)."""

    send: Send
    expected_version: int


@dataclass(frozen=True)
class OpenSend:
    """An unanswered send as the schedule sees it (no XML, no declaration read)."""

    client_seq_no: str
    send_no: int
    ent_code: str
    state: str
    created_at: datetime
    taken_at: datetime | None
    overdue_at: datetime | None


class ExchangeOutbox(abc.ABC):
    """Every send of every declaration to the Single Window client, by ClientSeqNo and send_no."""

    @abc.abstractmethod
    def put(self, send: Send) -> bool:
        """Store a new send unless one with its (client_seq_no, send_no) exists: False then."""

    @abc.abstractmethod
    def sends(self, client_seq_no: str) -> list[Send]:
        """Every send of a ClientSeqNo, oldest first, without their XML."""

    @abc.abstractmethod
    def get(self, client_seq_no: str, send_no: int) -> Send | None:
        """One send, without its XML."""

    @abc.abstractmethod
    def save(self, send: Send, expected_version: int) -> None:
        """Write a send's new state if it is still at `expected_version` (else SendMoved)."""

    @abc.abstractmethod
    def due(self, ent_code: str, now: datetime, limit: int) -> list[Send]:
        """The enterprise's sends an agent may take now, with their XML: queued ones oldest first,
        then those whose lease ran out."""

    @abc.abstractmethod
    def counts(self, ent_code: str) -> dict[str, int]:
        """The enterprise's unanswered sends per state (queued, taken, written, sent)."""

    @abc.abstractmethod
    def first_open(self, ent_code: str) -> tuple[str, int] | None:
        """(client_seq_no, send_no) of one of the enterprise's unanswered sends, the longest waiting of
        the earliest state; None when none waits."""

    @abc.abstractmethod
    def open_sends(self, limit: int = 1000) -> list[OpenSend]:
        """Every enterprise's unanswered sends (the schedule's silence check and watchdog)."""


@dataclass(frozen=True)
class Credential:
    """An agent credential of one enterprise: what is kept (the key only as its hash)."""

    credential_id: str
    ent_code: str
    ent_uscc: str | None
    name: str
    key_hash: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    last_contact_at: datetime | None = None
    hostname: str | None = None
    agent_version: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class AgentCredentials(abc.ABC):
    @abc.abstractmethod
    def add(self, credential: Credential) -> None: ...

    @abc.abstractmethod
    def get(self, credential_id: str) -> Credential | None: ...

    @abc.abstractmethod
    def list(self, ent_code: str) -> list[Credential]: ...

    @abc.abstractmethod
    def revoke(self, credential_id: str, at: datetime) -> None: ...

    @abc.abstractmethod
    def contact(self, credential_id: str, at: datetime, hostname: str | None, agent_version: str | None) -> None:
        """The agent's last contact (its heartbeat)."""


class CustomsChannels(abc.ABC):
    """Each enterprise's customs channel: the last heartbeat of its agent and what was judged and told
    (an item per enterprise, written with a version)."""

    @abc.abstractmethod
    def get(self, ent_code: str) -> tuple[dict[str, Any], int] | None:
        """The channel's fields and version; None before the first heartbeat."""

    @abc.abstractmethod
    def get_many(self, ent_codes: Sequence[str]) -> dict[str, tuple[dict[str, Any], int]]: ...

    @abc.abstractmethod
    def save(self, ent_code: str, fields: dict[str, Any], expected_version: int | None) -> None:
        """Write if still at `expected_version` (None: it must not exist yet); else SendMoved."""


class InboxFiles(abc.ABC):
    """InBox files kept by the service: DEC_RESULT files that arrived before the DecImportResponse
    naming their customs SeqNo (parked), and files it cannot apply (kept, shown on the channel)."""

    @abc.abstractmethod
    def park(
        self, ent_code: str, customs_seq_no: str, file_id: str, file_name: str, data: bytes, now: datetime
    ) -> None:
        """Keep the file under the SeqNo it names (the same file twice is one)."""

    @abc.abstractmethod
    def parked(self, ent_code: str, customs_seq_no: str) -> list[tuple[str, str, bytes]]:
        """The files parked under a SeqNo: (file id, file name, bytes)."""

    @abc.abstractmethod
    def unpark(self, ent_code: str, customs_seq_no: str, file_id: str) -> None: ...

    @abc.abstractmethod
    def keep(self, ent_code: str, file_id: str, file: dict[str, Any], now: datetime) -> bool:
        """Keep a file the service could not apply (its name, kind, text …), once: False when kept before."""

    @abc.abstractmethod
    def kept(self, ent_code: str, limit: int = 50) -> list[dict[str, Any]]:
        """The enterprise's kept files, newest first."""

"""Ports: what the use cases need from the outside world, named for the need.

Adapters (chalicelib/adapters) implement them on DynamoDB; tests use the fakes in tests/fakes.py.
"""
from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from chalicelib.domain.configs import Config
from chalicelib.domain.customs import CustomsResponse
from chalicelib.domain.declaration import Declaration
from chalicelib.domain.enablement import Enablement
from chalicelib.domain.logistics import ArrivalReport, Manifest
from chalicelib.domain.queries import DeclarationQuery

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Page:
    items: list[Declaration]
    total: int
    next_cursor: str | None


class ConditionFailed(Exception):
    """A conditional write found the record in another state than expected (or gone)."""


class AlreadyExists(Exception):
    """A create found the key taken."""


class UniquenessClash(Exception):
    """A uniqueness claim is held by another record."""


class DeclarationRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, seq_no: str) -> Declaration | None: ...

    @abc.abstractmethod
    def get_many(self, seq_nos: Sequence[str]) -> dict[str, Declaration]: ...

    @abc.abstractmethod
    def add_many(self, declarations: Sequence[Declaration]) -> list[str]:
        """Create each declaration unless its seq_no exists. Returns the seq_nos that existed."""

    @abc.abstractmethod
    def replace(self, declaration: Declaration, expected_version: int) -> None:
        """Write the whole record if the stored version is `expected_version` (else ConditionFailed)."""

    @abc.abstractmethod
    def delete(self, declaration: Declaration) -> None:
        """Delete if still at the same version and editable (else ConditionFailed)."""

    @abc.abstractmethod
    def set_mark(self, declaration: Declaration, marked: bool, card_no: str, now: datetime) -> None:
        """Mark or unmark if the record is still in the state that was checked (else ConditionFailed)."""

    @abc.abstractmethod
    def query(self, ent_code: str, query: DeclarationQuery, window: tuple[datetime, datetime] | None) -> Page: ...


class ConfigRepository(abc.ABC):
    @abc.abstractmethod
    def list(self, ent_code: str) -> list[Config]: ...

    @abc.abstractmethod
    def get(self, ent_code: str, config_id: str) -> Config | None: ...

    @abc.abstractmethod
    def save(self, config: Config, claims: set[str], previous: Config | None,
             previous_claims: set[str]) -> None:
        """Create or update a config with its uniqueness claims, atomically.

        Raises UniquenessClash when a claim is held by another config, ConditionFailed when
        `previous` is no longer the stored version.
        """

    @abc.abstractmethod
    def delete(self, config: Config, claims: set[str]) -> None: ...


class EnterpriseRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, ent_code: str) -> Enablement | None: ...

    @abc.abstractmethod
    def enable(self, enablement: Enablement) -> Enablement:
        """Record the acceptance once; a second call returns the first record."""


class SeqNoAllocator(abc.ABC):
    @abc.abstractmethod
    def allocate(self, ie_flag: str, year: int, count: int) -> list[str]:
        """`count` fresh seq_nos (I/E + year + 13 digits), never handed out before."""


def chunks(items: Iterable, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class CustomsUnavailable(Exception):
    """Customs could not be reached (time-outs, 5xx) even after the adapter's retries."""


class CustomsGateway(abc.ABC):
    """The customs side: send a DecMessage, and ask what customs knows of a ClientSeqNo."""

    @abc.abstractmethod
    def declare(self, client_seq_no: str, dec_message_xml: bytes) -> CustomsResponse:
        """Send once (retrying only transport failures). Raises CustomsUnavailable."""

    @abc.abstractmethod
    def lookup(self, client_seq_no: str) -> CustomsResponse | None:
        """The answer customs gave to an earlier send of this ClientSeqNo, or None if it never arrived.
        Raises CustomsUnavailable."""


class LogisticsGateway(abc.ABC):
    """Manifests and arrival reports, keyed by bill_no."""

    @abc.abstractmethod
    def manifest(self, bill_no: str) -> Manifest | None: ...

    @abc.abstractmethod
    def arrival(self, bill_no: str) -> ArrivalReport | None: ...

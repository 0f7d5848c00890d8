"""Ports: what the use cases need from the outside world, named for the need.

Adapters (chalicelib/adapters) implement them on DynamoDB; tests use the fakes in tests/fakes.py.
"""

from __future__ import annotations

import abc
import builtins
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

# Named in annotations only: a function imports only the domain it uses (cold start, issue #10)
if TYPE_CHECKING:
    from decimal import Decimal

    from chalicelib.domain.column_mapping import ColumnMapping
    from chalicelib.domain.configs import Config
    from chalicelib.domain.customs import CustomsResponse
    from chalicelib.domain.declaration import Declaration
    from chalicelib.domain.declaration_log import LogEntry
    from chalicelib.domain.enablement import Enablement
    from chalicelib.domain.executions import Batch, Execution
    from chalicelib.domain.logistics import ArrivalReport, Manifest
    from chalicelib.domain.parts import Part
    from chalicelib.domain.price_history import PriceKey, RecordedPrice
    from chalicelib.domain.queries import DeclarationQuery
    from chalicelib.domain.subscriptions import Subscription

    from .exchange_ports import SendWrite

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


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
    def add_many(self, declarations: Sequence[Declaration]) -> dict[str, str]:
        """Create each declaration unless its seq_no exists or its owner already imported its
        source_seq_no (the record and that claim are written together). Returns the refused ones:
        {seq_no: the seq_no holding it}."""

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

    @abc.abstractmethod
    def pool(
        self, side: str, party: str, ie_flag: str, limit: int, ready_by: datetime | None = None
    ) -> list[Declaration]:
        """Marked, pending, temp-saved declarations of one enterprise (as agent or consignee) and flag,
        in the order they became ready (lifecycle.ready_at); with `ready_by`, only those ready by then."""

    @abc.abstractmethod
    def overdue(self, now: datetime, limit: int = 500) -> list[str]:
        """seq_nos in progress past their claim deadline."""

    @abc.abstractmethod
    def by_entry_id(self, entry_id: str) -> str | None: ...

    @abc.abstractmethod
    def by_customs_seq_no(self, customs_seq_no: str) -> str | None: ...

    @abc.abstractmethod
    def awaiting_receipt(self, declared_before: datetime, limit: int = 500) -> list[str]:
        """Declared before that time and still without any customs receipt."""


class ConfigRepository(abc.ABC):
    @abc.abstractmethod
    def list(self, ent_code: str) -> list[Config]: ...

    @abc.abstractmethod
    def get(self, ent_code: str, config_id: str) -> Config | None: ...

    @abc.abstractmethod
    def save(self, config: Config, claims: set[str], previous: Config | None, previous_claims: set[str]) -> None:
        """Create or update a config with its uniqueness claims, atomically.

        Raises UniquenessClash when a claim is held by another config, ConditionFailed when
        `previous` is no longer the stored version.
        """

    @abc.abstractmethod
    def delete(self, config: Config, claims: set[str]) -> None: ...


class ColumnMappingRepository(abc.ABC):
    """An enterprise's column mappings (domain/column_mapping.py), each name held once per enterprise."""

    @abc.abstractmethod
    def list(self, ent_code: str) -> list[ColumnMapping]: ...

    @abc.abstractmethod
    def get(self, ent_code: str, mapping_id: str) -> ColumnMapping | None: ...

    @abc.abstractmethod
    def save(self, mapping: ColumnMapping, previous: ColumnMapping | None) -> None:
        """Create or replace a mapping with its name's claim, atomically. Raises UniquenessClash when
        another mapping of the enterprise holds the name, ConditionFailed when `previous` is no longer
        the stored version (or, creating, the id is taken)."""

    @abc.abstractmethod
    def delete(self, mapping: ColumnMapping) -> None:
        """Delete a mapping and its name's claim; ConditionFailed when it changed meanwhile."""


class PartsRepository(abc.ABC):
    """An enterprise's parts library (domain/parts.py), by part number."""

    @abc.abstractmethod
    def get(self, ent_code: str, part_no: str) -> Part | None: ...

    @abc.abstractmethod
    def get_many(self, ent_code: str, part_nos: Collection[str]) -> dict[str, Part]:
        """The parts among `part_nos` (keys, read together); missing ones are absent."""

    @abc.abstractmethod
    def page(self, ent_code: str, status: str | None, after: str | None, limit: int) -> builtins.list[Part]:
        """Up to `limit` parts by part number after `after`, of one status or all."""

    @abc.abstractmethod
    def save(self, part: Part, previous: Part | None) -> None:
        """Write the part if `previous` is still the stored version (None: if none is stored), else
        ConditionFailed."""


class PriceHistory(abc.ABC):
    """Each enterprise's unit prices of declared goods (domain/advisories.py `price_outlier`)."""

    @abc.abstractmethod
    def record(self, prices: Sequence[RecordedPrice]) -> None:
        """Keep each price once per (seq_no, g_no): recording the same declaration again changes nothing."""

    @abc.abstractmethod
    def recent(self, ent_code: str, key: PriceKey, since: datetime, limit: int) -> builtins.list[Decimal]:
        """The enterprise's newest prices under `key` declared after `since`, at most `limit`, newest first."""


class EnterpriseRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, ent_code: str) -> Enablement | None: ...

    @abc.abstractmethod
    def enable(self, enablement: Enablement) -> Enablement:
        """Record the acceptance once, with a claim on the credit code so that two customs codes
        never share one; a second call returns the first record. UniquenessClash when another
        customs code holds the credit code."""


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
    """The customs side: send a DecMessage, and ask what customs knows of a ClientSeqNo.

    Through the Single Window client (the exchange channel) customs answers later: `declare` then
    answers queued (CustomsResponse.queued), and the answer arrives as a file (docs/customs-channel.md)."""

    message_version: str | None = None  # the DecMessage version this channel's messages are written in

    @abc.abstractmethod
    def declare(self, client_seq_no: str, dec_message_xml: bytes, *, ent_code: str | None = None) -> CustomsResponse:
        """Send once (retrying only transport failures). `ent_code`: the declaring enterprise, whose
        channel carries it (the exchange channel's outbox is per enterprise). Raises CustomsUnavailable."""

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


class ExecutionRepository(abc.ABC):
    @abc.abstractmethod
    def create(self, execution: Execution) -> None:
        """Store a new running execution and claim its configs; UniquenessClash if one already runs."""

    @abc.abstractmethod
    def get(self, execution_id: str) -> Execution | None: ...

    @abc.abstractmethod
    def list(self, ent_code: str, limit: int = 50) -> list[Execution]: ...

    @abc.abstractmethod
    def save(self, execution: Execution, expected_version: int) -> None:
        """Write if the stored version is `expected_version` (else ConditionFailed)."""

    @abc.abstractmethod
    def stop(self, execution: Execution, expected_version: int) -> None:
        """Mark stopped and free its configs (else ConditionFailed)."""

    @abc.abstractmethod
    def add_totals(self, execution_id: str, batch_index: int, succeeded: int, failed: int) -> None:
        """Atomically add a finished batch's counts to the execution's totals, once per batch."""

    @abc.abstractmethod
    def set_customs_available(self, execution_id: str, available: bool) -> bool:
        """Record whether customs answered the last submission (no version check: a plain flag).
        True when customs is back: it was recorded unavailable and now answers."""

    @abc.abstractmethod
    def due(self, now: datetime) -> builtins.list[Execution]:
        """Running executions whose next batch should have started by `now`."""


class BatchRepository(abc.ABC):
    @abc.abstractmethod
    def create(self, batch: Batch) -> None: ...

    @abc.abstractmethod
    def get(self, batch_no: str) -> Batch | None: ...

    @abc.abstractmethod
    def count(self, batch_no: str, counted: Mapping[str, Collection[str]]) -> Batch | None:
        """Count declarations' outcomes ({succeeded|failed|waiting|skipped: seq_nos}) in one write.
        Idempotent: a seq_no counted twice under the same outcome counts once. The new counts, or
        None when no such batch was ever recorded."""

    @abc.abstractmethod
    def finish(self, batch_no: str, at: datetime) -> bool:
        """Mark finished; True only for the one caller that did it (False for a batch never recorded)."""

    @abc.abstractmethod
    def list_for_execution(self, execution_id: str, limit: int = 100) -> list[Batch]:
        """The execution's batches, newest first, at most `limit`."""


class DeclarationLog(abc.ABC):
    @abc.abstractmethod
    def append(self, entries: Sequence[tuple[str, LogEntry]]) -> None:
        """Add (seq_no, entry) lines, in one batch write where possible."""

    @abc.abstractmethod
    def list(self, seq_no: str) -> list[LogEntry]: ...

    @abc.abstractmethod
    def batch_results(self, batch_no: str) -> builtins.list[tuple[str, LogEntry]]:
        """The (seq_no, entry) of one batch that carry a result (how a declaration's turn in the batch
        went: in progress, then succeeded, failed, waiting or skipped), in time order per declaration."""


@dataclass(frozen=True)
class StoredReceipt:
    """A customs receipt as kept, written with the change that applies it (UnitOfWork.commit)."""

    receipt_id: str
    body: dict
    seq_no: str | None
    received_at: str


class ReceiptAlreadyApplied(Exception):
    """The receipt was applied before (a second delivery): the change was not written."""


class UnitOfWork(abc.ABC):
    """Commits one lifecycle Change (domain.lifecycle): the record's changed attributes, if its
    version is still the change's `expected_version`, its log entries and its events, all or none."""

    @abc.abstractmethod
    def commit(self, change: Any, receipt: StoredReceipt | None = None, send: SendWrite | None = None) -> None:
        """Raises ConditionFailed when the record moved meanwhile (then nothing is written). With a
        receipt, the receipt is stored as applied in the same write, once: ReceiptAlreadyApplied
        when it was applied before (then nothing is written either). With a send (the exchange
        channel), the send's move is written in the same write, if the send is still at its expected
        version: SendMoved (services/exchange_ports.py) otherwise."""

    def commit_many(self, changes: Sequence[Any]) -> set[str]:
        """Commit several changes of different declarations, each still conditional on its own
        version; returns the seq_nos whose condition failed (those were not written, the others were).
        This default commits them one by one; adapters may carry many in one request."""
        lost: set[str] = set()
        for change in changes:
            try:
                self.commit(change)
            except ConditionFailed:
                lost.add(change.seq_no)
        return lost


class WorkQueue(abc.ABC):
    """The engine's queues: batch triggers (delayed), validation, submission."""

    @abc.abstractmethod
    def trigger_batch(self, execution_id: str, after_index: int, delay_seconds: int) -> None: ...

    @abc.abstractmethod
    def to_validation(self, messages: Sequence[dict]) -> None: ...

    @abc.abstractmethod
    def to_submission(self, messages: Sequence[dict]) -> None: ...


class Counter(abc.ABC):
    @abc.abstractmethod
    def next(self, name: str, count: int = 1) -> int:
        """Atomically add `count` to counter `name`; the new value."""


class WindowCounter(abc.ABC):
    """Counts requests in one time window, atomically, refusing the one past the limit."""

    @abc.abstractmethod
    def take(self, key: str, limit: int, expires_at: int) -> bool:
        """Count one request on `key` unless `limit` were already counted; True when it was counted.
        The counter may be forgotten after `expires_at` (epoch seconds)."""


class ReceiptRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, receipt_id: str, body: dict, seq_no: str | None, received_at: str) -> dict | None:
        """Store a receipt once. None when new; the stored one (with "applied") when it was seen before."""

    @abc.abstractmethod
    def mark_applied(self, receipt_id: str) -> None: ...

    @abc.abstractmethod
    def unmatched(self, limit: int = 100) -> list[dict]: ...

    @abc.abstractmethod
    def conflicts(self, limit: int = 100) -> list[dict]:
        """Receipts whose numbers disagreed (kept, applied to nothing), newest first."""


class EventPublisher(abc.ABC):
    """Pushes events (smart-status changes, receipts) to subscribers; SNS when deployed."""

    @abc.abstractmethod
    def publish(self, events: Sequence) -> None: ...


class SubscriptionRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, subscription: Subscription) -> None: ...

    @abc.abstractmethod
    def list(self, ent_code: str) -> list[Subscription]: ...

    @abc.abstractmethod
    def get(self, ent_code: str, subscription_id: str) -> Subscription | None: ...

    @abc.abstractmethod
    def delete(self, subscription: Subscription) -> None: ...


class DeliveryLog(abc.ABC):
    """Every webhook delivery, its attempts and outcome; the event is kept for replay."""

    @abc.abstractmethod
    def record(self, subscription_id: str, event: dict, status: str, attempt: dict | None, now: datetime) -> None: ...

    @abc.abstractmethod
    def list(
        self, subscription_id: str, start: str | None = None, end: str | None = None, limit: int = 100
    ) -> list[dict]: ...

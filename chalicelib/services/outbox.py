"""Use case: publish the events of committed changes, read from the declaration log's stream
(the transactional outbox; adapters/unit_of_work.py writes them with the change).

Stream records come in commit order per declaration. Consecutive records are grouped so that
one PublishBatch carries up to ten messages (an event concerning two enterprises is two). At
the first group SNS refuses, publishing stops and that group's first record is reported as the
batch item failure: Lambda checkpoints everything before it and retries from there, so nothing
committed is lost and nothing after the failure goes out before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.domain.events import Event

from .ports import EventPublisher

MESSAGES_PER_REQUEST = 10  # SNS PublishBatch's limit


@dataclass(frozen=True)
class Committed:
    """One stream record: its position, and the events its change committed."""

    item_id: str  # the stream's SequenceNumber, what Lambda's partial batch response names
    events: tuple[Event, ...]


def publish_committed(records: Sequence[Committed], publisher: EventPublisher) -> list[str]:
    """Publish every record's events in order; the item ids to retry from (empty: all published)."""
    for group in _groups(records):
        events = [e for r in group for e in r.events]
        try:
            if events:
                publisher.publish(events)
        except Exception:  # noqa: BLE001 - whatever SNS said, retry from this group on
            return [group[0].item_id]
    return []


def _messages(event: Event) -> int:
    return len(event.ent_codes)


def _groups(records: Sequence[Committed]) -> list[list[Committed]]:
    groups: list[list[Committed]] = []
    size = 0
    for record in records:
        n = sum(_messages(e) for e in record.events)
        if not groups or size + n > MESSAGES_PER_REQUEST:
            groups.append([])
            size = 0
        groups[-1].append(record)
        size += n
    return groups

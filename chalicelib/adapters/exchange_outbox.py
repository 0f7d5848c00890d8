"""DynamoExchangeOutbox: each send to the Single Window client, one item per (client_seq_no, send_no).

Keys and indexes (dynamo_models.ExchangeOutboxModel), no Scan:
- a ClientSeqNo's sends: Query on the table's key (a declaration has one send, rarely a few);
- an enterprise's sends by state: `by_enterprise` ("<ent>#<state>", due_at), KEYS_ONLY and sparse
  (only while unanswered). The agent's lease reads queued sends, then taken ones whose lease is due
  (`due_at` = the lease's end), by key condition, then the items in one BatchGetItem;
- every unanswered send: `open_sends` (sharded, sparse), for the schedule.
Every state change is an UpdateItem of the state attributes (never the XML again), conditional on
the version it was computed from. Once answered, the send leaves both indexes and expires (TTL).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.domain.exchange import Answer, Send, SendState
from chalicelib.services.exchange_ports import ExchangeOutbox, OpenSend, SendMoved

from .conditions import condition_failed
from .dynamo_models import ExchangeOutboxModel as O
from .dynamo_models import connection

OPEN_SHARDS = 8
KEPT_AFTER_ANSWER = timedelta(days=30)  # answered sends stay this long for the log's and the console's sake
_STATE_ATTRIBUTES = (
    "state",
    "last_try",
    "lease_token",
    "lease_expires_at",
    "taken_at",
    "handed_out",
    "file_name",
    "written_at",
    "sent_at",
    "answered_at",
    "answer",
    "customs_seq_no",
    "response_code",
    "message",
    "answered_by",
    "events",
    "overdue_at",
    "version",
    "ent_state",
    "due_at",
    "open_shard",
    "expires_at",
)
_TIMES = ("created_at", "lease_expires_at", "taken_at", "written_at", "sent_at", "answered_at", "overdue_at")
_OPEN = (SendState.QUEUED, SendState.TAKEN, SendState.WRITTEN, SendState.SENT)


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z") if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def open_shard(client_seq_no: str) -> str:
    return f"open#{zlib.crc32(client_seq_no.encode()) % OPEN_SHARDS}"


def _due_at(send: Send) -> datetime | None:
    return {
        SendState.QUEUED: send.created_at,
        SendState.TAKEN: send.lease_expires_at,
        SendState.WRITTEN: send.written_at,
        SendState.SENT: send.sent_at,
    }.get(send.state)


def to_item(send: Send) -> O:
    item = O(
        client_seq_no=send.client_seq_no,
        send_no=send.send_no,
        ent_code=send.ent_code,
        ie_flag=send.ie_flag,
        message_version=send.message_version,
        sha256=send.sha256,
        xml=send.xml.decode("utf-8"),
        first_try=send.first_try,
    )
    for name in _STATE_ATTRIBUTES:
        if hasattr(send, name):
            setattr(item, name, getattr(send, name))
    for name in _TIMES:
        setattr(item, name, iso(getattr(send, name)))
    item.state = str(send.state)
    item.answer = str(send.answer) if send.answer else None
    item.events = set(send.events) or None
    if send.open:
        item.ent_state = f"{send.ent_code}#{send.state}"
        item.due_at = iso(_due_at(send) or send.created_at)
        item.open_shard = open_shard(send.client_seq_no)
        item.expires_at = None
    else:
        item.ent_state = item.due_at = item.open_shard = None
        item.expires_at = int((send.answered_at or send.created_at).timestamp() + KEPT_AFTER_ANSWER.total_seconds())
    return item


def from_item(item: O, with_xml: bool = True) -> Send:
    raw = item.attribute_values
    return Send(
        client_seq_no=item.client_seq_no,
        send_no=int(item.send_no),
        ent_code=item.ent_code,
        ie_flag=item.ie_flag,
        message_version=item.message_version,
        sha256=item.sha256,
        first_try=int(item.first_try),
        created_at=_dt(item.created_at) or datetime.now(UTC),
        xml=item.xml.encode("utf-8") if with_xml and raw.get("xml") is not None else b"",
        state=SendState(item.state),
        last_try=int(item.last_try or 0),
        lease_token=item.lease_token,
        lease_expires_at=_dt(item.lease_expires_at),
        taken_at=_dt(item.taken_at),
        handed_out=int(item.handed_out or 0),
        file_name=item.file_name,
        written_at=_dt(item.written_at),
        sent_at=_dt(item.sent_at),
        answered_at=_dt(item.answered_at),
        answer=Answer(item.answer) if item.answer else None,
        customs_seq_no=item.customs_seq_no,
        response_code=item.response_code,
        message=item.message,
        answered_by=item.answered_by,
        events=frozenset(item.events or ()),
        overdue_at=_dt(item.overdue_at),
        version=int(item.version),
    )


def update_of(send: Send, expected_version: int) -> tuple[O, list, Any]:
    """The UpdateItem of a send's new state: (key item, actions, condition), for a transaction too."""
    item = to_item(send)
    actions = [
        getattr(O, name).set(getattr(item, name)) if getattr(item, name) is not None else getattr(O, name).remove()
        for name in _STATE_ATTRIBUTES
    ]
    return O(send.client_seq_no, send.send_no), actions, O.version == expected_version


class DynamoExchangeOutbox(ExchangeOutbox):
    def put(self, send: Send) -> bool:
        try:
            to_item(send).save(condition=O.client_seq_no.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def sends(self, client_seq_no: str) -> list[Send]:
        attributes = [a for a in O.get_attributes() if a != "xml"]
        items = O.query(client_seq_no, consistent_read=True, attributes_to_get=attributes)
        return [from_item(i, with_xml=False) for i in items]

    def get(self, client_seq_no: str, send_no: int) -> Send | None:
        try:
            return from_item(O.get(client_seq_no, send_no, consistent_read=True), with_xml=False)
        except DoesNotExist:
            return None

    def save(self, send: Send, expected_version: int) -> None:
        key, actions, condition = update_of(send, expected_version)
        try:
            key.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if condition_failed(exc):
                raise SendMoved(f"{send.client_seq_no}/{send.send_no}") from exc
            raise

    def due(self, ent_code: str, now: datetime, limit: int) -> list[Send]:
        keys: list[tuple[str, int]] = []
        for state in (SendState.QUEUED, SendState.TAKEN):
            if len(keys) >= limit:
                break
            for row in O.by_enterprise.query(
                f"{ent_code}#{state}", O.due_at <= iso(now), limit=limit - len(keys), page_size=limit
            ):
                keys.append((row.client_seq_no, int(row.send_no)))
        return [s for s in self._batch_get(keys) if s.leasable(now)]

    def counts(self, ent_code: str) -> dict[str, int]:
        return {str(state): O.by_enterprise.count(f"{ent_code}#{state}") for state in _OPEN}

    def first_open(self, ent_code: str) -> tuple[str, int] | None:
        for state in _OPEN:
            for row in O.by_enterprise.query(f"{ent_code}#{state}", limit=1):
                return row.client_seq_no, int(row.send_no)
        return None

    def open_sends(self, limit: int = 1000) -> list[OpenSend]:
        found: list[OpenSend] = []
        for shard in range(OPEN_SHARDS):
            for row in O.open_sends.query(f"open#{shard}", limit=limit - len(found)):
                found.append(
                    OpenSend(
                        row.client_seq_no,
                        int(row.send_no),
                        row.ent_code,
                        row.state,
                        _dt(row.created_at) or datetime.now(UTC),
                        _dt(row.taken_at),
                        _dt(row.overdue_at),
                    )
                )
            if len(found) >= limit:
                break
        return found

    @staticmethod
    def _batch_get(keys: Sequence[tuple[str, int]]) -> list[Send]:
        """The sends of these keys, in this order, strongly consistent (one BatchGetItem per 100)."""
        found: dict[tuple[str, int], Send] = {}
        client = connection(O.Meta.region).client
        for start in range(0, len(keys), 100):
            chunk = keys[start : start + 100]
            request: dict[str, Any] = {
                O.Meta.table_name: {
                    "Keys": [{"client_seq_no": {"S": c}, "send_no": {"N": str(n)}} for c, n in chunk],
                    "ConsistentRead": True,
                }
            }
            for attempt in range(8):
                answer = client.batch_get_item(RequestItems=request)
                for raw in answer.get("Responses", {}).get(O.Meta.table_name, []):
                    send = from_item(O.from_raw_data(raw))
                    found[(send.client_seq_no, send.send_no)] = send
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(1.0, 0.05 * 2**attempt))  # throttled: back off before asking again
        return [found[k] for k in keys if k in found]

"""The pull feed (GET /events): an enterprise's events in the order they were stored, kept 14 days.

Integrators behind a firewall cannot take webhooks; they poll `GET /events?after=<cursor>` instead
(as HMRC's notification pull queue does for CDS). An entry's position is the time it was stored
plus its event_id, so it is unique and ordered by arrival: a late event (older `occurred_at`) still
comes after what a reader has already passed, never before it.

Writers run in parallel; an entry stamped a moment ago may land after a later-stamped one is read.
So readers only see entries older than SETTLE: a cursor never skips an entry still in flight.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from . import errors
from .errors import FieldError
from .events import Event

RETENTION = timedelta(days=14)
SETTLE = timedelta(seconds=2)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500

_POSITION = re.compile(r"\d{8}T\d{6}\.\d{6}Z#[0-9a-f]{32}")


@dataclass(frozen=True)
class FeedEntry:
    """One event as stored for one enterprise."""

    ent_code: str
    position: str  # "<stored at, UTC, µs>#<event_id>": the sort key
    event: dict[str, Any]  # the webhook body, exactly
    expires_at: int  # Unix seconds: DynamoDB TTL removes the entry after the retention

    @property
    def cursor(self) -> str:
        return encode_cursor(self.position)

    def as_json(self) -> dict[str, Any]:
        return {"cursor": self.cursor, "event": dict(self.event)}


def entry_for(body: Mapping[str, Any], ent_code: str, stored_at: datetime) -> FeedEntry:
    """The entry of one published event (its webhook body and the `ent_code` attribute).

    Raises ValueError on a body that is no event: such a message must fail, not be stored."""
    if not ent_code:
        raise ValueError("an event without its ent_code attribute cannot be filed")
    event = Event.from_json(body, ent_code)  # validates type, ie_flag, time
    if not re.fullmatch(r"[0-9a-f]{32}", event.event_id):
        raise ValueError(f"unexpected event_id {event.event_id!r}")
    return FeedEntry(
        ent_code=ent_code,
        position=position(stored_at, event.event_id),
        event=event.as_json(),
        expires_at=int((stored_at + RETENTION).timestamp()),
    )


def position(stored_at: datetime, event_id: str) -> str:
    return f"{stored_at.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}#{event_id}"


def visible_until(now: datetime) -> str:
    """Entries strictly before this position are settled and may be read."""
    return position(now - SETTLE, "0" * 32)


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode("ascii")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The position behind a cursor; refused (400) unless it is one we made."""
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value = ""
    if not _POSITION.fullmatch(value):
        raise errors.invalid_request([FieldError("after", "游标无效", "the cursor is not one this feed gave out")])
    return value


@dataclass(frozen=True)
class FeedQuery:
    after: str | None  # a position, decoded
    page_size: int

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> FeedQuery:
        unknown = set(params) - {"after", "page_size"}
        problems = [FieldError(name, "不支持的查询参数", "unknown query parameter") for name in sorted(unknown)]
        raw_size = params.get("page_size", str(DEFAULT_PAGE_SIZE))
        size = int(raw_size) if raw_size.isascii() and raw_size.isdigit() else 0
        if not 1 <= size <= MAX_PAGE_SIZE:
            problems.append(
                FieldError("page_size", f"每页条数应为1到{MAX_PAGE_SIZE}", f"page_size must be 1 to {MAX_PAGE_SIZE}")
            )
        if problems:
            raise errors.invalid_request(problems)
        after = params.get("after") or None
        return cls(after=decode_cursor(after) if after else None, page_size=size)


def page_json(entries: list[FeedEntry], query: FeedQuery, has_more: bool) -> dict[str, Any]:
    """The answer: the entries, and where to continue (the same cursor again when nothing is new)."""
    last = entries[-1].cursor if entries else (encode_cursor(query.after) if query.after else None)
    return {"items": [e.as_json() for e in entries], "next_cursor": last, "has_more": has_more}

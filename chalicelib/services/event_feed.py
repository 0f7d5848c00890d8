"""Use cases of the pull feed: file a published event for its enterprise (the event-feed function),
and read an enterprise's events after a cursor (GET /events)."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from chalicelib.domain.event_feed import FeedEntry, FeedQuery, entry_for, page_json, visible_until
from chalicelib.domain.identity import Identity

from .ports import Clock


class EventFeed(abc.ABC):
    """Where the feed's entries are kept, one partition per enterprise."""

    @abc.abstractmethod
    def add_many(self, entries: list[FeedEntry]) -> list[bool]:
        """Store each entry once per (enterprise, event_id), in as few requests as the store allows;
        per entry, False when that event was already filed (or comes twice in `entries`)."""

    @abc.abstractmethod
    def after(
        self, ent_code: str, position: str | None, before: str, limit: int, now: datetime
    ) -> tuple[list[FeedEntry], bool]:
        """Entries of one enterprise with after < position < before, oldest first, not expired at
        `now`; and whether more follow."""


def file_events(
    messages: Sequence[tuple[Mapping[str, Any], str]], feed: EventFeed, clock: Clock
) -> list[str | Exception]:
    """The messages of one delivery of the events topic (body, ent_code) → their feed entries, written
    together. Per message: stored | duplicate, or the error of a body that is no event (that
    message alone must fail; the others are filed)."""
    now = clock()
    outcomes: list[str | Exception] = []
    entries: list[FeedEntry] = []
    for body, ent_code in messages:
        try:
            entries.append(entry_for(body, ent_code, now))
            outcomes.append("")
        except Exception as exc:  # noqa: BLE001 - any unreadable body fails its own message only
            outcomes.append(exc)
    stored = iter(feed.add_many(entries) if entries else [])
    return [o if isinstance(o, Exception) else ("stored" if next(stored) else "duplicate") for o in outcomes]


def read_events(identity: Identity, params: Mapping[str, str], feed: EventFeed, clock: Clock) -> dict[str, Any]:
    # Always the caller's partition: a cursor from another enterprise is only a position in time.
    query = FeedQuery.parse(params)
    now = clock()
    entries, has_more = feed.after(identity.ent_code, query.after, visible_until(now), query.page_size, now)
    return page_json(entries, query, has_more)

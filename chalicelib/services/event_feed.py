"""Use cases of the pull feed: file a published event for its enterprise (the event-feed function),
and read an enterprise's events after a cursor (GET /events)."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.domain.event_feed import FeedEntry, FeedQuery, entry_for, page_json, visible_until
from chalicelib.domain.identity import Identity

from .ports import Clock


class EventFeed(abc.ABC):
    """Where the feed's entries are kept, one partition per enterprise."""

    @abc.abstractmethod
    def add(self, entry: FeedEntry) -> bool:
        """Store the entry once per (enterprise, event_id); False when that event was already filed."""

    @abc.abstractmethod
    def after(
        self, ent_code: str, position: str | None, before: str, limit: int, now: datetime
    ) -> tuple[list[FeedEntry], bool]:
        """Entries of one enterprise with after < position < before, oldest first, not expired at
        `now`; and whether more follow."""


def file_event(body: Mapping[str, Any], ent_code: str, feed: EventFeed, clock: Clock) -> str:
    """One message of the events topic → one feed entry. Returns stored | duplicate."""
    return "stored" if feed.add(entry_for(body, ent_code, clock())) else "duplicate"


def read_events(identity: Identity, params: Mapping[str, str], feed: EventFeed, clock: Clock) -> dict[str, Any]:
    # Always the caller's partition: a cursor from another enterprise is only a position in time.
    query = FeedQuery.parse(params)
    now = clock()
    entries, has_more = feed.after(identity.ent_code, query.after, visible_until(now), query.page_size, now)
    return page_json(entries, query, has_more)

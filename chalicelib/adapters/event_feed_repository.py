"""DynamoDB: the pull feed, one partition per enterprise (ent_code), 14-day TTL."""

from __future__ import annotations

import json
from datetime import datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.event_feed import FeedEntry
from chalicelib.services.event_feed import EventFeed

from .conditions import cancelled_by_condition
from .dynamo_models import EventFeedModel, connection

FEED = "F#"
SEEN = "ID#"
MAX_PAIRS = 50  # a transaction holds at most 100 items: a marker and an entry per event


class DynamoEventFeed(EventFeed):
    def __init__(self, region: str | None = None) -> None:
        self._region = region

    def add_many(self, entries: list[FeedEntry]) -> list[bool]:
        """One TransactWriteItems per MAX_PAIRS events (an SQS batch is one request): each event's
        marker ID#<event_id> (conditional: not seen before) and its entry F#<position> together, so a
        message delivered twice, or a crash and a redelivery, leaves exactly one entry. A marker
        whose condition fails is a duplicate: dropped, and the rest written again."""
        stored = [False] * len(entries)
        pending: list[int] = []
        seen: set[tuple[str, str]] = set()
        for i, entry in enumerate(entries):
            key = (entry.ent_code, entry.event["event_id"])
            if key not in seen:  # the same item twice in one transaction is refused outright
                seen.add(key)
                pending.append(i)
        for start in range(0, len(pending), MAX_PAIRS):
            group = pending[start : start + MAX_PAIRS]
            while group:
                losers = self._write(entries, group)
                if losers is None:
                    for i in group:
                        stored[i] = True
                    break
                group = [i for i in group if i not in losers]
        return stored

    def _write(self, entries: list[FeedEntry], group: list[int]) -> set[int] | None:
        """None when all were written; else the indexes whose marker existed (nothing was written)."""
        try:
            with TransactWrite(connection=connection(self._region)) as tx:
                for i in group:  # PynamoDB sends a transaction's puts in the order they were saved
                    entry = entries[i]
                    tx.save(
                        EventFeedModel(
                            ent_code=entry.ent_code, sk=SEEN + entry.event["event_id"], expires_at=entry.expires_at
                        ),
                        condition=EventFeedModel.sk.does_not_exist(),
                    )
                    tx.save(
                        EventFeedModel(
                            ent_code=entry.ent_code,
                            sk=FEED + entry.position,
                            event=json.dumps(entry.event, ensure_ascii=False, separators=(",", ":")),
                            expires_at=entry.expires_at,
                        )
                    )
        except TransactWriteError as exc:
            failed = cancelled_by_condition(exc)
            losers = {i for n, i in enumerate(group) if n * 2 < len(failed) and failed[n * 2]}
            if not losers:
                raise
            return losers
        return None

    def after(
        self, ent_code: str, position: str | None, before: str, limit: int, now: datetime
    ) -> tuple[list[FeedEntry], bool]:
        # positions all have the same length, so "<after>~" sorts after it and before any later one
        low = FEED + position + "~" if position else FEED
        items = list(
            EventFeedModel.query(
                ent_code,
                EventFeedModel.sk.between(low, FEED + before),
                # TTL deletes up to two days late: an expired entry is gone for the reader already
                filter_condition=EventFeedModel.expires_at > int(now.timestamp()),
                consistent_read=True,
                limit=limit + 1,
            )
        )
        entries = [
            FeedEntry(
                ent_code=i.ent_code, position=i.sk[len(FEED) :], event=json.loads(i.event), expires_at=int(i.expires_at)
            )
            for i in items[:limit]
        ]
        return entries, len(items) > limit

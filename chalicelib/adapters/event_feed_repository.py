"""DynamoDB: the pull feed, one partition per enterprise (ent_code), 14-day TTL."""

from __future__ import annotations

import json
from datetime import datetime

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.event_feed import FeedEntry
from chalicelib.services.event_feed import EventFeed

from .dynamo_models import EventFeedModel

FEED = "F#"
SEEN = "ID#"


class DynamoEventFeed(EventFeed):
    def __init__(self, region: str | None = None) -> None:
        self._region = region

    def add(self, entry: FeedEntry) -> bool:
        event_id = entry.event["event_id"]
        try:
            # the marker and the entry in one transaction: a message delivered twice (or a crash
            # between two writes, then a redelivery) leaves exactly one entry
            with TransactWrite(connection=Connection(region=self._region)) as tx:
                tx.save(
                    EventFeedModel(ent_code=entry.ent_code, sk=SEEN + event_id, expires_at=entry.expires_at),
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
            if any(r is not None and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons or []):
                return False
            raise
        return True

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

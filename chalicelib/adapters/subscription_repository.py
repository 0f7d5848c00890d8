"""DynamoDB: subscriptions (per enterprise) and the webhook delivery log (per subscription)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.subscriptions import Subscription
from chalicelib.domain.timestamps import iso
from chalicelib.services.ports import DeliveryLog, SubscriptionRepository

from .dynamo_models import DeliveryModel, SubscriptionModel


def _subscription(item: SubscriptionModel) -> Subscription:
    return Subscription.stored(
        subscription_id=item.subscription_id,
        ent_code=item.ent_code,
        content=json.loads(item.body),  # validated when subscribed; not again (a webhook check would ask DNS)
        secret=item.secret,
        created_at=item.created_at,
        created_by=item.created_by,
        sns_subscription_arn=item.sns_subscription_arn,
    )


class DynamoSubscriptionRepository(SubscriptionRepository):
    def add(self, subscription: Subscription) -> None:
        SubscriptionModel(
            ent_code=subscription.ent_code,
            subscription_id=subscription.subscription_id,
            body=json.dumps(subscription.content_json(), ensure_ascii=False),
            secret=subscription.secret,
            sns_subscription_arn=subscription.sns_subscription_arn,
            created_at=subscription.created_at,
            created_by=subscription.created_by,
        ).save()

    def list(self, ent_code: str) -> list[Subscription]:
        return [_subscription(i) for i in SubscriptionModel.query(ent_code)]

    def get(self, ent_code: str, subscription_id: str) -> Subscription | None:
        try:
            return _subscription(SubscriptionModel.get(ent_code, subscription_id))
        except DoesNotExist:
            return None

    def delete(self, subscription: Subscription) -> None:
        SubscriptionModel(ent_code=subscription.ent_code, subscription_id=subscription.subscription_id).delete()


class DynamoDeliveryLog(DeliveryLog):
    def record(
        self, subscription_id: str, event: dict[str, Any], status: str, attempt: dict[str, Any] | None, now: datetime
    ) -> None:
        sk = f"{event['occurred_at']}#{event['event_id']}"
        try:
            item = DeliveryModel.get(subscription_id, sk, consistent_read=True)
            attempts = json.loads(item.attempts)
        except DoesNotExist:
            item, attempts = DeliveryModel(subscription_id=subscription_id, sk=sk), []
        if attempt is not None:
            attempts.append(attempt)
        item.event, item.status, item.attempts = json.dumps(event, ensure_ascii=False), status, json.dumps(attempts)
        item.updated_at = iso(now)
        item.save()

    def list(
        self, subscription_id: str, start: str | None = None, end: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        condition = None
        if start or end:
            condition = DeliveryModel.sk.between(start or "0", (end or "9") + "#~")
        return [
            {
                "event": json.loads(i.event),
                "status": i.status,
                "attempts": json.loads(i.attempts),
                "updated_at": i.updated_at,
            }
            for i in DeliveryModel.query(subscription_id, condition, scan_index_forward=False, limit=limit)
        ]


class CachedSubscriptionReader:
    """Reads an enterprise's subscriptions through a short per-container cache.

    Every event used to cost a Query; subscriptions change rarely, so the notify function may see
    a new or deleted one up to `ttl_seconds` late (a deleted webhook is still checked at delivery).
    """

    def __init__(self, repo: SubscriptionRepository, ttl_seconds: float, clock=None) -> None:
        import time

        self._repo, self._ttl, self._clock = repo, ttl_seconds, clock or time.monotonic
        self._cache: dict[str, tuple[float, list[Subscription]]] = {}

    def list(self, ent_code: str) -> list[Subscription]:
        now = self._clock()
        hit = self._cache.get(ent_code)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        found = self._repo.list(ent_code)
        self._cache[ent_code] = (now, found)
        return found

    def get(self, ent_code: str, subscription_id: str) -> Subscription | None:
        return self._repo.get(ent_code, subscription_id)

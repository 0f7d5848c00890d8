"""Use cases: subscribe an e-mail address, a mobile number or a webhook; list, delete; the
delivery log of a webhook, and replaying a time window of it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.domain import errors
from chalicelib.domain.errors import FieldError
from chalicelib.domain.identity import Identity
from chalicelib.domain.subscription_content import parse_subscription
from chalicelib.domain.subscriptions import LoopbackPorts, Subscription

from .ports import Clock, DeliveryLog, SubscriptionRepository


def create_subscription(
    identity: Identity,
    body: Any,
    repo: SubscriptionRepository,
    subscriber: Any,
    clock: Clock,
    *,
    resolver=None,
    local_mode: bool = False,
    loopback: LoopbackPorts | None = None,
) -> dict[str, Any]:
    _require_legal(identity)
    content, problems = parse_subscription(body, resolver=resolver, local_mode=local_mode, loopback=loopback)
    if problems or content is None:
        raise errors.invalid_request(problems)
    subscription = Subscription.new(identity.ent_code, content, identity.card_no, clock())
    if subscription.protocol in ("email", "sms"):
        # SNS delivers e-mail (and SMS where SNS sends SMS); its filter policy always names our
        # enterprise (never another's events). None: a mainland SMS provider, fanned out by us.
        arn = subscriber.subscribe(subscription)
        subscription = replace(subscription, sns_subscription_arn=arn)
    repo.add(subscription)
    return subscription.as_json(include_secret=True)  # the webhook secret is shown this once


def list_subscriptions(identity: Identity, repo: SubscriptionRepository) -> list[dict[str, Any]]:
    return [s.as_json() for s in repo.list(identity.ent_code)]


def get_subscription(identity: Identity, subscription_id: str, repo: SubscriptionRepository) -> Subscription:
    subscription = repo.get(identity.ent_code, subscription_id)
    if subscription is None:
        raise errors.not_found("订阅", "subscription", subscription_id)
    return subscription


def delete_subscription(
    identity: Identity, subscription_id: str, repo: SubscriptionRepository, subscriber: Any
) -> None:
    _require_legal(identity)
    subscription = get_subscription(identity, subscription_id, repo)
    if subscription.sns_subscription_arn and subscriber is not None:
        subscriber.unsubscribe(subscription.sns_subscription_arn)
    repo.delete(subscription)


def deliveries(
    identity: Identity, subscription_id: str, params: dict[str, str], repo: SubscriptionRepository, log: DeliveryLog
) -> list[dict[str, Any]]:
    get_subscription(identity, subscription_id, repo)
    return log.list(subscription_id, params.get("from"), params.get("to"), limit=_limit(params))


def replay(
    identity: Identity,
    subscription_id: str,
    body: Any,
    repo: SubscriptionRepository,
    log: DeliveryLog,
    send_delivery: Any,
) -> dict[str, Any]:
    """Send again every event of a time window (delivered or not) to this webhook."""
    subscription = get_subscription(identity, subscription_id, repo)
    if subscription.protocol != "webhook":
        raise errors.state_conflict("只有 webhook 订阅可以重放", "only webhook subscriptions can be replayed")
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("from"), str)
        or not isinstance(body.get("to"), str)
        or not body["from"]  # an empty bound is no bound: the document says minLength 1
        or not body["to"]
        or set(body) - {"from", "to"}
    ):
        raise errors.invalid_request(
            [FieldError("from", "须提供 from 与 to (ISO 时间)", "give from and to (ISO date-times)")]
        )
    entries = log.list(subscription_id, body["from"], body["to"], limit=1000)
    send_delivery(
        [
            {
                "subscription_id": subscription_id,
                "ent_code": identity.ent_code,
                "event": e["event"],
                "attempt": 1,
                "replay": True,
            }
            for e in entries
        ]
    )
    return {"replayed": len(entries)}


def _require_legal(identity: Identity) -> None:
    if not identity.is_legal:
        raise errors.legal_card_required("推送订阅的新增、删除", "create or delete subscriptions")


def _limit(params: dict[str, str]) -> int:
    text = params.get("page_size", "100")
    # refused, not clamped: what the document says it takes is what it takes (page_size=1001 was read as 1000)
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 1000):
        raise errors.invalid_request([FieldError("page_size", "须为1至1000的整数", "must be 1 to 1000")])
    return int(text)

"""SnsEventPublisher and SnsSubscriber: events to one SNS topic, e-mail and SMS subscriptions on it.

Every message is addressed to one enterprise and carries the message attributes subscribers
filter on: ent_code, ie_flag, event_type, channel, smart_status (String; absent when unknown).
Each subscription's filter policy always names its enterprise (domain.subscriptions.filter_policy),
so no enterprise receives another's events.

Message structure: `MessageStructure="json"`, one rendering per protocol: `default` (and so SQS and
Lambda) is the webhook body `Event.as_json()`, `email` the bilingual text, `sms` the ≤ 70-character
text. Plain JSON for every protocol would mail raw JSON and send SMS of several segments.
The SNS Subject must be ASCII, so it is `Event.sns_subject()`; the Chinese title opens the mail.

Webhooks are not SNS HTTP(S) subscriptions: SNS cannot add our X-Smartdecl-* signature headers,
sends its own envelope and confirmation handshake, and would not re-check the target address
before each delivery. They are delivered by adapters/webhook_sender.py from a queue on the topic.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.events import Event
from chalicelib.domain.subscriptions import Subscription, filter_policy
from chalicelib.services.ports import EventPublisher, chunks

ATTRIBUTES = ("ent_code", "ie_flag", "event_type", "channel", "smart_status")
_SNS_PROTOCOL = {"email": "email", "sms": "sms"}


class PublishFailed(Exception):
    """SNS refused some messages even after one retry; they must not be silently lost."""


class SubscribeFailed(Exception):
    """SNS refused to create or remove a subscription."""


def message_attributes(event: Event) -> dict[str, dict[str, str]]:
    """The filter attributes of an event addressed to one enterprise."""
    if len(event.ent_codes) != 1:
        raise ValueError("address the event to one enterprise first (Event.for_enterprise)")
    values = {"ent_code": event.ent_codes[0], "ie_flag": event.ie_flag, "event_type": event.event_type,
              "channel": event.data.get("channel"), "smart_status": event.data.get("smart_status")}
    # SNS refuses empty String attributes: leave out what the event does not know
    return {name: {"DataType": "String", "StringValue": str(values[name])} for name in ATTRIBUTES if values[name]}


def structured_message(event: Event) -> str:
    body = json.dumps(event.as_json(), ensure_ascii=False, separators=(",", ":"))
    return json.dumps({"default": body, "email": event.email_text(), "sms": event.sms_text()}, ensure_ascii=False)


class SnsEventPublisher(EventPublisher):
    """Publishes events to the topic: one message per (event, enterprise), ten per PublishBatch.

    A failure part-way raises after earlier batches went out; publishing the same events again is
    safe for receivers that de-duplicate on event_id (ids are stable when events are built with a key).
    """

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._sns = client
        self._topic_arn = topic_arn

    def publish(self, events: Sequence[Event]) -> None:
        addressed = [event.for_enterprise(code) for event in events for code in event.ent_codes]
        for batch in chunks(addressed, 10):
            entries = [{"Id": str(i), "Message": structured_message(e), "MessageStructure": "json",
                        "Subject": e.sns_subject(), "MessageAttributes": message_attributes(e)}
                       for i, e in enumerate(batch)]
            failed = self._send(entries)
            if failed:  # retry the refused entries once, then fail loudly (the caller's work is redone)
                retry = [e for e in entries if e["Id"] in {f["Id"] for f in failed}]
                again = self._send(retry)
                if again:
                    raise PublishFailed(f"{len(again)} events refused by SNS: "
                                        f"{again[0].get('Code')} {again[0].get('Message')}")

    def _send(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            result = self._sns.publish_batch(TopicArn=self._topic_arn, PublishBatchRequestEntries=entries)
        except (ClientError, BotoCoreError) as exc:
            raise PublishFailed(f"SNS PublishBatch failed: {exc}") from exc
        return result.get("Failed") or []


class SnsSubscriber:
    """E-mail and SMS subscriptions on the topic, each with its enterprise's filter policy.

    An e-mail subscription stays "pending confirmation" until the recipient clicks the link SNS
    mails; SMS subscriptions need no confirmation. Webhooks are not subscribed here (see module doc).
    """

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._sns = client
        self._topic_arn = topic_arn

    def subscribe(self, subscription: Subscription) -> str:
        """Subscribe the e-mail address or mobile number; the SubscriptionArn (even while pending)."""
        protocol = _SNS_PROTOCOL.get(subscription.protocol)
        if protocol is None:
            raise ValueError(f"{subscription.protocol} subscriptions are not SNS subscriptions")
        try:
            result = self._sns.subscribe(
                TopicArn=self._topic_arn, Protocol=protocol, Endpoint=subscription.content.endpoint,
                Attributes={"FilterPolicy": json.dumps(filter_policy(subscription)),
                            "FilterPolicyScope": "MessageAttributes"},
                # without this a pending e-mail subscription answers "pending confirmation", not an ARN
                ReturnSubscriptionArn=True)
        except (ClientError, BotoCoreError) as exc:
            raise SubscribeFailed(f"SNS Subscribe failed: {exc}") from exc
        return result["SubscriptionArn"]

    def unsubscribe(self, subscription_arn: str) -> None:
        """Remove the subscription; one that is already gone is not an error."""
        try:
            self._sns.unsubscribe(SubscriptionArn=subscription_arn)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NotFound":
                return
            raise SubscribeFailed(f"SNS Unsubscribe failed: {exc}") from exc
        except BotoCoreError as exc:
            raise SubscribeFailed(f"SNS Unsubscribe failed: {exc}") from exc

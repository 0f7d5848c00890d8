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
from chalicelib.domain.subscriptions import Subscription, digest_filter_policy, filter_attributes, filter_policy
from chalicelib.services.ports import EventPublisher, chunks

ATTRIBUTES = ("ent_code", "ie_flag", "event_type", "channel", "smart_status", "state", "config_id")
_SNS_PROTOCOL = {"email": "email", "sms": "sms"}


class PublishFailed(Exception):
    """SNS refused some messages even after one retry; they must not be silently lost."""


class SubscribeFailed(Exception):
    """SNS refused to create or remove a subscription."""


def message_attributes(event: Event) -> dict[str, dict[str, str]]:
    """The filter attributes of an event addressed to one enterprise."""
    if len(event.ent_codes) != 1:
        raise ValueError("address the event to one enterprise first (Event.for_enterprise)")
    values = {
        "ent_code": event.ent_codes[0],
        "ie_flag": event.ie_flag,
        "event_type": event.event_type,
        "channel": event.data.get("channel"),
        "smart_status": event.data.get("smart_status"),
        **filter_attributes(event),
    }  # state, config_id: what subscribers choose by (issue #14)
    values.setdefault("state", None)
    values.setdefault("config_id", None)
    # SNS refuses empty String attributes: leave out what the event does not know
    return {name: {"DataType": "String", "StringValue": str(values[name])} for name in ATTRIBUTES if values[name]}


def structured_message(event: Event, console_url: str | None = None, short_link_base: str = "") -> str:
    body = json.dumps(event.as_json(), ensure_ascii=False, separators=(",", ":"))
    return json.dumps(
        {"default": body, "email": event.email_text(console_url), "sms": event.sms_text(short_link_base)},
        ensure_ascii=False,
    )


class SnsEventPublisher(EventPublisher):
    """Publishes events to the topic: one message per (event, enterprise), ten per PublishBatch.

    A failure part-way raises after earlier batches went out; publishing the same events again is
    safe for receivers that de-duplicate on event_id (ids are stable when events are built with a key).
    """

    def __init__(self, client: Any, topic_arn: str, console_url: str | None = None, short_link_base: str = "") -> None:
        self._sns = client
        self._topic_arn = topic_arn
        self._console_url, self._short_link_base = console_url, short_link_base

    def publish(self, events: Sequence[Event]) -> None:
        addressed = [event.for_enterprise(code) for event in events for code in event.ent_codes]
        for batch in chunks(addressed, 10):
            entries = [
                {
                    "Id": str(i),
                    "Message": structured_message(e, self._console_url, self._short_link_base),
                    "MessageStructure": "json",
                    "Subject": e.sns_subject(),
                    "MessageAttributes": message_attributes(e),
                }
                for i, e in enumerate(batch)
            ]
            failed = self._send(entries)
            if failed:  # retry the refused entries once, then fail loudly (the caller's work is redone)
                retry = [e for e in entries if e["Id"] in {f["Id"] for f in failed}]
                again = self._send(retry)
                if again:
                    raise PublishFailed(
                        f"{len(again)} events refused by SNS: {again[0].get('Code')} {again[0].get('Message')}"
                    )

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

    def __init__(
        self, client: Any, topic_arn: str, digest_topic_arn: str | None = None, sms_via_sns: bool = True
    ) -> None:
        self._sns = client
        self._topic_arn = topic_arn
        self._digest_topic_arn = digest_topic_arn
        self._sms_via_sns = sms_via_sns  # False where a mainland provider sends SMS (our fan-out)

    def subscribe(self, subscription: Subscription) -> str | None:
        """Subscribe the e-mail address or mobile number; the SubscriptionArn (even while pending).

        None when SNS does not deliver it: SMS through a mainland provider. An e-mail digest sits on
        the digest topic, filtered to its own subscription_id; SNS's mail carries the unsubscribe link.
        """
        protocol = _SNS_PROTOCOL.get(subscription.protocol)
        if protocol is None:
            raise ValueError(f"{subscription.protocol} subscriptions are not SNS subscriptions")
        if protocol == "sms" and not self._sms_via_sns:
            return None
        topic, policy = self._topic_arn, filter_policy(subscription)
        if subscription.digest:
            if not self._digest_topic_arn:
                raise SubscribeFailed("no digest topic is configured")
            topic, policy = self._digest_topic_arn, digest_filter_policy(subscription)
        try:
            result = self._sns.subscribe(
                TopicArn=topic,
                Protocol=protocol,
                Endpoint=subscription.endpoint,
                Attributes={"FilterPolicy": json.dumps(policy), "FilterPolicyScope": "MessageAttributes"},
                # without this a pending e-mail subscription answers "pending confirmation", not an ARN
                ReturnSubscriptionArn=True,
            )
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


class SnsDigestSender:
    """Sends one digest e-mail through the digest topic (SNS e-mail works in the China regions; SES
    does not exist there), addressed by the `subscription_id` attribute its subscription filters on."""

    def __init__(self, client: Any, digest_topic_arn: str) -> None:
        self._sns, self._topic_arn = client, digest_topic_arn

    def __call__(self, subscription_id: str, subject: str, text: str) -> None:
        try:
            self._sns.publish(
                TopicArn=self._topic_arn,
                Subject=subject[:99],
                Message=text,
                MessageAttributes={"subscription_id": {"DataType": "String", "StringValue": subscription_id}},
            )
        except (ClientError, BotoCoreError) as exc:
            raise PublishFailed(f"SNS Publish of a digest failed: {exc}") from exc

"""Local stand-in for SNS's e-mail and SMS delivery (moto records, but delivers neither).

A local queue subscribed to the events topic (and the digest topic) receives every published
message with its attributes; for each e-mail or SMS subscription of the topic whose filter policy
matches, one file is written to the outbox folder: what the recipient would have received.

Mainland SMS (SmsProvider=aliyun, the local default: the local region is cn-north-1, where SNS
sends no SMS) go through our SMS queue and function instead; there the provider stand-in
(adapters/sms_provider.StandInSmsSender) writes each SendSms call as JSON to <outbox>/sms.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import boto3

log = logging.getLogger("smartdecl.outbox")


def matches(policy: dict[str, list[str]], attributes: dict[str, str]) -> bool:
    """Exact-value filter policies (the only kind this service creates): every key must match."""
    return all(attributes.get(key) in values for key, values in policy.items())


class LocalOutbox:
    def __init__(self, topic_arn: str, folder: Path, region: str, digest_topic_arn: str | None = None) -> None:
        self.topic_arn, self.folder, self.region = topic_arn, Path(folder), region
        self.digest_topic_arn = digest_topic_arn
        self._stop = threading.Event()
        self._sns = boto3.client("sns", region_name=region)
        self._sqs = boto3.client("sqs", region_name=region)
        self.written = 0
        url = self._sqs.create_queue(QueueName="smartdecl-local-outbox")["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self._sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)  # full envelope: attributes too
        if digest_topic_arn:
            self._sns.subscribe(TopicArn=digest_topic_arn, Protocol="sqs", Endpoint=arn)
        self._url = url

    def start(self) -> LocalOutbox:
        (self.folder / "email").mkdir(parents=True, exist_ok=True)
        (self.folder / "sms").mkdir(parents=True, exist_ok=True)
        threading.Thread(target=self._run, name="local-outbox", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def drain(self) -> int:
        """Deliver what is waiting now (tests)."""
        before = self.written
        while self._once(wait=0):
            pass
        return self.written - before

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._once(wait=1)
            except Exception:  # noqa: BLE001 - local AWS going away
                if self._stop.wait(0.5):
                    return

    def _once(self, wait: int) -> int:
        messages = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get(
            "Messages", []
        )
        for message in messages:
            self._deliver(json.loads(message["Body"]))
            self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def _deliver(self, envelope: dict[str, Any]) -> None:
        import os

        from chalicelib.domain.events import Event

        attributes = {k: v.get("Value") for k, v in (envelope.get("MessageAttributes") or {}).items()}
        topic = envelope.get("TopicArn") or self.topic_arn
        if topic == self.digest_topic_arn:  # a digest: its text as published, to its own subscription
            texts, subject = {"email": envelope["Message"]}, envelope.get("Subject") or ""
        else:
            # an SQS subscriber gets the "default" text (the event's JSON); render what SNS would send
            # to e-mail and SMS from it, as the publisher's structured message does
            event = Event.from_json(json.loads(envelope["Message"]), attributes.get("ent_code", ""))
            texts = {
                "email": event.email_text(os.environ.get("SMARTDECL_CONSOLE_URL") or None),
                "sms": event.sms_text(os.environ.get("SMARTDECL_SHORT_LINK_BASE", "")),
            }
            subject = event.email_subject()
        subscriptions = self._sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        for sub in subscriptions:
            if sub["Protocol"] not in ("email", "sms"):
                continue
            attrs = self._sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
            if not matches(json.loads(attrs.get("FilterPolicy") or "{}"), attributes):
                continue
            text = texts[sub["Protocol"]]
            if sub["Protocol"] == "email":
                text = f"To: {sub['Endpoint']}\nSubject: {subject}\n\n{text}\n"
            else:
                text = f"To: {sub['Endpoint']}\n\n{text}\n"
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{envelope.get('MessageId', '')[:8]}-{self.written:05d}.txt"
            (self.folder / sub["Protocol"] / name).write_text(text, encoding="utf-8")
            self.written += 1


def local_push_environment(outbox: Path, api_port: int) -> dict[str, str]:
    """Push settings of `make run`: mainland SMS through the provider stand-in (as in cn-north-1),
    local template codes, links to the local console and short links to the local API, and flow
    control loose enough for the demo. Each may be overridden from the environment."""
    import os

    defaults = {
        "SMARTDECL_SMS_PROVIDER": "aliyun",
        "SMARTDECL_SMS_STANDIN_DIR": str(outbox),
        "SMARTDECL_SMS_RATE_LIMITS": "60,600,2000",
        "SMARTDECL_CONSOLE_URL": f"http://127.0.0.1:{api_port}",
        "SMARTDECL_SHORT_LINK_BASE": f"http://127.0.0.1:{api_port}",
        **{
            f"SMARTDECL_SMS_TEMPLATE_{kind.upper()}": f"SMS_LOCAL_{kind.upper()}"
            for kind in ("declared", "failed", "waiting", "progress", "receipt", "overdue")
        },
    }
    return {name: os.environ.get(name, value) for name, value in defaults.items()}

"""Local AWS: moto's server, and the resources of template.yaml created in it.

Used by `make run` (infra/local_stack.py) and by the test fixtures, so both build exactly what
the template declares: same names, keys and indexes.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3

from infra import template as cfn

LOCAL_REGION = "cn-north-1"
LOCAL_STACK = "smartdecl"  # table names become "smartdecl-declarations" …, the Settings defaults


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def local_credentials() -> None:
    """Fake credentials and the local region, so no call can reach a real account."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        os.environ[key] = value
    os.environ.setdefault("AWS_DEFAULT_REGION", LOCAL_REGION)
    os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])


def _touched(backend: Any, transact_items: Any) -> tuple[list, dict]:
    """Before a transaction: each item it names as it is now (a copy, or None), and each stream's length."""
    items, streams = [], {}
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        if table is None:
            continue  # moto answers for it
        key = op.get("Key") or {
            name: op["Item"][name] for name in (table.hash_key_attr, table.range_key_attr) if name in op["Item"]
        }
        try:
            hash_key, range_key = backend.get_keys_value(table, key)
        except Exception:  # noqa: BLE001 - a malformed key: moto refuses it before writing anything
            continue
        items.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        if table.stream_shard is not None:
            streams[id(table)] = (table.stream_shard, len(table.stream_shard.items))
    return items, streams


def _put_back(items: list, streams: dict) -> None:
    """After a failed transaction: those items as they were, and the streams without its records."""
    for table, hash_key, range_key, old in reversed(items):
        bucket = table.items[hash_key] if range_key is not None else table.items
        slot = range_key if range_key is not None else hash_key
        if old is None:
            bucket.pop(slot, None)
        else:
            bucket[slot] = old
        if range_key is not None and not table.items[hash_key]:
            table.items.pop(hash_key, None)
    for shard, length in streams.values():
        del shard.items[length:]


def _transactions_roll_back_what_they_touched() -> None:
    """moto 5 backs up every table a TransactWriteItems touches (copy.deepcopy of all its items)
    before each of its items, for the rollback. The cost grows with the tables, not the
    transaction: 130–175 ms per transaction once a few thousand items are stored, the local stack
    and the suite slowed as the tables filled, and the throughput run grew to 9 GB (bench/README).
    Here moto copies nothing: before the transaction, the items it will write (a copy of each, or
    their absence) and the length of each table's stream are noted; if it fails, exactly those
    items are put back and the streams cut back. The same rollback, at the cost of the items the
    transaction names."""
    import copy
    import threading

    from moto.dynamodb import models

    if getattr(models, "_rolls_back_what_it_touched", False):
        return
    local = threading.local()  # moto's server answers each request on its own thread

    class _Copy:
        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

        @staticmethod
        def deepcopy(obj: Any, memo: Any = None) -> Any:
            if getattr(local, "in_transaction", False) and isinstance(obj, models.Table):
                return obj  # moto's own "backup" is then the live table: its rollback changes nothing
            return copy.deepcopy(obj, memo)

    real = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: Any) -> None:
        items, streams = _touched(self, transact_items)
        local.in_transaction = True
        try:
            return real(self, transact_items)
        except Exception:
            _put_back(items, streams)
            raise
        finally:
            local.in_transaction = False

    models.copy = _Copy()  # type: ignore[assignment]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    models._rolls_back_what_it_touched = True  # type: ignore[attr-defined]


_WIRE_SCALARS = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS"})


def _on_the_wire(value: Any) -> bool:
    """An AttributeValue already in DynamoDB's JSON form, with nothing the serializer would change:
    binary values (B, BS), which it Base64-encodes, are left to it."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((kind, inner),) = value.items()
    if kind in _WIRE_SCALARS:
        return True
    if kind == "M":
        return isinstance(inner, dict) and all(_on_the_wire(v) for v in inner.values())
    if kind == "L":
        return isinstance(inner, list) and all(_on_the_wire(v) for v in inner)
    return False


def _attribute_values_as_they_are() -> None:
    """moto 5.2 writes every response by walking botocore's output shape, member by member, and an
    item is a tree of AttributeValue structures: a BatchGetItem of ten declarations took 25–70 ms,
    against 4 ms for a plain write (bench/README, session 6), so the local pipeline measured moto's
    serializer more than our calls. DynamoDB's JSON form of an item is what moto already holds, so
    an AttributeValue in that form is written as it is (as moto's JSON serializer already does for
    document types); anything else, binary values included, takes moto's own path."""
    from moto.core import serialize

    if getattr(serialize, "_attribute_values_as_they_are", False):
        return
    real = serialize.BaseJSONSerializer._serialize_type_structure

    def _serialize_type_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if shape.name == "AttributeValue" and key and _on_the_wire(value):
            serialized[key] = value
            return
        real(self, serialized, value, shape, key)

    serialize.BaseJSONSerializer._serialize_type_structure = _serialize_type_structure  # type: ignore[method-assign]
    serialize._attribute_values_as_they_are = True  # type: ignore[attr-defined]


def _receives_do_not_count_the_queue() -> None:
    """moto checks each message it hands out against the queue's retention period by asking for the
    queue's attributes, and that computes all of them, three message counts that walk the whole
    queue among them: a receive of ten messages walked the queue thirty times (15–20 ms with a
    hundred messages waiting, and the local runner's receives stand in for Lambda's pollers); a
    send walks it three times too (to read ContentBasedDeduplication). The retention check now
    reads the one attribute it needs, and a message tells whether it is visible or delayed from
    the clock directly (moto's own unix_time_millis goes through three datetime conversions,
    six per message and walk)."""
    import time

    from moto.core.utils import unix_time
    from moto.sqs import models

    if getattr(models, "_receives_do_not_count_the_queue", False):
        return

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        retention = int(self.get_queue(queue_name).message_retention_period)
        return retention + message.sent_timestamp / 1000 > unix_time()

    models.SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]
    models.Message.visible = property(lambda self: time.time() * 1000 > self.visible_at)  # type: ignore[method-assign,assignment]
    models.Message.delayed = property(lambda self: time.time() * 1000 < self.delayed_until)  # type: ignore[method-assign,assignment]
    models._receives_do_not_count_the_queue = True  # type: ignore[attr-defined]


def _services_listed_once() -> None:
    """moto's server finds which service a request is for by listing its own package directory (an
    `os.listdir` and an `isdir` per entry, about 150) on every request: 2–3 % of a pipeline run's
    CPU. The list does not change while the process runs; it is made once."""
    import functools

    from moto import backends

    if getattr(backends, "_services_listed_once", False):
        return
    own = backends.list_of_moto_modules
    backends.list_of_moto_modules = functools.cache(lambda: tuple(own()))
    backends._services_listed_once = True  # type: ignore[attr-defined]


# Every DynamoDB operation of moto's backend that reads or writes items, and the stream read.
_SERIALISED = ("put_item", "get_item", "update_item", "delete_item", "query", "scan", "transact_write_items")


def _transactions_atomic() -> None:
    """moto's server answers each request on a thread of its own, and applies a TransactWriteItems
    item by item: a read could come while a transaction was half applied. `make demo` pushed a
    receipt twice that way: the stream reader read a log item of a transaction that was then
    cancelled, and the committed retry published it again (and the cancelled record's sequence
    number went to the next real record, which the reader skipped). One lock around every item
    operation and the stream reads shows nothing of a transaction until it is over, as DynamoDB
    does; a rollback cuts the stream back in place (`_put_back`), so an iterator made before it
    reads only what committed."""
    import functools
    import threading

    from moto.dynamodb import models
    from moto.dynamodbstreams import models as streams

    if getattr(models, "_transactions_atomic", False):
        return
    lock = threading.RLock()  # reentrant: a transaction calls put_item, update_item … itself

    def serialised(method: Any) -> Any:
        @functools.wraps(method)
        def locked(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return locked

    for name in _SERIALISED:
        setattr(models.DynamoDBBackend, name, serialised(getattr(models.DynamoDBBackend, name)))
    for name in ("get_shard_iterator", "get_records"):
        setattr(streams.DynamoDBStreamsBackend, name, serialised(getattr(streams.DynamoDBStreamsBackend, name)))
    models._transactions_atomic = True  # type: ignore[attr-defined]


def start_moto(port: int | None = None) -> tuple[Any, str]:
    """Start moto's threaded server on loopback; point every boto3/PynamoDB client at it."""
    from moto.server import ThreadedMotoServer

    _transactions_roll_back_what_they_touched()
    _transactions_atomic()
    _attribute_values_as_they_are()
    _receives_do_not_count_the_queue()
    _services_listed_once()

    for name in ("werkzeug", "moto", "botocore"):  # moto's server logs every request otherwise
        logging.getLogger(name).setLevel(logging.ERROR)
    local_credentials()
    # port 0: the kernel picks a free one while binding, so parallel test workers can never collide
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port or 0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    return server, endpoint


def reset_moto(endpoint: str) -> None:
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).read()


def _queue_arn(sqs: Any, url: str, name: str) -> str:
    """A queue's ARN from its URL (…/<account>/<name>): asking SQS (GetQueueAttributes) cost every
    provision a request per queue, 15 of them."""
    account = urlsplit(url).path.strip("/").split("/")[0]
    return f"arn:{sqs.meta.partition}:sqs:{sqs.meta.region_name}:{account}:{name}"


def provision(
    stack_name: str = LOCAL_STACK, region: str | None = None, template: dict | None = None
) -> dict[str, dict]:
    """Create every table (with TTL), queue (dead-letter queues first, redrive resolved) and topic of
    template.yaml in the current endpoint. Returns {logical id: {"Ref": …, "Arn": …, "QueueName": …}}."""
    template = template or cfn.load()
    region = region or os.environ.get("AWS_DEFAULT_REGION", LOCAL_REGION)
    dynamodb = boto3.client("dynamodb", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    physical: dict[str, dict] = {}
    for (logical_id, _), kwargs in zip(
        cfn.resources(template, cfn.DYNAMODB_TABLE).items(), cfn.tables(template, stack_name), strict=True
    ):
        description = dynamodb.create_table(**kwargs)["TableDescription"]
        physical[logical_id] = {"Ref": kwargs["TableName"], "Arn": description["TableArn"]}
        if description.get("LatestStreamArn"):
            physical[logical_id]["StreamArn"] = description["LatestStreamArn"]
    for table, attribute in cfn.ttl_settings(template, stack_name).items():
        dynamodb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute}
        )
    queues = cfn.resources(template, "AWS::SQS::Queue")
    for logical_id in sorted(queues, key=lambda q: "RedrivePolicy" in queues[q].get("Properties", {})):
        props = queues[logical_id].get("Properties", {})
        name = cfn.substitute(props["QueueName"], {"AWS::StackName": stack_name})
        attributes = {
            key: str(props[key])
            for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds")
            if key in props
        }
        if "RedrivePolicy" in props:
            redrive = props["RedrivePolicy"]
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": physical[target]["Arn"], "maxReceiveCount": int(redrive["maxReceiveCount"])}
            )
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = _queue_arn(sqs, url, name)
        physical[logical_id] = {"Ref": url, "Arn": arn, "QueueName": name}
    sns = boto3.client("sns", region_name=region)
    for logical_id, resource in cfn.resources(template, "AWS::SNS::Topic").items():
        props = resource.get("Properties", {})
        name = cfn.substitute(
            props.get("TopicName", {"Fn::Sub": f"${{AWS::StackName}}-{logical_id}"}), {"AWS::StackName": stack_name}
        )
        arn = sns.create_topic(Name=name)["TopicArn"]  # KMS settings are not played locally
        physical[logical_id] = {"Ref": arn, "Arn": arn, "TopicName": name}
    for logical_id, resource in cfn.resources(template, "AWS::SNS::Subscription").items():
        props = resource["Properties"]
        topic = physical[props["TopicArn"]["Ref"]]["Ref"]
        endpoint = physical[props["Endpoint"]["Fn::GetAtt"][0]]["Arn"]
        attributes = {"RawMessageDelivery": "true"} if props.get("RawMessageDelivery") else {}
        arn = sns.subscribe(TopicArn=topic, Protocol=props["Protocol"], Endpoint=endpoint, Attributes=attributes)[
            "SubscriptionArn"
        ]
        physical[logical_id] = {"Ref": arn}
    return physical


@dataclass(frozen=True)
class Snapshot:
    """Every backend moto held when it was taken: (its service's BackendDict, account, region, a copy)."""

    backends: tuple[tuple[Any, str, str, Any], ...]


def _copied(backends: list[Any]) -> list[Any]:
    """A deep copy of moto's backends, in one copy so that references between them stay references.
    An SQS queue holds a threading.Condition (for its long polls), which cannot be copied: each copy
    gets a new one."""
    import threading

    from moto.sqs.models import SQSBackend

    memo: dict[int, Any] = {}
    for backend in backends:
        if isinstance(backend, SQSBackend):
            for queue in backend.queues.values():
                memo[id(queue._messages_lock)] = threading.Condition()
    return copy.deepcopy(backends, memo)


def snapshot() -> Snapshot:
    """moto's state now, to be restored later: take it right after provision(), no request in flight."""
    from moto.core.base_backend import BackendDict, backend_lock

    with backend_lock:
        held = [
            (service, account, region, backend)
            for service in BackendDict._instances  # type: ignore[misc]  # moto's own access, as in its reset
            for account, regions in service.items()
            for region, backend in regions.items()
        ]
        copies = _copied([backend for *_, backend in held])
    return Snapshot(
        tuple((service, account, region, c) for (service, account, region, _), c in zip(held, copies, strict=True))
    )


def provisioned_snapshot(endpoint: str, stack_name: str = LOCAL_STACK) -> tuple[dict[str, dict], Snapshot]:
    """provision() on a reset moto, and moto's state just after it (for restore())."""
    region = os.environ.get("AWS_DEFAULT_REGION", LOCAL_REGION)
    # moto's server builds a service's app on the service's first request, making an empty us-east-1
    # backend to read its URLs from: one request each first, so that the snapshot holds only what
    # provision() makes, as a provision() after a reset does
    boto3.client("dynamodb", region_name=region).list_tables()
    boto3.client("sqs", region_name=region).list_queues()
    boto3.client("sns", region_name=region).list_topics()
    reset_moto(endpoint)
    physical = provision(stack_name, region)
    return physical, snapshot()


def restore(state: Snapshot) -> None:
    """moto as it was when `state` was taken, in a few milliseconds where provision() takes 0.5–20 s
    (59 requests over HTTP): moto's own reset (/moto-api/reset's, in-process) drops every backend,
    whatever a test created in any service; a fresh copy of each snapshotted backend is put back.
    Tables then hold no item and their streams no record, queues no message (visible, in flight or
    delayed), topics only the subscriptions they had."""
    from moto.core.base_backend import backend_lock
    from moto.moto_api._internal.models import moto_api_backend

    copies = _copied([backend for *_, backend in state.backends])
    with backend_lock:
        moto_api_backend.reset()
        for (service, account, region, _), backend in zip(state.backends, copies, strict=True):
            service[account][region] = backend


def environment(template: dict, physical: dict[str, dict], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The functions' environment (Globals) with every !Ref resolved to what was created locally
    (parameters take their defaults unless overridden)."""
    overrides = overrides or {}
    variables = (template.get("Globals", {}).get("Function", {}).get("Environment", {}) or {}).get("Variables", {})
    parameters = template.get("Parameters", {})
    env = {}
    for name, value in variables.items():
        if name in overrides:
            env[name] = overrides[name]
        elif isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
            env[name] = physical[ref]["Ref"] if ref in physical else str(parameters.get(ref, {}).get("Default", ""))
        elif isinstance(value, dict) and "Fn::If" in value:  # a condition on parameters' defaults
            condition, when_true, when_false = value["Fn::If"]
            env[name] = str(when_true if _condition(template, condition) else when_false)
        else:
            env[name] = str(value)
    return env


def _condition(template: dict, name: str) -> bool:
    """A template condition of the form Equals [Ref parameter, value], on the parameter's default."""
    expression = template.get("Conditions", {})[name]
    left, right = expression["Fn::Equals"]

    def default(v: Any) -> str:
        return str(template["Parameters"][v["Ref"]].get("Default", "")) if isinstance(v, dict) else str(v)

    return default(left) == default(right)

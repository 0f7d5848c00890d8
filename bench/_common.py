"""What the benchmarks share: local AWS (moto) with the template's resources, the wiring, a clock
that can skip SQS delays, AWS request counting with a DynamoDB capacity estimate, and output.

Not a test helper: nothing here asserts. Every script prints a short table and writes
bench/out/<name>.json.
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
REGION = "cn-north-1"
STACK = "smartdecl"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# ---- environment -------------------------------------------------------------------------------


def quiet_environment() -> None:
    """Fake credentials, region cn-north-1, Powertools quiet, moto/werkzeug silent."""
    from infra import local_aws

    local_aws.local_credentials()
    os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = REGION
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "smartdecl-bench")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "SmartDeclarationBench")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    os.environ.setdefault("POWERTOOLS_DEV", "false")
    for name in (
        "werkzeug",
        "moto",
        "botocore",
        "smartdecl",
        "smartdecl.runner",
        "aws_lambda_powertools",
        "chalicelib",
        "infra",
        "urllib3",
        "pynamodb",
    ):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    logging.getLogger().setLevel(logging.CRITICAL)
    import warnings

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    warnings.filterwarnings("ignore", category=DeprecationWarning)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


# ---- local AWS and wiring -----------------------------------------------------------------------


class LocalAws:
    """moto's threaded server on loopback with every table, queue and topic of template.yaml."""

    def __init__(self) -> None:
        from infra import local_aws
        from infra import template as cfn

        quiet_environment()
        self.template = cfn.load()
        self.server, self.endpoint = local_aws.start_moto()
        self.physical = local_aws.provision(template=self.template)

    def stop(self) -> None:
        self.server.stop()


class WarpClock:
    """UTC now plus an offset the benchmark may move forward (to skip an SQS delay)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


JWT_SECRET = "bench-jwt-secret-of-enough-length-0123456789"
RECEIPT_SECRET = "bench-receipt-hmac-secret-of-32-bytes-or-more"


def wiring(
    aws: LocalAws, customs_url: str, clock: Callable[[], datetime] | None = None, extra: dict[str, str] | None = None
):
    """The API's and functions' Container on the local AWS, installed process-wide (use_container)."""
    from chalicelib.config import Settings
    from chalicelib.container import Container, use_container
    from infra import local_aws

    env = local_aws.environment(
        aws.template, aws.physical, {"SMARTDECL_CUSTOMS_ENDPOINT": customs_url, "SMARTDECL_CUSTOMS_CHANNEL": "http"}
    )
    env.update(
        {
            "SMARTDECL_JWT_SECRET": JWT_SECRET,
            "SMARTDECL_RECEIPT_SECRET": RECEIPT_SECRET,
            "AWS_REGION": REGION,
            "SMARTDECL_LOCAL_MODE": "true",
            "SMARTDECL_CUSTOMS_RETRIES": "1",
            "SMARTDECL_CUSTOMS_BACKOFF_SECONDS": "0.01",
            # benchmarks measure throughput: the per-enterprise rate limits would only cap it
            "SMARTDECL_LIMIT_IMPORTS": "0",
            "SMARTDECL_LIMIT_EXECUTIONS": "0",
            "SMARTDECL_LIMIT_REPLAYS": "0",
            **(extra or {}),
        }
    )
    ctx = Container(Settings.from_env(env), clock=clock) if clock else Container(Settings.from_env(env))
    use_container(ctx)
    return ctx


def token(ent: dict[str, str], role: str = "legal") -> str:
    from chalicelib.adapters.tokens import issue_token

    return issue_token(JWT_SECRET, ent_code=ent["code"], ent_uscc=ent["uscc"], role=role, card_no="8911020000108")


class Api:
    """Chalice's in-process test client (the API function's handler), timed per call."""

    def __init__(self, client: Any, default_token: str) -> None:
        self.client = client
        self.token = default_token
        self.durations: list[float] = []

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
        auth: bool = True,
        token: str | None = None,
    ):
        hdrs = {
            "Content-Type": content_type,
            **({"Authorization": f"Bearer {token or self.token}"} if auth else {}),
            **(headers or {}),
        }
        data = raw if raw is not None else (json.dumps(body, ensure_ascii=False).encode() if body is not None else b"")
        started = time.perf_counter()
        response = getattr(self.client.http, method.lower())(path, headers=hdrs, body=data)
        self.durations.append(time.perf_counter() - started)
        response.json = json.loads(response.body) if response.body else None
        return response


@contextmanager
def api_client(default_token: str) -> Iterator[Api]:
    from chalice.test import Client

    from app import app

    with Client(app, project_dir=str(ROOT)) as client:
        yield Api(client, default_token)


@contextmanager
def simulator(**kw: Any) -> Iterator[str]:
    with simulator_server(**kw) as (_, url):
        yield url


@contextmanager
def simulator_server(**kw: Any) -> Iterator[tuple[Any, str]]:
    """The customs simulator in this process: its server (`.simulator` is its state) and URL."""
    from infra.customs_simulator import start_simulator

    server, url = start_simulator(port=0, **kw)
    try:
        yield server, url
    finally:
        server.shutdown()


def timed_runner(aws: LocalAws):
    """The LocalRunner of the template, with each handler call timed (durations per function)."""
    from infra import local_runner
    from infra.local_runner import LocalRunner

    durations: dict[str, list[float]] = defaultdict(list)
    original = local_runner._load

    def load(handler: str):
        handler_function = original(handler)

        def timed(event, context):
            started = time.perf_counter()
            try:
                return handler_function(event, context)
            finally:
                durations[context.function_name].append(time.perf_counter() - started)
                # with metrics disabled Powertools never clears its set; it would print it at 100 values
                from chalicelib.observability import metrics

                metrics.clear_metrics()

        return timed

    local_runner._load = load

    class TimedRunner(LocalRunner):
        durations: dict[str, list[float]]

    runner = TimedRunner(aws.template, aws.physical, region=REGION)
    runner.durations = durations
    return runner


# ---- AWS request counting -----------------------------------------------------------------------

_REPO_DIRS = tuple(str(ROOT / d) + os.sep for d in ("chalicelib", "functions", "infra", "bench"))
_USE_CASE_DIRS = tuple(str(ROOT / d) + os.sep for d in ("chalicelib/services", "chalicelib/api", "functions"))


def _where(frame) -> str:
    code = frame.f_code
    path = os.path.relpath(code.co_filename, ROOT)
    return f"{path}:{getattr(code, 'co_qualname', code.co_name)}"


def _callers() -> tuple[str, str]:
    """(innermost repository frame, innermost use-case frame) of the current call."""
    frame: FrameType | None = sys._getframe(2)
    inner = use_case = ""
    via_powertools = False
    while frame is not None:
        name = frame.f_code.co_filename
        if not inner and "aws_lambda_powertools" in name:
            via_powertools = True
        if name.startswith(_REPO_DIRS) or name == str(ROOT / "app.py"):
            if not inner:
                inner = _where(frame) + (" [via Powertools]" if via_powertools else "")
            if name.startswith(_USE_CASE_DIRS):
                use_case = _where(frame)
                break
        frame = frame.f_back
    return inner or "(library)", use_case or inner or "(library)"


def _resource(service: str, params: dict[str, Any]) -> str:
    if service == "dynamodb":
        if "TableName" in params:
            name = params["TableName"]
        elif "RequestItems" in params:
            name = ",".join(params["RequestItems"])
        elif "TransactItems" in params:
            name = ",".join(dict.fromkeys(next(iter(i.values()))["TableName"] for i in params["TransactItems"]))
        else:
            name = ""
        name = ",".join(n.removeprefix(f"{STACK}-") for n in name.split(","))
        return name + (f"/{params['IndexName']}" if params.get("IndexName") else "")
    if service == "sqs":
        return params.get("QueueUrl", "").rsplit("/", 1)[-1].removeprefix(f"{STACK}-")
    if service == "sns":
        return params.get("TopicArn", "").rsplit(":", 1)[-1].removeprefix(f"{STACK}-")
    return ""


class RequestCounter:
    """Counts every AWS API call made through any botocore client created after install():
    boto3's default session, Powertools' own sessions and PynamoDB's botocore session alike
    (PynamoDB calls botocore.session.get_session() per thread in pynamodb.connection.base and
    creates its client from it; patching Session.create_client reaches all of them).

    Each call is recorded under the current phase with service, operation, resource, the
    repository code path that made it, its duration, and (DynamoDB) estimated capacity units."""

    _installed: RequestCounter | None = None

    def __init__(self, capacity: CapacityEstimator | None = None) -> None:
        self.phase = "setup"
        self.calls: Counter = Counter()  # (phase, service, operation, resource) -> n
        self.by_caller: Counter = Counter()  # (phase, service, operation, inner, use_case) -> n
        self.seconds: Counter = Counter()  # (phase, service, operation) -> seconds in calls
        self.caller_seconds: Counter = Counter()  # (phase, service, operation, inner, use_case) -> seconds
        self.billed: Counter = Counter()  # (phase, service) -> billed request units (SQS/SNS 64 KB chunks)
        self.empty_receives: Counter = Counter()  # phase -> ReceiveMessage calls that returned nothing
        self.failed_conditions: Counter = Counter()  # (phase, operation, resource) -> n
        self.capacity = capacity
        self.before_send: list[Callable[[str, str, dict], None]] = []  # hooks that may change params
        self.observe: list[Callable[[str, str, dict, dict], None]] = []  # (service, op, params, parsed)
        self._lock = threading.Lock()
        self._local = threading.local()

    # -- installation
    def install(self) -> RequestCounter:
        import botocore.session

        if RequestCounter._installed is None:
            original = botocore.session.Session.create_client

            def create_client(session, *args, **kwargs):
                client = original(session, *args, **kwargs)
                active = RequestCounter._installed
                if active is not None and not getattr(active._local, "suppress", False):
                    client.meta.events.register("before-parameter-build", active._before)
                    client.meta.events.register("after-call", active._after)
                return client

            botocore.session.Session.create_client = create_client
        RequestCounter._installed = self
        return self

    @contextmanager
    def unhooked(self) -> Iterator[None]:
        """Clients created inside are not counted (the benchmark's own look-ups)."""
        self._local.suppress = True
        try:
            yield
        finally:
            self._local.suppress = False

    @contextmanager
    def in_phase(self, name: str) -> Iterator[None]:
        previous, self.phase = self.phase, name
        try:
            yield
        finally:
            self.phase = previous

    # -- hooks
    def _before(self, params, model, context, **_):
        service = model.service_model.service_name
        for hook in self.before_send:
            hook(service, model.name, params)
        context["_bench"] = (params, time.perf_counter(), _callers(), self.phase)

    def _after(self, http_response, parsed, model, context, **_):
        stash = context.get("_bench")
        if stash is None:
            return
        params, started, (inner, use_case), phase = stash
        elapsed = time.perf_counter() - started
        service, op = model.service_model.service_name, model.name
        resource = _resource(service, params)
        error = (parsed or {}).get("Error", {}).get("Code") if isinstance(parsed, dict) else None
        with self._lock:
            self.calls[(phase, service, op, resource)] += 1
            self.by_caller[(phase, service, op, inner, use_case)] += 1
            self.seconds[(phase, service, op)] += elapsed
            self.caller_seconds[(phase, service, op, inner, use_case)] += elapsed
            if service in ("sqs", "sns"):
                self.billed[(phase, service)] += _billed_units(service, op, params)
            if service == "sqs" and op == "ReceiveMessage" and not (parsed or {}).get("Messages"):
                self.empty_receives[phase] += 1
            if error in ("ConditionalCheckFailedException", "TransactionCanceledException"):
                self.failed_conditions[(phase, op, resource)] += 1
        if self.capacity is not None and service == "dynamodb":
            self.capacity.account(phase, op, params, parsed or {}, failed=bool(error))
        for hook in self.observe:
            hook(service, op, params, parsed or {})

    # -- views
    def total(self, phases: set[str] | None = None, exclude_esm: bool = False) -> int:
        return sum(
            n
            for (p, s, o, _), n in self.calls.items()
            if (phases is None or p in phases) and not (exclude_esm and is_esm(s, o))
        )

    def rows(self, phases: set[str] | None = None) -> list[dict[str, Any]]:
        grouped: Counter = Counter()
        for (p, s, o, r), n in self.calls.items():
            if phases is None or p in phases:
                grouped[(s, o, r)] += n
        return [{"service": s, "operation": o, "resource": r, "requests": n} for (s, o, r), n in grouped.most_common()]

    def callers(self, phases: set[str] | None = None) -> list[dict[str, Any]]:
        grouped: Counter = Counter()
        seconds: Counter = Counter()
        for (p, s, o, inner, use_case), n in self.by_caller.items():
            if phases is None or p in phases:
                grouped[(s, o, inner, use_case)] += n
                seconds[(s, o, inner, use_case)] += self.caller_seconds[(p, s, o, inner, use_case)]
        return [
            {
                "service": s,
                "operation": o,
                "adapter": inner,
                "use_case": use_case,
                "requests": n,
                "seconds": seconds[(s, o, inner, use_case)],
            }
            for (s, o, inner, use_case), n in grouped.most_common()
        ]

    def aws_seconds(self, phases: set[str] | None = None) -> float:
        return sum(v for (p, _, _), v in self.seconds.items() if phases is None or p in phases)


def is_esm(service: str, op: str) -> bool:
    """Calls Lambda's event-source mappings make (SQS pollers, the DynamoDB stream poller; played
    by the LocalRunner), not our code."""
    return (
        service == "sqs" and op in ("ReceiveMessage", "DeleteMessageBatch", "DeleteMessage")
    ) or service == "dynamodbstreams"


def _payload_bytes(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, default=str).encode())


def _billed_units(service: str, op: str, params: dict[str, Any]) -> int:
    """SQS and SNS bill each 64 KB chunk of a request's payload as one request."""
    if service == "sqs" and op in ("SendMessage", "SendMessageBatch"):
        return max(1, math.ceil(_payload_bytes(params.get("Entries") or params.get("MessageBody")) / 65536))
    if service == "sns" and op == "PublishBatch":
        return max(1, math.ceil(_payload_bytes(params.get("PublishBatchRequestEntries")) / 65536))
    if service == "sns" and op == "Publish":
        return max(1, math.ceil(_payload_bytes(params.get("Message")) / 65536))
    return 1


# ---- DynamoDB capacity estimate ---------------------------------------------------------------------


def value_size(value: dict[str, Any]) -> int:
    """Bytes of one DynamoDB attribute value, by the published sizing rules."""
    ((kind, v),) = value.items()
    if kind == "S":
        return len(v.encode("utf-8"))
    if kind == "N":
        digits = v.lstrip("-").replace(".", "").strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in v)
    if kind == "NS":
        return sum(value_size({"N": n}) for n in v)
    if kind == "BS":
        return sum(len(b) for b in v)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(x) + 1 for k, x in v.items())
    if kind == "L":
        return 3 + sum(value_size(x) + 1 for x in v)
    return 0


def item_size(item: dict[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


class CapacityEstimator:
    """On-demand write and read request units, estimated from item sizes.

    moto's ConsumedCapacity is a constant (1.0 per write, 0.5 per GetItem), so it cannot be used.
    Rules applied (DynamoDB developer guide, on-demand): a write costs ceil(max(old, new) item
    size / 1 KB) WRU, twice that in a transaction, and a failed conditional write still costs
    it; each global secondary index whose projected image changes costs its own WRU (an index
    key that changes costs a delete plus a put), the same inside a transaction as outside: the
    developer guide does not say, and the one measurement against DynamoDB found (nubo-db/dynoxide
    pull request 188, a DynamoDB emulator's conformance fixes, 2026-08) has the transaction's
    doubling on the table's arm alone. What doubling the indexes too would add is kept apart
    ("gsi_in_transactions") and printed; a strongly consistent read costs ceil(size /
    4 KB) RRU, eventually consistent half that (index queries are always eventual); a Query pays
    for every item it evaluates (ScannedCount, before filters), summed then rounded up to 4 KB.
    Old item images come from a shadow copy of every item written through the counted clients;
    new images from the request (PutItem) or the ALL_NEW answer (UpdateItem), else a
    consistent GetItem made with an uncounted client."""

    def __init__(self, template: dict, *, shadow: bool = True) -> None:
        from infra import template as cfn

        self.schema: dict[str, dict[str, Any]] = {}
        self.keys_only_indexes: dict[str, set[str]] = {}
        for kwargs in cfn.tables(template, STACK):
            keys = [k["AttributeName"] for k in kwargs["KeySchema"]]
            indexes = [
                ([k["AttributeName"] for k in g["KeySchema"]], g["Projection"])
                for g in kwargs.get("GlobalSecondaryIndexes", [])
            ]
            self.schema[kwargs["TableName"]] = {"keys": keys, "indexes": indexes}
            self.keys_only_indexes[kwargs["TableName"]] = {
                g["IndexName"]
                for g in kwargs.get("GlobalSecondaryIndexes", [])
                if g["Projection"]["ProjectionType"] == "KEYS_ONLY"
            }
        self.shadow_enabled = shadow
        self.items: dict[tuple, dict] = {}
        self.mean_size: dict[str, tuple[int, int]] = {}  # table -> (count, total bytes) of items written
        self.wru: Counter = Counter()  # (phase, table, "table"|"gsi") -> units
        self.gsi_in_transactions: Counter = Counter()  # (phase, table) -> GSI units written by transactions
        self.rru: defaultdict[tuple[str, str], float] = defaultdict(float)  # (phase, table) -> units
        self.items_read: Counter = Counter()  # (phase, table/index, select) -> (scanned)
        self.items_returned: Counter = Counter()
        self._lock = threading.Lock()
        self._side: Any = None  # a botocore DynamoDB client, made on first use
        self.counter: RequestCounter | None = None

    # -- helpers
    def _key(self, table: str, item: dict) -> tuple:
        return (table, *(json.dumps(item.get(k), sort_keys=True) for k in self.schema.get(table, {"keys": []})["keys"]))

    def _fetch(self, table: str, key: dict) -> dict | None:
        if self._side is None:
            import botocore.session

            with self.counter.unhooked() if self.counter else _nullcontext():
                self._side = botocore.session.get_session().create_client(
                    "dynamodb", region_name=REGION, endpoint_url=os.environ.get("AWS_ENDPOINT_URL")
                )
        return self._side.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    def _note_size(self, table: str, size: int) -> None:
        n, total = self.mean_size.get(table, (0, 0))
        self.mean_size[table] = (n + 1, total + size)

    def typical_size(self, table: str) -> int:
        n, total = self.mean_size.get(table, (0, 0))
        return total // n if n else 1024

    def _projected(self, table: str, item: dict | None, index: tuple) -> dict | None:
        names, projection = index
        if item is None or not all(n in item for n in names):
            return None
        kind = projection["ProjectionType"]
        if kind == "ALL":
            return item
        keep = set(self.schema[table]["keys"]) | set(names)
        if kind == "INCLUDE":
            keep |= set(projection.get("NonKeyAttributes", []))
        return {k: v for k, v in item.items() if k in keep}

    def _write(
        self, phase: str, table: str, old: dict | None, new: dict | None, *, factor: int = 1, failed: bool = False
    ) -> None:
        base = max(1, math.ceil(max(item_size(old), item_size(new)) / 1024)) * factor
        gsi = 0
        if not failed:
            for index in self.schema.get(table, {"indexes": []})["indexes"]:
                before, after = self._projected(table, old, index), self._projected(table, new, index)
                names = index[0]
                if before is not None and after is not None:
                    if any(before.get(n) != after.get(n) for n in names):
                        gsi += math.ceil(item_size(before) / 1024) + math.ceil(item_size(after) / 1024)
                    elif before != after:
                        gsi += math.ceil(max(item_size(before), item_size(after)) / 1024)
                elif after is not None:
                    gsi += math.ceil(item_size(after) / 1024)
                elif before is not None:
                    gsi += math.ceil(item_size(before) / 1024)
        short = table.removeprefix(f"{STACK}-")
        with self._lock:
            self.wru[(phase, short, "table")] += base
            self.wru[(phase, short, "gsi")] += gsi
            if factor > 1:
                self.gsi_in_transactions[(phase, short)] += gsi

    def _remember(self, table: str, item: dict | None, key_item: dict) -> None:
        if not self.shadow_enabled:
            return
        key = self._key(table, key_item)
        if item is None:
            self.items.pop(key, None)
        else:
            self.items[key] = item

    def _old(self, table: str, key_item: dict) -> dict | None:
        return self.items.get(self._key(table, key_item)) if self.shadow_enabled else None

    def _keys_only(self, table: str, index_name: str) -> bool:
        return index_name in self.keys_only_indexes.get(table, set())

    @staticmethod
    def read_units(size: int, consistent: bool) -> float:
        units = max(1, math.ceil(size / 4096))
        return units if consistent else units / 2

    _read_units = read_units

    # -- accounting of one call
    def account(self, phase: str, op: str, params: dict, parsed: dict, failed: bool) -> None:
        table = params.get("TableName", "")
        short = table.removeprefix(f"{STACK}-")
        if op == "PutItem":
            item = params["Item"]
            old = self._old(table, item)
            self._note_size(table, item_size(item))
            self._write(phase, table, old, None if failed else item, failed=failed)
            if not failed:
                self._remember(table, item, item)
        elif op == "UpdateItem":
            key = params["Key"]
            old = self._old(table, key)
            new = None
            if not failed:
                new = parsed.get("Attributes") if params.get("ReturnValues") == "ALL_NEW" else None
                if new is None and self.shadow_enabled:
                    new = self._fetch(table, key)
            self._write(phase, table, old, new, failed=failed)
            if new is not None:
                self._remember(table, new, key)
        elif op == "DeleteItem":
            key = params["Key"]
            old = self._old(table, key)
            self._write(phase, table, old, None, failed=failed)
            if not failed:
                self._remember(table, None, key)
        elif op == "BatchWriteItem":
            unprocessed = parsed.get("UnprocessedItems") or {}
            for name, requests in params["RequestItems"].items():
                skipped = len(unprocessed.get(name, []))
                for request in requests[: len(requests) - skipped]:
                    if "PutRequest" in request:
                        item = request["PutRequest"]["Item"]
                        self._note_size(name, item_size(item))
                        self._write(phase, name, self._old(name, item), item)
                        self._remember(name, item, item)
                    else:
                        key = request["DeleteRequest"]["Key"]
                        self._write(phase, name, self._old(name, key), None)
                        self._remember(name, None, key)
        elif op == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((verb, body),) = entry.items()
                name = body["TableName"]
                if verb == "Put":
                    item = body["Item"]
                    self._write(phase, name, self._old(name, item), None if failed else item, factor=2, failed=failed)
                    if not failed:
                        self._remember(name, item, item)
                elif verb == "Update":
                    old = self._old(name, body["Key"])
                    new = None if failed or not self.shadow_enabled else self._fetch(name, body["Key"])
                    self._write(phase, name, old, new, factor=2, failed=failed)
                    if new is not None:
                        self._remember(name, new, body["Key"])
                elif verb == "Delete":
                    self._write(phase, name, self._old(name, body["Key"]), None, factor=2, failed=failed)
                    if not failed:
                        self._remember(name, None, body["Key"])
                else:  # ConditionCheck
                    self._write(phase, name, None, None, factor=2, failed=True)
        elif op == "GetItem":
            with self._lock:
                self.rru[(phase, short)] += self._read_units(
                    item_size(parsed.get("Item")), bool(params.get("ConsistentRead"))
                )
        elif op == "BatchGetItem":
            for name, request in params["RequestItems"].items():
                found = (parsed.get("Responses") or {}).get(name, [])
                consistent = bool(request.get("ConsistentRead"))
                units = sum(self._read_units(item_size(i), consistent) for i in found)
                units += self._read_units(0, consistent) * max(0, len(request["Keys"]) - len(found))
                with self._lock:
                    self.rru[(phase, name.removeprefix(f"{STACK}-"))] += units
        elif op in ("Query", "Scan"):
            items = parsed.get("Items") or []
            scanned = int(parsed.get("ScannedCount", len(items)))
            count = int(parsed.get("Count", len(items)))
            if items:
                mean = sum(item_size(i) for i in items) / len(items)
            else:  # COUNT, or everything filtered out: sizes not seen, take the table's typical item
                mean = self.typical_size(table)
                if params.get("IndexName") and self._keys_only(table, params["IndexName"]):
                    mean = 100
            consistent = bool(params.get("ConsistentRead")) and not params.get("IndexName")
            units = self._read_units(int(scanned * mean), consistent) if scanned else self._read_units(0, consistent)
            where = short + (f"/{params['IndexName']}" if params.get("IndexName") else "")
            select = "COUNT" if params.get("Select") == "COUNT" else "items"
            with self._lock:
                self.rru[(phase, short)] += units
                self.items_read[(phase, where, select)] += scanned
                self.items_returned[(phase, where, select)] += count

    # -- views
    def totals(self, phases: set[str] | None = None) -> dict[str, float]:
        wru = sum(v for (p, _, _), v in self.wru.items() if phases is None or p in phases)
        gsi = sum(v for (p, _, kind), v in self.wru.items() if (phases is None or p in phases) and kind == "gsi")
        rru = sum(v for (p, _), v in self.rru.items() if phases is None or p in phases)
        in_tx = sum(v for (p, _), v in self.gsi_in_transactions.items() if phases is None or p in phases)
        return {"wru": wru, "wru_gsi": gsi, "rru": rru, "wru_gsi_in_transactions": in_tx}

    def by_table(self, phases: set[str] | None = None) -> list[dict[str, Any]]:
        rows: dict[str, dict[str, float]] = defaultdict(lambda: {"wru_table": 0, "wru_gsi": 0, "rru": 0})
        for (p, t, kind), v in self.wru.items():
            if phases is None or p in phases:
                rows[t][f"wru_{kind}"] += v
        for (p, t), units in self.rru.items():
            if phases is None or p in phases:
                rows[t]["rru"] += units
        return [
            {"table": t, **v} for t, v in sorted(rows.items(), key=lambda kv: -(kv[1]["wru_table"] + kv[1]["wru_gsi"]))
        ]


@contextmanager
def _nullcontext():
    yield


# ---- output ---------------------------------------------------------------------------------------


def table(rows: list[dict[str, Any]] | list[list[Any]], headers: list[str] | None = None, floatfmt: str = ".2f") -> str:
    if rows and isinstance(rows[0], dict):
        headers = headers or list(rows[0])
        rows = [[r.get(h, "") for h in headers] for r in rows]
    headers = headers or []

    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return format(v, floatfmt)
        return str(v)

    cells = [[fmt(v) for v in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) if cells else len(str(h)) for i, h in enumerate(headers)]
    numeric = [all(_is_number(r[i]) for r in cells) if cells else False for i in range(len(headers))]

    def line(r: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if numeric[i] else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=False))
        )

    out = [line([str(h) for h in headers]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    return "\n".join(out)


def _is_number(text: str) -> bool:
    try:
        float(text.rstrip("%x×s"))
        return True
    except ValueError:
        return text in ("", "-")


def write_json(name: str, data: dict[str, Any]) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(
        json.dumps({"machine": machine(), **data}, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    return path


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def git_revision() -> str:
    if os.environ.get("BENCH_REVISION"):  # e.g. an exported tree (git archive) of a known commit
        return os.environ["BENCH_REVISION"]
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


# ---- the whole pipeline in-process (requests_per_declaration, throughput) ----------------------------


class Pipeline:
    """N declarations from import to receipts, in-process: the API through Chalice's test client, the
    functions through the LocalRunner (template batch sizes), customs through the simulator.

    The next batch's trigger is delayed by batch_wait_seconds on SQS; while declarations remain,
    that delay is skipped by moving the wiring's clock forward by it instead (same requests, no idle
    wait). Use as a context manager; each stage is timed in `seconds`."""

    PHASES = ("import", "engine", "receipts")
    env: dict[str, str] = {}  # settings a subclass runs the functions with (the soak: customs' time-out)

    def __init__(self, aws: LocalAws, counter: RequestCounter, n: int, batch_size: int | None = None) -> None:
        self.aws, self.counter, self.n = aws, counter, n
        self.batch_size = batch_size
        self.seconds: dict[str, float] = {}
        self.api_calls: dict[str, int] = {}
        self.api_seconds: dict[str, float] = {}
        self.invocations: dict[str, dict[str, int]] = {}
        self.seq_nos: list[str] = []
        self.receipts: list[dict] = []
        self.applied = 0
        self.declared = 0
        self._stack = ExitStack()

    def __enter__(self) -> Pipeline:
        from tests.factories import ENT_A, make_config_body

        self.clock = WarpClock()
        self.sim_server, self.sim = self._stack.enter_context(simulator_server(receipt_delay_seconds=0.01))
        extra = {"SMARTDECL_BATCH_SIZE": str(self.batch_size)} if self.batch_size else {}
        extra.update(self.env)
        self.ctx = wiring(self.aws, self.sim, self.clock, extra)
        self.runner = timed_runner(self.aws)
        self.counter.before_send.append(self._warp)
        self.api = self._stack.enter_context(api_client(token(ENT_A)))
        with self.counter.in_phase("setup"):
            self._ok(self.api.call("POST", "/enablement", {"accept_notice": True}))
            config = make_config_body(require_manifest=False, compare_manifest=False, batch_wait_seconds=5)
            self.config_id = self._ok(self.api.call("POST", "/configs", config)).json["config_id"]
        self._invocations_before = dict(self.runner.invocations)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.counter.before_send.remove(self._warp)
        from chalicelib.container import use_container

        use_container(None)
        self._stack.close()

    # -- stages
    def import_(self) -> None:
        from tests.factories import make_declaration_body

        body = make_declaration_body(self_pay=False)
        with self._stage("import"):
            for start in range(0, self.n, 500):
                chunk = [body] * min(500, self.n - start)
                self.seq_nos += self._ok(
                    self.api.call("POST", "/declarations", {"declarations": chunk, "smart_mark": True})
                ).json["accepted"]

    def engine(self) -> None:
        with self._stage("engine"):
            started = self._ok(
                self.api.call("POST", "/executions", {"enterprise_type": "agent", "config_ids": [self.config_id]})
            )
            self.execution_id = started.json["execution_id"]
            self.runner.drain(max_rounds=10**6)
        self.declared = self.accepted()

    def receipts_(self) -> None:
        import hashlib
        import hmac

        self.receipts = self._wait_for_receipts(2 * self.declared)
        with self._stage("receipts"):
            for receipt in self.receipts:
                raw = receipt["xml"].encode("utf-8")
                signature = "sha256=" + hmac.new(RECEIPT_SECRET.encode(), raw, hashlib.sha256).hexdigest()
                answer = self.api.call(
                    "POST",
                    "/customs/receipts",
                    raw=raw,
                    content_type="application/xml",
                    headers={"X-Receipt-Signature": signature},
                    auth=False,
                )
                self.applied += (answer.json or {}).get("applied", 0)
            self.runner.drain(max_rounds=10**6)

    def idle(self) -> None:
        """One batch of a running execution with nothing left to declare (it repeats every wait)."""
        import json as _json

        with self.counter.in_phase("bench"):
            execution = self.ctx.engine.executions.get(self.execution_id)
            self.clock.offset += timedelta(seconds=execution.batch_wait_seconds + 1)
            self.ctx.sqs.send_message(
                QueueUrl=self.ctx.settings.queues.batch_trigger,
                MessageBody=_json.dumps({"execution_id": self.execution_id, "after_index": execution.batch_index}),
            )
        with self._stage("idle"):
            self.runner.drain(max_rounds=10**6)

    def finish(self) -> dict[str, Any]:
        with self.counter.in_phase("teardown"):
            self.api.call("POST", f"/executions/{self.execution_id}/stop")
            view = self.api.call("GET", f"/executions/{self.execution_id}").json
            found = self.ctx.declarations.get_many(self.seq_nos)
            batches = self.ctx.engine.batches.list_for_execution(self.execution_id)
        return {
            "imported": len(self.seq_nos),
            "declared_at_customs": self.declared,
            "receipts_posted": len(self.receipts),
            "receipts_applied": self.applied,
            "smart_status": dict(Counter(str(d.smart_status) for d in found.values())),
            "status": dict(Counter(str(d.status) for d in found.values())),
            "batches": view.get("batch_index"),
            "batch_size": self.ctx.settings.batch_size,
            "claimed_per_batch": [b.claimed for b in sorted(batches, key=lambda b: b.index)],
            "seconds": self.seconds,
            "api_calls": self.api_calls,
            "api_seconds": self.api_seconds,
            "invocations": self.invocations,
            "durations": {f: list(v) for f, v in self.runner.durations.items()},
        }

    # -- helpers
    def accepted(self) -> int:
        import requests

        return requests.get(f"{self.sim}/control/stats", timeout=5).json()["accepted"]

    def _warp(self, service: str, op: str, params: dict) -> None:
        """The next batch's trigger (the only delayed SendMessage here): while declarations remain,
        move the clock by its delay and send it undelayed; once all are declared, park it (900 s),
        so the empty batches an idle execution keeps starting do not count against the N
        declarations (idle() measures one such batch on its own)."""
        if service == "sqs" and op == "SendMessage" and int(params.get("DelaySeconds", 0)) > 0:
            if self.accepted() < self.n:
                self.clock.offset += timedelta(seconds=int(params["DelaySeconds"]))
                params["DelaySeconds"] = 0
            else:
                params["DelaySeconds"] = 900

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        before = len(self.api.durations)
        started = time.perf_counter()
        with self.counter.in_phase(name):
            yield
        self.seconds[name] = time.perf_counter() - started
        self.api_calls[name] = len(self.api.durations) - before
        self.api_seconds[name] = sum(self.api.durations[before:])
        now = dict(self.runner.invocations)
        self.invocations[name] = {k: now.get(k, 0) - self._invocations_before.get(k, 0) for k in now}
        self._invocations_before = now

    def _wait_for_receipts(self, expected: int, timeout: float = 120.0) -> list[dict]:
        import requests

        deadline = time.monotonic() + timeout
        while True:
            receipts = requests.get(f"{self.sim}/control/receipts", timeout=10).json()
            if len(receipts) >= expected or time.monotonic() > deadline:
                return receipts
            time.sleep(0.2)

    @staticmethod
    def _ok(response):
        if response.status_code >= 300:
            raise SystemExit(f"a benchmark call failed: {response.status_code} {response.json}")
        return response


# ---- prices (bench/prices.json) ------------------------------------------------------------------

PRICES = Path(__file__).with_name("prices.json")
# prices.json's units that no benchmark measures: priced at 0 they would look free, so they say so instead.
# The webhooks go out from our own function (SNS delivers to SQS, which is free), SMS and e-mail are not
# in the workload, and CloudWatch Logs ingestion depends on the log level a deployment runs at.
NOT_METERED = {"sns_http_deliveries", "sns_email_deliveries", "cloudwatch_logs_ingested_gb"}


def costs(usage: dict[str, float], scale: float) -> dict[str, dict[str, Any]]:
    """Every region of bench/prices.json: its lines and total for `usage` × `scale`."""
    regions = json.loads(PRICES.read_text(encoding="utf-8"))["regions"]
    return {region: region_cost(table_, usage, scale) for region, table_ in regions.items()}


def region_cost(table_: dict[str, Any], usage: dict[str, float], scale: float) -> dict[str, Any]:
    """One region's lines and total; `estimated` and `not_priced` name the units the total is unsure of."""
    lines: list[dict[str, Any]] = []
    total, estimated, not_priced = 0.0, [], []
    for unit, price in table_["per_million"].items():
        used = usage.get(unit, 0) * scale
        if unit in NOT_METERED:
            lines.append({"unit": unit, "used": None, "cost": None, "note": "not metered"})
            continue
        value = price["price"] if price.get("price") is not None else price.get("_estimate")
        if value is None:
            lines.append({"unit": unit, "used": round(used, 1), "cost": None, "note": price.get("_note")})
            not_priced.append(unit)
            continue
        total += used / 1e6 * value
        lines.append({"unit": unit, "used": round(used, 1), "cost": round(used / 1e6 * value, 4)})
        if price.get("price") is None:
            lines[-1]["estimated"] = price.get("_estimate_basis", True)
            estimated.append(unit)
    return {
        "currency": table_["currency"],
        "total": round(total, 4),
        "lines": lines,
        "estimated": estimated,
        "not_priced": not_priced,
    }


# ---- faults --------------------------------------------------------------------------------------


class Rotation:
    """Fault kinds in a seeded order, each once before any comes again: a run that draws as many
    faults as there are kinds sees every kind (drawn independently, the default run once drew no
    customs outage)."""

    def __init__(self, kinds: tuple[str, ...], rng: random.Random) -> None:
        self.kinds, self.random = kinds, rng
        self.left: list[str] = []

    def next(self) -> str:
        if not self.left:
            self.left = list(self.kinds)
            self.random.shuffle(self.left)
        return self.left.pop()

"""make soak: the stack under a generated workload and seeded faults for a while, then the invariants
and the figures.

In this process, on moto (127.0.0.1), as bench/throughput.py runs it: the API through Chalice's
test client, the functions through the local runner (template batch sizes), customs through the
simulator on the HTTP channel. Declarations are imported at an even pace over the run; an execution
declares them; customs' receipts are posted back as customs posts them. Faults are drawn from one
seeded random generator and logged with the seed, so a run can be repeated:

- customs answering 500, slow, or down for a window (the simulator's mode);
- a submit or validation invocation delivered twice (SQS at least once), or dying just after a
  chosen DynamoDB write (the local runner's fault hook): its batch comes back;
- receipts duplicated, reordered and held back a few ticks.

When the workload is in, the faults stop, and the run settles (the schedule requeues, batches
start again) until every declaration is declared and its receipts applied, or the settle time is
spent. Then the invariant checker reads the tables and the simulator's own record, and the figures
are written: the report (JSON), the queue depths over time (PNG) and the cost per 10,000
declarations (bench/prices.json: each price with its source and date).

    .venv/bin/python -m bench.soak [--declarations 2000] [--minutes 10] [--seed N] [--fault-rate 0.05]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import math
import random
import resource
import statistics
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench._common import (
    RECEIPT_SECRET,
    ROOT,
    CapacityEstimator,
    LocalAws,
    Pipeline,
    RequestCounter,
    Rotation,
    costs,
    machine,
    quiet_environment,
    table,
    token,
)
from bench.soak_webhooks import EVENT_TYPES, Published, Receiver, WebhookSchedule
from bench.soak_webhooks import check as check_webhooks
from bench.soak_webhooks import latencies as receipt_latencies

OUT = ROOT / ".local" / "soak"
CUSTOMS_FAULTS = ("error500", "slow", "down", "timeout")
# the functions' customs time-out in the soak, shorter than the default 5 s so that a "timeout" fault
# (customs processes the message, then answers a second after the client gave up) costs little time
CUSTOMS_TIMEOUT_SECONDS = 2
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
CRASHABLE = {"ValidationFunction", "SubmissionFunction"}
HIDDEN = "dead_invocations_hidden"  # messages of dead invocations, back after their visibility timeout
NOT_QUEUES = ("t", "declared", "rss_mb", "webhook_posts", HIDDEN)
# batches of one mapping's backlog in a drain round (Lambda polls a backlog with several pollers): at
# one a round, every webhook batch waited for a round of every other mapping's empty polls
BACKLOG_BATCHES = 10


class StampedList(list):
    """The simulator's record of receipts, each stamped with the time it was written."""

    def append(self, item: Any) -> None:
        if isinstance(item, dict):
            item.setdefault("written_at", time.time())
        super().append(item)


@dataclass
class Tenant:
    """One enterprise of the soak: its token, declaration, configuration, execution and receiver."""

    ent: dict[str, str]
    token: str
    body: dict[str, Any]
    receiver: Receiver
    config_id: str = ""
    execution_id: str | None = None
    imported: int = 0


def enterprises(n: int) -> list[dict[str, str]]:
    """The examples' two enterprises, then made-up ones: a customs code each and a credit code whose
    check digit is right (the import checks it)."""
    from stdnum.cn import uscc

    from tests.factories import ENT_A, ENT_B

    ents = [dict(ENT_A), dict(ENT_B)][:n]
    for i in range(len(ents), n):
        base = f"91110000MA{i:07d}"
        ents.append(
            {"code": f"11089{i:05d}", "uscc": base + uscc.calc_check_digit(base), "name": f"浸泡测试企业{i:02d}"}
        )
    return ents


class SoakPipeline(Pipeline):
    """The benchmarks' pipeline, with the batch trigger's delay kept: the benchmarks skip it because
    every declaration is imported before the engine runs; here they keep coming, and skipping it made
    an execution with nothing to claim start batch after batch without end."""

    def __enter__(self) -> SoakPipeline:
        super().__enter__()
        simulator = self.sim_server.simulator
        with simulator._lock:  # receipts stamped as the simulator writes them (receipt → subscriber)
            simulator._receipts = StampedList(simulator._receipts)
        return self

    env = {"SMARTDECL_CUSTOMS_TIMEOUT_SECONDS": str(CUSTOMS_TIMEOUT_SECONDS)}

    def _warp(self, service: str, op: str, params: dict) -> None:
        return None

    def simulator_receipts(self) -> list[dict[str, Any]]:
        return self.sim_server.simulator.receipts()

    def tenants(self, receivers: dict[str, Receiver]) -> list[Tenant]:
        """Each enterprise enabled, with its own configuration and its webhook subscription."""
        from tests.factories import ENT_A, make_config_body, make_declaration_body

        out = []
        for code, receiver in receivers.items():
            ent = next(e for e in enterprises(len(receivers)) if e["code"] == code)
            parties = {"agent": dict(ent), "consignee": dict(ent), "owner": dict(ent)}
            tenant = Tenant(ent, token(ent), make_declaration_body(self_pay=False, **parties), receiver)
            with self.counter.in_phase("setup"):
                if code == ENT_A["code"]:
                    tenant.config_id = self.config_id
                else:
                    self._ok(self.api.call("POST", "/enablement", {"accept_notice": True}, token=tenant.token))
                    config = make_config_body(
                        require_manifest=False,
                        compare_manifest=False,
                        batch_wait_seconds=5,
                        agent=dict(ent),
                        consignee=dict(ent),
                    )
                    tenant.config_id = self._ok(self.api.call("POST", "/configs", config, token=tenant.token)).json[
                        "config_id"
                    ]
                subscription = {"protocol": "webhook", "endpoint": receiver.url, "event_types": EVENT_TYPES}
                made = self._ok(self.api.call("POST", "/subscriptions", subscription, token=tenant.token))
                receiver.secret = made.json["secret"]
            out.append(tenant)
        return out


class Faults:
    """Every fault of the run, drawn from one seeded generator and logged (tick, kind, detail)."""

    def __init__(self, seed: int, rate: float, crash_rate: float | None = None) -> None:
        self.seed, self.rate = seed, rate
        self.crash_rate = rate if crash_rate is None else crash_rate
        self.random = random.Random(seed)
        self.log: list[dict[str, Any]] = []
        self.active = True
        self._armed = threading.local()
        self.tick = 0

    def note(self, kind: str, **detail: Any) -> None:
        self.log.append({"tick": self.tick, "kind": kind, **detail})

    # the local runner's hook: asked before each SQS invocation
    def invocation(self, function: str) -> str | None:
        if not self.active or function not in CRASHABLE:
            return None
        roll = self.random.random()
        if roll < self.rate:
            self.note("sqs_twice", function=function)
            return "twice"
        if roll < self.rate + self.crash_rate:
            writes = self.random.randint(1, 4)
            self._armed.writes = writes
            self.note("crash_at_write", function=function, after_writes=writes)
            return "crash"
        return None

    # the request counter's hook: after each AWS call of this thread
    def after_call(self, service: str, op: str, params: dict, parsed: dict) -> None:
        from infra.local_runner import InjectedCrash

        left = getattr(self._armed, "writes", 0)
        if left and service == "dynamodb" and op in WRITES:
            self._armed.writes = left - 1
            if left == 1:
                raise InjectedCrash(f"injected crash after a {op}")

    def disarm(self) -> None:
        self._armed.writes = 0


class Soak:
    def __init__(
        self,
        pipeline: SoakPipeline,
        faults: Faults,
        args: argparse.Namespace,
        counter: RequestCounter,
        tenants: list[Tenant],
        published: Published,
    ) -> None:
        self.p, self.faults, self.args, self.counter = pipeline, faults, args, counter
        self.tenants, self.published = tenants, published
        self.ent_of: dict[str, str] = {}  # seq_no -> the enterprise that imported it
        self.imported_at: dict[str, float] = {}
        self.declared_at: dict[str, float] = {}
        self.receipts_seen = 0
        self.held: list[tuple[int, dict]] = []  # receipts held back until a tick
        self.posted: Counter = Counter()  # receipt key -> times posted
        self.answers: Counter = Counter()  # receipt outcome -> n
        self.applied = 0
        self.depths: list[dict[str, Any]] = []
        self.customs_fault: tuple[str, float] | None = None  # (mode, until time.monotonic())
        self.customs_modes = Rotation(CUSTOMS_FAULTS, faults.random)
        self.started = time.monotonic()
        self.warps = 0  # times the settling moved the clock on

    # ---- the run ------------------------------------------------------------------------------
    def run(self) -> None:
        args = self.args
        tick_seconds = args.tick
        import requests

        self.session = requests.Session()
        tick = 0
        next_schedule = self.started + 60
        # by the clock, not by a count of ticks: a slow tick on a busy machine does not lengthen the run
        while time.monotonic() < self.started + args.minutes * 60:
            self.faults.tick = tick
            left = due(args.declarations, self.started, args.minutes, tick_seconds) - len(self.imported_at)
            if left > 0:
                self._import(left)
            self._customs_faults(tick)
            # the schedule's rate (every minute): it wakes an idle execution, requeues what timed out
            self._step(schedule=time.monotonic() >= next_schedule)
            if time.monotonic() >= next_schedule:
                next_schedule += 60
            if self._done():
                break
            tick += 1
            self._sleep_until(self.started + tick * tick_seconds)
        # a last slow step (a receiver hanging, customs slow) may end the workload's minutes before the
        # last imports were due: they come now, so that the run declares what it was asked to
        self.late_imports = max(0, args.declarations - len(self.imported_at))
        if self.late_imports:
            self._import(self.late_imports)
        self.faults.active = False
        self._set_customs("normal")
        self.settle_started = time.monotonic()
        deadline = self.settle_started + args.settle_minutes * 60
        while time.monotonic() < deadline:
            self.faults.tick += 1
            if idle(self.depths[-1] if self.depths else {}):
                self._warp_and_trigger()
                self.warps += 1
            self._step(schedule=True)
            if self._done():
                break
            time.sleep(min(tick_seconds, 1.0))
        self.finished = time.monotonic()

    def _import(self, count: int) -> None:
        """`count` more declarations, dealt round the enterprises; each one's execution starts with
        its first import."""
        first = len(self.imported_at)
        per_tenant = Counter((first + k) % len(self.tenants) for k in range(count))
        for i, n in sorted(per_tenant.items()):
            tenant = self.tenants[i]
            for start in range(0, n, 500):  # the import route takes 500 at most
                declarations = [tenant.body] * min(500, n - start)
                answer = self.p.api.call(
                    "POST", "/declarations", {"declarations": declarations, "smart_mark": True}, token=tenant.token
                )
                now = time.monotonic()
                for seq_no in (answer.json or {}).get("accepted", []):
                    self.imported_at[seq_no] = now
                    self.ent_of[seq_no] = tenant.ent["code"]
                    self.p.seq_nos.append(seq_no)
                    tenant.imported += 1
            if tenant.imported and tenant.execution_id is None:
                started = self.p.api.call(
                    "POST",
                    "/executions",
                    {"enterprise_type": "agent", "config_ids": [tenant.config_id]},
                    token=tenant.token,
                )
                tenant.execution_id = started.json["execution_id"]

    def _done(self) -> bool:
        # and no work in flight: a dead invocation's batch, back after its visibility timeout, still
        # counts its declarations in their batches (checked too early, the counts looked lost)
        return (
            len(self.declared_at) == self.args.declarations
            and self._receipts_done()
            and self._webhooks_done()
            and bool(self.depths)
            and idle(self.depths[-1])
            and not self.depths[-1].get(HIDDEN)
        )

    def _webhooks_done(self) -> bool:
        """Every event SNS got is at its enterprise's receiver."""
        got = {code: t.receiver.got() for code, t in ((t.ent["code"], t) for t in self.tenants)}
        return all(e in got.get(code, set()) for e, code in self.published.ent_of.items())

    def _customs_faults(self, tick: int) -> None:
        """A customs fault for a while of the clock's, not of ticks: customs itself ends it
        (`for_seconds`). Counted in ticks, a fault that slows every call stretched its own ticks: a
        time-out fault held the drain in one round for minutes, and ended only when the backlog did."""
        if self.customs_fault and time.monotonic() >= self.customs_fault[1]:
            self.faults.note("customs_back", mode=self.customs_fault[0])
            self.customs_fault = None
        if self.customs_fault is None and self.faults.random.random() < self.args.customs_fault_rate:
            mode = self.customs_modes.next()
            # down for a minute (seconds in a short run); 500s and slowness for a shorter while
            seconds = max(self.args.tick, (60 if mode == "down" else 20) * self.args.fault_scale)
            self.customs_fault = (mode, time.monotonic() + seconds)
            self.faults.note("customs_" + mode, seconds=seconds)
            self._set_customs(mode, seconds)

    def _set_customs(self, mode: str, seconds: float | None = None) -> None:
        # slow: answered within the client's time-out; timeout: declared at customs, answered after it
        # (the submission must find it by its lookup and never send it again)
        late = 1.5 if mode == "slow" else CUSTOMS_TIMEOUT_SECONDS + 1
        body: dict[str, Any] = {"mode": "slow" if mode == "timeout" else mode, "slow_seconds": late}
        if seconds is not None:
            body["for_seconds"] = seconds
        self.session.post(f"{self.p.sim}/control/mode", json=body, timeout=10)

    def _step(self, schedule: bool = False) -> None:
        try:
            if schedule:
                self.p.runner.tick()
            # a tick's worth at most: with many executions and retries, some delayed message ripens
            # during each slow round, and a drain to quiet would not end while the clock runs out
            self.p.runner.drain(max_rounds=10**6, until=time.monotonic() + self.args.tick, batches=BACKLOG_BATCHES)
        finally:
            self.faults.disarm()
        self._post_receipts()
        self._observe()

    def _warp_and_trigger(self) -> None:
        """Settling: time moves on (rechecks, the claim deadline) and the execution's next batch starts."""
        ctx = self.p.ctx
        self.p.clock.offset += timedelta(minutes=2)
        for tenant in self.tenants:
            execution = ctx.engine.executions.get(tenant.execution_id) if tenant.execution_id else None
            if execution is not None:
                ctx.sqs.send_message(
                    QueueUrl=ctx.settings.queues.batch_trigger,
                    MessageBody=json.dumps({"execution_id": tenant.execution_id, "after_index": execution.batch_index}),
                )

    def _post_receipts(self) -> None:
        receipts = self.session.get(f"{self.p.sim}/control/receipts", timeout=10).json()
        fresh, self.receipts_seen = receipts[self.receipts_seen :], len(receipts)
        now = self.faults.tick
        batch = [r for due, r in self.held if due <= now]
        self.held = [(due, r) for due, r in self.held if due > now]
        for receipt in fresh:
            roll = self.faults.random.random() if self.faults.active else 1.0
            if roll < self.faults.rate:
                self.held.append((now + self.faults.random.randint(1, 3), receipt))
                self.faults.note("receipt_delayed")
                continue
            batch.append(receipt)
            if roll < 2 * self.faults.rate:
                batch.append(receipt)
                self.faults.note("receipt_duplicated")
        if self.faults.active and len(batch) > 1 and self.faults.random.random() < 0.5:
            self.faults.random.shuffle(batch)
            self.faults.note("receipts_reordered", n=len(batch))
        for receipt in batch:
            raw = receipt["xml"].encode("utf-8")
            signature = "sha256=" + hmac.new(RECEIPT_SECRET.encode(), raw, hashlib.sha256).hexdigest()
            answer = self.p.api.call(
                "POST",
                "/customs/receipts",
                raw=raw,
                content_type="application/xml",
                headers={"X-Receipt-Signature": signature},
                auth=False,
            )
            self.posted[hashlib.sha256(raw).hexdigest()] += 1
            body = answer.json or {}
            self.applied += body.get("applied", 0)
            self.answers[str(answer.status_code)] += 1
        if batch:
            self.p.runner.drain(max_rounds=10**6, until=time.monotonic() + self.args.tick, batches=BACKLOG_BATCHES)

    def _observe(self) -> None:
        with self.counter.in_phase("observer"):  # the soak's own reads cost nothing of the service's
            self._look()

    def _look(self) -> None:
        now = time.monotonic()
        waiting = [s for s in self.imported_at if s not in self.declared_at]
        for start in range(0, len(waiting), 100):
            found = self.p.ctx.declarations.get_many(waiting[start : start + 100])
            for seq_no, decl in found.items():
                if str(decl.smart_status) == "succeeded":
                    self.declared_at[seq_no] = now
        depths: dict[str, Any] = {"t": round(now - self.started, 1)}
        for name, url in self.p.ctx.settings.queues.__dict__.items():
            if isinstance(url, str) and url.startswith("http"):
                attrs = self.p.ctx.sqs.get_queue_attributes(
                    QueueUrl=url,
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]
                depths[name] = int(attrs["ApproximateNumberOfMessages"]) + int(
                    attrs["ApproximateNumberOfMessagesNotVisible"]
                )
        depths[HIDDEN] = self.p.runner.dead_messages()
        depths["declared"] = len(self.declared_at)
        depths["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        depths["webhook_posts"] = sum(len(t.receiver.posts) for t in self.tenants)
        self.depths.append(depths)

    def _receipts_done(self) -> bool:
        return not self.held and self.applied >= 2 * len(self.declared_at)

    @staticmethod
    def _sleep_until(when: float) -> None:
        left = when - time.monotonic()
        if left > 0:
            time.sleep(left)


def idle(depths: dict[str, Any]) -> bool:
    """No message waits in a work queue (delayed ones, such as webhook retries, are not counted): only
    then may the settling move the clock on. Moving it while work waits made claims expire under the
    work and be claimed again: the first default run at 20 enterprises piled 2,800 validation messages
    up and declared nothing more for its last 12 minutes. A dead invocation's batch, hidden until its
    visibility timeout passes on the stack's clock, waits for time, not for work: it does not count."""
    waiting = sum(v for k, v in depths.items() if k not in NOT_QUEUES)
    return waiting - depths.get(HIDDEN, 0) <= 0


def due(n: int, started: float, minutes: float, tick_seconds: float) -> int:
    """Declarations imported by the next tick: an even pace over the first 60 % of the run."""
    elapsed = time.monotonic() - started + tick_seconds
    return min(n, math.ceil(n * elapsed / (minutes * 60 * 0.6)))


# ---- the invariants ------------------------------------------------------------------------------


def check_invariants(soak: Soak) -> list[dict[str, Any]]:
    """Each invariant with what was found; `held` is True when it holds."""
    p = soak.p
    seq_nos = list(soak.imported_at)
    found: dict[str, Any] = {}
    for start in range(0, len(seq_nos), 100):
        found.update(p.ctx.declarations.get_many(seq_nos[start : start + 100]))
    at_customs = {s: soak.session.get(f"{p.sim}/control/declarations/{s}", timeout=10) for s in seq_nos}
    sent_twice = [s for s, r in at_customs.items() if r.status_code == 200 and r.json().get("duplicates", 0) > 0]
    never_arrived = [s for s, r in at_customs.items() if r.status_code != 200]
    smart = Counter(str(d.smart_status) for d in found.values())
    status = Counter(str(d.status) for d in found.values())
    lost = [s for s in seq_nos if s not in found or str(found[s].smart_status) != "succeeded"]
    from chalicelib.domain.declaration_status import DeclarationStatus
    from chalicelib.domain.smart_status import SmartStatus

    illegal = [
        s
        for s, d in found.items()
        if str(d.smart_status) not in set(SmartStatus)
        or str(d.status) not in set(DeclarationStatus)
        or (str(d.smart_status) == "succeeded" and (not d.customs_seq_no or str(d.status) == "temp_saved"))
    ]
    customs_seq = {s: r.json().get("seq_no") for s, r in at_customs.items() if r.status_code == 200}
    disagree = [s for s, d in found.items() if d.customs_seq_no and customs_seq.get(s) != d.customs_seq_no]
    unique_receipts = len(soak.posted)
    batches = [
        b
        for t in soak.tenants
        if t.execution_id
        for b in p.ctx.engine.batches.list_for_execution(t.execution_id, limit=10_000)
    ]
    batch_succeeded = sum(b.succeeded for b in batches)
    dead = dead_letters(
        p.ctx.sqs, p.aws.template, {q: p.aws.physical[q]["Ref"] for q in dead_letter_queues(p.aws.template)}
    )
    webhooks = check_webhooks(
        {t.ent["code"]: t.receiver for t in soak.tenants},
        soak.published,
        {t.ent["code"]: {s for s, code in soak.ent_of.items() if code == t.ent["code"]} for t in soak.tenants},
    )
    return [
        {"invariant": "0 declarations sent to customs twice", "held": not sent_twice, "found": sent_twice[:5]},
        {
            "invariant": "0 lost (every declaration declared)",
            "held": not lost and not never_arrived and len(seq_nos) == soak.args.declarations,
            "found": {
                "imported": len(seq_nos),
                "not_declared": lost[:5],
                "never_at_customs": never_arrived[:5],
                "smart": dict(smart),
            },
        },
        {
            "invariant": "every declaration in a legal state; record and customs agree on the SeqNo",
            "held": not illegal and not disagree,
            "found": {"illegal": illegal[:5], "seq_no_disagrees": disagree[:5], "status": dict(status)},
        },
        {
            "invariant": "every receipt applied once",
            "held": soak.applied == unique_receipts,
            "found": {"unique_receipts": unique_receipts, "applied": soak.applied, "posts": sum(soak.posted.values())},
        },
        {
            "invariant": "batch counts equal the declarations",
            "held": batch_succeeded == smart.get("succeeded", 0),
            "found": {"batches": len(batches), "succeeded_in_batches": batch_succeeded},
        },
        *dead,
        *webhooks,
    ]


def dead_letter_queues(template: dict[str, Any]) -> list[str]:
    """The template's dead-letter and on-failure queues (logical ids)."""
    from infra import template as cfn

    return [q for q in cfn.resources(template, "AWS::SQS::Queue") if q.endswith(("DeadLetterQueue", "FailureQueue"))]


def dead_letters(sqs: Any, template: dict[str, Any], urls: dict[str, str]) -> list[dict[str, Any]]:
    """The dead-letter invariants: a message in one only with an alarm on it, and none left at all."""
    dlq = {
        logical: int(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
                "ApproximateNumberOfMessages"
            ]
        )
        for logical, url in urls.items()
    }
    alarmed = alarmed_queues(template)
    unalarmed = [q for q, n in dlq.items() if n and q not in alarmed]
    return [
        {
            "invariant": "no message in a dead-letter queue without its alarm",
            "held": not unalarmed,
            "found": {"messages": {q: n for q, n in dlq.items() if n}, "without_alarm": unalarmed},
        },
        {"invariant": "no message left in a dead-letter queue", "held": not any(dlq.values()), "found": dlq},
    ]


def alarmed_queues(template: dict[str, Any]) -> set[str]:
    """The queues (logical ids) an alarm of the template watches: a metric's QueueName dimension."""
    from infra import template as cfn

    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("Name") == "QueueName" and isinstance(value.get("Value"), dict):
                target = value["Value"].get("Fn::GetAtt")
                if target:
                    found.add(target[0] if isinstance(target, list) else str(target).split(".")[0])
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    for alarm in cfn.resources(template, "AWS::CloudWatch::Alarm").values():
        walk(alarm.get("Properties"))
    return found


# ---- the figures ---------------------------------------------------------------------------------


def figures(soak: Soak, counter: RequestCounter, n: int) -> dict[str, Any]:
    latencies = sorted(soak.declared_at[s] - soak.imported_at[s] for s in soak.declared_at)
    per_minute = Counter(int((t - soak.started) // 60) for t in soak.declared_at.values())
    run_minutes = max((soak.settle_started - soak.started) / 60, 1 / 60)
    written_at = {(r["client_seq_no"], r["channel"]): r["written_at"] for r in soak.p.simulator_receipts()}
    to_subscriber = receipt_latencies({t.ent["code"]: t.receiver for t in soak.tenants}, written_at)
    return {
        "declared": len(soak.declared_at),
        "enterprises": len(soak.tenants),
        "imported_after_the_workload": soak.late_imports,
        "settle_clock_moves": soak.warps,
        "run_seconds": round(soak.finished - soak.started, 1),
        "declarations_per_minute_mean": round(
            len(soak.declared_at) / max((soak.finished - soak.started) / 60, 1e-9), 1
        ),
        "declarations_per_minute_by_minute": [per_minute.get(m, 0) for m in range(int(run_minutes) + 1)],
        "import_to_declared_p50_s": round(_quantile(latencies, 0.5), 2),
        "import_to_declared_p95_s": round(_quantile(latencies, 0.95), 2),
        "receipt_to_subscriber_p50_s": round(_quantile(to_subscriber, 0.5), 2),
        "receipt_to_subscriber_p95_s": round(_quantile(to_subscriber, 0.95), 2),
        "receipts_timed": len(to_subscriber),
        "peak_rss_mb": round(max((d["rss_mb"] for d in soak.depths), default=0), 1),
        "peak_memory_mb": {"soak process (moto, simulator, API, functions, receivers)": peak_memory_mb()},
        "cost_per_10k": cost_per_10k(counter, n, lambda_usage(soak.p.aws.template, soak.p.runner, soak.p.api)),
    }


def peak_memory_mb(pid: int | str = "self") -> float | None:
    """A process's peak resident memory (VmHWM in /proc/<pid>/status): Linux only, as this benchmark
    is; None elsewhere or once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


def lambda_usage(template: dict, runner: Any, api: Any) -> dict[str, float]:
    """Lambda invocations and GB-seconds (each invocation's time rounded up to the millisecond, at its
    function's MemorySize in the template), and API Gateway requests: every handler call the local
    runner made and every API request (each one an invocation of ApiFunction). Durations are the local
    stack's, where every AWS call goes through moto in the same process: an upper bound of Lambda's."""
    from infra import template as cfn

    default_mb = template.get("Globals", {}).get("Function", {}).get("MemorySize", 128)
    memory_gb = {
        name: int(r["Properties"].get("MemorySize", default_mb)) / 1024
        for name, r in cfn.resources(template, "AWS::Serverless::Function").items()
    }
    calls = {**{f: list(d) for f, d in runner.durations.items()}, "ApiFunction": list(api.durations)}
    return {
        "lambda_requests": sum(len(d) for d in calls.values()),
        "lambda_gb_seconds": sum(memory_gb[f] * sum(math.ceil(t * 1000) / 1000 for t in d) for f, d in calls.items()),
        "apigateway_requests": len(api.durations),
    }


def cost_per_10k(counter: RequestCounter, n: int, extra: dict[str, float] | None = None) -> dict[str, Any]:
    """What the run's AWS usage costs, scaled to 10,000 declarations, at bench/prices.json. Lambda and
    API Gateway come from the local runner's and the API client's timings (`extra`, `lambda_usage`).
    Where a region's page gave no price, an `_estimate` (with its basis in the file) is used and the
    line says so; with neither, the line has no cost and the total leaves it out."""
    usage: dict[str, float] = defaultdict(float, extra or {})
    for (phase, service, _op, _), calls in counter.calls.items():
        if phase == "soak" and service not in ("sqs", "sns"):  # those two are billed per 64 KB chunk, below
            usage[f"{service}_requests"] += calls
    for (phase, service), units in counter.billed.items():
        if phase == "soak":
            usage[f"{service}_billed_requests"] += units
    if counter.capacity is not None:
        totals = counter.capacity.totals({"soak"})
        usage["dynamodb_wru"] = totals["wru"]
        usage["dynamodb_rru"] = totals["rru"]
    scale = 10_000 / max(n, 1)
    out: dict[str, Any] = {"usage_per_10k": {k: round(v * scale, 1) for k, v in sorted(usage.items())}}
    out.update(costs(usage, scale))
    return out


def plot_depths(depths: list[dict[str, Any]], path: Path, title: str) -> None:
    """Queue (or outbox) depths over time above, declarations declared below: a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times = [d["t"] for d in depths]
    series = sorted({k for d in depths for k in d} - {"t", "declared", "rss_mb", "webhook_posts"})
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for name in series:
        values = [d.get(name, 0) for d in depths]
        if any(values):
            top.plot(times, values, label=name)
    top.set_ylabel("messages waiting")
    top.set_title(title)
    if top.get_legend_handles_labels()[0]:
        top.legend(fontsize=7, loc="upper right")
    bottom.plot(times, [d.get("declared", 0) for d in depths], label="declared")
    if any(d.get("webhook_posts") for d in depths):
        bottom.plot(times, [d.get("webhook_posts", 0) for d in depths], label="webhook POSTs received")
        bottom.legend(fontsize=7, loc="upper left")
    bottom.set_ylabel("count")
    bottom.set_xlabel("seconds")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ---- main ----------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"seed": args.seed, "args": vars(args), "machine": machine(), "invariants": []}
    faults = Faults(args.seed, args.fault_rate, args.crash_rate)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.channel in ("http", "both"):
        result.update(run_http(args, faults))
    if args.channel in ("exchange", "both"):
        from bench.soak_exchange import ExchangeSoak

        print(f"soak, exchange channel: {args.exchange_declarations} declarations through the agent and the client")
        exchange = ExchangeSoak(args, faults.random, faults.log).run()
        plot_depths(exchange.pop("depths"), out / "soak-exchange.png", f"soak, exchange channel (seed {args.seed})")
        result["invariants"] += [{**i, "channel": "exchange"} for i in exchange["invariants"]]
        result["exchange_figures"] = exchange["figures"]
    result["faults"] = Counter(f["kind"] for f in faults.log)
    result["fault_log"] = faults.log
    (out / "soak.json").write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), "utf-8")
    report(result, out)
    return result


def run_http(args: argparse.Namespace, faults: Faults) -> dict[str, Any]:
    quiet_environment()
    aws = LocalAws()
    counter = RequestCounter(CapacityEstimator(aws.template)).install()
    counter.observe.append(faults.after_call)
    print(
        f"soak: seed {args.seed}, {args.declarations} declarations over {args.minutes} min, "
        f"fault rate {args.fault_rate}"
    )
    schedule = WebhookSchedule(
        args.seed,
        args.webhook_fault_rate,
        args.webhook_hang_rate,
        faults.note,
        active=lambda: faults.active,
        max_failures=args.webhook_max_failures,
    )
    receivers = {e["code"]: Receiver(e["code"], schedule) for e in enterprises(args.enterprises)}
    published = Published()
    counter.observe.append(published.sns_call)
    import functions.publish_events as publish_events

    read_committed = publish_events._committed

    def committed(record: dict) -> Any:  # what the outbox committed, as the publish function reads it
        found = read_committed(record)
        published.read(found.item_id, found.events)
        return found

    publish_events._committed = committed
    try:
        with SoakPipeline(aws, counter, args.declarations) as pipeline:
            pipeline.runner.fault = faults.invocation
            # a dead invocation's batch back after its queue's visibility timeout on the stack's clock,
            # as on Lambda: back after 2 s of real time, a submission's came inside its sending lease,
            # was let go as a duplicate and waited for the scheduler's claim timeout (15 minutes)
            pipeline.runner.clock = pipeline.clock
            tenants = pipeline.tenants(receivers)
            soak = Soak(pipeline, faults, args, counter, tenants, published)
            with counter.in_phase("soak"):
                soak.run()
            with counter.in_phase("observer"):
                invariants = check_invariants(soak)
            result = {
                "invariants": [{**i, "channel": "http"} for i in invariants],
                "figures": figures(soak, counter, args.declarations),
                "receipt_answers": dict(soak.answers),
            }
            plot_depths(
                soak.depths, Path(args.out) / "soak-queues.png", f"soak, HTTP channel (seed {soak.faults.seed})"
            )
    finally:
        publish_events._committed = read_committed
        counter.observe.remove(faults.after_call)
        counter.observe.remove(published.sns_call)
        faults.active = False
        for receiver in receivers.values():
            receiver.stop()
        aws.stop()
    return result


def report(result: dict[str, Any], out: Path) -> None:
    print(f"\nseed {result['seed']}; faults: {dict(result['faults'])}")
    rows = [
        [
            i.get("channel", ""),
            i["invariant"],
            "held" if i["held"] else "BROKEN",
            json.dumps(i["found"], default=str)[:70],
        ]
        for i in result["invariants"]
    ]
    print(table(rows, ["channel", "invariant", "", "found"]))
    if "exchange_figures" in result:
        x = result["exchange_figures"]
        print(
            f"\nexchange channel, {x['enterprises']} enterprises: declared {x['declared']}, failed {x['failed']} in "
            f"{x['run_seconds']} s: {x['declarations_per_minute_mean']}/min; import→declared p50 "
            f"{x['import_to_declared_p50_s']} s, p95 {x['import_to_declared_p95_s']} s; receipt→subscriber p50 "
            f"{x['receipt_to_subscriber_p50_s']} s, p95 {x['receipt_to_subscriber_p95_s']} s; "
            f"peak memory (MB): {x['peak_memory_mb']}"
        )
    if "figures" not in result:
        return
    f = result["figures"]
    print(
        f"\ndeclared {f['declared']} in {f['run_seconds']} s: {f['declarations_per_minute_mean']}/min; import→declared "
        f"p50 {f['import_to_declared_p50_s']} s, p95 {f['import_to_declared_p95_s']} s; receipt→subscriber p50 "
        f"{f['receipt_to_subscriber_p50_s']} s, p95 {f['receipt_to_subscriber_p95_s']} s; peak memory "
        f"{f['peak_memory_mb']} MB"
    )
    for region in ("cn-northwest-1", "us-east-1"):
        c = f["cost_per_10k"].get(region)
        if c:
            unsure = (("estimated", "estimated"), ("not_priced", "no price"))
            caveats = "".join(f"; {what}: {', '.join(c[key])}" for key, what in unsure if c.get(key))
            print(f"cost per 10,000 declarations, {region}: {c['total']} {c['currency']}{caveats} (bench/prices.json)")
    print(f"report: {out / 'soak.json'}, plot: {out / 'soak-queues.png'}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--declarations", type=int, default=2000)
    parser.add_argument("--enterprises", type=int, default=20, help="each with its config, execution and webhook")
    parser.add_argument(
        "--webhook-fault-rate", type=float, default=0.03, help="chance that a receiver answers a POST with 500"
    )
    parser.add_argument(
        "--webhook-max-failures",
        type=int,
        default=2,
        help="failing answers at most per event (retried after 10 s, then 1 min: all end delivered)",
    )
    parser.add_argument(
        "--webhook-hang-rate",
        type=float,
        default=0.002,
        help="chance that a receiver hangs past the sender's 5 s time-out (each costs the serial drain 5 s)",
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="the workload's length (then it settles)")
    parser.add_argument("--settle-minutes", type=float, default=15.0, help="at most this long to settle after")
    parser.add_argument("--seed", type=int, default=None, help="repeat a run's faults (printed at the start)")
    parser.add_argument("--fault-rate", type=float, default=0.05, help="chance of each fault at each draw")
    parser.add_argument("--customs-fault-rate", type=float, default=0.01, help="chance per tick that customs fails")
    parser.add_argument(
        "--crash-rate",
        type=float,
        default=None,
        help="chance that a validation or submission invocation dies after a chosen write (default: --fault-rate)",
    )
    parser.add_argument("--fault-scale", type=float, default=1.0, help="customs outages' length, scaled")
    parser.add_argument("--tick", type=float, default=2.0, help="seconds between the soak's steps")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--channel", choices=("http", "exchange", "both"), default="both")
    parser.add_argument(
        "--exchange-declarations", type=int, default=200, help="through the agents and the clients (a stack process)"
    )
    parser.add_argument(
        "--exchange-enterprises", type=int, default=20, help="on the exchange channel, each with its agent process"
    )
    parser.add_argument(
        "--agent-kill-rate", type=float, default=0.03, help="chance per tick that a busy agent is killed (SIGKILL)"
    )
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 10**6)
    return args


def main(argv: list[str] | None = None) -> int:
    result = run(parse(argv))
    return 0 if all(i["held"] for i in result["invariants"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())

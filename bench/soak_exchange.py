"""make soak's exchange-channel half: `make run`'s stack as a process of its own (moto, the local
runner, the simulator with a Single Window client on a sandbox folder tree per enterprise, the API
over HTTP), each enterprise's `smartdecl agent` as a process of its own (bench/soak_agent.py), driven
over HTTP like a broker's systems would, everything on 127.0.0.1. bench/soak.py runs it with
`--channel exchange` (or `both`, the default).

Each enterprise has what a broker's customer has: its configuration, its agent credential (made by
its legal card through the API), its agent and client folder tree, and a webhook subscription to a
receiver of its own. One agent process per enterprise, as on brokers' PCs: several enterprises
sharing one client's folder tree is not a setup anyone runs, and agents as threads of one process
could not be killed one at a time.

Faults, drawn from the run's seeded generator and logged: the clients down for a while, then
restarted (they move nothing meanwhile); the clients failing a share of their sends into FailBox (the
agent retries, three tries at most, then reports it gave up); a card failure (C134) for a
declaration; an agent killed (SIGKILL) while its enterprise has declarations under way, started
again a few ticks later: its journal brings it back; the receivers answering 500 or hanging. The
invariants are read from the API (each declaration, its log, the event feed), the simulator's own
record of what reached customs, and what the receivers got.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from bench._common import Rotation
from bench.soak_webhooks import EVENT_TYPES, Published, Receiver, WebhookSchedule
from bench.soak_webhooks import check as check_webhooks
from bench.soak_webhooks import latencies as receipt_latencies

JWT = "soak-jwt-secret-of-enough-length-0123456789abcdef"
FINISHED = ("succeeded", "failed")
NOTICE_DATE = re.compile(r"<NOTICE_DATE>([^<]+)</NOTICE_DATE>")


class AgentProcess:
    """One enterprise's agent process: started, killed (SIGKILL: nothing finishes), started again.
    Its peak memory (VmHWM) is read before each end, the highest kept."""

    def __init__(self, ent_code: str, api: str, root: Path, credential_file: Path, log: Path) -> None:
        self.ent_code, self.api, self.root, self.credential_file, self.log = ent_code, api, root, credential_file, log
        self.proc: subprocess.Popen | None = None
        self.peak_mb = 0.0
        self.starts = 0

    def start(self) -> None:
        from infra.stack_process import _die_with_parent

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.soak_agent", "--url", self.api, "--root", str(self.root)]
            + ["--credential-file", str(self.credential_file), "--log", str(self.log)],
            cwd=Path(__file__).resolve().parents[1],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        self.starts += 1

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> int:
        assert self.proc is not None
        self.sample_peak()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        return self.proc.pid

    def stop(self) -> None:
        if not self.running:
            return
        assert self.proc is not None
        self.sample_peak()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def sample_peak(self) -> None:
        from bench.soak import peak_memory_mb

        found = peak_memory_mb(self.proc.pid) if self.proc else None
        self.peak_mb = max(self.peak_mb, found or 0.0)


@dataclass
class Party:
    """One enterprise of the exchange half."""

    ent: dict[str, str]
    http: requests.Session
    body: dict[str, Any]
    receiver: Receiver
    agent: AgentProcess | None = None
    config_id: str = ""
    execution_started: bool = False
    seq_nos: list[str] = field(default_factory=list)
    restart_at: int | None = None  # the tick its killed agent starts again


class ExchangeSoak:
    def __init__(self, args: argparse.Namespace, rng: random.Random, log: list[dict[str, Any]]) -> None:
        self.args, self.random, self.fault_log = args, rng, log
        self.imported_at: dict[str, float] = {}
        self.finished_at: dict[str, float] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.depths: list[dict[str, Any]] = []
        self.client_fault: tuple[str, int] | None = None
        self.client_faults = Rotation(("client_down", "client_failing"), rng)
        self.tick = 0
        self.parties: list[Party] = []
        self.party_of: dict[str, Party] = {}  # seq_no -> its enterprise
        self.receipt_seen: dict[tuple[str, str], float] = {}

    def note(self, kind: str, **detail: Any) -> None:
        self.fault_log.append({"channel": "exchange", "tick": self.tick, "kind": kind, **detail})

    def run(self) -> dict[str, Any]:
        from bench.soak import enterprises, peak_memory_mb
        from infra.stack_process import start_stack

        out = Path(self.args.out)
        work = out / "exchange-stack"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        ents = enterprises(self.args.exchange_enterprises)
        self.schedule = WebhookSchedule(
            self.args.seed + 1,
            self.args.webhook_fault_rate,
            self.args.webhook_hang_rate,
            self.note,
            active=lambda: self.faults_on,
            max_failures=self.args.webhook_max_failures,
        )
        self.faults_on = True
        receivers = {e["code"]: Receiver(e["code"], self.schedule) for e in ents}
        # the stack makes each enterprise's client folders; the agents are this soak's processes
        saved = {k: os.environ.get(k) for k in ("SMARTDECL_LOCAL_AGENTS", "SMARTDECL_LOCAL_AGENTS_OUTSIDE")}
        os.environ["SMARTDECL_LOCAL_AGENTS"] = ",".join(f"{e['code']}:{e['uscc']}" for e in ents)
        os.environ["SMARTDECL_LOCAL_AGENTS_OUTSIDE"] = "1"
        with open(out / "exchange-stack.log", "w", encoding="utf-8") as stack_log:
            try:
                self.stack = start_stack(
                    work / "outbox",
                    jwt_secret=JWT,
                    schedule_seconds=2,
                    output=stack_log,
                    channel="exchange",
                    startup_seconds=180,
                )
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
            try:
                for ent in ents:
                    self.parties.append(self._party(ent, receivers[ent["code"]], work / "agents" / ent["code"]))
                self._workload()
                self.stack_peak_mb = peak_memory_mb(self.stack.proc.pid)
                for party in self.parties:
                    if party.agent and party.agent.running:
                        party.agent.sample_peak()
                return self._check()
            finally:
                self._client({"mode": "up", "fail_rate": 0})
                for party in self.parties:
                    if party.agent:
                        party.agent.stop()
                self.stack.stop()
                for receiver in receivers.values():
                    receiver.stop()

    def _party(self, ent: dict[str, str], receiver: Receiver, home: Path) -> Party:
        """An enterprise enabled, with its configuration, credential, agent and webhook subscription."""
        from chalicelib.adapters.tokens import issue_token
        from tests.factories import make_config_body, make_declaration_body

        api = self.stack.api
        http = requests.Session()
        token = issue_token(JWT, ent_code=ent["code"], ent_uscc=ent["uscc"], role="legal", card_no="8911020000108")
        http.headers["Authorization"] = f"Bearer {token}"
        parties = {"agent": dict(ent), "consignee": dict(ent), "owner": dict(ent)}
        party = Party(ent, http, make_declaration_body(self_pay=False, **parties), receiver)
        self._ok(http.post(f"{api}/enablement", json={"accept_notice": True}, timeout=30))
        config = make_config_body(
            require_manifest=False, compare_manifest=False, batch_wait_seconds=5, agent=dict(ent), consignee=dict(ent)
        )
        party.config_id = self._ok(http.post(f"{api}/configs", json=config, timeout=30)).json()["config_id"]
        subscription = {"protocol": "webhook", "endpoint": receiver.url, "event_types": EVENT_TYPES}
        receiver.secret = self._ok(http.post(f"{api}/subscriptions", json=subscription, timeout=30)).json()["secret"]
        key = self._ok(http.post(f"{api}/agent-credentials", json={"name": "make soak"}, timeout=30)).json()["key"]
        (home / "credential.txt").write_text(key + "\n", encoding="utf-8")
        party.agent = AgentProcess(ent["code"], api, home / "ImpPath", home / "credential.txt", home / "agent.log")
        party.agent.start()
        return party

    # ---- the workload ------------------------------------------------------------------------
    def _workload(self) -> None:
        from bench.soak import due

        args = self.args
        n = args.exchange_declarations
        self.started = time.monotonic()
        self.tick = 0
        while time.monotonic() < self.started + args.minutes * 60:
            left = due(n, self.started, args.minutes, args.tick) - len(self.imported_at)
            if left > 0:
                self._import(left)
            self._faults()
            self._observe()
            if len(self.finished_at) == n:
                break
            self.tick += 1
            _sleep_until(self.started + self.tick * args.tick)
        if len(self.imported_at) < n:  # a slow last tick ended the minutes before the last were due
            self._import(n - len(self.imported_at))
        self.faults_on = False
        self._client({"mode": "up", "fail_rate": 0})
        if self.client_fault:
            self.note("client_back", was=self.client_fault[0])
        for party in self.parties:
            if party.agent and not party.agent.running:
                self.note("agent_restarted", ent_code=party.ent["code"])
                party.agent.start()
        self.settle_started = time.monotonic()
        deadline = self.settle_started + args.settle_minutes * 60
        while time.monotonic() < deadline and not self._settled():
            self.tick += 1
            self._observe()
            time.sleep(args.tick)
        self.finished = time.monotonic()

    def _import(self, count: int) -> None:
        """`count` more declarations dealt round the enterprises; each one's execution starts with its
        first import."""
        api = self.stack.api
        first = len(self.imported_at)
        shares = [0] * len(self.parties)
        for k in range(count):
            shares[(first + k) % len(self.parties)] += 1
        for party, share in zip(self.parties, shares, strict=True):
            for start in range(0, share, 500):  # the import route takes 500 at most
                answer = self._ok(
                    party.http.post(
                        f"{api}/declarations",
                        json={"declarations": [party.body] * min(500, share - start), "smart_mark": True},
                        timeout=60,
                    )
                )
                for seq_no in answer.json()["accepted"]:
                    self.imported_at[seq_no] = time.monotonic()
                    self.party_of[seq_no] = party
                    party.seq_nos.append(seq_no)
            if party.seq_nos and not party.execution_started:
                self._ok(
                    party.http.post(
                        f"{api}/executions",
                        json={"enterprise_type": "agent", "config_ids": [party.config_id]},
                        timeout=30,
                    )
                )
                party.execution_started = True

    def _faults(self) -> None:
        if self.client_fault and self.tick >= self.client_fault[1]:
            self.note("client_back", was=self.client_fault[0])
            self._client({"mode": "up", "fail_rate": 0})
            self.client_fault = None
        if self.client_fault is None and self.random.random() < self.args.customs_fault_rate:
            kind = self.client_faults.next()
            length = max(1, int(60 / self.args.tick * self.args.fault_scale))
            self.client_fault = (kind, self.tick + length)
            self.note(kind, ticks=length)
            self._client({"mode": "down"} if kind == "client_down" else {"fail_rate": 0.4})
        waiting = [s for s in self.imported_at if s not in self.views or self.views[s].get("handover") is None]
        if waiting and self.random.random() < self.args.fault_rate:
            seq_no = self.random.choice(waiting)
            ent_code = self.party_of[seq_no].ent["code"]
            self.note("card_failure", seq_no=seq_no, ent_code=ent_code)
            requests.post(
                f"{self.stack.customs}/control/clients/{ent_code}/card-failure",
                json={"client_seq_no": seq_no, "fail_code": "C134"},
                timeout=10,
            )
        self._agent_faults()

    def _agent_faults(self) -> None:
        """An agent killed while its enterprise has declarations under way (so, most likely, between
        two steps of one of them), started again 1 to 5 ticks later; one at a time."""
        for party in self.parties:
            if party.restart_at is not None and self.tick >= party.restart_at and party.agent:
                party.agent.start()
                party.restart_at = None
                self.note("agent_restarted", ent_code=party.ent["code"])
        if any(p.restart_at is not None for p in self.parties):
            return
        busy = [p for p in self.parties if p.agent and any(s not in self.finished_at for s in p.seq_nos)]
        if busy and self.random.random() < self.args.agent_kill_rate:
            party = self.random.choice(busy)
            assert party.agent is not None
            pid = party.agent.kill()
            party.restart_at = self.tick + self.random.randint(1, 5)
            self.note("agent_killed", ent_code=party.ent["code"], pid=pid, restart_tick=party.restart_at)

    def _client(self, payload: dict[str, Any]) -> None:
        try:
            requests.post(f"{self.stack.customs}/control/clients", json=payload, timeout=10)
        except requests.RequestException:
            pass

    def _observe(self) -> None:
        now = time.monotonic()
        for seq_no in [s for s in self.imported_at if s not in self.finished_at or not self._receipted(s)]:
            view = self.party_of[seq_no].http.get(f"{self.stack.api}/declarations/{seq_no}", timeout=30)
            if view.status_code != 200:
                continue
            self.views[seq_no] = view.json()
            if view.json().get("smart_status") in FINISHED and seq_no not in self.finished_at:
                self.finished_at[seq_no] = now
        channel = self.parties[0].http.get(f"{self.stack.api}/customs/channel", timeout=30)
        outbox = (channel.json() or {}).get("outbox", {}) if channel.status_code == 200 else {}
        self.depths.append(
            {
                "t": round(now - self.started, 1),
                **{f"outbox_{k}": v for k, v in outbox.items() if isinstance(v, int)},
                "declared": sum(1 for v in self.views.values() if v.get("smart_status") == "succeeded"),
                "webhook_posts": sum(len(p.receiver.posts) for p in self.parties),
            }
        )

    def _receipted(self, seq_no: str) -> bool:
        view = self.views.get(seq_no, {})
        return view.get("smart_status") == "failed" or view.get("status") in ("released", "closed", "rejected")

    def _settled(self) -> bool:
        if not (len(self.finished_at) == len(self.imported_at) and all(self._receipted(s) for s in self.imported_at)):
            return False
        feed = self._feed()
        return all(feed[p.ent["code"]] <= p.receiver.got() for p in self.parties)

    def _feed(self) -> dict[str, set[str]]:
        """Each enterprise's event ids in its event feed (GET /events): what SNS got for it."""
        return {p.ent["code"]: {e["event_id"] for e in self._feed_events(p)} for p in self.parties}

    def _feed_events(self, party: Party) -> list[dict[str, Any]]:
        events, after = [], None
        while True:
            page = self._ok(
                party.http.get(
                    f"{self.stack.api}/events",
                    params={"page_size": 500, **({"after": after} if after else {})},
                    timeout=30,
                )
            ).json()
            events += [item["event"] for item in page["items"]]
            if not page.get("has_more") or not page["items"]:
                return events
            after = page["next_cursor"]

    # ---- the invariants ----------------------------------------------------------------------
    def _check(self) -> dict[str, Any]:
        sent_twice, never, stuck, illegal, disagree, receipts_off, outcomes = self._declarations()
        declared = [s for s, t in self.finished_at.items() if self.views.get(s, {}).get("smart_status") == "succeeded"]
        latencies = sorted(self.finished_at[s] - self.imported_at[s] for s in declared)
        # what SNS got, as the event feed stored it: each event once, and at its enterprise's receiver
        published = Published()
        for party in self.parties:
            for event in self._feed_events(party):
                published.times[event["event_id"]] += 1
                published.ent_of[event["event_id"]] = published.committed[event["event_id"]] = party.ent["code"]
        receivers = {p.ent["code"]: p.receiver for p in self.parties}
        webhooks = check_webhooks(
            receivers,
            published,
            {p.ent["code"]: set(p.seq_nos) for p in self.parties},
            published_as="every event in the event feed once (what SNS got), and at its receiver",
        )
        to_subscriber = receipt_latencies(receivers, self._receipts_written())

        return {
            "invariants": [
                {"invariant": "0 declarations sent to customs twice", "held": not sent_twice, "found": sent_twice[:5]},
                {
                    "invariant": "0 lost (each declared, or failed with its reason)",
                    "held": not stuck and not never and len(self.imported_at) == self.args.exchange_declarations,
                    "found": {
                        "imported": len(self.imported_at),
                        "not_finished": stuck[:5],
                        "declared_never_at_customs": never[:5],
                        "by_state": outcomes,
                    },
                },
                {
                    "invariant": "every declaration in a legal state; record and customs agree on the SeqNo",
                    "held": not illegal and not disagree,
                    "found": {"illegal": illegal[:5], "seq_no_disagrees": disagree[:5]},
                },
                {
                    "invariant": "every receipt applied once (the log's receipts = customs' channels)",
                    "held": not receipts_off,
                    "found": receipts_off[:5],
                },
                *webhooks,
                *self._dead_letters(),
            ],
            "figures": self._figures(declared, latencies, to_subscriber),
            "depths": self.depths,
        }

    def _declarations(self) -> tuple[list, list, list, list, list, list, dict[str, int]]:
        """Each declaration as the API shows it against the simulator's record of it."""
        api, customs = self.stack.api, self.stack.customs
        sent_twice: list[str] = []
        never: list[str] = []
        stuck: list[str] = []
        illegal: list[str] = []
        disagree: list[str] = []
        receipts_off: list[dict[str, Any]] = []
        outcomes: dict[str, int] = {}
        for seq_no in self.imported_at:
            http = self.party_of[seq_no].http
            view = http.get(f"{api}/declarations/{seq_no}", timeout=30).json()
            at_customs = requests.get(f"{customs}/control/declarations/{seq_no}", timeout=10)
            smart, status = view.get("smart_status"), view.get("status")
            outcomes[f"{smart}/{status}"] = outcomes.get(f"{smart}/{status}", 0) + 1
            if smart not in FINISHED:
                stuck.append(seq_no)
            record = at_customs.json() if at_customs.status_code == 200 else None
            if record is None and smart == "succeeded":
                never.append(seq_no)
            if record and record.get("duplicates", 0) > 0:
                sent_twice.append(seq_no)
            if smart == "succeeded" and (status == "temp_saved" or not view.get("customs_seq_no")):
                illegal.append(seq_no)
            if smart == "failed" and not (view.get("reason_zh") or view.get("reason_en")):
                illegal.append(seq_no)
            if record and smart == "succeeded" and view.get("customs_seq_no") != record.get("seq_no"):
                disagree.append(seq_no)
            if record and record.get("accepted"):
                log = http.get(f"{api}/declarations/{seq_no}/log", timeout=30).json()
                entries = log["items"]
                applied = [
                    e for e in entries if e.get("gate") == "receipt" and e.get("outcome") not in ("ignored", "conflict")
                ]
                if len(applied) != len(record.get("channels", [])):
                    receipts_off.append({"seq_no": seq_no, "applied": len(applied), "issued": record.get("channels")})
        return sent_twice, never, stuck, illegal, disagree, receipts_off, outcomes

    def _figures(self, declared: list[str], latencies: list[float], to_subscriber: list[float]) -> dict[str, Any]:
        from bench.soak import _quantile

        return {
            "enterprises": len(self.parties),
            "declared": len(declared),
            "failed": sum(1 for v in self.views.values() if v.get("smart_status") == "failed"),
            "run_seconds": round(self.finished - self.started, 1),
            "declarations_per_minute_mean": round(len(declared) / max((self.finished - self.started) / 60, 1e-9), 1),
            "import_to_declared_p50_s": round(_quantile(latencies, 0.5), 2),
            "import_to_declared_p95_s": round(_quantile(latencies, 0.95), 2),
            "receipt_to_subscriber_p50_s": round(_quantile(to_subscriber, 0.5), 2),
            "receipt_to_subscriber_p95_s": round(_quantile(to_subscriber, 0.95), 2),
            "receipts_timed": len(to_subscriber),
            "agent_starts": {p.ent["code"]: p.agent.starts for p in self.parties if p.agent},
            "peak_memory_mb": {
                "stack process (moto, API, functions, simulator and clients)": self.stack_peak_mb,
                "agent processes, the highest": max((p.agent.peak_mb for p in self.parties if p.agent), default=0),
                "agent processes, the sum of their peaks": round(
                    sum(p.agent.peak_mb for p in self.parties if p.agent), 1
                ),
            },
        }

    def _dead_letters(self) -> list[dict[str, Any]]:
        """The stack's dead-letter queues, read on its moto."""
        import boto3

        from bench.soak import dead_letter_queues, dead_letters
        from infra import template as cfn
        from infra.local_aws import LOCAL_REGION, LOCAL_STACK

        template = cfn.load()
        sqs = boto3.client(
            "sqs",
            endpoint_url=self.stack.moto,
            region_name=LOCAL_REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        queues = cfn.resources(template, "AWS::SQS::Queue")
        urls = {
            q: sqs.get_queue_url(
                QueueName=cfn.substitute(queues[q]["Properties"]["QueueName"], {"AWS::StackName": LOCAL_STACK})
            )["QueueUrl"]
            for q in dead_letter_queues(template)
        }
        return dead_letters(sqs, template, urls)

    def _receipts_written(self) -> dict[tuple[str, str], float]:
        """When the simulator wrote each receipt: its NOTICE_DATE (China time, whole seconds: the
        latency is over-stated by up to a second)."""
        from chalicelib.domain.china_time import CHINA_TIME

        written = {}
        for receipt in requests.get(f"{self.stack.customs}/control/receipts", timeout=30).json():
            found = NOTICE_DATE.search(receipt.get("xml", ""))
            if found:
                moment = datetime.strptime(found.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=CHINA_TIME)
                written[(receipt["client_seq_no"], receipt["channel"])] = moment.timestamp()
        return written

    @staticmethod
    def _ok(response: requests.Response) -> requests.Response:
        if response.status_code >= 300:
            raise SystemExit(f"a soak call failed: {response.status_code} {response.text[:300]}")
        return response


def _sleep_until(when: float) -> None:
    left = when - time.monotonic()
    if left > 0:
        time.sleep(left)

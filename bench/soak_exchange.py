"""make soak's exchange-channel half: `make run`'s stack as a process of its own (moto, the local
runner, the simulator with its Single Window client on a sandbox folder tree, the API over HTTP and
the enterprise's `smartdecl agent`), driven over HTTP like a broker's systems would, everything on
127.0.0.1. bench/soak.py runs it with `--channel exchange` (or `both`, the default).

Faults, drawn from the run's seeded generator and logged: the client down for a while, then
restarted (it moves nothing meanwhile); the client failing a share of its sends into FailBox (the
agent retries, three tries at most, then reports it gave up); a card failure (C134) for a
declaration. The invariants are read from the API (each declaration, its log) and the simulator's
own record of what reached customs.
"""

from __future__ import annotations

import argparse
import random
import shutil
import time
from pathlib import Path
from typing import Any

import requests

JWT = "soak-jwt-secret-of-enough-length-0123456789abcdef"
ENT = {"code": "1108919038", "uscc": "91110000600037341L"}  # make run's first local agent's enterprise
FINISHED = ("succeeded", "failed")


class ExchangeSoak:
    def __init__(self, args: argparse.Namespace, rng: random.Random, log: list[dict[str, Any]]) -> None:
        self.args, self.random, self.fault_log = args, rng, log
        self.imported_at: dict[str, float] = {}
        self.finished_at: dict[str, float] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.depths: list[dict[str, Any]] = []
        self.client_fault: tuple[str, int] | None = None
        self.tick = 0

    def note(self, kind: str, **detail: Any) -> None:
        self.fault_log.append({"channel": "exchange", "tick": self.tick, "kind": kind, **detail})

    def run(self) -> dict[str, Any]:
        from chalicelib.adapters.tokens import issue_token
        from infra.stack_process import start_stack

        out = Path(self.args.out)
        work = out / "exchange-stack"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        with open(out / "exchange-stack.log", "w", encoding="utf-8") as stack_log:
            self.stack = start_stack(
                work / "outbox",
                jwt_secret=JWT,
                schedule_seconds=2,
                output=stack_log,
                channel="exchange",
                startup_seconds=180,
            )
            try:
                token = issue_token(
                    JWT, ent_code=ENT["code"], ent_uscc=ENT["uscc"], role="legal", card_no="8911020000108"
                )
                self.http = requests.Session()
                self.http.headers["Authorization"] = f"Bearer {token}"
                self._ok(self.http.post(f"{self.stack.api}/enablement", json={"accept_notice": True}, timeout=30))
                self._workload()
                return self._check()
            finally:
                self._client({"mode": "up", "fail_rate": 0})
                self.stack.stop()

    # ---- the workload ------------------------------------------------------------------------
    def _workload(self) -> None:
        from bench.soak import due
        from tests.factories import make_config_body, make_declaration_body

        args = self.args
        config = make_config_body(require_manifest=False, compare_manifest=False, batch_wait_seconds=5)
        config_id = self._ok(self.http.post(f"{self.stack.api}/configs", json=config, timeout=30)).json()["config_id"]
        n = args.exchange_declarations
        body = make_declaration_body(self_pay=False)
        self.started = time.monotonic()
        started_execution = False
        self.tick = 0
        while time.monotonic() < self.started + args.minutes * 60:
            left = due(n, self.started, args.minutes, args.tick) - len(self.imported_at)
            for start in range(0, max(left, 0), 500):  # the import route takes 500 at most
                answer = self._ok(
                    self.http.post(
                        f"{self.stack.api}/declarations",
                        json={"declarations": [body] * min(500, left - start), "smart_mark": True},
                        timeout=60,
                    )
                )
                for seq_no in answer.json()["accepted"]:
                    self.imported_at[seq_no] = time.monotonic()
            if left > 0 and not started_execution:
                self._ok(
                    self.http.post(
                        f"{self.stack.api}/executions",
                        json={"enterprise_type": "agent", "config_ids": [config_id]},
                        timeout=30,
                    )
                )
                started_execution = True
            self._faults()
            self._observe()
            if len(self.finished_at) == n:
                break
            self.tick += 1
            _sleep_until(self.started + self.tick * args.tick)
        self._client({"mode": "up", "fail_rate": 0})
        if self.client_fault:
            self.note("client_back", was=self.client_fault[0])
        self.settle_started = time.monotonic()
        deadline = self.settle_started + args.settle_minutes * 60
        while time.monotonic() < deadline and not self._settled():
            self.tick += 1
            self._observe()
            time.sleep(args.tick)
        self.finished = time.monotonic()

    def _faults(self) -> None:
        if self.client_fault and self.tick >= self.client_fault[1]:
            self.note("client_back", was=self.client_fault[0])
            self._client({"mode": "up", "fail_rate": 0})
            self.client_fault = None
        if self.client_fault is None and self.random.random() < self.args.customs_fault_rate:
            kind = self.random.choice(("client_down", "client_failing"))
            length = max(1, int(60 / self.args.tick * self.args.fault_scale))
            self.client_fault = (kind, self.tick + length)
            self.note(kind, ticks=length)
            self._client({"mode": "down"} if kind == "client_down" else {"fail_rate": 0.4})
        waiting = [s for s in self.imported_at if s not in self.views or self.views[s].get("handover") is None]
        if waiting and self.random.random() < self.args.fault_rate:
            seq_no = self.random.choice(waiting)
            self.note("card_failure", seq_no=seq_no)
            self.http.post(
                f"{self.stack.customs}/control/clients/{ENT['code']}/card-failure",
                json={"client_seq_no": seq_no, "fail_code": "C134"},
                timeout=10,
            )

    def _client(self, payload: dict[str, Any]) -> None:
        try:
            requests.post(f"{self.stack.customs}/control/clients", json=payload, timeout=10)
        except requests.RequestException:
            pass

    def _observe(self) -> None:
        now = time.monotonic()
        for seq_no in [s for s in self.imported_at if s not in self.finished_at or not self._receipted(s)]:
            view = self.http.get(f"{self.stack.api}/declarations/{seq_no}", timeout=30)
            if view.status_code != 200:
                continue
            self.views[seq_no] = view.json()
            if view.json().get("smart_status") in FINISHED and seq_no not in self.finished_at:
                self.finished_at[seq_no] = now
        channel = self.http.get(f"{self.stack.api}/customs/channel", timeout=30)
        outbox = (channel.json() or {}).get("outbox", {}) if channel.status_code == 200 else {}
        self.depths.append(
            {
                "t": round(now - self.started, 1),
                **{f"outbox_{k}": v for k, v in outbox.items() if isinstance(v, int)},
                "declared": sum(1 for v in self.views.values() if v.get("smart_status") == "succeeded"),
            }
        )

    def _receipted(self, seq_no: str) -> bool:
        view = self.views.get(seq_no, {})
        return view.get("smart_status") == "failed" or view.get("status") in ("released", "closed", "rejected")

    def _settled(self) -> bool:
        return len(self.finished_at) == len(self.imported_at) and all(self._receipted(s) for s in self.imported_at)

    # ---- the invariants ----------------------------------------------------------------------
    def _check(self) -> dict[str, Any]:
        api, customs = self.stack.api, self.stack.customs
        sent_twice, never, stuck, illegal, disagree, receipts_off = [], [], [], [], [], []
        outcomes: dict[str, int] = {}
        for seq_no in self.imported_at:
            view = self.http.get(f"{api}/declarations/{seq_no}", timeout=30).json()
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
                log = self.http.get(f"{api}/declarations/{seq_no}/log", timeout=30).json()
                entries = log["items"]
                applied = [
                    e for e in entries if e.get("gate") == "receipt" and e.get("outcome") not in ("ignored", "conflict")
                ]
                if len(applied) != len(record.get("channels", [])):
                    receipts_off.append({"seq_no": seq_no, "applied": len(applied), "issued": record.get("channels")})
        declared = [s for s, t in self.finished_at.items() if self.views.get(s, {}).get("smart_status") == "succeeded"]
        latencies = sorted(self.finished_at[s] - self.imported_at[s] for s in declared)
        from bench.soak import _quantile

        return {
            "invariants": [
                {"invariant": "0 declarations sent to customs twice", "held": not sent_twice, "found": sent_twice[:5]},
                {
                    "invariant": "0 lost (each declared, or failed with its reason)",
                    "held": not stuck and not never,
                    "found": {"not_finished": stuck[:5], "declared_never_at_customs": never[:5], "by_state": outcomes},
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
            ],
            "figures": {
                "declared": len(declared),
                "failed": sum(1 for v in self.views.values() if v.get("smart_status") == "failed"),
                "run_seconds": round(self.finished - self.started, 1),
                "declarations_per_minute_mean": round(
                    len(declared) / max((self.finished - self.started) / 60, 1e-9), 1
                ),
                "import_to_declared_p50_s": round(_quantile(latencies, 0.5), 2),
                "import_to_declared_p95_s": round(_quantile(latencies, 0.95), 2),
            },
            "depths": self.depths,
        }

    @staticmethod
    def _ok(response: requests.Response) -> requests.Response:
        if response.status_code >= 300:
            raise SystemExit(f"a soak call failed: {response.status_code} {response.text[:300]}")
        return response


def _sleep_until(when: float) -> None:
    left = when - time.monotonic()
    if left > 0:
        time.sleep(left)

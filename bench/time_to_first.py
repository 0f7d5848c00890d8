"""Time to the first declaration, and the gap between batches, on the real local stack.

Starts `python -m infra.local_stack` (what `make run` runs: moto, the customs simulator, the local
runner polling the template's queues, the API over HTTP) as a subprocess and drives it over HTTP.

1. time to first: one marked declaration, then `POST /executions`; seconds until the simulator
   counts it accepted (`GET /control/stats`, polled every 10 ms). Repeated `--trials` times (each a
   new declaration and a new execution, stopped after). Target ≤ 2 s.
2. batch gap: a config with batch_wait_seconds 5 that requires a manifest, and one declaration
   whose manifest never arrives, so every batch takes it, holds it back, and the next batch comes
   after the wait. Batch start and finish times are read from `GET /executions/{id}` and
   `GET /batches/{batch_no}`; the gap from one batch's finish to the next one's start is compared
   with the configured wait. Target: within ±1 s.

    .venv/bin/python -m bench.time_to_first [--trials 5] [--batches 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime

import requests

from bench._common import ROOT, git_revision, machine, median, quiet_environment, table, verdict, write_json

TARGET_FIRST = 2.0
TARGET_GAP_TOLERANCE = 1.0
WAIT = 5
SECRET = "bench-local-stack-secret-of-32-bytes-or-more"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--batches", type=int, default=5, help="batches to observe for the gap")
    args = parser.parse_args()
    quiet_environment()
    from infra.local_aws import free_port

    port, customs_port = free_port(), free_port()
    workdir = tempfile.mkdtemp(prefix="smartdecl-bench-")
    env = {
        **os.environ,
        "SMARTDECL_API_PORT": str(port),
        "SMARTDECL_CUSTOMS_PORT": str(customs_port),
        "SMARTDECL_JWT_SECRET": SECRET,
        "SMARTDECL_OUTBOX": os.path.join(workdir, "outbox"),
    }
    env.pop("AWS_ENDPOINT_URL", None)
    log_path = os.path.join(workdir, "stack.log")
    with open(log_path, "w") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "infra.local_stack"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            api, customs = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{customs_port}"
            if not wait_for(f"{api}/health", 90):
                raise SystemExit("the local stack did not start; see " + log_path)
            stack_start = time.perf_counter() - started
            first = time_to_first(api, customs, args.trials)
            gaps = batch_gaps(api, args.batches)
        finally:
            proc.terminate()
            try:
                code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
    if code == 0:  # keep the stack's log and outbox only when something went wrong
        shutil.rmtree(workdir, ignore_errors=True)
    report(stack_start, first, gaps, code, log_path if code != 0 else None)
    return 0


def wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).ok:
                return True
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    return False


def headers() -> dict[str, str]:
    from chalicelib.adapters.tokens import issue_token
    from tests.factories import ENT_A

    return {
        "Authorization": "Bearer "
        + issue_token(SECRET, ent_code=ENT_A["code"], ent_uscc=ENT_A["uscc"], role="legal", card_no="8911020000108")
    }


def ok(response: requests.Response) -> dict:
    if response.status_code >= 300:
        raise SystemExit(f"{response.request.method} {response.url}: {response.status_code} {response.text}")
    return response.json()


def time_to_first(api: str, customs: str, trials: int) -> list[dict]:
    from tests.factories import make_config_body, make_declaration_body

    h = headers()
    ok(requests.post(f"{api}/enablement", json={"accept_notice": True}, headers=h))
    config = make_config_body(name="bench first", require_manifest=False, compare_manifest=False, batch_wait_seconds=60)
    config_id = ok(requests.post(f"{api}/configs", json=config, headers=h))["config_id"]
    results = []
    for _ in range(trials):
        before = ok(requests.get(f"{customs}/control/stats"))["accepted"]
        ok(
            requests.post(
                f"{api}/declarations",
                json={"declarations": [make_declaration_body(self_pay=False)], "smart_mark": True},
                headers=h,
            )
        )
        t0 = time.perf_counter()
        execution = ok(
            requests.post(f"{api}/executions", json={"enterprise_type": "agent", "config_ids": [config_id]}, headers=h)
        )
        answered = time.perf_counter() - t0
        accepted_after = None
        while time.perf_counter() - t0 < 30:
            if ok(requests.get(f"{customs}/control/stats"))["accepted"] > before:
                accepted_after = time.perf_counter() - t0
                break
            time.sleep(0.01)
        ok(requests.post(f"{api}/executions/{execution['execution_id']}/stop", headers=h))
        results.append({"api_answered_s": answered, "first_accepted_s": accepted_after})
        time.sleep(0.5)
    return results


def batch_gaps(api: str, batches: int) -> dict:
    from tests.factories import make_config_body, make_declaration_body

    h = headers()
    config = make_config_body(
        name="bench gap", ie_flag="E", require_manifest=True, compare_manifest=True, batch_wait_seconds=WAIT
    )
    config_id = ok(requests.post(f"{api}/configs", json=config, headers=h))["config_id"]
    body = make_declaration_body(ie_flag="E", self_pay=False, bill_no="BENCH-NO-MANIFEST")
    ok(requests.post(f"{api}/declarations", json={"declarations": [body], "smart_mark": True}, headers=h))
    execution_id = ok(
        requests.post(f"{api}/executions", json={"enterprise_type": "agent", "config_ids": [config_id]}, headers=h)
    )["execution_id"]
    seen: list[str] = []
    deadline = time.monotonic() + batches * (WAIT + 10) + 30
    while time.monotonic() < deadline:
        view = ok(requests.get(f"{api}/executions/{execution_id}", headers=h))
        number = view.get("current_batch_no")
        if number and number not in seen:
            seen.append(number)
        if len(seen) > batches:  # the last one observed has finished: its successor started
            break
        time.sleep(0.25)
    ok(requests.post(f"{api}/executions/{execution_id}/stop", headers=h))
    rows = [ok(requests.get(f"{api}/batches/{number}", headers=h)) for number in seen[: batches + 1]]

    def when(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    out = []
    for previous, current in zip(rows, rows[1:], strict=False):
        finished = when(previous["finished_at"]) if previous["finished_at"] else None
        started, prev_started = when(current["started_at"]), when(previous["started_at"])
        out.append(
            {
                "batch": current["index"],
                "start_to_start_s": (started - prev_started).total_seconds(),
                "finish_to_start_s": (started - finished).total_seconds() if finished else None,
                "claimed": current["claimed"],
                "waiting": current["waiting"],
            }
        )
    return {
        "configured_wait_s": WAIT,
        "batches_seen": len(seen),
        "gaps": out,
        "batches": [
            {k: r.get(k) for k in ("batch_no", "index", "started_at", "finished_at", "claimed", "waiting")}
            for r in rows
        ],
    }


def report(stack_start: float, first: list[dict], gaps: dict, exit_code: int, log_path: str | None) -> None:
    m = machine()
    print(
        f"\ntime_to_first on the local stack (python -m infra.local_stack; started in {stack_start:.1f} s; "
        f"exit code {exit_code})"
    )
    print(f"machine: {m['nproc']} × {m['cpu']}, Python {m['python']}\n")
    print(
        table(
            [
                {
                    "trial": i + 1,
                    "POST /executions answered s": r["api_answered_s"],
                    "first accepted by customs s": r["first_accepted_s"] if r["first_accepted_s"] is not None else "-",
                }
                for i, r in enumerate(first)
            ],
            floatfmt=".3f",
        )
    )
    values = [r["first_accepted_s"] for r in first if r["first_accepted_s"] is not None]
    worst = max(values) if values and len(values) == len(first) else float("inf")
    first_ok = worst <= TARGET_FIRST
    print(
        f"time to first: median {median(values):.3f} s, worst {worst:.3f} s; target ≤ {TARGET_FIRST:g} s → "
        f"{verdict(first_ok)}"
    )

    print(f"\nbatch gap with batch_wait_seconds {gaps['configured_wait_s']} (one declaration waiting for its manifest)")
    print(
        table(
            [
                {
                    "batch": g["batch"],
                    "start→start s": g["start_to_start_s"],
                    "finish→start s": g["finish_to_start_s"] if g["finish_to_start_s"] is not None else "-",
                    "Δ vs wait s": (g["finish_to_start_s"] - gaps["configured_wait_s"])
                    if g["finish_to_start_s"] is not None
                    else "-",
                }
                for g in gaps["gaps"]
            ],
            floatfmt=".3f",
        )
    )
    deltas = [
        g["finish_to_start_s"] - gaps["configured_wait_s"] for g in gaps["gaps"] if g["finish_to_start_s"] is not None
    ]
    gap_ok = bool(deltas) and all(abs(d) <= TARGET_GAP_TOLERANCE for d in deltas)
    print(
        f"gap vs configured wait: worst Δ {max(deltas, key=abs) if deltas else float('nan'):+.3f} s; "
        f"target ±{TARGET_GAP_TOLERANCE:g} s → {verdict(gap_ok)}"
    )
    path = write_json(
        "time_to_first",
        {
            "revision": git_revision(),
            "stack_start_seconds": stack_start,
            "trials": first,
            "target_first_seconds": TARGET_FIRST,
            "first_median_s": median(values),
            "first_worst_s": worst,
            "first_target_met": first_ok,
            "gap": gaps,
            "target_gap_tolerance_s": TARGET_GAP_TOLERANCE,
            "gap_target_met": gap_ok,
            "stack_exit_code": exit_code,
            "stack_log": log_path,
        },
    )
    print(f"\nwritten {path.relative_to(ROOT)}" + (f" (stack log kept: {log_path})" if log_path else ""))


if __name__ == "__main__":
    raise SystemExit(main())

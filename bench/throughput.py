"""Declarations per second through the pipeline, against the floor of the same moto.

Pipeline: N declarations (default 300) in-process as in requests_per_declaration (import through the
API, the engine drained by the local runner at the template's batch sizes, customs simulator, then
the L and P receipts). SQS delays between batches are skipped (the clock moves instead); what the
configured wait adds in real life is printed apart: (batches - 1) × batch_wait_seconds.

Floor: the same moto server, in the same process, doing only the unavoidable writes, one
conditional write per state change of each declaration: PutItem if absent (imported, pending),
UpdateItem pending → in_progress, UpdateItem in_progress → succeeded; with receipts also
succeeded's status declared → accepted (L) → released (P). Sequential, like the pipeline.

Target: the pipeline at least half as fast as the floor (ratio pipeline/floor ≥ 0.5).

    .venv/bin/python -m bench.throughput [--n 300] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from datetime import UTC, datetime

from bench._common import (
    ROOT,
    LocalAws,
    Pipeline,
    RequestCounter,
    git_revision,
    is_esm,
    machine,
    quiet_environment,
    table,
    verdict,
    write_json,
)

TARGET_RATIO = 0.5
BATCH_WAIT = 5  # the config's batch_wait_seconds (the minimum allowed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=300, help="declarations")
    parser.add_argument("--profile", action="store_true", help="cProfile the pipeline; print the top code paths")
    args = parser.parse_args()
    n = args.n

    quiet_environment()
    counter = RequestCounter().install()
    aws = LocalAws()
    profile = cProfile.Profile() if args.profile else None
    try:
        floor = run_floor(counter, n)
        with Pipeline(aws, counter, n) as pipeline:
            if profile:
                profile.enable()
            pipeline.import_()
            pipeline.engine()
            pipeline.receipts_()
            if profile:
                profile.disable()
            result = pipeline.finish()
    finally:
        aws.stop()
    report(result, floor, counter, n, profile)
    return 0


def run_floor(counter: RequestCounter, n: int) -> dict[str, float]:
    """Sequential conditional writes, one per state change, on the declarations table."""
    import boto3

    from chalicelib.adapters.declaration_repository import to_item
    from chalicelib.adapters.dynamo_models import bind_tables
    from chalicelib.config import Settings
    from chalicelib.domain.declaration import Declaration, parse_content
    from tests.factories import ENT_A, make_declaration_body

    bind_tables(Settings.from_env())
    client = boto3.client("dynamodb")
    table_name = "smartdecl-declarations"
    now = datetime.now(UTC)
    content, _ = parse_content({**make_declaration_body(self_pay=False), "seq_no": "I20990000000000000"})
    assert content is not None, _
    items = []
    for i in range(n):
        seq_no = f"I2099{i:013d}"  # a year the pipeline never uses
        decl = Declaration(
            content=content.model_copy(update={"seq_no": seq_no}),
            seq_no=seq_no,
            owner_ent=ENT_A["code"],
            created_by="bench",
            created_at=now,
            updated_at=now,
        )
        items.append(to_item(decl).serialize())

    def move(seq_no: str, attribute: str, old: str, new: str) -> None:
        client.update_item(
            TableName=table_name,
            Key={"seq_no": {"S": seq_no}},
            UpdateExpression="SET #a = :new",
            ConditionExpression="#a = :old",
            ExpressionAttributeNames={"#a": attribute},
            ExpressionAttributeValues={":new": {"S": new}, ":old": {"S": old}},
        )

    seconds = {}
    with counter.in_phase("floor"):
        started = time.perf_counter()
        for item in items:
            client.put_item(TableName=table_name, Item=item, ConditionExpression="attribute_not_exists(seq_no)")
        for item in items:
            move(item["seq_no"]["S"], "smart_status", "pending", "in_progress")
        for item in items:
            move(item["seq_no"]["S"], "smart_status", "in_progress", "succeeded")
        seconds["to_declared"] = time.perf_counter() - started
        for item in items:
            move(item["seq_no"]["S"], "status", "temp_saved", "accepted")
        for item in items:
            move(item["seq_no"]["S"], "status", "accepted", "released")
        seconds["with_receipts"] = time.perf_counter() - started
    return seconds


def report(result: dict, floor: dict, counter: RequestCounter, n: int, profile: cProfile.Profile | None) -> None:
    s = result["seconds"]
    to_declared = s["import"] + s["engine"]
    with_receipts = to_declared + s["receipts"]
    waits = max(0, (result["batches"] or 1) - 1) * BATCH_WAIT
    rows = []
    for name, pipe, flo, writes in (
        ("import → declared", to_declared, floor["to_declared"], 3),
        ("import → receipts applied", with_receipts, floor["with_receipts"], 5),
    ):
        rows.append(
            {
                "span": name,
                "pipeline s": pipe,
                "pipeline decl/s": n / pipe,
                "floor writes/decl": writes,
                "floor s": flo,
                "floor decl/s": n / flo,
                "ratio pipeline/floor": (n / pipe) / (n / flo),
            }
        )
    # the local runner's ReceiveMessage/DeleteMessageBatch stand for Lambda's pollers, which run outside
    # the functions in AWS: the same spans without the time spent in them
    esm = sum(
        v for (p, svc, op), v in counter.seconds.items() if p in ("import", "engine", "receipts") and is_esm(svc, op)
    )
    esm_engine = sum(v for (p, svc, op), v in counter.seconds.items() if p in ("import", "engine") and is_esm(svc, op))
    for name, pipe, flo, writes in (
        ("  same, without the runner's SQS polling", to_declared - esm_engine, floor["to_declared"], 3),
        ("  same, without the runner's SQS polling", with_receipts - esm, floor["with_receipts"], 5),
    ):
        rows.append(
            {
                "span": name,
                "pipeline s": pipe,
                "pipeline decl/s": n / pipe,
                "floor writes/decl": writes,
                "floor s": flo,
                "floor decl/s": n / flo,
                "ratio pipeline/floor": (n / pipe) / (n / flo),
            }
        )
    rows[:] = [rows[0], rows[2], rows[1], rows[3]]
    print(
        f"\nthroughput: N={n}, BatchSize={result['batch_size']}, batches {result['claimed_per_batch']}, "
        f"declared {result['declared_at_customs']}, receipts applied {result['receipts_applied']}"
    )
    m = machine()
    print(f"machine: {m['nproc']} × {m['cpu']}, Python {m['python']}; moto server in the same process\n")
    print(table(rows))
    aws_time = {p: counter.aws_seconds({p}) for p in ("import", "engine", "receipts")}
    calls = {p: counter.total({p}) for p in ("import", "engine", "receipts")}
    print("\nwhere the pipeline's time goes (seconds; 'in AWS calls' includes moto's own work, same process)")
    print(
        table(
            [
                {
                    "stage": p,
                    "wall s": s[p],
                    "in AWS calls s": aws_time[p],
                    "AWS calls": calls[p],
                    "ms per call": 1000 * aws_time[p] / max(1, calls[p]),
                    "other s (handlers' CPU, customs HTTP, API client)": s[p] - aws_time[p],
                }
                for p in ("import", "engine", "receipts")
            ]
        )
    )
    floor_calls = counter.total({"floor"})
    floor_ms = 1000 * counter.aws_seconds({"floor"}) / max(1, floor_calls)
    print(f"floor: {floor_calls} calls, {floor_ms:.2f} ms per call")
    print(
        f"\nwith the configured wait between batches ({BATCH_WAIT} s, the minimum) the run would also sit idle "
        f"{waits} s: {n / (to_declared + waits):.1f} decl/s to declared; BatchSize / wait caps any run at "
        f"{result['batch_size'] / BATCH_WAIT:.0f} decl/s"
    )

    callers = counter.callers({"import", "engine", "receipts"})
    callers.sort(key=lambda c: -c["seconds"])
    print("\ntime in AWS calls by code path (top 10)")
    print(
        table(
            [
                {
                    "s": c["seconds"],
                    "calls": c["requests"],
                    "op": f"{c['service']}.{c['operation']}",
                    "adapter": c["adapter"],
                    "use case": c["use_case"],
                }
                for c in callers[:10]
            ]
        )
    )

    hot = []
    if profile is not None:
        stream = io.StringIO()
        stats = pstats.Stats(profile, stream=stream)
        for (path, line, func), (_cc, nc, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
            if path.startswith(str(ROOT)) and "/.venv/" not in path and "/bench/" not in path:
                hot.append(
                    {
                        "cumulative s": ct,
                        "own s": tt,
                        "calls": nc,
                        "where": f"{path[len(str(ROOT)) + 1 :]}:{line}:{func}",
                    }
                )
        hot.sort(key=lambda r: -r["cumulative s"])
        print("\nprofile: repository functions by cumulative time (top 20)")
        print(table(hot[:20]))

    ratio = rows[0]["ratio pipeline/floor"]
    ok = ratio >= TARGET_RATIO
    print(
        f"\ntarget pipeline ≥ {TARGET_RATIO:g} × floor: {ratio:.3f} (import → declared; "
        f"{rows[1]['ratio pipeline/floor']:.3f} without the runner's polling), "
        f"{rows[2]['ratio pipeline/floor']:.3f} (with receipts) → {verdict(ok)}"
        + ("" if ok else f"; the pipeline is {1 / ratio:.1f}× slower than the floor")
    )
    path = write_json(
        "throughput",
        {
            "revision": git_revision(),
            "n": n,
            "rows": rows,
            "target_ratio": TARGET_RATIO,
            "target_met": ok,
            "stage_seconds": s,
            "aws_seconds": aws_time,
            "aws_calls": calls,
            "aws_calls_excluding_pollers": {p: counter.total({p}, exclude_esm=True) for p in calls},
            "floor_seconds": floor,
            "floor_calls": floor_calls,
            "runner_polling_seconds": esm,
            "idle_wait_seconds_if_real": waits,
            "run": {k: v for k, v in result.items() if k != "durations"},
            "time_by_code_path": callers[:30],
            "profile_top": hot[:40],
        },
    )
    print(f"\nwritten {path.relative_to(ROOT)}")


if __name__ == "__main__":
    raise SystemExit(main())

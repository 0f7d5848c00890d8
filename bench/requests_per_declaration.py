"""AWS requests, DynamoDB capacity, Lambda invocations and estimated cost per declaration, end to end.

N declarations (default 500; issue #6 asks for 2,000: `--n 2000`) go the whole way in-process, on
moto with the template's resources and the customs simulator:

  import     POST /declarations (JSON, smart_mark true, 500 per request)
  engine     POST /executions, then the local runner drains the queues: batch function (claims up
             to BatchSize per batch), validation, submission to the simulator, the notification
             function on the events topic's queue
  receipts   the DEC_RESULT L and P receipts the simulator issued for each declaration, POSTed
             signed to /customs/receipts, then the queues drained again (push of the receipt events)
  idle       (reported apart) the still-running execution with nothing left to declare: its one
             empty batch puts it to sleep (not counted), then ten one-minute schedule ticks are
             counted: the schedule's own reads, and what the sleeping execution adds (its pool peek)

Every AWS call of every botocore client (boto3, Powertools, PynamoDB) is counted. SQS delays between
batches are skipped by moving the wiring's clock forward by the delay (the same requests are made,
without sitting idle for batch_wait_seconds). Prints tables; writes bench/out/requests_per_declaration.json.

    .venv/bin/python -m bench.requests_per_declaration [--n 500] [--batch-size 100]
"""

from __future__ import annotations

import argparse
from collections import Counter

from bench._common import (
    CapacityEstimator,
    LocalAws,
    Pipeline,
    RequestCounter,
    costs,
    git_revision,
    is_esm,
    machine,
    quiet_environment,
    table,
    verdict,
    write_json,
)

TARGET_REQUESTS = 5.0
LAMBDA_MEMORY_GB = 1024 / 1024  # template.yaml Globals.Function.MemorySize: 1024
PHASES = Pipeline.PHASES


def _cost_cell(region: dict, unit: str) -> str:
    line = next(x for x in region["lines"] if x["unit"] == unit)
    if line["cost"] is None:
        return "no price"
    return f"{line['cost']:.4f}" + (" (estimated)" if line.get("estimated") else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=500, help="declarations (issue #6: 2000)")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="BatchSize parameter (declarations claimed per batch; template default 100)",
    )
    args = parser.parse_args()
    n = args.n

    quiet_environment()
    counter = RequestCounter().install()  # before any client exists
    aws = LocalAws()
    try:
        capacity = CapacityEstimator(aws.template)
        capacity.counter = counter
        counter.capacity = capacity
        result = run(aws, counter, n, args.batch_size)
    finally:
        aws.stop()
    report(result, counter, capacity, n)
    return 0


def run(aws: LocalAws, counter: RequestCounter, n: int, batch_size: int | None) -> dict:
    with Pipeline(aws, counter, n, batch_size) as pipeline:
        pipeline.import_()
        pipeline.engine()
        pipeline.receipts_()
        idle(pipeline)
        return pipeline.finish()


IDLE_MINUTES = 10
POOL_INDEXES = ("/pool_agent", "/pool_consignee")


def idle(pipeline: Pipeline) -> None:
    """The running execution with nothing left, asleep: ten minutes of the one-minute schedule."""
    from datetime import timedelta

    with pipeline.counter.in_phase("bench"):  # its empty batch (started by the schedule) puts it to sleep
        pipeline.clock.offset += timedelta(minutes=16)  # past the parked trigger's delay
        pipeline.runner.tick()
        pipeline.runner.drain(max_rounds=10**6)
    with pipeline._stage("idle"):
        for _ in range(IDLE_MINUTES):
            pipeline.clock.offset += timedelta(minutes=1)
            pipeline.runner.tick()
            pipeline.runner.drain(max_rounds=10**6)


def report(result: dict, counter: RequestCounter, capacity: CapacityEstimator, n: int) -> None:
    phases = set(PHASES)
    app_total = counter.total(phases, exclude_esm=True)
    all_total = counter.total(phases)
    esm_nonempty = sum(count for (p, s, o, _), count in counter.calls.items() if p in phases and is_esm(s, o)) - sum(
        counter.empty_receives[p] for p in phases
    )
    per = lambda x: x / n  # noqa: E731

    print(
        f"\nrequests_per_declaration: N={n}, BatchSize={result['batch_size']}, {result['batches']} batches, "
        f"declared {result['declared_at_customs']}, receipts applied {result['receipts_applied']}/"
        f"{result['receipts_posted']}; smart_status {result['smart_status']}; status {result['status']}"
    )
    print(f"machine: {machine()['nproc']} × {machine()['cpu']}, Python {machine()['python']}\n")

    phase_rows = []
    for phase in PHASES:
        app = counter.total({phase}, exclude_esm=True)
        esm = counter.total({phase}) - app
        phase_rows.append(
            {
                "phase": phase,
                "requests/decl (our code)": per(app),
                "+ SQS pollers/decl": per(esm - counter.empty_receives[phase]),
                "(empty receives)": counter.empty_receives[phase],
                "wall s": result["seconds"][phase],
            }
        )
    phase_rows.append(
        {
            "phase": "total",
            "requests/decl (our code)": per(app_total),
            "+ SQS pollers/decl": per(esm_nonempty),
            "(empty receives)": sum(counter.empty_receives[p] for p in phases),
            "wall s": sum(result["seconds"].values()),
        }
    )
    print(table(phase_rows))

    idle = counter.total({"idle"}, exclude_esm=True)
    idle_pollers = counter.total({"idle"}) - idle - counter.empty_receives["idle"]
    idle_rows = [r for r in counter.rows({"idle"}) if not is_esm(r["service"], r["operation"])]
    idle_ops = ", ".join(f"{r['service']}.{r['operation']} {r['resource']} {r['requests']}" for r in idle_rows)
    idle_execution = sum(r["requests"] for r in idle_rows if r["resource"].endswith(POOL_INDEXES))
    print(
        f"\nidle: a running execution with nothing to declare sleeps; over {IDLE_MINUTES} one-minute schedule "
        f"ticks: {idle} requests (+{idle_pollers} poller), of which the sleeping execution's pool peeks "
        f"{idle_execution} = {idle_execution / IDLE_MINUTES:g} a minute (target ≤ 1 beyond the schedule's own "
        f"{(idle - idle_execution) / IDLE_MINUTES:g}); not counted above.\n  {idle_ops}"
    )

    ops = [{**r, "per decl": per(r["requests"])} for r in counter.rows(phases)]
    print(
        "\nby service / operation / resource (all counted phases; SQS Receive/DeleteMessageBatch are Lambda's pollers)"
    )
    print(table([{k: r[k] for k in ("service", "operation", "resource", "requests", "per decl")} for r in ops]))

    by_service: Counter[str] = Counter()
    for r in ops:
        by_service[r["service"] + ("(pollers)" if is_esm(r["service"], r["operation"]) else "")] += r["requests"]
    print("\nby service: " + ", ".join(f"{s} {per(v):.2f}" for s, v in by_service.most_common()))

    callers = counter.callers(phases)
    print("\ntop code paths (adapter ← use case), requests per declaration")
    print(
        table(
            [
                {
                    "per decl": per(c["requests"]),
                    "op": f"{c['service']}.{c['operation']}",
                    "adapter": c["adapter"],
                    "use case": c["use_case"],
                }
                for c in callers[:15]
            ]
        )
    )

    cap = capacity.totals(phases)
    print(
        f"\nDynamoDB (estimated from item sizes; moto's ConsumedCapacity is a constant): "
        f"WRU/decl {per(cap['wru']):.2f} (of which GSI {per(cap['wru_gsi']):.2f}), RRU/decl {per(cap['rru']):.2f}; "
        f"{per(cap['wru'] + cap['wru_gsi_in_transactions']):.2f} WRU/decl if transactions doubled index writes too "
        f"(bench/_common.CapacityEstimator: why not)"
    )
    print(
        table(
            [
                {
                    "table": r["table"],
                    "WRU table/decl": per(r["wru_table"]),
                    "WRU GSI/decl": per(r["wru_gsi"]),
                    "RRU/decl": per(r["rru"]),
                }
                for r in capacity.by_table(phases)
            ]
        )
    )

    invocations: Counter = Counter()
    for phase in PHASES:
        invocations.update(result["invocations"].get(phase, {}))
    api_calls = sum(result["api_calls"].get(p, 0) for p in PHASES)
    api_seconds = sum(result["api_seconds"].get(p, 0) for p in PHASES)
    lambda_rows = [
        {
            "function": "ApiFunction (API Gateway)",
            "invocations": api_calls,
            "per decl": per(api_calls),
            "mean ms": 1000 * api_seconds / api_calls if api_calls else 0.0,
        }
    ]
    gb_seconds = api_seconds * LAMBDA_MEMORY_GB
    for function, count in sorted(invocations.items()):
        durations = result["durations"].get(function, [])
        mean = sum(durations) / len(durations) if durations else 0.0
        lambda_rows.append({"function": function, "invocations": count, "per decl": per(count), "mean ms": 1000 * mean})
        gb_seconds += count * mean * LAMBDA_MEMORY_GB
    total_invocations = api_calls + sum(invocations.values())
    print("\nLambda invocations at the template's batch sizes (durations measured in-process, moto on loopback)")
    print(table(lambda_rows))

    billed_sqs = sum(v for (p, s), v in counter.billed.items() if p in phases and s == "sqs")
    billed_sqs_pollers = esm_nonempty  # every poller receive that returned messages, and every delete batch
    billed_sns = sum(v for (p, s), v in counter.billed.items() if p in phases and s == "sns")
    per10k = 10_000 / n
    # Lambda's pollers' non-empty receives and deletes are billed SQS requests too, beside our sends
    usage = {
        "dynamodb_wru": cap["wru"],
        "dynamodb_rru": cap["rru"],
        "sqs_billed_requests": billed_sqs + billed_sqs_pollers,
        "sns_billed_requests": billed_sns,
        "lambda_requests": total_invocations,
        "lambda_gb_seconds": gb_seconds,
        "apigateway_requests": api_calls,
    }
    cost = costs(usage, per10k)
    print(
        f"\ncost per 10,000 declarations at bench/prices.json (SQS: {per(billed_sqs_pollers):.2f} of the "
        f"{per(billed_sqs + billed_sqs_pollers):.2f} billed requests per declaration are Lambda's pollers'; "
        f"Lambda duration: measured local means × {LAMBDA_MEMORY_GB:g} GB)"
    )
    rows = [
        {"unit": line["unit"], **{f"{r} ({cost[r]['currency']})": _cost_cell(cost[r], line["unit"]) for r in cost}}
        for line in next(iter(cost.values()))["lines"]
        if line["used"] is not None
    ]
    rows.append({"unit": "total", **{f"{r} ({cost[r]['currency']})": f"{cost[r]['total']:.4f}" for r in cost}})
    print(table(rows))

    ok = per(app_total) <= TARGET_REQUESTS
    print(
        f"\ntarget ≤ {TARGET_REQUESTS:g} AWS requests per declaration end to end: {per(app_total):.2f} by our code, "
        f"{per(app_total + esm_nonempty):.2f} with Lambda's SQS pollers → {verdict(ok)}"
        + ("" if ok else f" (×{per(app_total) / TARGET_REQUESTS:.1f} the target)")
    )

    path = write_json(
        "requests_per_declaration",
        {
            "revision": git_revision(),
            "n": n,
            "run": {k: v for k, v in result.items() if k != "durations"},
            "target_requests_per_declaration": TARGET_REQUESTS,
            "requests_per_declaration": {
                "our_code": per(app_total),
                "with_pollers_nonempty": per(app_total + esm_nonempty),
                "all_including_empty_receives": per(all_total),
            },
            "phases": phase_rows,
            "operations": ops,
            "code_paths": callers,
            "idle": {
                "minutes": IDLE_MINUTES,
                "requests": idle,
                "poller_requests": idle_pollers,
                "execution_requests_per_minute": idle_execution / IDLE_MINUTES,
                "schedule_requests_per_minute": (idle - idle_execution) / IDLE_MINUTES,
                "operations": counter.rows({"idle"}),
            },
            "capacity_per_declaration": {k: per(v) for k, v in cap.items()},
            "capacity_by_table": capacity.by_table(phases),
            "lambda": {
                "rows": lambda_rows,
                "invocations_per_declaration": per(total_invocations),
                "gb_seconds_per_declaration": per(gb_seconds),
                "memory_gb": LAMBDA_MEMORY_GB,
            },
            "cost_per_10000": cost,
            "failed_conditional_writes": [
                {"phase": p, "operation": o, "resource": r, "n": v}
                for (p, o, r), v in counter.failed_conditions.items()
            ],
            "target_met": ok,
        },
    )
    print(f"\nwritten {path.relative_to(path.parents[2])}")


if __name__ == "__main__":
    raise SystemExit(main())

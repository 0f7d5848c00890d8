"""Read cost of the marking query and of the engine's pending-declaration lookup, as the table grows.

Two table sizes, one after the other in the same table: 1 enterprise × M declarations, then
E enterprises (defaults E=100, M=1,000; --enterprises / --per-enterprise). The measured enterprise
is always the same one (the example's 1108919038, M declarations); the E - 1 others are other
tenants with --others-per-enterprise declarations each: 200 by default, so the run stays under
~3 minutes (moto stores ~550 items/s here); `--others-per-enterprise 1000` is the issue's
100 × 1,000 (about 5 minutes). Each enterprise's declarations are temp-saved, half of them smart-marked (so in the
engine's pool), last operated within the last 80 days (inside the query's default 3-month window).
Set-up writes go straight to the table (chalicelib.adapters.declaration_repository.to_item +
PynamoDB batch_write, i.e. BatchWriteItem), not through the measured paths.

Measured, on both sizes:
  marking query   GET /declarations with the default filters, first page (10): the page Query,
                  and apart from it the Select=COUNT Query that computes `total`
  (variant)       GET /declarations?smart_mark=false, to show what a filter costs
  pool lookup     DynamoDeclarationRepository.pool("agent", <enterprise>, "I", limit=400), as a batch
                  of BatchSize 100 asks for it (limit = 4 × BatchSize)
Items read = ScannedCount (what DynamoDB reads and bills, before filters), items returned =
items the caller gets. Target: ≤ 1.2 items read per item returned, the same on both sizes.
RRU are estimated from item sizes (eventually consistent index reads, 4 KB units).

    .venv/bin/python -m bench.query_cost [--enterprises 100] [--per-enterprise 1000] [--others-per-enterprise 200]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from bench._common import (
    ROOT,
    CapacityEstimator,
    LocalAws,
    RequestCounter,
    api_client,
    git_revision,
    item_size,
    machine,
    quiet_environment,
    table,
    token,
    verdict,
    wiring,
    write_json,
)

TARGET = 1.2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=100)
    parser.add_argument("--per-enterprise", type=int, default=1000, help="declarations of the measured enterprise")
    parser.add_argument(
        "--others-per-enterprise", type=int, default=200, help="declarations of each other enterprise (the issue: 1000)"
    )
    args = parser.parse_args()

    quiet_environment()
    counter = RequestCounter().install()
    aws = LocalAws()
    try:
        capacity = CapacityEstimator(aws.template, shadow=False)
        capacity.counter = counter
        counter.capacity = capacity
        queries: list[dict] = []

        def observe(service, op, params, parsed):
            if service == "dynamodb" and op == "Query":
                items = parsed.get("Items") or []
                scanned = int(parsed.get("ScannedCount", 0))
                mean = (
                    sum(item_size(i) for i in items) / len(items)
                    if items
                    else capacity.typical_size(params["TableName"])
                )
                consistent = bool(params.get("ConsistentRead")) and not params.get("IndexName")
                queries.append(
                    {
                        "phase": counter.phase,
                        "index": params.get("IndexName"),
                        "select": params.get("Select", "items"),
                        "limit": params.get("Limit"),
                        "scanned": scanned,
                        "count": int(parsed.get("Count", 0)),
                        "filter": bool(params.get("FilterExpression")),
                        "rru": capacity.read_units(int(scanned * mean), consistent),
                    }
                )

        counter.observe.append(observe)
        results = run(
            aws, counter, capacity, queries, args.enterprises, args.per_enterprise, args.others_per_enterprise
        )
    finally:
        aws.stop()
    report(results, args)
    return 0


def run(aws, counter, capacity, queries, enterprises: int, per_enterprise: int, others: int) -> list[dict]:
    from chalicelib.adapters.declaration_repository import DynamoDeclarationRepository
    from tests.factories import ENT_A

    ctx = wiring(aws, "http://127.0.0.1:9")
    repo = DynamoDeclarationRepository()
    results = []
    with api_client(token(ENT_A)) as api:
        with counter.in_phase("setup"):
            api.call("POST", "/enablement", {"accept_notice": True})
        setup_seconds = write_declarations(counter, [ENT_A["code"]], per_enterprise, seed=0)
        results += measure(api, repo, counter, capacity, queries, "1 enterprise", 1, per_enterprise, setup_seconds)
        size = per_enterprise
        other_codes = [f"{1200000000 + i}" for i in range(1, enterprises)]
        setup_seconds = write_declarations(counter, other_codes, others, seed=1)
        size += others * len(other_codes)
        results += measure(
            api,
            repo,
            counter,
            capacity,
            queries,
            f"{enterprises} enterprises",
            enterprises,
            per_enterprise,
            setup_seconds,
        )
        for row in results[-6:]:
            row["table_items"] = size
        for row in results[:6]:
            row["table_items"] = per_enterprise
    _ = ctx
    return results


def write_declarations(counter: RequestCounter, ent_codes: list[str], per_enterprise: int, seed: int) -> float:
    """Bench set-up, not a measured path: with_content + PynamoDB batch_write
    (BatchWriteItem, 25 a call)."""
    from chalicelib.adapters.declaration_repository import with_content
    from chalicelib.adapters.dynamo_models import DeclarationContentModel, DeclarationModel
    from chalicelib.domain.declaration import Declaration, parse_content
    from tests.factories import make_declaration_body

    content, errors = parse_content({**make_declaration_body(self_pay=False), "seq_no": "I20240000000000000"})
    assert content is not None, errors
    now = datetime.now(UTC)
    started = time.perf_counter()
    with counter.in_phase("setup"):
        with DeclarationModel.batch_write() as batch, DeclarationContentModel.batch_write() as contents:
            for e, code in enumerate(ent_codes):
                party = content.agent.model_copy(update={"code": code})
                for i in range(per_enterprise):
                    seq_no = f"I{2030 + seed}{e:06d}{i:07d}"
                    at = now - timedelta(seconds=(i * 6907) % (80 * 86400))  # spread over 80 days
                    marked = i % 2 == 0
                    decl = Declaration(
                        content=content.model_copy(update={"seq_no": seq_no, "agent": party, "consignee": party}),
                        seq_no=seq_no,
                        owner_ent=code,
                        created_by="bench",
                        created_at=at,
                        updated_at=at,
                        smart_mark=marked,
                        marked_by="8911020000108" if marked else None,
                        marked_at=at if marked else None,
                        card_no="8911020000108",
                    )
                    record_item, its_content = with_content(decl)
                    batch.save(record_item)
                    contents.save(its_content)
    return time.perf_counter() - started


def measure(api, repo, counter, capacity, queries, label, enterprises, per_enterprise, setup_seconds) -> list[dict]:
    from tests.factories import ENT_A

    out = []

    def run_phase(name, fn):
        start = len(queries)
        t0 = time.perf_counter()
        with counter.in_phase(name):
            returned = fn()
        ms = 1000 * (time.perf_counter() - t0)
        made = [q for q in queries[start:] if q["phase"] == name]
        return returned, made, ms, sum(q["rru"] for q in made)

    # the marking query's page and its COUNT: one API request, split by the Select of each Query
    for variant, path in (
        ("marking query (default filters)", "/declarations"),
        ("marking query, smart_mark=false", "/declarations?smart_mark=false"),
    ):
        phase = f"{label}: {variant}"
        response, made, ms, _ = run_phase(phase, lambda p=path: api.call("GET", p))
        body = response.json or {}
        page = [q for q in made if q["select"] != "COUNT"]
        count = [q for q in made if q["select"] == "COUNT"]
        returned = len(body.get("items", []))
        page_read = sum(q["scanned"] for q in page)
        count_read = sum(q["scanned"] for q in count)
        rru_page = sum(q["rru"] for q in page)
        rru_count = sum(q["rru"] for q in count)
        out.append(
            {
                "table": label,
                "operation": variant + " — page",
                "query calls": len(page),
                "items read": page_read,
                "items returned": returned,
                "read/returned": page_read / returned if returned else float("nan"),
                "RRU": rru_page,
                "ms (API request)": ms,
                "total": body.get("total"),
            }
        )
        out.append(
            {
                "table": label,
                "operation": variant + " — COUNT for total",
                "query calls": len(count),
                "items read": count_read,
                "items returned": returned,
                "read/returned": count_read / returned if returned else float("nan"),
                "RRU": rru_count,
                "ms (API request)": "",
                "total": body.get("total"),
            }
        )

    phase = f"{label}: pool lookup"
    found, made, ms, rru = run_phase(phase, lambda: repo.pool("agent", ENT_A["code"], "I", limit=400))
    read = sum(q["scanned"] for q in made)
    out.append(
        {
            "table": label,
            "operation": "pool lookup (limit 400)",
            "query calls": len(made),
            "items read": read,
            "items returned": len(found),
            "read/returned": read / len(found) if found else float("nan"),
            "RRU": rru,
            "ms (API request)": ms,
            "total": None,
        }
    )
    claimed = min(100, len(found))  # batches/_claim asks for 4 × BatchSize and takes BatchSize of them
    out.append(
        {
            "table": label,
            "operation": "  as batches._claim uses it: per declaration claimed (100)",
            "query calls": len(made),
            "items read": read,
            "items returned": claimed,
            "read/returned": read / claimed if claimed else float("nan"),
            "RRU": rru,
            "ms (API request)": "",
            "total": None,
        }
    )
    for row in out:
        row.update(enterprises=enterprises, per_enterprise=per_enterprise, setup_seconds=setup_seconds)
    return out


def report(results: list[dict], args) -> None:
    m = machine()
    print(
        f"\nquery_cost: 1 enterprise × {args.per_enterprise} declarations, then {args.enterprises} enterprises "
        f"(the other {args.enterprises - 1} with {args.others_per_enterprise} each: "
        f"{results[-1]['table_items']} items); "
        f"measured enterprise 1108919038 (half of its declarations marked, all in the window)"
    )
    print(f"machine: {m['nproc']} × {m['cpu']}, Python {m['python']}\n")
    cols = [
        "table",
        "table_items",
        "operation",
        "query calls",
        "items read",
        "items returned",
        "read/returned",
        "RRU",
        "ms (API request)",
        "total",
    ]
    print(table([{c: r[c] for c in cols} for r in results]))
    print(
        "(ms: moto answers index queries by walking the whole table, so its times grow with the table; "
        "DynamoDB's do not)"
    )
    by_op = defaultdict(list)
    for r in results:
        by_op[r["operation"]].append(r["read/returned"])
    checked = [
        r
        for r in results
        if "COUNT" not in r["operation"]
        and "smart_mark=false" not in r["operation"]
        and "claimed" not in r["operation"]
    ]
    ok = all(r["read/returned"] <= TARGET for r in checked) and all(abs(v[0] - v[-1]) < 1e-9 for op, v in by_op.items())
    print(
        f"\ntarget ≤ {TARGET:g} items read per item returned, the same on both sizes (page query and pool lookup): "
        + ", ".join(
            f"{r['table']} {r['operation'].split(' (')[0].split(' —')[0]} {r['read/returned']:.2f}" for r in checked
        )
        + f" → {verdict(ok)}"
    )
    counts = [r for r in results if "default filters) — COUNT" in r["operation"]]
    for r in counts:
        print(
            f"COUNT for `total` ({r['table']}): reads {r['items read']} items (~{r['RRU']:.0f} RRU) for a page of "
            f"{r['items returned']}, on every page request"
        )
    claims = [r for r in results if "claimed" in r["operation"]]
    for r in claims[-1:]:
        print(
            f"the engine's claim reads {r['items read']} whole declarations (~{r['RRU']:.0f} RRU) per batch to take "
            f"{r['items returned']}: {r['read/returned']:.1f} read per claimed (outside the target, which is about "
            f"the lookup itself)"
        )
    path = write_json(
        "query_cost",
        {
            "revision": git_revision(),
            "enterprises": args.enterprises,
            "per_enterprise": args.per_enterprise,
            "others_per_enterprise": args.others_per_enterprise,
            "rows": results,
            "target": TARGET,
            "target_met": ok,
        },
    )
    print(f"\nwritten {path.relative_to(ROOT)}")


if __name__ == "__main__":
    raise SystemExit(main())

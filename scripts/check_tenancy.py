#!/usr/bin/env python3
"""Report stored records that break the tenancy rule of issue #9; rewrites nothing.

    .venv/bin/python scripts/check_tenancy.py            # local stack (make run), or
    AWS_REGION=cn-north-1 SMARTDECL_TABLE_PREFIX=smartdecl-prod .venv/bin/python scripts/check_tenancy.py

Reported, one JSON object per line (exit status 1 when there is any):
- an enablement without a credit code (no token can match it any more), or whose credit code's
  claim is missing or held by another customs code;
- a declaration whose owner is not enabled, whose own side does not name its owner's code and
  credit code together, or whose tenancy index keys (agent_id, consignee_id, pool_agent,
  pool_consignee) name someone other than its verified owner (written before the rule).

This is an offline admin script: it reads the enterprises and declarations tables with a
paginated Scan, which no user or batch path ever does. Fix what it reports by hand (re-import
under the right enterprise, or delete), after checking with the enterprises concerned.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pynamodb.models import Model

from chalicelib.adapters import dynamo_models as dm
from chalicelib.adapters.declaration_repository import from_item, tenant_keys
from chalicelib.adapters.enterprise_repository import uscc_claim_key
from chalicelib.domain.tenancy import party_mismatch

PAGE = 200


def check() -> Iterator[dict[str, Any]]:
    """Every finding, enterprises first; the models must already point at the tables."""
    enabled: dict[str, str | None] = {}
    yield from _enablement_findings(enabled)
    yield from _declaration_findings(enabled)


def _enablement_findings(enabled: dict[str, str | None]) -> Iterator[dict[str, Any]]:
    """Each enablement with its credit code claim; fills `enabled` (ent_code -> credit code)."""
    for item in dm.EnterpriseModel.scan(page_size=PAGE):
        if "#" in item.ent_code:  # a claim item (credit code, source seq_no), not an enablement
            continue
        enabled[item.ent_code] = item.ent_uscc
        if not item.ent_uscc:
            yield {"kind": "enablement", "ent_code": item.ent_code, "problem": "no credit code recorded"}
            continue
        try:
            holder = dm.EnterpriseClaimModel.get(uscc_claim_key(item.ent_uscc)).claimed_by
        except dm.EnterpriseClaimModel.DoesNotExist:
            holder = None
        if holder != item.ent_code:
            yield {
                "kind": "enablement",
                "ent_code": item.ent_code,
                "ent_uscc": item.ent_uscc,
                "problem": f"credit code claim held by {holder}" if holder else "credit code not claimed",
            }


def _with_contents(records: Iterator[dm.DeclarationModel]) -> Iterator[tuple[dm.DeclarationModel, Any]]:
    """Each record with its content item, read 100 at a time (BatchGetItem's limit); None for a
    record written before the content table (it holds its content itself)."""
    page: list[dm.DeclarationModel] = []
    for record in records:
        page.append(record)
        if len(page) == 100:
            yield from _paired(page)
            page = []
    yield from _paired(page)


def _paired(page: list[dm.DeclarationModel]) -> Iterator[tuple[dm.DeclarationModel, Any]]:
    if not page:
        return
    keys = [r.seq_no for r in page]
    found = {c.seq_no: c for c in dm.DeclarationContentModel.batch_get(keys, consistent_read=True)}
    yield from ((r, found.get(r.seq_no)) for r in page)


def _declaration_findings(enabled: dict[str, str | None]) -> Iterator[dict[str, Any]]:
    for item, content in _with_contents(dm.DeclarationModel.scan(page_size=PAGE)):
        decl = from_item(item, content)
        problems = []
        if decl.owner_ent not in enabled:
            problems.append(f"owner {decl.owner_ent} is not enabled")
        else:
            problems += party_mismatch(decl, decl.owner_ent, enabled[decl.owner_ent])
        keys = tenant_keys(decl)
        for name in ("agent_id", "consignee_id"):
            stored = getattr(item, name)
            if stored is not None and stored != keys[name]:
                problems.append(f"{name} is {stored}, not the verified owner")
        for name, side in (("pool_agent", "agent_id"), ("pool_consignee", "consignee_id")):
            stored = getattr(item, name)
            if stored is not None and stored.split("#")[0] != keys[side]:
                problems.append(f"{name} is {stored}: in another enterprise's pool")
        if problems:
            yield {
                "kind": "declaration",
                "seq_no": decl.seq_no,
                "owner_ent": decl.owner_ent,
                "owner_side": decl.owner_side,
                "problems": problems,
            }


def _bind_from_env() -> None:
    # The same names as chalicelib.config.Settings, without its secrets (not needed to read tables).
    prefix = os.environ.get("SMARTDECL_TABLE_PREFIX", "smartdecl")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "cn-north-1"
    models: list[tuple[str, type[Model]]] = [*dm.MODELS.items(), ("enterprises", dm.EnterpriseClaimModel)]
    for name, model in models:
        model.Meta.table_name = os.environ.get(f"SMARTDECL_{name.upper()}_TABLE", f"{prefix}-{name}")
        model.Meta.region = region
        model._connection = None


def main() -> int:
    _bind_from_env()
    found = 0
    for finding in check():
        print(json.dumps(finding, ensure_ascii=False))
        found += 1
    print(f"{found} finding(s)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

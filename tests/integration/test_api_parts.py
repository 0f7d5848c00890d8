"""/parts over HTTP on the local tables: proposed, approved by the legal-person card, and filling an
import by part number."""

from __future__ import annotations

from tests.factories import ENT_B, make_declaration_body, token
from tests.unit.test_parts_service import LAPTOP

OPERATOR = token(role="operator", card_no="2110050002046")


def test_a_part_proposed_by_an_operator_approved_by_the_legal_card_fills_an_import(enabled_api):
    created = enabled_api.post("/parts", LAPTOP, token=OPERATOR)
    assert created.status_code == 201 and created.json["status"] == "proposed", created.json
    assert enabled_api.post("/parts/X1C-G11/approve", {}, token=OPERATOR).status_code == 403
    approved = enabled_api.post("/parts/X1C-G11/approve", {"note": "核对无误"})
    assert approved.status_code == 200 and [e["action"] for e in approved.json["history"]] == ["proposed", "approved"]
    assert enabled_api.get("/parts/X1C-G11", token=token(ENT_B)).status_code == 404
    assert [p["part_no"] for p in enabled_api.get("/parts?status=approved").json["items"]] == ["X1C-G11"]

    body = make_declaration_body()
    item = body["goods"][0]
    body["goods"] = [
        {k: v for k, v in item.items() if k not in ("code_ts", "g_name", "g_model", "unit", "first_unit")}
        | {"exg_no": "X1C-G11"}
    ]
    imported = enabled_api.post("/declarations", {"declarations": [body]})
    assert imported.status_code == 200 and imported.json["rejected"] == [], imported.json
    stored = enabled_api.get(f"/declarations/{imported.json['accepted'][0]}").json
    assert stored["goods"][0]["code_ts"] == "8471309000" and stored["goods"][0]["exg_no"] == "X1C-G11"


def test_a_part_is_proposed_from_the_declarations_that_named_it(enabled_api):
    body = make_declaration_body()
    body["goods"][0]["exg_no"] = "X1C-G11"
    seq_no = enabled_api.post("/declarations", {"declarations": [body]}).json["accepted"][0]
    proposed = enabled_api.post("/parts/X1C-G11/propose")
    assert proposed.status_code == 201, proposed.json
    assert proposed.json["code_ts"] == "8471309000" and proposed.json["history"][0]["source"] == seq_no
    refused = enabled_api.post("/parts/X1C-G11/refuse", {"note": "品名待客户确认"})
    assert refused.json["status"] == "refused"
    assert enabled_api.post("/parts/X1C-G11/refuse", {}).status_code == 409  # refused already

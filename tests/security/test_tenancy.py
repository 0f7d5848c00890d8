"""Tenancy (issue #9, item 1): a party is an enterprise only by its customs code AND credit code;
lists, the pool and the engine key on the verified importer; a token's pair must be the one
recorded at enablement. Every attack here was answered 200 before the fix."""

from __future__ import annotations

import json

import pytest

from chalicelib.adapters.dynamo_models import DeclarationContentModel
from chalicelib.adapters.dynamo_models import DeclarationModel as M
from chalicelib.services.batches import start_batch
from tests.engine_harness import Harness
from tests.factories import ENT_A, ENT_B, make_config_body, make_declaration_body, make_identity, token
from tests.fakes import FakeDeclarationRepository
from tests.unit._readers_helpers import GOODS_ROW, HEAD_ROW, dec_message, template_workbook, xml_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ENT_C = {"code": "4403999999", "uscc": "91440300MA5DC8QW8A", "name": "深圳某某贸易有限公司"}  # never enabled
MIXED = [  # (side, party): one of A's codes with one of B's
    ("agent", {"code": ENT_B["code"], "uscc": ENT_A["uscc"]}),
    ("agent", {"code": ENT_A["code"], "uscc": ENT_B["uscc"]}),
    ("consignee", {"code": ENT_B["code"], "uscc": ENT_A["uscc"]}),
    ("consignee", {"code": ENT_A["code"], "uscc": ENT_B["uscc"]}),
]


def import_json(api, bodies, smart_mark=False, **kw):
    response = api.post("/declarations", {"declarations": bodies, "smart_mark": smart_mark}, **kw)
    assert response.status_code == 200, response.json
    return response.json


def assert_refused_as_mixed_pair(rejected, side):
    [error] = rejected["errors"]
    assert error["field"].startswith(f"{side}.")
    assert "同一企业" in error["message_zh"] and "same enterprise" in error["message_en"]


# ---- every way in refuses a side that mixes two enterprises' codes -------------------------


@pytest.mark.parametrize("side,party", MIXED)
def test_json_import_refuses_a_side_mixing_our_code_with_another_enterprises(enabled_api, side, party):
    # Given the attack of the issue: B's customs code with A's own credit code (and the reverse)
    body = make_declaration_body(**{side: party})
    # When A imports it, marked
    result = import_json(enabled_api, [body], smart_mark=True)
    # Then it is refused with a bilingual field error, and nothing is stored
    assert result["accepted"] == []
    assert_refused_as_mixed_pair(result["rejected"][0], side)
    assert enabled_api.get("/declarations?range=today").json["total"] == 0


@pytest.mark.parametrize("side,party", MIXED)
def test_excel_import_refuses_a_side_mixing_two_enterprises(enabled_api, side, party):
    head = HEAD_ROW | {f"{side}.code": party["code"], f"{side}.uscc": party["uscc"]}
    response = enabled_api.call(
        "POST", "/declarations/import", raw=template_workbook([head], [GOODS_ROW]), content_type=XLSX
    )
    assert response.status_code == 200 and response.json["accepted"] == []
    assert_refused_as_mixed_pair(response.json["rejected"][0], side)


@pytest.mark.parametrize("side,party", MIXED)
def test_xml_import_refuses_a_side_mixing_two_enterprises(enabled_api, side, party):
    code_tag, uscc_tag = ("AgentCode", "AgentCodeScc") if side == "agent" else ("TradeCode", "TradeCoScc")
    raw = xml_file(dec_message({code_tag: party["code"], uscc_tag: party["uscc"]}))
    response = enabled_api.call("POST", "/declarations/import", raw=raw, content_type="application/xml")
    assert response.status_code == 200 and response.json["accepted"] == []
    assert_refused_as_mixed_pair(response.json["rejected"][0], side)


@pytest.mark.parametrize("side,party", MIXED)
def test_put_refuses_rewriting_a_side_to_mix_two_enterprises(enabled_api, side, party):
    [seq_no] = import_json(enabled_api, [make_declaration_body()])["accepted"]
    response = enabled_api.put(f"/declarations/{seq_no}", make_declaration_body(**{side: party}))
    assert response.status_code == 400
    assert_refused_as_mixed_pair({"errors": response.json["details"]}, side)
    assert enabled_api.get(f"/declarations/{seq_no}").json["agent"] == ENT_A


def test_a_side_naming_only_one_of_our_codes_is_completed_with_the_other(enabled_api):
    body = make_declaration_body(agent={"uscc": ENT_A["uscc"]}, consignee={"code": ENT_A["code"]})
    [seq_no] = import_json(enabled_api, [body])["accepted"]
    stored = enabled_api.get(f"/declarations/{seq_no}").json
    assert (stored["agent"]["code"], stored["consignee"]["uscc"]) == (ENT_A["code"], ENT_A["uscc"])


# ---- the verified party is the tenancy key: the other party named on the form is data ------


@pytest.fixture
def a_names_b_as_agent(enabled_api):
    """A imports (marked) a declaration naming B, whole, as the declaring unit and itself as consignee."""
    body = make_declaration_body(agent=dict(ENT_B), consignee=dict(ENT_A), owner=None, self_pay=False)
    [seq_no] = import_json(enabled_api, [body], smart_mark=True)["accepted"]
    return seq_no


def test_a_declaration_naming_another_agent_is_the_importers_as_consignee(enabled_api, a_names_b_as_agent):
    listed = enabled_api.get("/declarations?enterprise_type=consignee").json["items"]
    assert [d["seq_no"] for d in listed] == [a_names_b_as_agent]
    item = M.get(a_names_b_as_agent)
    assert (item.owner_ent, item.owner_side, item.consignee_id, item.agent_id) == (
        ENT_A["code"],
        "consignee",
        ENT_A["code"],
        None,
    )
    assert (item.pool_consignee, item.pool_agent) == (f"{ENT_A['code']}#I", None)


@pytest.mark.parametrize("enterprise_type", ["agent", "consignee"])
def test_the_enterprise_named_as_agent_never_lists_it(enabled_api, a_names_b_as_agent, enterprise_type):
    b = token(ENT_B)
    assert enabled_api.get(f"/declarations?enterprise_type={enterprise_type}", token=b).json["total"] == 0
    assert enabled_api.get(f"/declarations?seq_no={a_names_b_as_agent}", token=b).json["total"] == 0
    assert enabled_api.get(f"/declarations/{a_names_b_as_agent}", token=b).status_code == 404


def test_the_enterprise_named_as_agent_never_has_it_in_its_pool(enabled_api, a_names_b_as_agent):
    assert list(M.pool_agent_index.query(f"{ENT_B['code']}#I")) == []
    assert list(M.pool_consignee_index.query(f"{ENT_B['code']}#I")) == []
    assert [i.seq_no for i in M.pool_consignee_index.query(f"{ENT_A['code']}#I")] == [a_names_b_as_agent]


def test_the_enterprise_named_as_agent_never_runs_it(enabled_api, a_names_b_as_agent, runner):
    # Given B's own execution for exactly that pair (agent B, consignee A), agreement generated
    b = token(ENT_B)
    config = make_config_body(
        agent=dict(ENT_B),
        consignee=dict(ENT_A),
        require_manifest=False,
        compare_manifest=False,
        auto_agency_agreement=True,
    )
    config_id = enabled_api.post("/configs", config, token=b).json["config_id"]
    response = enabled_api.post("/executions", {"enterprise_type": "agent", "config_ids": [config_id]}, token=b)
    assert response.status_code == 201
    # When the engine runs its batch
    runner.drain()
    # Then it claimed nothing: A's declaration is untouched, still A's and pending
    view = enabled_api.get(f"/executions/{response.json['execution_id']}", token=b).json
    assert (view["total_succeeded"], view["total_failed"]) == (0, 0)
    decl = enabled_api.get(f"/declarations/{a_names_b_as_agent}").json
    assert (decl["status"], decl["smart_status"], decl["batch_no"]) == ("temp_saved", "pending", None)


def test_put_naming_another_agent_keeps_the_record_the_importers(enabled_api):
    [seq_no] = import_json(enabled_api, [make_declaration_body()])["accepted"]
    body = make_declaration_body(agent=dict(ENT_B), consignee=dict(ENT_A), owner=None)
    assert enabled_api.put(f"/declarations/{seq_no}", body).status_code == 200
    assert enabled_api.get("/declarations", token=token(ENT_B)).json["total"] == 0
    assert M.get(seq_no).agent_id is None and M.get(seq_no).owner_side == "consignee"


def test_put_naming_another_enterprise_on_both_sides_is_refused(enabled_api):
    [seq_no] = import_json(enabled_api, [make_declaration_body()])["accepted"]
    body = make_declaration_body(agent=dict(ENT_B), consignee=dict(ENT_B), owner=None)
    assert enabled_api.put(f"/declarations/{seq_no}", body).status_code == 400
    assert enabled_api.get(f"/declarations/{seq_no}").json["agent"] == ENT_A


class StalePoolRepository(FakeDeclarationRepository):
    """A pool index as written before #9: keyed by the agent code typed into the form."""

    def pool(self, side, party, ie_flag, limit, ready_by=None):
        return [
            d
            for d in self.items.values()
            if getattr(d.content, side).code == party and d.smart_mark and d.smart_status == "pending"
        ][:limit]


def test_the_engine_skips_pool_rows_of_a_declaration_it_does_not_own():
    # Given A's declaration naming B as agent, reachable through a stale index row under B
    harness = Harness(declarations=StalePoolRepository())
    [seq_no] = harness.declarations_marked(agent=dict(ENT_B), consignee=dict(ENT_A), owner=None)
    harness.identity = make_identity(ENT_B)
    config_id = harness.config(agent=dict(ENT_B), consignee=dict(ENT_A))
    # When B's execution claims its first batch
    execution_id = harness.start(config_id)
    start_batch(harness.engine, execution_id, 0)
    # Then A's declaration was not claimed
    assert harness.decl(seq_no).smart_status == "pending" and harness.queue.validation == []


# ---- a token's code/credit-code pair must be the enterprise recorded at enablement ---------

PUBLIC_STATUS_WITHOUT_TOKEN = 401


def _paths(app):
    fill = {
        "seq_no": "I20240000000000001",
        "config_id": "c1",
        "execution_id": "e1",
        "batch_no": "P1",
        "subscription_id": "s1",
    }
    for path, methods in sorted(app.routes.items()):
        concrete = path
        for name, value in fill.items():
            concrete = concrete.replace("{" + name + "}", value)
        for method in sorted(methods):
            yield method, concrete


def test_every_route_refuses_a_token_whose_pair_mixes_two_enterprises(enabled_api):
    from app import app

    mixed = token({"code": ENT_A["code"], "uscc": ENT_B["uscc"]})
    checked = 0
    for method, path in _paths(app):
        if enabled_api.call(method, path, token="").status_code != PUBLIC_STATUS_WITHOUT_TOKEN:
            continue  # a public route (health, signed receipts…): no token is read
        response = enabled_api.call(method, path, body={}, token=mixed)
        # an agent's route takes no person's token at all, mixed or not
        refused = "agent_credential_required" if path.startswith("/agent/") else "enterprise_mismatch"
        assert (response.status_code, response.json["code"]) == (403, refused), (method, path)
        assert response.json["message_zh"] and response.json["message_en"]
        checked += 1
    assert checked >= 20


def test_a_token_with_our_code_and_another_credit_code_cannot_read_or_delete(enabled_api):
    [seq_no] = import_json(enabled_api, [make_declaration_body()])["accepted"]
    mixed = token({"code": ENT_A["code"], "uscc": ENT_B["uscc"]})
    assert enabled_api.get(f"/declarations/{seq_no}", token=mixed).status_code == 403
    assert enabled_api.delete(f"/declarations/{seq_no}", token=mixed).status_code == 403
    assert enabled_api.get(f"/declarations/{seq_no}").status_code == 200


def test_a_credit_code_enabled_under_one_customs_code_cannot_enable_another(enabled_api):
    borrowed = token({"code": ENT_C["code"], "uscc": ENT_A["uscc"]})
    response = enabled_api.post("/enablement", {"accept_notice": True}, token=borrowed)
    assert (response.status_code, response.json["code"]) == (403, "enterprise_mismatch")
    assert enabled_api.get("/declarations", token=borrowed).json["code"] == "not_enabled"


def test_enablement_records_both_codes(enabled_api, container):
    record = container.enterprises.get(ENT_A["code"])
    assert (record.ent_code, record.ent_uscc) == (ENT_A["code"], ENT_A["uscc"])


# ---- the offline check reports records from before the rule, and rewrites nothing -----------


def test_check_tenancy_reports_a_stored_record_keyed_to_another_enterprise(enabled_api):
    from scripts.check_tenancy import check

    # Given a good record and one as the old code stored it: A's, in B's lists and pool
    [good, bad] = import_json(enabled_api, [make_declaration_body(), make_declaration_body()], smart_mark=True)[
        "accepted"
    ]
    item = M.get(bad)
    item.agent_id, item.pool_agent, item.owner_side = ENT_B["code"], f"{ENT_B['code']}#I", None
    item.save()
    content = DeclarationContentModel.get(bad)
    content.body = json.dumps({**json.loads(content.body), "agent": dict(ENT_B)}, ensure_ascii=False)
    content.save()
    # When the check runs
    findings = list(check())
    # Then only the bad record is reported, with why, and it is left as it was
    assert [f["seq_no"] for f in findings if f["kind"] == "declaration"] == [bad]
    [finding] = findings
    assert any("agent_id" in p for p in finding["problems"]) and any("pool" in p for p in finding["problems"])
    assert M.get(bad).agent_id == ENT_B["code"]

"""Who declares (issue #24, item 3; docs/security.md "Who declares"): a declaration goes to customs
only through the channel of the enterprise it names as declaring unit (申报单位). The service
declares for the record's owner, so it declares only what the owner is the declaring unit of: as a
broker (agent-type execution), or as a consignee that declares itself (自理, consignee-type).
Anything else fails at claim, saying that the declaring unit must declare it (shown, pushed), and
the submission refuses it again; an agency agreement names as agent only the enterprise declaring.

Before the fix, A (consignee) configured B as declaring unit, ran a consignee-type execution and
customs accepted the declarations with AgentCode B, under an agreement naming B as agent."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import gates, lifecycle, messages
from chalicelib.domain.agency_agreement import generate_agreement
from chalicelib.domain.declaration import DeclarationContent
from chalicelib.domain.errors import DomainError
from chalicelib.services.manual_declare import declare_by_hand
from chalicelib.services.submit_declaration import submit_declaration
from tests.engine_harness import Harness
from tests.factories import ENT_A, ENT_B, make_config_body, make_declaration_body

ENT_C = {"code": "1105910159", "uscc": "91110000100011743X", "name": "中国山货花卉进出口公司"}


@pytest.fixture
def h():
    return Harness()


def b_declares_for_a(h: Harness, n: int = 1) -> list[str]:
    """A imports, as consignee, declarations naming B as their declaring unit (the probe's set-up)."""
    return h.declarations_marked(n, agent=dict(ENT_B), consignee=dict(ENT_A), owner=None)


# ---- at claim -------------------------------------------------------------------------------------


def test_a_consignee_execution_never_sends_what_another_enterprise_is_the_declaring_unit_of(h):
    # Given A's config naming B as declaring unit and A as consignee, and three declarations naming B
    seq_nos = b_declares_for_a(h, 3)
    execution_id = h.start(h.config(agent=dict(ENT_B)), enterprise_type="consignee")
    # When A's consignee-type execution runs
    h.run()
    # Then nothing reaches customs, each one failed saying B must declare it
    assert h.customs.sent == []
    for seq_no in seq_nos:
        decl = h.decl(seq_no)
        assert decl.smart_status == "failed" and decl.batch_no is not None
        assert decl.reason_zh.startswith(f"须由申报单位 {ENT_B['code']} 申报")
        assert decl.reason_en.startswith(f"must be declared by its declaring unit {ENT_B['code']}")
        assert h.log.gates(seq_no) == [("claim", "in_progress"), ("declaring_unit", "fail")]
    # and the failure is pushed, with its reason
    failed = [e for e in h.uow.events if e.event_type == "smart_status_changed" and e.data["smart_status"] == "failed"]
    assert sorted(e.seq_no for e in failed) == sorted(seq_nos)
    assert all(e.data["reason_zh"].startswith("须由申报单位") for e in failed)
    # and the batch counts them as failed and finishes
    [batch] = h.engine.batches.items.values()
    assert (batch.claimed, batch.failed, batch.succeeded) == (3, 3, 0) and batch.finished_at is not None
    assert h.execution(execution_id).total_failed == 3


def test_a_consignee_execution_declares_what_the_consignee_declares_itself(h):
    # Given a 自理 declaration: A is consignee and declaring unit
    [seq_no] = h.declarations_marked(1)
    h.start(h.config(), enterprise_type="consignee")
    h.run()
    assert h.decl(seq_no).smart_status == "succeeded" and h.customs.sent == [seq_no]


def test_a_batch_declares_its_own_and_fails_the_others_in_the_same_claim(h):
    # Given a by-user config whose scope holds both a 自理 declaration and one naming B
    [own] = h.declarations_marked(1)
    [other] = b_declares_for_a(h)
    h.start(
        h.config(effective_by="user", operator_cards=["8911020000108"], consignee=None), enterprise_type="consignee"
    )
    # When one batch takes both
    h.run()
    # Then only A's own goes to customs
    assert h.decl(own).smart_status == "succeeded" and h.decl(other).smart_status == "failed"
    assert h.customs.sent == [own]
    [batch] = h.engine.batches.items.values()
    assert (batch.claimed, batch.succeeded, batch.failed) == (2, 1, 1)


def test_a_broker_declares_for_another_consignee_under_an_agreement_naming_itself(h):
    [seq_no] = h.declarations_marked(1, consignee=dict(ENT_C), owner=None)
    h.start(h.config(consignee=dict(ENT_C), auto_agency_agreement=True))
    h.run()
    decl = h.decl(seq_no)
    assert decl.smart_status == "succeeded"
    [generated] = [e for e in h.log.entries[seq_no] if e.gate == "agency_agreement"]
    assert generated.details["agent"]["code"] == ENT_A["code"]
    assert generated.details["principal"]["code"] == ENT_C["code"]


def test_a_continued_refusal_fails_again_and_never_reaches_customs(h):
    [seq_no] = b_declares_for_a(h)
    h.start(h.config(agent=dict(ENT_B)), enterprise_type="consignee")
    h.run()
    from chalicelib.services.results import continue_declarations

    continue_declarations(h.identity, {"seq_nos": [seq_no]}, h.engine)
    h.wait_and_run()
    assert h.decl(seq_no).smart_status == "failed" and h.customs.sent == []


# ---- at the gates and at submission -------------------------------------------------------------


def test_the_gates_fail_a_claimed_declaration_whose_declaring_unit_is_another_enterprise(h):
    [seq_no] = b_declares_for_a(h)
    claimed = lifecycle.claim(
        h.decl(seq_no), h.clock(), batch_no="P1", execution_id="e", config_id="c", config_name="c", deadline=h.clock()
    ).after
    from chalicelib.domain.configs import ConfigContent

    verdict = gates.evaluate(
        claimed,
        ConfigContent.model_validate(make_config_body(require_manifest=False, compare_manifest=False)),
        gates.Facts(),
        today=date(2024, 3, 21),
        agreement_sequence=lambda: 1,
    )
    assert (verdict.outcome, verdict.last.gate) == ("fail", "declaring_unit")
    assert verdict.agreement is None


def test_the_submission_refuses_a_declaration_whose_declaring_unit_is_another_enterprise(h):
    # Given a declaration naming B, in progress in a batch as if the claim had let it through
    [seq_no] = b_declares_for_a(h)
    h.uow.commit(
        lifecycle.claim(
            h.decl(seq_no),
            h.clock(),
            batch_no="P1",
            execution_id="e",
            config_id="c",
            config_name="c",
            deadline=h.clock(),
        )
    )
    # When its submission message arrives
    outcome = submit_declaration(
        {"seq_no": seq_no, "batch_no": "P1", "execution_id": "e", "ent_code": ENT_A["code"]}, h.engine, h.customs
    )
    # Then customs is neither asked nor sent anything, and it failed saying B must declare it
    assert outcome == "failed" and h.customs.sent == []
    assert h.decl(seq_no).reason_zh.startswith(f"须由申报单位 {ENT_B['code']}")
    assert h.log.gates(seq_no)[-1] == ("submit", "fail")


def test_declaring_by_hand_is_refused_when_another_enterprise_is_the_declaring_unit(h):
    [seq_no] = b_declares_for_a(h)
    with pytest.raises(DomainError) as refused:
        declare_by_hand(h.identity, seq_no, h.engine, h.customs)
    assert refused.value.code == "declaring_unit_must_declare" and refused.value.kind == "conflict"
    assert "申报单位" in refused.value.message_zh and "declaring unit" in refused.value.message_en
    assert h.customs.sent == [] and h.decl(seq_no).smart_status == "pending"


# ---- the agency agreement ---------------------------------------------------------------------------


def test_an_agreement_never_names_an_agent_that_is_not_the_enterprise_declaring():
    content = DeclarationContent.model_validate(make_declaration_body(agent=dict(ENT_B), consignee=dict(ENT_A)))
    with pytest.raises(ValueError, match="declaring unit"):
        generate_agreement(content, 1, date(2024, 3, 21), declared_by=ENT_A["code"])
    assert generate_agreement(content, 1, date(2024, 3, 21), declared_by=ENT_B["code"]).agent.code == ENT_B["code"]


# ---- words ----------------------------------------------------------------------------------------------


def test_the_refusal_says_what_to_do_next_in_both_languages():
    zh, en = messages.failure_step(f"须由申报单位 {ENT_B['code']} 申报：本企业不是该报关单的申报单位")
    assert "申报单位" in zh and len(zh) <= 20
    assert "declaring unit" in en


# ---- through the API: the probe's reproduction ---------------------------------------------------------


def test_the_probe_a_consignee_naming_b_as_declaring_unit_gets_failures_that_say_so(enabled_api, runner):
    # Given A's config naming B as declaring unit, and two marked declarations naming B (A as consignee)
    body = make_declaration_body(self_pay=False, agent=dict(ENT_B), consignee=dict(ENT_A), owner=None)
    seq_nos = enabled_api.post("/declarations", {"declarations": [body, body], "smart_mark": True}).json["accepted"]
    config = make_config_body(agent=dict(ENT_B), require_manifest=False, compare_manifest=False)
    config_id = enabled_api.post("/configs", config).json["config_id"]
    # When A runs a consignee-type execution
    started = enabled_api.post("/executions", {"enterprise_type": "consignee", "config_ids": [config_id]})
    assert started.status_code == 201
    runner.drain()
    # Then each failed, and the declaration, its log and its batch's console say that B must declare it
    for seq_no in seq_nos:
        decl = enabled_api.get(f"/declarations/{seq_no}").json
        assert decl["smart_status"] == "failed" and decl["status"] == "temp_saved" and decl["entry_id"] is None
        assert decl["reason_zh"].startswith(f"须由申报单位 {ENT_B['code']} 申报")
        log = enabled_api.get(f"/declarations/{seq_no}/log").json["items"]
        assert [e["gate"] for e in log][-2:] == ["claim", "declaring_unit"] and "submit" not in [e["gate"] for e in log]
    console = enabled_api.get(f"/batches/{decl['batch_no']}").json
    assert (console["claimed"], console["failed"], console["finished_at"] is not None) == (2, 2, True)
    assert {(r["result"], r["reason_zh"][:6]) for r in console["declarations"]} == {("failed", "须由申报单位")}
    # and declaring one by hand is refused with the same words
    by_hand = enabled_api.post(f"/declarations/{seq_nos[0]}/declare")
    assert by_hand.status_code == 409 and by_hand.json["code"] == "declaring_unit_must_declare"

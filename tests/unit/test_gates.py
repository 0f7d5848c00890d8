"""Each validation gate, in both directions (pure domain: no AWS, no fakes needed)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from chalicelib.domain.configs import ConfigContent
from chalicelib.domain.declaration import Declaration, DeclarationContent, DeclarationStatus, TaxStatus
from chalicelib.domain.gates import Facts, evaluate
from chalicelib.domain.logistics import ArrivalReport, Manifest
from tests.factories import make_config_body, make_declaration_body

NOW = datetime(2024, 3, 21, 3, 0, tzinfo=UTC)
OTHER = {"code": "1105910159", "uscc": "91110000100011743X", "name": "中国山货花卉进出口公司"}
MANIFEST = Manifest("CS2024022501", 10, Decimal("1250.5"), "CA986", "20240320")


def decl(**overrides) -> Declaration:
    state = {k: overrides.pop(k) for k in ("status", "tax_status", "advisories_confirmed") if k in overrides}
    body = make_declaration_body(**{"self_pay": False, "seq_no": "I20240001031824871", **overrides})
    return Declaration(
        content=DeclarationContent.model_validate(body),
        seq_no=body["seq_no"],
        owner_ent="1108919038",
        created_by="c",
        created_at=NOW,
        updated_at=NOW,
        smart_mark=True,
        smart_status="in_progress",
        **state,
    )


def config(**overrides) -> ConfigContent:
    base = {
        "require_manifest": False,
        "compare_manifest": False,
        "require_arrival": False,
        "auto_agency_agreement": False,
        "auxiliary_confirm": False,
    }
    return ConfigContent.model_validate(make_config_body(**{**base, **overrides}))


def run(d, c, facts=Facts()):  # noqa: B008 - Facts is frozen: one shared default is safe
    counter = itertools.count(1)
    return evaluate(d, c, facts, today=date(2024, 3, 21), agreement_sequence=lambda: next(counter))


def test_a_plain_declaration_passes_every_gate():
    verdict = run(decl(), config())
    assert verdict.outcome == "pass" and verdict.last.gate == "passed"


def test_no_longer_temp_saved_is_skipped_not_failed():
    assert run(decl(status=DeclarationStatus.DECLARED), config()).outcome == "skip"


def test_two_step_fails_with_the_reason():
    verdict = run(decl(two_step=True), config())
    assert verdict.outcome == "fail" and "整合申报" in verdict.last.reason_zh


@pytest.mark.parametrize("tax,outcome", [(TaxStatus.UNCONFIRMED, "wait"), (TaxStatus.CONFIRMED, "pass")])
def test_self_paid_waits_until_its_tax_is_confirmed(tax, outcome):
    verdict = run(decl(self_pay=True, tax_status=tax), config())
    assert verdict.outcome == outcome
    assert verdict.waiting_reason == ("tax" if outcome == "wait" else None)


@pytest.mark.parametrize("manifest,outcome", [(None, "wait"), (MANIFEST, "pass")])
def test_with_manifest_waits_for_the_manifest(manifest, outcome):
    verdict = run(decl(), config(require_manifest=True), Facts(manifest=manifest))
    assert verdict.outcome == outcome


def test_with_manifest_and_no_bill_no_fails():
    assert run(decl(bill_no=None), config(require_manifest=True)).outcome == "fail"


@pytest.mark.parametrize(
    "arrival,outcome",
    [(None, "wait"), (ArrivalReport("CS2024022501", False), "wait"), (ArrivalReport("CS2024022501", True), "pass")],
)
def test_after_arrival_waits_until_arrived(arrival, outcome):
    verdict = run(decl(), config(require_arrival=True), Facts(arrival=arrival))
    assert verdict.outcome == outcome
    if outcome == "wait":
        assert verdict.waiting_reason == "arrival"


def test_compare_first_passes_when_declaration_and_manifest_agree():
    assert run(decl(), config(compare_manifest=True), Facts(manifest=MANIFEST)).outcome == "pass"


def test_compare_first_fails_listing_every_difference():
    manifest = Manifest("CS2024022501", 12, Decimal("1300"), "MU588", "20240320")
    verdict = run(decl(), config(compare_manifest=True), Facts(manifest=manifest))
    assert verdict.outcome == "fail"
    assert {d["field"] for d in verdict.last.details} == {"pack_no", "gross_wt", "traf_name"}
    assert {"field": "pack_no", "declared": "10", "manifest": "12"} in verdict.last.details


def test_compare_treats_equal_decimals_and_case_as_equal():
    manifest = Manifest("cs2024022501", 10, Decimal("1250.50000"), "ca986", None)
    assert run(decl(), config(compare_manifest=True), Facts(manifest=manifest)).outcome == "pass"


def test_agency_declaration_without_agreement_fails_when_auto_is_off():
    verdict = run(decl(consignee=OTHER, owner=None), config(consignee=OTHER))
    assert verdict.outcome == "fail" and verdict.last.gate == "agency_agreement"


def test_agency_declaration_gets_an_agreement_attached_when_auto_is_on():
    verdict = run(decl(consignee=OTHER, owner=None), config(consignee=OTHER, auto_agency_agreement=True))
    assert verdict.outcome == "pass"
    [doc] = [d for d in verdict.content.documents if d.edoc_code == "10000001"]
    assert doc.edoc_no == verdict.agreement.agreement_no and len(doc.edoc_no) == 17


def test_an_agreement_already_attached_is_enough():
    docs = [{"edoc_code": "10000001", "edoc_no": "20240000000000001"}]
    assert run(decl(consignee=OTHER, owner=None, documents=docs), config(consignee=OTHER)).outcome == "pass"


def test_advisory_prompts_wait_for_a_person_without_auxiliary_confirmation():
    verdict = run(decl(net_wt="2000"), config())  # net weight above gross weight
    assert verdict.outcome == "wait" and verdict.waiting_reason == "advisory"


def test_advisory_prompts_are_confirmed_by_the_system_with_auxiliary_confirmation():
    verdict = run(decl(net_wt="2000"), config(auxiliary_confirm=True))
    assert verdict.outcome == "pass"
    assert any(s.gate == "advisory" and s.outcome == "confirmed" for s in verdict.steps)


def test_advisory_prompts_confirmed_by_a_person_let_it_pass():
    waiting = run(decl(net_wt="2000"), config())
    fingerprint = waiting.last.details["fingerprint"]
    assert run(decl(net_wt="2000", advisories_confirmed=fingerprint), config()).outcome == "pass"


def test_direct_customs_rules_fail_with_the_violations():
    verdict = run(decl(transport_mode="5", bill_no=None), config())  # Beijing (01): air needs a bill number
    assert verdict.outcome == "fail" and verdict.last.gate == "customs_rules"
    assert verdict.last.details and verdict.last.details[0]["message_zh"]


def test_a_customs_without_a_rule_file_adds_no_checks():
    assert (
        run(decl(declare_customs="4201", ie_port="4201", transport_mode="5", bill_no=None), config()).outcome == "pass"
    )

"""Tax confirmation over HTTP: the list, the computed detail, confirm; then the engine declares it."""

from __future__ import annotations

import pytest

from tests.factories import ENT_B, make_config_body, make_declaration_body, shared_example, token


@pytest.fixture
def customs_endpoint(simulator_url):
    return simulator_url


def import_one(api, **overrides):
    return api.post("/declarations", {"declarations": [make_declaration_body(**overrides)], "smart_mark": True}).json[
        "accepted"
    ][0]


def test_the_list_shows_self_paid_declarations_whose_tax_is_unconfirmed(enabled_api):
    taxed = import_one(enabled_api, self_pay=True)
    import_one(enabled_api, self_pay=False)
    page = enabled_api.get("/tax-confirmations").json
    assert [d["seq_no"] for d in page["items"]] == [taxed] and page["total"] == 1
    assert enabled_api.get("/tax-confirmations", token=token(ENT_B)).json["total"] == 0


def test_the_detail_has_the_contract_shape_and_the_computed_amounts(enabled_api):
    seq_no = import_one(enabled_api, self_pay=True)
    detail = enabled_api.get(f"/declarations/{seq_no}/tax").json
    contract = shared_example("tax-detail.json")
    assert set(contract) <= set(detail)
    assert detail["tax_status"] == "unconfirmed" and detail["exchange_rates"]["USD"]
    assert detail["totals"]["customs_value"] == "582200.00" and detail["totals"]["vat"] == "75686.00"
    assert detail["totals"]["payable"] == "75686.00" and "duty" in detail["waived"]


def test_confirming_records_who_and_what_and_releases_a_tax_wait(enabled_api, runner, clock):
    seq_no = import_one(enabled_api, self_pay=True)
    config_id = enabled_api.post("/configs", make_config_body(require_manifest=False, compare_manifest=False)).json
    enabled_api.post("/executions", {"enterprise_type": "agent", "config_ids": [config_id["config_id"]]})
    runner.drain()
    assert enabled_api.get(f"/declarations/{seq_no}").json["waiting_reason"] == "tax"
    confirmed = enabled_api.post(f"/declarations/{seq_no}/tax/confirm", token=token(role="operator", card_no="77"))
    assert confirmed.status_code == 200
    assert (confirmed.json["tax_status"], confirmed.json["confirmed_by"]) == ("confirmed", "77")
    assert enabled_api.get(f"/declarations/{seq_no}").json["waiting_reason"] is None
    log = enabled_api.get(f"/declarations/{seq_no}/log").json["items"]
    assert any(e["gate"] == "tax" and e["outcome"] == "confirmed" and "75686.00" in e["reason_zh"] for e in log)
    clock.advance(seconds=61)
    runner.tick()
    runner.drain()
    assert enabled_api.get(f"/declarations/{seq_no}").json["smart_status"] == "succeeded"
    assert enabled_api.post(f"/declarations/{seq_no}/tax/confirm").status_code == 409  # once only


def test_a_declaration_that_is_not_self_paid_needs_no_tax_confirmation(enabled_api):
    seq_no = import_one(enabled_api, self_pay=False)
    assert enabled_api.post(f"/declarations/{seq_no}/tax/confirm").status_code == 409


def test_another_enterprise_cannot_see_or_confirm_our_tax(enabled_api):
    seq_no = import_one(enabled_api, self_pay=True)
    assert enabled_api.get(f"/declarations/{seq_no}/tax", token=token(ENT_B)).status_code == 404
    assert enabled_api.post(f"/declarations/{seq_no}/tax/confirm", token=token(ENT_B)).status_code == 404


def test_a_missing_tax_rate_answers_422_in_both_languages(enabled_api):
    body = make_declaration_body(self_pay=True)
    body["goods"][0]["code_ts"] = "0101210010"  # live horses: not in the sample table
    seq_no = enabled_api.post("/declarations", {"declarations": [body]}).json["accepted"][0]
    response = enabled_api.get(f"/declarations/{seq_no}/tax")
    assert response.status_code == 422 and response.json["message_zh"] and response.json["message_en"]

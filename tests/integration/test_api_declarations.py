"""/declarations over HTTP on moto: import, query with filters and pages, read, replace, delete."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.domain.declaration import DeclarationContent
from chalicelib.formats.dec_message_writer import build_dec_message
from tests.factories import ENT_A, ENT_B, make_declaration_body, make_full_declaration_body, shared_example, token


def import_json(api, bodies, smart_mark=False, **kw):
    response = api.post("/declarations", {"declarations": bodies, "smart_mark": smart_mark}, **kw)
    assert response.status_code == 200, response.json
    return response.json


def test_the_shared_example_and_a_declaration_of_every_field_import_and_read_back_unchanged(enabled_api):
    example = shared_example("declaration.json")
    full = make_full_declaration_body(seq_no="I20240001031824999", source_seq_no="I20240001031824999")
    [seq_no, full_seq_no] = import_json(enabled_api, [example, full])["accepted"]
    stored = enabled_api.get(f"/declarations/{seq_no}").json
    # the example's seq_no is the sender's reference; ours is allocated (issue #9)
    assert stored["source_seq_no"] == example["seq_no"] and stored["seq_no"] == seq_no != example["seq_no"]
    same = [k for k in example if k not in ("goods", "seq_no")]
    assert {k: stored[k] for k in same} == {k: example[k] for k in same}
    assert [{k: g[k] for k in example["goods"][0]} for g in stored["goods"]] == example["goods"]
    assert (stored["status"], stored["smart_status"], stored["tax_status"]) == ("temp_saved", "pending", "unconfirmed")
    # every field, sent as JSON by its consignee: its DecMessage is the one of what was sent, under our seq_no
    stored = enabled_api.get(f"/declarations/{full_seq_no}").json
    sent = DeclarationContent.model_validate(full | {"seq_no": full_seq_no})
    back = DeclarationContent.model_validate({name: stored[name] for name in DeclarationContent.model_fields})
    signed = datetime(2024, 3, 20, 9, 30)
    assert build_dec_message(back, sign_time=signed) == build_dec_message(sent, sign_time=signed)


def test_import_answers_accepted_and_rejected_with_field_reasons(enabled_api):
    result = import_json(enabled_api, [make_declaration_body(), make_declaration_body(pack_no=0)])
    assert len(result["accepted"]) == 1
    [rejected] = result["rejected"]
    assert rejected["index"] == 1
    assert rejected["errors"][0]["field"] == "pack_no" and rejected["errors"][0]["message_zh"]


def test_an_import_retried_with_the_same_idempotency_key_creates_nothing_new(enabled_api):
    body = {"declarations": [make_declaration_body()], "smart_mark": True}
    first = enabled_api.post("/declarations", body, headers={"Idempotency-Key": "upload-1"})
    again = enabled_api.post("/declarations", body, headers={"Idempotency-Key": "upload-1"})
    assert first.json == again.json
    assert enabled_api.get("/declarations").json["total"] == 1


def test_the_same_idempotency_key_with_another_body_gets_422(enabled_api):
    enabled_api.post("/declarations", {"declarations": [make_declaration_body()]}, headers={"Idempotency-Key": "k"})
    response = enabled_api.post(
        "/declarations", {"declarations": [make_declaration_body(pack_no=3)]}, headers={"Idempotency-Key": "k"}
    )
    assert response.status_code == 422 and response.json["code"] == "idempotency_key_reused"


def test_idempotency_keys_belong_to_one_enterprise(enabled_api):
    mine = make_declaration_body()
    theirs = make_declaration_body(agent=dict(ENT_B), consignee=dict(ENT_B), owner=None)
    enabled_api.post("/declarations", {"declarations": [mine]}, headers={"Idempotency-Key": "same"})
    response = enabled_api.post(
        "/declarations", {"declarations": [theirs]}, headers={"Idempotency-Key": "same"}, token=token(ENT_B)
    )
    assert response.status_code == 200 and len(response.json["accepted"]) == 1


def test_query_pages_ten_by_default_with_a_cursor_and_a_total(enabled_api, clock):
    for _ in range(3):
        import_json(enabled_api, [make_declaration_body() for _ in range(5)])
        clock.advance(seconds=1)
    first = enabled_api.get("/declarations").json
    assert (len(first["items"]), first["total"]) == (10, 15) and first["next_cursor"]
    second = enabled_api.get(f"/declarations?cursor={first['next_cursor']}").json
    assert len(second["items"]) == 5 and second["next_cursor"] is None
    seen = [d["seq_no"] for d in first["items"] + second["items"]]
    assert len(set(seen)) == 15


def test_query_filters_combine(enabled_api):
    import_json(
        enabled_api, [make_declaration_body(ie_flag="E", transport_mode="2", bill_no="COSU123")], smart_mark=True
    )
    import_json(enabled_api, [make_declaration_body(declare_customs="2201")])
    q = enabled_api.get
    assert q("/declarations?ie_flag=E&smart_mark=true&transport_mode=2").json["total"] == 1
    assert q("/declarations?declare_customs=2201").json["total"] == 1
    assert q("/declarations?smart_mark=false&status=temp_saved").json["total"] == 1
    assert q("/declarations?bill_no=COSU123").json["total"] == 1
    assert q(f"/declarations?consignee={ENT_A['uscc']}").json["total"] == 2
    assert q("/declarations?card_no=8911020000108&smart_status=pending").json["total"] == 2
    assert q("/declarations?transport_mode=9").json["total"] == 0


def test_query_by_seq_no_needs_no_time_range(enabled_api, clock):
    [seq_no] = import_json(enabled_api, [shared_example("declaration.json")])["accepted"]
    clock.advance(days=400)
    assert enabled_api.get("/declarations").json["total"] == 0  # outside the default 3 months
    assert enabled_api.get(f"/declarations?seq_no={seq_no}").json["total"] == 1


def test_query_time_ranges(enabled_api, clock):
    import_json(enabled_api, [make_declaration_body()])
    clock.advance(days=40)
    import_json(enabled_api, [make_declaration_body()])
    assert enabled_api.get("/declarations?range=today").json["total"] == 1
    assert enabled_api.get("/declarations?range=3months").json["total"] == 2
    assert enabled_api.get("/declarations?from=2024-03-01T00:00:00&to=2024-03-31T23:59:59").json["total"] == 1


@pytest.mark.parametrize("params", ["range=year", "page_size=1000", "smart_mark=maybe", "cursor=abc", "nope=1"])
def test_bad_query_parameters_get_400(enabled_api, params):
    assert enabled_api.get(f"/declarations?{params}").status_code == 400


def test_a_cursor_cannot_open_another_enterprise_partition(enabled_api):
    import_json(enabled_api, [make_declaration_body() for _ in range(11)])
    cursor = enabled_api.get("/declarations").json["next_cursor"]
    assert enabled_api.get(f"/declarations?cursor={cursor}", token=token(ENT_B)).status_code == 400


def test_consignee_view_lists_declarations_where_we_are_the_consignee(enabled_api):
    body = make_declaration_body(agent=dict(ENT_B), consignee=dict(ENT_A), owner=None)
    seq_no = import_json(enabled_api, [body])["accepted"][0]
    # the agent named on the form is data: only the importer (the verified consignee) sees it
    assert enabled_api.get("/declarations", token=token(ENT_B)).json["total"] == 0
    assert enabled_api.get("/declarations").json["total"] == 0
    assert enabled_api.get("/declarations?enterprise_type=consignee").json["items"][0]["seq_no"] == seq_no


def test_another_enterprise_sees_none_of_our_declarations(enabled_api):
    seq_no = import_json(enabled_api, [make_declaration_body()])["accepted"][0]
    other = token(ENT_B)
    assert enabled_api.get("/declarations", token=other).json["total"] == 0
    assert enabled_api.get(f"/declarations?seq_no={seq_no}", token=other).json["total"] == 0
    assert enabled_api.get("/declarations?bill_no=CS2024022501", token=other).json["total"] == 0
    for response in (
        enabled_api.get(f"/declarations/{seq_no}", token=other),
        enabled_api.delete(f"/declarations/{seq_no}", token=other),
        enabled_api.put(f"/declarations/{seq_no}", make_declaration_body(), token=other),
    ):
        assert response.status_code == 404


def test_replace_validates_and_bumps_the_record(enabled_api):
    seq_no = import_json(enabled_api, [make_declaration_body()])["accepted"][0]
    bad = enabled_api.put(f"/declarations/{seq_no}", make_declaration_body(gross_wt="-1"))
    assert bad.status_code == 400 and bad.json["details"][0]["field"] == "gross_wt"
    good = enabled_api.put(f"/declarations/{seq_no}", make_declaration_body(pack_no=12))
    assert good.status_code == 200 and good.json["pack_no"] == 12 and good.json["seq_no"] == seq_no
    assert enabled_api.get(f"/declarations/{seq_no}").json["pack_no"] == 12


def test_replace_cannot_change_the_seq_no_or_the_flag(enabled_api):
    seq_no = import_json(enabled_api, [make_declaration_body()])["accepted"][0]
    assert (
        enabled_api.put(f"/declarations/{seq_no}", make_declaration_body(seq_no="I20249999999999999")).status_code
        == 400
    )
    assert enabled_api.put(f"/declarations/{seq_no}", make_declaration_body(ie_flag="E")).status_code == 400


def test_a_declaration_in_progress_cannot_be_replaced_or_deleted(enabled_api, container):
    seq_no = import_json(enabled_api, [make_declaration_body()], smart_mark=True)["accepted"][0]
    repo = container.declarations
    busy = repo.get(seq_no).with_changes(smart_status="in_progress", version=2)
    repo.replace(busy, expected_version=1)
    assert enabled_api.put(f"/declarations/{seq_no}", make_declaration_body()).status_code == 409
    assert enabled_api.delete(f"/declarations/{seq_no}").status_code == 409


def test_delete_removes_a_temp_saved_declaration(enabled_api):
    seq_no = import_json(enabled_api, [make_declaration_body()])["accepted"][0]
    assert enabled_api.delete(f"/declarations/{seq_no}").status_code == 204
    assert enabled_api.get(f"/declarations/{seq_no}").status_code == 404


def test_mark_and_unmark_over_http_with_the_seed_messages(enabled_api):
    seq_nos = import_json(enabled_api, [make_declaration_body() for _ in range(3)])["accepted"]
    marked = enabled_api.post("/declarations/mark", {"seq_nos": seq_nos}, token=token(role="operator", card_no="77"))
    assert marked.status_code == 200 and marked.json["marked"] == 3
    assert enabled_api.get("/declarations?smart_mark=true&card_no=77").json["total"] == 3
    unmarked = enabled_api.post("/declarations/unmark", {"seq_nos": seq_nos[:2]})
    assert unmarked.json["unmarked"] == 2 and unmarked.json["message_zh"] == "本次成功取消标记 2 条"
    again = enabled_api.post("/declarations/unmark", {"seq_nos": seq_nos[:2]})
    assert again.json["unmarked"] == 0 and again.json["refused"][0]["reason"] == "not_marked"


def test_unmark_refused_with_the_seed_message_when_not_pending(enabled_api, container):
    seq_no = import_json(enabled_api, [make_declaration_body()], smart_mark=True)["accepted"][0]
    repo = container.declarations
    repo.replace(repo.get(seq_no).with_changes(smart_status="failed", version=2), expected_version=1)
    response = enabled_api.post("/declarations/unmark", {"seq_nos": [seq_no]})
    assert response.json["message_zh"] == "请求参数均不符合取消条件(报关单状态不为暂存或智能申报状态不为待申报)!"

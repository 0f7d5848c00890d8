"""seq_no squatting and probing (issue #9, item 2): the stored seq_no is always allocated by the
service; a caller's number is its own reference (source_seq_no), unique per enterprise only; no
answer tells one enterprise anything about another's records."""

from __future__ import annotations

import json

import pytest

from tests.factories import ENT_B, make_declaration_body, token
from tests.unit._readers_helpers import GOODS_ROW, HEAD_ROW, dec_message, template_workbook, xml_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SOURCE = "I20260000000000012"


def import_json(api, bodies, **kw):
    response = api.post("/declarations", {"declarations": bodies}, **kw)
    assert response.status_code == 200, response.json
    return response.json


def test_numbers_taken_ahead_by_another_enterprise_do_not_block_ours(enabled_api):
    # Given B imports a run of numbers ahead of time
    squatted = [f"I2026000000000{n:04d}" for n in range(12, 32)]
    import_json(
        enabled_api,
        [make_declaration_body(seq_no=s, agent=dict(ENT_B), consignee=dict(ENT_B), owner=None) for s in squatted],
        token=token(ENT_B),
    )
    # When A imports declarations carrying the same numbers
    result = import_json(enabled_api, [make_declaration_body(seq_no=s) for s in squatted[:3]])
    # Then all are accepted, under seq_nos of ours that are none of the squatted ones
    assert result["rejected"] == [] and len(result["accepted"]) == 3
    assert not set(result["accepted"]) & set(squatted)


def test_a_caller_cannot_choose_the_stored_seq_no(enabled_api):
    [ours] = import_json(enabled_api, [make_declaration_body()])["accepted"]
    # B sends A's stored seq_no as its own: B gets another seq_no, A's record is untouched
    [theirs] = import_json(
        enabled_api,
        [make_declaration_body(seq_no=ours, agent=dict(ENT_B), consignee=dict(ENT_B), owner=None)],
        token=token(ENT_B),
    )["accepted"]
    assert theirs != ours
    assert enabled_api.get(f"/declarations/{ours}").json["consignee"]["code"] != ENT_B["code"]


def test_importing_our_own_source_number_twice_answers_where_it_went(enabled_api):
    [first] = import_json(enabled_api, [make_declaration_body(seq_no=SOURCE)])["accepted"]
    again = import_json(enabled_api, [make_declaration_body(seq_no=SOURCE)])
    assert again["accepted"] == []
    [error] = again["rejected"][0]["errors"]
    assert error["field"] == "seq_no" and error["message_en"] == f"seq_no {SOURCE} was already imported as {first}"
    assert first in error["message_zh"]


def test_the_same_source_number_in_two_enterprises_never_clashes_nor_shows(enabled_api):
    import_json(enabled_api, [make_declaration_body(seq_no=SOURCE)])
    result = import_json(
        enabled_api,
        [make_declaration_body(seq_no=SOURCE, agent=dict(ENT_B), consignee=dict(ENT_B), owner=None)],
        token=token(ENT_B),
    )
    assert result["rejected"] == [] and len(result["accepted"]) == 1


def test_deleting_a_declaration_frees_its_source_number(enabled_api):
    [first] = import_json(enabled_api, [make_declaration_body(seq_no=SOURCE)])["accepted"]
    assert enabled_api.delete(f"/declarations/{first}").status_code == 204
    [second] = import_json(enabled_api, [make_declaration_body(seq_no=SOURCE)])["accepted"]
    assert second != first and enabled_api.get(f"/declarations/{second}").json["source_seq_no"] == SOURCE


def test_put_cannot_change_the_source_number(enabled_api):
    [seq_no] = import_json(enabled_api, [make_declaration_body(seq_no=SOURCE)])["accepted"]
    response = enabled_api.put(f"/declarations/{seq_no}", make_declaration_body(source_seq_no="I20260000000000099"))
    assert response.status_code == 400 and response.json["details"][0]["field"] == "source_seq_no"
    assert enabled_api.put(f"/declarations/{seq_no}", make_declaration_body()).status_code == 200
    assert enabled_api.get(f"/declarations/{seq_no}").json["source_seq_no"] == SOURCE


@pytest.mark.parametrize(
    "number",
    ["I2026000000000001", "X20260000000000012", "I2026０000000000012", "I٢٠٢٦0000000000012", "E20260000000000012"],
)
def test_a_source_number_must_have_the_customs_form(enabled_api, number):
    result = import_json(enabled_api, [make_declaration_body(seq_no=number)])
    assert result["accepted"] == [] and result["rejected"][0]["errors"][0]["field"] in ("seq_no", "(record)")


def test_excel_and_xml_seq_nos_are_kept_as_source_numbers(enabled_api):
    book = template_workbook([HEAD_ROW | {"seq_no": SOURCE}], [GOODS_ROW])
    [from_excel] = enabled_api.call("POST", "/declarations/import", raw=book, content_type=XLSX).json["accepted"]
    raw = xml_file(dec_message({"SeqNo": "I20260000000000013"}))
    [from_xml] = enabled_api.call("POST", "/declarations/import", raw=raw, content_type="application/xml").json[
        "accepted"
    ]
    assert enabled_api.get(f"/declarations/{from_excel}").json["source_seq_no"] == SOURCE
    assert enabled_api.get(f"/declarations/{from_xml}").json["source_seq_no"] == "I20260000000000013"
    again = enabled_api.call("POST", "/declarations/import", raw=book, content_type=XLSX).json
    assert again["accepted"] == [] and from_excel in again["rejected"][0]["errors"][0]["message_en"]


# ---- another enterprise's seq_no answers exactly like one that does not exist --------------

ROUTES = [
    ("GET", "/declarations/{s}", None),
    ("PUT", "/declarations/{s}", "body"),
    ("DELETE", "/declarations/{s}", None),
    ("POST", "/declarations/mark", {"seq_nos": ["{s}"]}),
    ("POST", "/declarations/unmark", {"seq_nos": ["{s}"]}),
    ("GET", "/declarations/{s}/log", None),
    ("GET", "/declarations/{s}/tax", None),
    ("POST", "/declarations/{s}/tax/confirm", None),
    ("POST", "/declarations/continue", {"seq_nos": ["{s}"]}),
    ("POST", "/declarations/{s}/declare", None),
    ("POST", "/declarations/{s}/advisories/confirm", None),
    ("GET", "/declarations?seq_no={s}", None),
]


def _call(api, method, path, body, seq_no, tok):
    if body == "body":
        body = make_declaration_body(agent=dict(ENT_B), consignee=dict(ENT_B), owner=None)
    elif body is not None:
        body = json.loads(json.dumps(body).replace("{s}", seq_no))
    response = api.call(method, path.replace("{s}", seq_no), body, token=tok)
    return response.status_code, json.dumps(response.json, ensure_ascii=False).replace(seq_no, "<seq_no>")


@pytest.mark.parametrize("method,path,body", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_another_enterprises_seq_no_answers_like_a_missing_one(enabled_api, method, path, body):
    # Given A's declaration (marked, so mark/unmark/continue would have something to do)
    [ours] = enabled_api.post("/declarations", {"declarations": [make_declaration_body()], "smart_mark": True}).json[
        "accepted"
    ]
    missing = ours[:-4] + "9999"
    before = enabled_api.get(f"/declarations/{ours}").json
    b = token(ENT_B)
    # When B uses A's seq_no, and a seq_no nobody has
    on_ours = _call(enabled_api, method, path, body, ours, b)
    on_missing = _call(enabled_api, method, path, body, missing, b)
    # Then both answers are the same, byte for byte but the number, and A's record is unchanged
    assert on_ours == on_missing
    assert on_ours[0] in (200, 404)
    assert enabled_api.get(f"/declarations/{ours}").json == before

"""Through the API: an HS code that does not exist is refused at import (JSON and DecMessage XML)
and on replace, naming the nearest valid codes; the declaration's log names what the gates found."""

from __future__ import annotations

from tests.factories import ROOT, make_declaration_body


def with_code(code_ts: str) -> dict:
    body = make_declaration_body()
    body["goods"][0]["code_ts"] = code_ts
    return body


def test_a_json_import_refuses_an_hs_2017_code_naming_the_2022_ones(enabled_api):
    response = enabled_api.post("/declarations", {"declarations": [make_declaration_body(), with_code("8517120000")]})
    assert response.status_code == 200 and len(response.json["accepted"]) == 1
    [rejected] = response.json["rejected"]
    [error] = rejected["errors"]
    assert rejected["index"] == 1 and error["field"] == "goods[0].code_ts"
    assert "851713" in error["message_zh"] and "851713" in error["message_en"]


def test_a_decmessage_import_refuses_a_code_of_no_hs_heading(enabled_api):
    xml = (ROOT / "examples" / "import_message_two.xml").read_text(encoding="utf-8")
    broken = xml.replace("<CodeTS>6105100000</CodeTS>", "<CodeTS>6199100000</CodeTS>", 1)
    assert broken != xml
    response = enabled_api.call(
        "POST", "/declarations/import", raw=broken.encode("utf-8"), content_type="application/xml"
    )
    assert response.status_code == 200, response.json
    [rejected] = response.json["rejected"]
    assert rejected["errors"][0]["field"] == "goods[0].code_ts"
    assert "6199" in rejected["errors"][0]["message_zh"] and len(response.json["accepted"]) == 1


def test_a_replacement_with_a_code_that_does_not_exist_is_refused(enabled_api):
    [seq_no] = enabled_api.post("/declarations", {"declarations": [make_declaration_body()]}).json["accepted"]
    response = enabled_api.put(f"/declarations/{seq_no}", with_code("8517120000"))
    assert response.status_code == 400
    assert response.json["details"][0]["field"] == "goods[0].code_ts"
    assert enabled_api.get(f"/declarations/{seq_no}").json["goods"][0]["code_ts"] == "8471309000"

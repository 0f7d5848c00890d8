"""`smartdecl parts`: propose from a file or from past declarations, approve, list, in-process."""

from __future__ import annotations

import json

from tests.factories import make_declaration_body, token
from tests.unit.test_parts_service import LAPTOP

from .test_cli import enabled, write_json  # noqa: F401 - the fixture


def test_a_part_proposed_from_a_file_is_approved_and_listed(enabled, tmp_path):  # noqa: F811
    (tmp_path / "part.json").write_text(json.dumps(LAPTOP, ensure_ascii=False), encoding="utf-8")
    operator = token(role="operator", card_no="2110050002046")
    proposed = enabled("parts", "propose", "--from-file", tmp_path / "part.json", "--json", token_=operator)
    assert proposed.exit_code == 0 and proposed.json["status"] == "proposed", proposed.output
    assert enabled("parts", "approve", "X1C-G11", token_=operator).exit_code == 1  # the legal card's
    assert enabled("parts", "approve", "X1C-G11", "--note", "ok", "--json").json["status"] == "approved"
    listed = enabled("parts", "list", "--status", "approved", "--json").json
    assert [p["part_no"] for p in listed["items"]] == ["X1C-G11"]


def test_a_part_is_proposed_from_the_declarations_that_named_it(enabled, tmp_path):  # noqa: F811
    body = make_declaration_body()
    body["goods"][0]["exg_no"] = "X1C-G11"
    assert enabled("import", write_json(tmp_path / "d.json", [body]), "--json").exit_code == 0
    proposed = enabled("parts", "propose", "X1C-G11", "--json")
    assert proposed.exit_code == 0 and proposed.json["code_ts"] == "8471309000", proposed.output
    assert enabled("parts", "propose").exit_code == 2


def test_an_import_filled_from_an_approved_part_lists_where_goods_differ(enabled, tmp_path):  # noqa: F811
    (tmp_path / "part.json").write_text(json.dumps(LAPTOP, ensure_ascii=False), encoding="utf-8")
    enabled("parts", "propose", "--from-file", tmp_path / "part.json")
    enabled("parts", "approve", "X1C-G11")
    body = make_declaration_body()
    body["goods"][0] |= {"exg_no": "X1C-G11", "g_name": "笔记本电脑"}
    result = enabled("import", write_json(tmp_path / "d.json", [body]), "--json")
    assert result.exit_code == 0, result.output
    [advisory] = result.json["advisories"]
    assert advisory["code"] == "part_differs" and advisory["seq_no"] == result.json["accepted"][0]["seq_no"]

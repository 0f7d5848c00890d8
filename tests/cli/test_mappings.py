"""`smartdecl mappings` and `smartdecl import --mapping NAME`: a customer's goods list through a saved
column mapping, in-process against the API."""

from __future__ import annotations

import json

from tests.unit.test_column_mappings import MAPPING, goods_list

from .test_cli import enabled  # noqa: F401 - the fixture


def test_a_mapping_saved_from_a_file_imports_a_goods_list_by_its_name(enabled, tmp_path):  # noqa: F811
    (tmp_path / "mapping.json").write_text(json.dumps(MAPPING, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "invoice.xlsx").write_bytes(goods_list())
    assert enabled("mappings", "create", tmp_path / "mapping.json", "--json").exit_code == 0
    listed = enabled("mappings", "list", "--json").json
    assert [m["name"] for m in listed["items"]] == [MAPPING["name"]]
    result = enabled("import", "--mapping", MAPPING["name"], tmp_path / "invoice.xlsx", "--json")
    assert result.exit_code == 0, result.output
    assert (result.json["totals"]["accepted"], result.json["totals"]["rejected"]) == (2, 0)


def test_an_unknown_mapping_name_and_a_non_workbook_are_usage_errors(enabled, tmp_path):  # noqa: F811
    (tmp_path / "invoice.xlsx").write_bytes(goods_list())
    assert enabled("import", "--mapping", "无此映射", tmp_path / "invoice.xlsx").exit_code == 2
    (tmp_path / "mapping.json").write_text(json.dumps(MAPPING, ensure_ascii=False), encoding="utf-8")
    enabled("mappings", "create", tmp_path / "mapping.json")
    (tmp_path / "list.json").write_text("[]", encoding="utf-8")
    result = enabled("import", "--mapping", MAPPING["name"], tmp_path / "list.json")
    assert result.exit_code == 2 and "--mapping reads .xlsx" in result.output

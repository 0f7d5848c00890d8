"""Direct-customs rules as data: the rule language, loading, and the shipped example files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from chalicelib.domain.customs_rules import RULES_DIR, RuleFileError, RuleViolation, check, clear_cache, load_rules
from chalicelib.domain.declaration import DeclarationContent, parse_content
from tests.factories import make_declaration_body

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MESSAGES = {"message_zh": "不符合", "message_en": "does not comply"}


def content(**overrides: Any) -> DeclarationContent:
    return DeclarationContent.model_validate(make_declaration_body(**overrides))


def rules_dir(tmp_path: Path, *rules: dict[str, Any], prefix: str = "01", **file: Any) -> Path:
    """A fresh directory holding `prefix`.json with `rules` (fresh: loaded files are cached per directory)."""
    directory = tmp_path / uuid4().hex
    directory.mkdir()
    body = {"_comment": "test rules", "rules": [MESSAGES | {"id": f"r{n}"} | r for n, r in enumerate(rules, 1)]}
    (directory / f"{prefix}.json").write_text(json.dumps(body | file, ensure_ascii=False), encoding="utf-8")
    return directory


def violated(tmp_path: Path, require: dict[str, Any], when: dict[str, Any] | None = None, **overrides: Any) -> bool:
    """Whether the canonical declaration (declared at 0101), changed by `overrides`, breaks the rule."""
    rule = {"require": require} | ({"when": when} if when else {})
    return bool(check(content(**overrides), rules_dir(tmp_path, rule)))


# ---- operators, each both ways ------------------------------------------------------------


def test_present_requires_a_value(tmp_path):
    assert not violated(tmp_path, {"field": "bill_no", "present": True})
    assert violated(tmp_path, {"field": "bill_no", "present": True}, bill_no=None)
    assert violated(tmp_path, {"field": "note", "present": True}, note="")  # empty counts as absent


def test_present_false_requires_no_value(tmp_path):
    assert not violated(tmp_path, {"field": "cut_mode", "present": False}, cut_mode=None)
    assert violated(tmp_path, {"field": "cut_mode", "present": False})


def test_equals(tmp_path):
    assert not violated(tmp_path, {"field": "trade_mode", "equals": "0110"})
    assert violated(tmp_path, {"field": "trade_mode", "equals": "0214"})
    # numbers and booleans compare as their text
    assert not violated(tmp_path, {"field": "pack_no", "equals": 10})
    assert not violated(tmp_path, {"field": "gross_wt", "equals": 1250.5})
    assert violated(tmp_path, {"field": "self_pay", "equals": False})


def test_in(tmp_path):
    assert not violated(tmp_path, {"field": "transport_mode", "in": ["2", "5"]})
    assert violated(tmp_path, {"field": "transport_mode", "in": ["2", "3"]})


def test_not_in(tmp_path):
    assert not violated(tmp_path, {"field": "trans_mode", "not_in": ["7"]})
    assert violated(tmp_path, {"field": "trans_mode", "not_in": ["1", "7"]})


def test_prefix(tmp_path):
    assert not violated(tmp_path, {"field": "declare_customs", "prefix": "01"})
    assert not violated(tmp_path, {"field": "goods[*].code_ts", "prefix": ["85", "84"]})
    assert violated(tmp_path, {"field": "goods[*].code_ts", "prefix": ["61", "62"]})


def test_regex_matches_the_whole_value(tmp_path):
    assert not violated(tmp_path, {"field": "bill_no", "regex": "[A-Z]{2}\\d{10}"})
    assert violated(tmp_path, {"field": "bill_no", "regex": "\\d{10}"})  # a partial match is not enough


def test_max_len(tmp_path):
    assert not violated(tmp_path, {"field": "bill_no", "max_len": 12})
    assert violated(tmp_path, {"field": "bill_no", "max_len": 11})


def test_min_and_max_are_inclusive_numeric_bounds(tmp_path):
    assert not violated(tmp_path, {"field": "gross_wt", "min": "1250.5"})
    assert violated(tmp_path, {"field": "gross_wt", "min": 1250.51})
    assert not violated(tmp_path, {"field": "pack_no", "max": 10})
    assert violated(tmp_path, {"field": "pack_no", "max": 9})
    assert violated(tmp_path, {"field": "bill_no", "max": 5})  # not a number: fails


def test_contains_looks_through_all_entries_of_a_list(tmp_path):
    assert not violated(tmp_path, {"field": "documents[].edoc_code", "contains": "00000001"})
    assert violated(tmp_path, {"field": "documents[].edoc_code", "contains": "00000004"})


def test_present_on_a_list_path_requires_an_entry(tmp_path):
    assert not violated(tmp_path, {"field": "documents[].edoc_no", "present": True})
    assert violated(tmp_path, {"field": "containers[].container_id", "present": True})


def test_absent_values_satisfy_bounds_and_fail_matches(tmp_path):
    # Given no bill_no
    assert not violated(tmp_path, {"field": "bill_no", "max_len": 3}, bill_no=None)
    assert not violated(tmp_path, {"field": "bill_no", "not_in": ["X"]}, bill_no=None)
    assert violated(tmp_path, {"field": "bill_no", "equals": "X"}, bill_no=None)
    assert violated(tmp_path, {"field": "bill_no", "regex": ".*"}, bill_no=None)
    # and nested fields of an absent party are absent too
    assert violated(tmp_path, {"field": "owner.code", "present": True}, owner=None)
    assert not violated(tmp_path, {"field": "owner.code", "present": True})


def test_all_any_and_not_combine_conditions(tmp_path):
    bill = {"field": "bill_no", "present": True}
    no_voyage = {"field": "voyage_no", "present": False}
    assert not violated(tmp_path, {"all": [bill, {"field": "voyage_no", "present": True}]})
    assert violated(tmp_path, {"all": [bill, no_voyage]})
    assert not violated(tmp_path, {"any": [no_voyage, bill]})
    assert violated(tmp_path, {"any": [no_voyage, {"field": "bill_no", "present": False}]})
    assert not violated(tmp_path, {"not": no_voyage})
    assert violated(tmp_path, {"not": bill})


# ---- when, goods items, violations --------------------------------------------------------


def test_rule_applies_only_when_its_condition_holds(tmp_path):
    require = {"field": "bill_no", "present": True}
    air = {"field": "transport_mode", "in": ["5"]}
    assert violated(tmp_path, require, when=air, bill_no=None)
    assert not violated(tmp_path, require, when=air, bill_no=None, transport_mode="2")


def test_goods_rules_are_checked_per_item_and_name_the_item(tmp_path):
    # Given two chapter-84 items, the second with a model without '|' elements
    first = make_declaration_body()["goods"][0]
    second = first | {"g_no": 2, "g_model": "打印机"}
    directory = rules_dir(
        tmp_path,
        {
            "id": "model",
            "when": {"field": "goods[*].code_ts", "prefix": "84"},
            "require": {"field": "goods[*].g_model", "regex": "[^|]+(\\|[^|]*)+"},
        },
    )
    # When checked
    found = check(content(goods=[first, second]), directory)
    # Then only the second item breaks the rule, and the violation points at it
    assert found == [RuleViolation("model", "goods[1].g_model", "不符合", "does not comply", g_no=2)]
    assert found[0].as_json() == {
        "rule_id": "model",
        "field": "goods[1].g_model",
        "message_zh": "不符合",
        "message_en": "does not comply",
        "g_no": 2,
    }


def test_head_condition_with_goods_requirement_is_checked_per_item(tmp_path):
    directory = rules_dir(
        tmp_path,
        {
            "id": "origin",
            "when": {"field": "ie_flag", "equals": "I"},
            "require": {"field": "goods[*].origin_country", "not_in": ["USA"]},
        },
    )
    found = check(content(), directory)
    assert [(v.rule_id, v.field, v.g_no) for v in found] == [("origin", "goods[0].origin_country", 1)]


def test_violations_of_head_and_list_rules_name_the_field(tmp_path):
    directory = rules_dir(
        tmp_path,
        {"id": "bill", "require": {"field": "bill_no", "present": True}},
        {"id": "contract", "require": {"field": "documents[].edoc_code", "contains": "00000004"}},
    )
    found = check(content(bill_no=None), directory)
    assert [(v.rule_id, v.field, v.g_no) for v in found] == [("bill", "bill_no", None), ("contract", "documents", None)]


def test_rules_are_taken_from_the_first_two_digits_of_declare_customs(tmp_path):
    # Given a rule for 22 only
    directory = rules_dir(tmp_path, {"require": {"field": "bill_no", "present": True}}, prefix="22")
    # Then a declaration at 2201 is checked against it, one at 0101 is not
    assert check(content(bill_no=None, declare_customs="2201"), directory) != []
    assert check(content(bill_no=None), directory) == []


# ---- loading ------------------------------------------------------------------------------


def test_a_missing_file_means_no_rules(tmp_path):
    assert load_rules("99", tmp_path) == []


def test_a_prefix_that_is_not_two_digits_is_refused(tmp_path):
    with pytest.raises(ValueError, match="two digits"):
        load_rules("../01", tmp_path)


def test_loaded_rules_are_cached_until_cleared(tmp_path):
    # Given a loaded file
    directory = rules_dir(tmp_path, {"require": {"field": "bill_no", "present": True}})
    assert [r.id for r in load_rules("01", directory)] == ["r1"]
    # When it is replaced on disk, Then the loaded rules stay until the cache is cleared
    (directory / "01.json").write_text('{"rules": []}', encoding="utf-8")
    assert [r.id for r in load_rules("01", directory)] == ["r1"]
    clear_cache()
    assert load_rules("01", directory) == []


@pytest.mark.parametrize(
    "text, reason",
    [
        ('{"rules": [', "Expecting"),
        ("[]", "JSON object"),
        ('{"rules": {}}', "'rules' must be a list"),
        ('{"rulez": []}', "unknown keys"),
        ('{"customs": "22", "rules": []}', "file is for 01"),
        ('{"rules": [], "rules": []}', "duplicate key"),
    ],
)
def test_a_malformed_file_is_refused_with_its_name(tmp_path, text, reason):
    # Given a rules file that is not usable
    (tmp_path / "01.json").write_text(text, encoding="utf-8")
    # When it is loaded, Then the error names the file and the reason
    with pytest.raises(RuleFileError, match="01.json") as caught:
        load_rules("01", tmp_path)
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    "rule, reason",
    [
        ({"require": {"field": "bill_no", "present": True}, "id": "a b"}, "'id'"),
        ({"require": {"field": "bill_no", "present": True}, "message_zh": ""}, "message_zh"),
        ({"when": {"field": "bill_no", "present": True}}, "'require' is required"),
        ({"require": {"field": "bill_number", "present": True}}, "unknown field"),
        ({"require": {"field": "agent.phone", "present": True}}, "unknown field"),
        ({"require": {"field": "goods[*].colour", "present": True}}, "no field 'colour'"),
        ({"require": {"field": "documents[*].edoc_code", "present": True}}, "unknown list"),
        ({"require": {"field": "bill_no", "like": "X"}}, "exactly one operator"),
        ({"require": {"field": "bill_no", "present": True, "max_len": 3}}, "exactly one operator"),
        ({"require": {"field": "bill_no", "regex": "("}}, "invalid regex"),
        ({"require": {"field": "bill_no", "in": []}}, "bad argument"),
        ({"require": {"field": "bill_no", "present": "yes"}}, "bad argument"),
        ({"require": {"field": "pack_no", "max": "many"}}, "bad argument"),
        ({"require": {"field": "bill_no", "contains": "X"}}, "does not apply"),
        ({"require": {"field": "documents[].edoc_code", "equals": "X"}}, "does not apply"),
        ({"require": {"all": []}}, "non-empty list"),
        ({"require": {"any": [{"field": "bill_no", "present": True}], "field": "x"}}, "unknown keys"),
        ({"require": {"field": "bill_no", "present": True}, "severity": "high"}, "unknown keys"),
    ],
)
def test_a_malformed_rule_is_refused_with_file_and_rule(tmp_path, rule, reason):
    directory = rules_dir(tmp_path, rule)
    with pytest.raises(RuleFileError, match="01.json") as caught:
        load_rules("01", directory)
    assert reason in str(caught.value)


def test_duplicate_rule_ids_are_refused(tmp_path):
    require = {"field": "bill_no", "present": True}
    directory = rules_dir(tmp_path, {"id": "same", "require": require}, {"id": "same", "require": require})
    with pytest.raises(RuleFileError, match="unique"):
        load_rules("01", directory)


# ---- shipped files ------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["01", "22"])
def test_shipped_rule_files_load_and_say_they_are_examples(prefix):
    rules = load_rules(prefix)
    assert 2 <= len(rules) <= 4 and all(r.customs == prefix for r in rules)
    comment = json.loads((RULES_DIR / f"{prefix}.json").read_text(encoding="utf-8"))["_comment"]
    assert "NOT OFFICIAL" in comment


def test_shipped_example_declarations_pass_the_shipped_rules():
    declarations = json.loads((EXAMPLES / "declarations.json").read_text(encoding="utf-8"))["declarations"]
    for raw in declarations:
        c, problems = parse_content(raw)
        assert problems == [] and check(c) == []
    assert check(content()) == []


def test_shipped_rules_catch_what_they_describe():
    # Given an air import at Beijing without bill_no, and a garment export at Shanghai without composition
    beijing = content(bill_no=None)
    garment = make_declaration_body()["goods"][0] | {"code_ts": "6109100021", "g_name": "T恤衫", "g_model": "针织|男式"}
    shanghai = content(declare_customs="2201", ie_flag="E", goods=[garment])
    # Then each customs' rule fires
    assert [v.rule_id for v in check(beijing)] == ["01-air-bill-no"]
    assert [(v.rule_id, v.g_no) for v in check(shanghai)] == [("22-textile-composition", 1)]

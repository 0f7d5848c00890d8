"""HS codes, declaration elements (申报要素) and licences (监管证件): the tables, the checks, and
how import and the gates use them (pure domain and the import service on fakes)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from chalicelib.domain import classification
from chalicelib.domain.advisories import advisories, fingerprint
from chalicelib.domain.classification import declaration_elements, hs_codes, licences, tables
from chalicelib.domain.configs import ConfigContent
from chalicelib.domain.declaration import Declaration, DeclarationContent, LicenceDocument
from chalicelib.domain.gates import Facts, evaluate
from chalicelib.services.declarations import replace_declaration
from chalicelib.services.import_declarations import ImportRecord, import_declarations
from tests.factories import FixedClock, make_config_body, make_declaration_body, make_identity
from tests.fakes import FakeDeclarationRepository, FakeSeqNoAllocator

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 3, 21, 3, 0, tzinfo=UTC)
LAPTOP = "4|3|处理器、内存、硬盘、14英寸显示屏、键盘|ThinkPad|X1 Carbon|||"  # the factory's, 8471309000
IRON_ORE = "2601111000"  # 监管条件 7A: 自动进口许可证 on import, inspection
IRON_ORE_MODEL = "0|3|未烧结|粉矿|Fe 62%|0.5mm|皮尔巴拉|2024-03-01|公式定价|否|2024-03-15||"
PLASTIC_WASTE = "3915100000"  # 监管条件 9A: import prohibited


def content(g_model: str = LAPTOP, code_ts: str = "8471309000", **head) -> DeclarationContent:
    body = make_declaration_body(**head)
    body["goods"][0] |= {"g_model": g_model, "code_ts": code_ts}
    return DeclarationContent.model_validate(body)


def decl(c: DeclarationContent, advisories_confirmed: str | None = None) -> Declaration:
    return Declaration(
        content=c.model_copy(update={"self_pay": False}),
        seq_no="I20240001031824871",
        owner_ent="1108919038",
        created_by="c",
        created_at=NOW,
        updated_at=NOW,
        smart_mark=True,
        smart_status="in_progress",
        advisories_confirmed=advisories_confirmed,
    )


def config(**overrides) -> ConfigContent:
    base = {"require_manifest": False, "compare_manifest": False, "auto_agency_agreement": True}
    return ConfigContent.model_validate(make_config_body(**{**base, "auxiliary_confirm": False, **overrides}))


def gates(d: Declaration, cfg: ConfigContent | None = None):
    counter = itertools.count(1)
    return evaluate(d, cfg or config(), Facts(), today=date(2024, 3, 21), agreement_sequence=lambda: next(counter))


def codes(found) -> list[tuple[str, int | None]]:
    return [(a.code, a.g_no) for a in found]


# ---- the tables -----------------------------------------------------------------------------


def test_the_hs_table_is_the_2022_edition_without_comtrade_statistical_codes():
    table = tables.hs_table()
    assert "851713" in table.subheadings and "851714" in table.subheadings  # smartphones, new in HS 2022
    assert "851712" not in table.subheadings  # HS 2017's mobile phones
    assert "999999" not in table.subheadings and "99" not in table.chapters
    assert len(table.headings) == 1228


def test_the_hs_table_file_is_what_the_generator_makes():
    from scripts.generate_hs_table import main as generate

    assert generate(["--check"]) == 0, "run scripts/generate_hs_table.py"


@pytest.mark.parametrize("number", tables.chapters_on_file())
def test_each_chapter_table_names_its_source_and_uses_hs_2022_codes(number):
    path = tables.DATA / "elements" / f"{number}.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["_source"] and raw["_date"] and raw["_licence"]
    chapter = tables.chapter(number)
    assert chapter is not None
    subheadings = tables.hs_table().subheadings
    for code in [*chapter.codes, *(p for p in chapter.elements if len(p) >= 6)]:
        assert code[:6] in subheadings, f"{path.name}: {code} is not under an HS 2022 subheading"
    for prefix in chapter.elements:
        assert prefix[:4] in tables.hs_table().headings, f"{path.name}: {prefix}"


def test_every_supervision_condition_in_the_tables_is_described():
    described = tables.conditions()
    for number in tables.chapters_on_file():
        chapter = tables.chapter(number)
        assert chapter is not None
        assert all(c in described for s in chapter.codes.values() if s for c in s)
    assert described["7"].kind == "document" and described["7"].applies_to("I")
    assert described["9"].kind == "prohibited" and not described["9"].applies_to("E")


def test_a_malformed_chapter_table_is_refused_naming_the_file_and_the_prefix(tmp_path, monkeypatch):
    (tmp_path / "elements").mkdir()
    bad = {"chapter": "84", "_source": "x", "_date": "2026-12-06", "elements": {"8471": ["品牌", "型号"]}, "codes": {}}
    (tmp_path / "elements" / "84.json").write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "supervision_conditions.json").write_text(
        (tables.DATA / "supervision_conditions.json").read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.setattr(tables, "DATA", tmp_path)
    tables.clear_cache()
    try:
        with pytest.raises(tables.TableError, match=r"84\.json elements '8471': must start with 品牌类型"):
            tables.chapter("84")
    finally:
        monkeypatch.undo()
        tables.clear_cache()


def test_a_chapter_without_a_table_gets_the_universal_checks_only():
    assert tables.chapter("62") is None
    garment = content("0|0|机织|长裤|男式|100%棉|无品牌", "6203420090", ie_flag="E")
    assert classification.refusals(garment) == []
    assert codes(advisories(garment)) == []


def test_the_validation_function_loads_no_table_at_cold_start():
    code = (
        "import functions.validate\n"
        "from chalicelib.domain.classification import tables\n"
        "print(tables.hs_table.cache_info().currsize, tables.chapter.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "0"]


# ---- HS codes -------------------------------------------------------------------------------


def test_an_hs_2017_code_is_refused_at_import_naming_the_2022_subheadings():
    errors = classification.import_errors(content(code_ts="8517120000"))
    assert [e.field for e in errors] == ["goods[0].code_ts"]
    assert "851712不是HS 2022的子目" in errors[0].message_zh
    assert "851713(Telephone sets; smartphones" in errors[0].message_zh
    assert "nearest valid codes: 851711" in errors[0].message_en


def test_a_code_of_an_unknown_heading_names_the_nearest_headings_of_its_chapter():
    assert [code for code, _ in hs_codes.nearest("8499000000")] == ["8487", "8486", "8485"]


def test_a_code_of_an_unknown_chapter_names_the_nearest_headings_at_all():
    assert [code for code, _ in hs_codes.nearest("7701000000")][:1] == ["7616"]


def test_import_refuses_the_record_and_keeps_the_good_ones():
    repo = FakeDeclarationRepository()
    bad = make_declaration_body()
    bad["goods"][0]["code_ts"] = "8517120000"
    result = import_declarations(
        make_identity(),
        [ImportRecord(raw=make_declaration_body()), ImportRecord(raw=bad)],
        False,
        repo,
        FakeSeqNoAllocator(),
        FixedClock(),
    )
    assert len(result.accepted) == 1 and [r["index"] for r in result.rejected] == [1]
    assert result.rejected[0]["errors"][0]["field"] == "goods[0].code_ts"


def test_a_replacement_with_an_unknown_code_is_refused():
    repo = FakeDeclarationRepository()
    [seq_no] = import_declarations(
        make_identity(), [ImportRecord(raw=make_declaration_body())], False, repo, FakeSeqNoAllocator(), FixedClock()
    ).accepted
    body = make_declaration_body()
    body["goods"][0]["code_ts"] = "8517120000"
    with pytest.raises(Exception) as refused:
        replace_declaration(make_identity(), seq_no, body, repo, FixedClock())
    assert refused.value.details[0]["field"] == "goods[0].code_ts"  # type: ignore[attr-defined]
    assert repo.items[seq_no].content.goods[0].code_ts == "8471309000"


def test_a_stored_declaration_with_an_unknown_code_fails_at_the_gates():
    verdict = gates(decl(content(code_ts="8517120000")))
    assert (verdict.outcome, verdict.last.gate) == ("fail", "classification")
    assert verdict.last.details[0]["code"] == "hs_subheading_unknown"


def test_a_national_code_the_table_lists_raises_no_prompt():
    assert advisories(content()) == []


def test_national_digits_the_table_does_not_list_are_a_prompt_naming_the_known_ones():
    [prompt] = [a for a in advisories(content(code_ts="8471300000")) if a.code == "national_code_unchecked"]
    assert prompt.details == {"code_ts": "8471300000", "known": "8471301000,8471309000"}
    assert "8471301000、8471309000" in prompt.message_zh


def test_national_digits_without_any_table_are_said_in_the_log_and_do_not_hold_the_declaration():
    # Given a printer: chapter 84's table covers 8443.11-13, not 8443.32
    printer = content("4|3|黑白激光|A4|HP|M208", "8443321000")
    assert advisories(printer) == []

    # When the gates run, Then it passes, and the log says digits 7-10 were not checked
    verdict = gates(decl(printer))
    assert verdict.outcome == "pass"
    [note] = [step for step in verdict.steps if step.gate == "classification"]
    assert note.outcome == "info" and "未经核对" in note.details[0]["message_zh"]
    assert note.details[0]["code_ts"] == "8443321000"


# ---- declaration elements -------------------------------------------------------------------


@pytest.mark.parametrize("g_model", ["", "笔记本电脑|14英寸|品牌:ThinkPad|型号:X1", "5|3|x|ThinkPad|X1"])
def test_a_brand_type_missing_or_not_0_to_4_is_refused_at_the_gates(g_model):
    verdict = gates(decl(content(g_model, declare_customs="5301")))  # 53xx: no direct-customs rules first
    assert (verdict.outcome, verdict.last.gate) == ("fail", "classification")
    [refusal] = verdict.last.details
    assert refusal["code"] == "brand_type" and refusal["details"]["element"] == "品牌类型"
    assert "品牌类型" in refusal["message_zh"] and refusal["g_no"] == 1


@pytest.mark.parametrize("preference", ["", "3", "9"])
def test_an_exports_preference_missing_or_not_0_to_2_is_refused(preference):
    c = content(f"4|{preference}|处理器|ThinkPad|X1", ie_flag="E")
    assert [r["code"] for r in classification.refusals(c)] == ["export_preference"]


def test_an_exports_preference_of_0_to_2_passes():
    assert all(not classification.refusals(content(f"4|{p}|{LAPTOP[4:]}", ie_flag="E")) for p in "012")


def test_an_imports_preference_other_than_3_is_a_prompt_not_a_refusal():
    c = content("4|0|处理器|ThinkPad|X1 Carbon")
    assert classification.refusals(c) == []
    [prompt] = advisories(c)
    assert prompt.code == "element_value" and prompt.details["expected"] == "3"


def test_missing_required_elements_are_a_prompt_naming_them():
    c = content("4|3||ThinkPad")
    [prompt] = advisories(c)
    assert prompt.code == "elements_missing"
    assert prompt.details["missing"] == "配置(系统组成部件),型号"
    assert "配置(系统组成部件)、型号" in prompt.message_zh


def test_the_optional_trailing_elements_may_be_left_out():
    assert advisories(content("4|3|处理器|ThinkPad|X1 Carbon")) == []


def test_more_parts_than_elements_is_a_prompt():
    [prompt] = advisories(content(LAPTOP + "|多余"))
    assert prompt.code == "elements_extra" and prompt.details["parts"] == "9"


def test_the_longest_prefix_decides_the_elements():
    assert declaration_elements.elements_of("8428109000") == (*tables.UNIVERSAL, "用途", "品牌", "型号", "GTIN", "CAS")
    assert "载重量" in (declaration_elements.elements_of("8428101001") or ())
    assert declaration_elements.elements_of("8429000000") is None


def test_without_auxiliary_confirmation_a_missing_element_waits_for_a_person():
    d = decl(content("4|3||ThinkPad|X1 Carbon"))
    verdict = gates(d)
    assert (verdict.outcome, verdict.waiting_reason) == ("wait", "advisory")
    assert verdict.last.details["prompts"][0]["code"] == "elements_missing"


def test_with_auxiliary_confirmation_the_system_confirms_the_prompt_and_it_declares():
    verdict = gates(decl(content("4|3||ThinkPad|X1 Carbon")), config(auxiliary_confirm=True))
    assert verdict.outcome == "pass"
    assert any(s.gate == "advisory" and s.outcome == "confirmed" for s in verdict.steps)


def test_a_persons_confirmation_of_the_same_prompts_lets_it_declare():
    c = content("4|3||ThinkPad|X1 Carbon")
    verdict = gates(decl(c, advisories_confirmed=fingerprint(advisories(c))))
    assert verdict.outcome == "pass"


# ---- licences -------------------------------------------------------------------------------


def test_goods_needing_a_licence_wait_and_the_reason_names_it():
    verdict = gates(decl(content(IRON_ORE_MODEL, IRON_ORE)))
    assert (verdict.outcome, verdict.waiting_reason, verdict.last.gate) == ("wait", "licence", "licence")
    assert "7 自动进口许可证" in verdict.last.reason_zh and "automatic import licence" in verdict.last.reason_en
    assert verdict.last.details == [
        {
            "g_no": 1,
            "code_ts": IRON_ORE,
            "licence": "7",
            "name_zh": "自动进口许可证",
            "name_en": "automatic import licence",
        }
    ]


def test_the_licence_held_lets_the_goods_go():
    assert licences.missing(content(IRON_ORE_MODEL, IRON_ORE), held={"7"}) == []


def test_the_licences_are_read_from_the_declarations_licence_documents():
    # the declaration's 监管证件 (DecLicenseDocus): code 7 自动进口许可证 and its number
    carried = content(IRON_ORE_MODEL, IRON_ORE).model_copy(
        update={"licence_documents": [LicenceDocument(docu_code="7", cert_code="7-2024-000123")]}
    )
    assert licences.held_codes(carried) == frozenset({"7"})
    assert licences.missing(carried) == []


def test_an_import_licence_is_not_asked_of_an_export():
    assert licences.missing(content("0|0|未烧结|粉矿|Fe 62%|0.5mm|皮尔巴拉|x|x|否|x", IRON_ORE, ie_flag="E")) == []


def test_inspection_and_conditional_conditions_ask_for_no_document():
    assert licences.missing(content()) == []  # 8471309000: A, inspection
    car_part = content("4|3|否|x|x|Bosch|x|x|S/123", "8708100000")  # 6: used goods only
    assert licences.missing(car_part) == []


def test_goods_prohibited_in_the_declarations_direction_are_refused():
    waste = content("0|3|白色碎片|回收|PE|否|否|否", PLASTIC_WASTE)
    verdict = gates(decl(waste))
    assert (verdict.outcome, verdict.last.gate) == ("fail", "classification")
    assert verdict.last.details[0]["code"] == "prohibited" and "禁止进口" in verdict.last.details[0]["message_zh"]
    assert licences.refusals(content("0|0|白色碎片|回收|PE|否|否|否", PLASTIC_WASTE, ie_flag="E")) == []

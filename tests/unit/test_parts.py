"""The parts library's rules (domain/parts.py): a part checked through classification, proposed by
hand or from past declarations, approved or refused by the legal-person card with its history, and
filling goods by part number."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain import advisories, parts
from chalicelib.domain.declaration import DeclarationContent, GoodsItem
from chalicelib.domain.errors import DomainError
from tests.factories import make_declaration_body

AT = datetime(2024, 6, 20, 8, 0, tzinfo=UTC)
LEGAL, OPERATOR = "8911020000108", "2110050002046"
THYRISTOR = {
    "code_ts": "8541300000",
    "g_name": "晶闸管",
    "g_model": "4|3|晶闸管|否|英飞凌牌(INFINEON)|TT162N16KOF|无|无|无",
    "unit": "007",
    "first_unit": "007",
}


def approved(part_no: str = "TT162N16", values: dict | None = None) -> parts.Part:
    proposed = parts.propose("1108919038", part_no, values or THYRISTOR, OPERATOR, AT)
    return parts.decide(proposed, True, LEGAL, AT, "核对无误")


def test_a_proposed_part_approved_keeps_its_history():
    part = approved()
    assert part.status == parts.APPROVED and part.version == 2
    assert [(e.action, e.by, e.note) for e in part.history] == [
        ("proposed", OPERATOR, None),
        ("approved", LEGAL, "核对无误"),
    ]


def test_only_a_proposed_part_is_decided():
    with pytest.raises(DomainError) as caught:
        parts.decide(approved(), False, LEGAL, AT)
    assert caught.value.code == "state_conflict" and "不是待审核状态" in caught.value.message_zh


@pytest.mark.parametrize(
    "change,field",
    [
        ({"code_ts": "9999990000"}, "code_ts"),  # no HS 2022 subheading: refused naming the nearest
        ({"code_ts": "85413"}, "code_ts"),
        ({"g_model": "英飞凌|TT162N16KOF"}, "g_model"),  # no 品牌类型 first
        ({"g_name": ""}, "g_name"),
    ],
)
def test_a_part_classification_refuses_is_not_proposed(change, field):
    with pytest.raises(DomainError) as caught:
        parts.propose("1108919038", "TT162N16", THYRISTOR | change, OPERATOR, AT)
    assert field in [d["field"] for d in caught.value.details]


def test_a_part_lacking_declaration_elements_carries_an_advisory():
    part = parts.propose("1108919038", "TT162N16", THYRISTOR | {"g_model": "4|3|晶闸管"}, OPERATOR, AT)
    [advisory] = part.as_json()["advisories"]
    assert advisory["code"] == "elements_missing" and "是否由多个半导体元件构成" in advisory["message_zh"]


def test_a_part_is_proposed_from_the_latest_of_its_past_declarations():
    declared = [
        ("I20240000000000042", THYRISTOR | {"exg_no": "TT162N16", "qty": "40"}),
        ("I20240000000000017", THYRISTOR | {"exg_no": "TT162N16", "code_ts": "8541290000"}),
        ("I20240000000000009", THYRISTOR | {"exg_no": "OTHER"}),
    ]
    part = parts.propose_from_history("1108919038", "TT162N16", declared, OPERATOR, AT)
    assert part.status == parts.PROPOSED and part.values["code_ts"] == "8541300000"
    assert "qty" not in part.values
    [event] = part.history
    assert event.source == "I20240000000000042" and "2份历史申报" in (event.note or "")


def test_a_part_never_declared_cannot_be_proposed_from_history():
    with pytest.raises(DomainError) as caught:
        parts.propose_from_history("1108919038", "NEW-1", [], OPERATOR, AT)
    assert caught.value.code == "not_found"


def test_an_approved_part_fills_empty_fields_and_a_differing_one_is_kept_with_an_advisory():
    goods = [
        {"g_no": 1, "exg_no": "TT162N16", "qty": "40"},
        {"g_no": 2, "exg_no": "TT162N16", "g_name": "可控硅", "qty": "10"},
        {"g_no": 3, "exg_no": "UNKNOWN", "qty": "1"},
    ]
    advisories = parts.fill(goods, {"TT162N16": approved()})
    assert goods[0]["code_ts"] == "8541300000" and goods[0]["unit"] == "007"
    assert goods[1]["g_name"] == "可控硅" and goods[1]["code_ts"] == "8541300000"
    assert "code_ts" not in goods[2]
    [advisory] = advisories
    assert (advisory.code, advisory.g_no, advisory.details["field"]) == ("part_differs", 2, "g_name")


def test_a_part_not_yet_approved_fills_nothing():
    proposed = parts.propose("1108919038", "TT162N16", THYRISTOR, OPERATOR, AT)
    goods = [{"g_no": 1, "exg_no": "TT162N16"}]
    assert parts.fill(goods, {"TT162N16": proposed}) == [] and goods == [{"g_no": 1, "exg_no": "TT162N16"}]


# ---- a declared goods item against its approved part: the 温馨提示 the gates see ------------------


def declared_goods(**fields) -> GoodsItem:
    item = {"g_no": 1, **THYRISTOR, "qty": "10", "decl_price": "12", "decl_total": "120", "currency": "EUR"}
    return GoodsItem.model_validate(item | {"origin_country": "DEU", "destination_country": "CHN", **fields})


def test_a_declared_item_differing_from_its_approved_part_raises_part_differs_naming_the_field():
    part = approved()
    [prompt] = parts.part_differs(declared_goods(exg_no="TT162N16", g_name="可控硅"), {part.part_no: part})
    assert (prompt.code, prompt.g_no) == ("part_differs", 1)
    assert prompt.details == {"part_no": "TT162N16", "field": "g_name", "declared": "可控硅", "library": "晶闸管"}
    assert "归类库为“晶闸管”" in prompt.message_zh and "parts library says" in prompt.message_en


def test_a_declared_item_agreeing_with_its_part_or_naming_none_or_an_unapproved_one_raises_nothing():
    part = approved()
    proposed = parts.propose("1108919038", "TT162N16", THYRISTOR, OPERATOR, AT)
    assert parts.part_differs(declared_goods(exg_no="TT162N16"), {part.part_no: part}) == []
    assert parts.part_differs(declared_goods(g_name="可控硅"), {part.part_no: part}) == []
    assert parts.part_differs(declared_goods(exg_no="TT162N16", g_name="可控硅"), {"TT162N16": proposed}) == []


def test_the_declaration_s_advisories_hold_part_differs_only_when_parts_are_given():
    part = approved()
    body = make_declaration_body()
    body["goods"][0] |= {"exg_no": "TT162N16", "code_ts": "8541300000"}
    content = DeclarationContent.model_validate(body)
    with_parts = advisories.advisories(content, parts={part.part_no: part})
    differing = [a.details["field"] for a in with_parts if a.code == "part_differs"]
    assert differing == ["g_name", "g_model", "unit", "first_unit"]  # the laptop's, not the thyristor's
    assert "part_differs" not in {a.code for a in advisories.advisories(content)}
    assert advisories.fingerprint(with_parts) != advisories.fingerprint(advisories.advisories(content))


def test_import_and_gates_word_a_difference_alike():
    part = approved()
    raw = [{"g_no": 1, "exg_no": "TT162N16", "g_name": "可控硅"}]
    [at_import] = parts.fill(raw, {part.part_no: part})
    [at_gates] = parts.part_differs(declared_goods(exg_no="TT162N16", g_name="可控硅"), {part.part_no: part})
    assert at_import == at_gates

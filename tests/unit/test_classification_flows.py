"""The classification checks in the engine's flow (on fakes): a 规格型号 missing an element, a
wrong brand type and a goods item missing its licence are each caught before declaring, and the
seed's 辅助确认 / 人工确认 flows apply."""

from __future__ import annotations

import pytest

from chalicelib.domain import parts
from chalicelib.domain.declaration import LicenceDocument
from chalicelib.services.manual_declare import confirm_advisories
from tests.engine_harness import Harness
from tests.factories import make_declaration_body
from tests.fakes import FakePartsRepository

IRON_ORE = {
    "code_ts": "2601111000",
    "g_model": "0|3|未烧结|粉矿|Fe 62%|0.5mm|皮尔巴拉|2024-03-01|公式定价|否|2024-03-15||",
}


@pytest.fixture
def h() -> Harness:
    return Harness()


def goods(**fields) -> list[dict]:
    return [make_declaration_body()["goods"][0] | fields]


def test_a_missing_element_waits_for_a_person_and_declares_once_confirmed(h):
    config = h.config(auxiliary_confirm=False)
    [seq_no] = h.declarations_marked(goods=goods(g_model="4|3|处理器|ThinkPad"))
    h.start(config)
    h.run()
    assert (h.decl(seq_no).smart_status, h.decl(seq_no).waiting_reason) == ("pending", "advisory")
    assert "型号" in (h.log.list(seq_no)[-1].details or {})["prompts"][0]["message_zh"]

    confirm_advisories(h.identity, seq_no, h.engine)
    h.wait_and_run()
    assert h.decl(seq_no).smart_status == "succeeded"


def test_with_auxiliary_confirmation_a_missing_element_is_confirmed_by_the_system(h):
    config = h.config(auxiliary_confirm=True)
    [seq_no] = h.declarations_marked(goods=goods(g_model="4|3|处理器|ThinkPad"))
    h.start(config)
    h.run()
    assert h.decl(seq_no).smart_status == "succeeded"
    assert any(e.gate == "advisory" and e.outcome == "confirmed" for e in h.log.list(seq_no))


def test_a_brand_type_customs_refuses_fails_with_the_element_named(h):
    config = h.config(auxiliary_confirm=True)
    [seq_no] = h.declarations_marked(goods=goods(g_model="笔记本电脑|14英寸|ThinkPad|X1"), declare_customs="5301")
    h.start(config)
    h.run()
    failed = h.decl(seq_no)
    assert failed.smart_status == "failed" and "品牌类型" in (failed.reason_zh or "")


def test_goods_missing_their_licence_wait_naming_it_and_go_once_it_is_carried(h):
    config = h.config(auxiliary_confirm=True)
    [seq_no] = h.declarations_marked(goods=goods(**IRON_ORE))
    h.start(config)
    h.run()
    waiting = h.decl(seq_no)
    assert (waiting.smart_status, waiting.waiting_reason) == ("pending", "licence")
    assert "7 自动进口许可证" in (waiting.reason_zh or "")

    # a person adds licence 7 to the declaration (its DecLicenseDocus, as PUT /declarations/{seq_no} does)
    licensed = waiting.content.model_copy(
        update={"licence_documents": [LicenceDocument(docu_code="7", cert_code="7-2024-000123")]}
    )
    h.declarations.items[seq_no] = waiting.with_changes(content=licensed, version=waiting.version + 1)
    h.wait_and_run(seconds=3600)
    assert h.decl(seq_no).smart_status == "succeeded"


# ---- goods differing from their approved part (归类库): a 温馨提示 through the same flows ---------


class CountingParts(FakePartsRepository):
    def __init__(self) -> None:
        super().__init__()
        self.reads: list[set[str]] = []

    def get_many(self, ent_code: str, part_nos) -> dict:
        self.reads.append(set(part_nos))
        return super().get_many(ent_code, part_nos)


LAPTOP = make_declaration_body()["goods"][0]


def approve_part(h: Harness, part_no: str = "TP-X1", **values) -> None:
    """The enterprise's approved part: the laptop's values, changed by `values`."""
    filled = {name: LAPTOP[name] for name in parts.FILLED if name in LAPTOP} | values
    proposed = parts.propose(h.identity.ent_code, part_no, filled, "2110050002046", h.clock())
    h.wiring.parts.save(parts.decide(proposed, True, h.identity.card_no, h.clock()), None)


def test_goods_differing_from_their_approved_part_wait_for_a_person_and_declare_once_confirmed():
    h = Harness(more={"parts": CountingParts()})
    approve_part(h, g_name="笔记本电脑")
    config = h.config(auxiliary_confirm=False)
    [seq_no] = h.declarations_marked(goods=goods(exg_no="TP-X1"))
    h.start(config)
    h.run()
    waiting = h.decl(seq_no)
    assert (waiting.smart_status, waiting.waiting_reason) == ("pending", "advisory")
    [prompt] = (h.log.list(seq_no)[-1].details or {})["prompts"]
    assert prompt["code"] == "part_differs" and "归类库为“笔记本电脑”" in prompt["message_zh"]

    confirm_advisories(h.identity, seq_no, h.engine)  # computes the same set: its fingerprint lets it pass
    h.wait_and_run()
    assert h.decl(seq_no).smart_status == "succeeded"
    assert h.wiring.parts.reads[0] == {"TP-X1"}


def test_with_auxiliary_confirmation_goods_differing_from_their_part_are_confirmed_by_the_system():
    h = Harness()
    approve_part(h, g_name="笔记本电脑")
    config = h.config(auxiliary_confirm=True)
    [seq_no] = h.declarations_marked(goods=goods(exg_no="TP-X1"))
    h.start(config)
    h.run()
    assert h.decl(seq_no).smart_status == "succeeded"
    [confirmed] = [e for e in h.log.list(seq_no) if e.gate == "advisory"]
    assert confirmed.outcome == "confirmed" and confirmed.details[0]["code"] == "part_differs"


def test_the_gate_reads_the_declaration_s_parts_in_one_batch_and_none_without_part_numbers():
    counting = CountingParts()
    h = Harness(more={"parts": counting})
    approve_part(h)
    config = h.config(auxiliary_confirm=False)
    two = [LAPTOP | {"exg_no": "TP-X1"}, LAPTOP | {"g_no": 2, "exg_no": "TP-X2"}]
    [with_parts] = h.declarations_marked(goods=two)
    [without] = h.declarations_marked()
    h.start(config)
    h.run()
    assert counting.reads == [{"TP-X1", "TP-X2"}]  # one read for both items; none for the other declaration
    assert {h.decl(with_parts).smart_status, h.decl(without).smart_status} == {"succeeded"}

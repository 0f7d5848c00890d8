"""The classification checks in the engine's flow (on fakes): a 规格型号 missing an element, a
wrong brand type and a goods item missing its licence are each caught before declaring, and the
seed's 辅助确认 / 人工确认 flows apply."""

from __future__ import annotations

import pytest

from chalicelib.domain.declaration import LicenceDocument
from chalicelib.services.manual_declare import confirm_advisories
from tests.engine_harness import Harness
from tests.factories import make_declaration_body

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

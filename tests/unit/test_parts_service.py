"""The parts library's use cases (services/parts.py) on fakes: who proposes and who decides, a proposal
from the enterprise's past declarations, paging, and an import filled from the approved parts."""

from __future__ import annotations

import copy

import pytest

from chalicelib.domain.errors import DomainError
from chalicelib.services import parts as service
from chalicelib.services.import_declarations import ImportRecord, import_declarations
from tests.factories import ENT_B, FixedClock, make_declaration_body, make_identity
from tests.fakes import FakeDeclarationRepository, FakePartsRepository, FakeSeqNoAllocator

LEGAL = make_identity()
OPERATOR = make_identity(role="operator", card_no="2110050002046")
LAPTOP = {
    "part_no": "X1C-G11",
    "code_ts": "8471309000",
    "g_name": "便携式自动数据处理设备",
    "g_model": "4|3|处理器、内存、硬盘、14英寸显示屏、键盘|ThinkPad|X1 Carbon|||",
    "unit": "001",
    "first_unit": "001",
}


def approved_library() -> FakePartsRepository:
    repo = FakePartsRepository()
    service.propose_part(OPERATOR, LAPTOP, repo, FixedClock())
    service.decide_part(LEGAL, "X1C-G11", True, {"note": "核对无误"}, repo, FixedClock())
    return repo


def test_an_operator_proposes_and_the_legal_card_approves():
    repo = approved_library()
    part = service.get_part(OPERATOR, "X1C-G11", repo)
    assert part.status == "approved" and [e.action for e in part.history] == ["proposed", "approved"]


def test_an_operator_card_may_not_approve_or_refuse():
    repo = FakePartsRepository()
    service.propose_part(OPERATOR, LAPTOP, repo, FixedClock())
    for approve in (True, False):
        with pytest.raises(DomainError) as caught:
            service.decide_part(OPERATOR, "X1C-G11", approve, {}, repo, FixedClock())
        assert caught.value.code == "legal_card_required"


def test_another_enterprise_does_not_see_a_part():
    repo = approved_library()
    with pytest.raises(DomainError) as caught:
        service.get_part(make_identity(ENT_B), "X1C-G11", repo)
    assert caught.value.code == "not_found"


def test_proposing_a_known_part_again_starts_a_new_proposal_with_its_history():
    repo = approved_library()
    again = service.propose_part(OPERATOR, LAPTOP | {"g_name": "笔记本电脑"}, repo, FixedClock())
    assert again.status == "proposed" and again.version == 3
    assert [e.action for e in again.history] == ["proposed", "approved", "proposed"]


@pytest.mark.parametrize("body", [LAPTOP | {"part_no": "A/B"}, LAPTOP | {"qty": "1"}, "x"])
def test_a_malformed_proposal_is_refused(body):
    with pytest.raises(DomainError) as caught:
        service.propose_part(OPERATOR, body, FakePartsRepository(), FixedClock())
    assert caught.value.code == "invalid_request"


def test_the_library_is_paged_by_part_number_and_filtered_by_status():
    repo = FakePartsRepository()
    for n in range(service.PAGE + 1):
        service.propose_part(OPERATOR, LAPTOP | {"part_no": f"P{n:04d}"}, repo, FixedClock())
    first, cursor = service.list_parts(OPERATOR, repo)
    assert len(first) == service.PAGE and cursor == "P0099"
    rest, end = service.list_parts(OPERATOR, repo, after=cursor)
    assert [p.part_no for p in rest] == ["P0100"] and end is None
    assert service.list_parts(OPERATOR, repo, status="approved") == ([], None)
    with pytest.raises(DomainError):
        service.list_parts(OPERATOR, repo, status="maybe")


def test_a_part_is_proposed_from_the_enterprises_past_declarations_of_it():
    declarations, clock = FakeDeclarationRepository(), FixedClock()
    body = make_declaration_body()
    body["goods"][0]["exg_no"] = "X1C-G11"
    import_declarations(LEGAL, [ImportRecord(raw=body)], False, declarations, FakeSeqNoAllocator(), clock)
    repo = FakePartsRepository()
    part = service.propose_from_declarations(OPERATOR, "X1C-G11", repo, declarations, clock)
    assert part.status == "proposed" and part.values["code_ts"] == "8471309000"
    assert part.history[0].source and part.history[0].source.startswith("I2024")
    with pytest.raises(DomainError) as caught:
        service.propose_from_declarations(OPERATOR, "NEVER-1", repo, declarations, clock)
    assert caught.value.code == "not_found"


def test_an_import_fills_goods_from_approved_parts_and_prompts_where_they_differ():
    library = approved_library()
    filled = make_declaration_body()
    filled["goods"] = [
        {k: v for k, v in filled["goods"][0].items() if k not in ("code_ts", "g_name", "g_model", "unit", "first_unit")}
        | {"exg_no": "X1C-G11"}
    ]
    differing = copy.deepcopy(make_declaration_body(bill_no="CS2024022502"))
    differing["goods"][0] |= {"exg_no": "X1C-G11", "g_name": "笔记本电脑"}
    repo = FakeDeclarationRepository()
    records = [ImportRecord(raw=filled), ImportRecord(raw=differing)]
    result = import_declarations(LEGAL, records, False, repo, FakeSeqNoAllocator(), FixedClock(), parts=library)
    assert result.rejected == [] and len(result.accepted) == 2
    stored = repo.items[result.accepted[0]].content.goods[0]
    assert (stored.code_ts, stored.g_name, stored.unit) == ("8471309000", "便携式自动数据处理设备", "001")
    [advisory] = result.as_json()["advisories"]
    assert advisory["index"] == 1 and advisory["seq_no"] == result.accepted[1]
    assert advisory["code"] == "part_differs" and advisory["details"]["field"] == "g_name"
    assert repo.items[result.accepted[1]].content.goods[0].g_name == "笔记本电脑"  # its own value is kept


def test_an_import_without_part_numbers_reads_no_part():
    class Untouchable(FakePartsRepository):
        def get_many(self, ent_code, part_nos):
            raise AssertionError("no part number, no read")

    result = import_declarations(
        LEGAL,
        [ImportRecord(raw=make_declaration_body())],
        False,
        FakeDeclarationRepository(),
        FakeSeqNoAllocator(),
        FixedClock(),
        parts=Untouchable(),
    )
    assert len(result.accepted) == 1 and "advisories" not in result.as_json()

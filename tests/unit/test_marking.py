"""Marking: add the mark to temp-saved declarations; cancel it only when 暂存 and 待申报."""

from __future__ import annotations

import pytest

from chalicelib.domain.declaration import DeclarationStatus
from chalicelib.domain.errors import DomainError
from chalicelib.services import marking
from chalicelib.services.import_declarations import ImportRecord, import_declarations
from tests.factories import ENT_B, FixedClock, make_declaration_body, make_identity
from tests.fakes import FakeDeclarationRepository, FakeSeqNoAllocator


@pytest.fixture
def repo():
    return FakeDeclarationRepository()


def imported(repo, n=2, smart_mark=False, **overrides):
    records = [ImportRecord(raw=make_declaration_body(**overrides)) for _ in range(n)]
    return import_declarations(make_identity(), records, smart_mark, repo, FakeSeqNoAllocator(), FixedClock()).accepted


def test_marking_counts_the_marked_and_records_the_card(repo):
    seq_nos = imported(repo)
    operator = make_identity(role="operator", card_no="2110050002046")
    result = marking.mark(operator, {"seq_nos": seq_nos}, repo, FixedClock())
    assert result["marked"] == 2 and result["refused"] == []
    assert all(repo.items[s].smart_mark and repo.items[s].marked_by == "2110050002046" for s in seq_nos)


def test_marking_an_already_marked_declaration_is_refused_with_the_reason(repo):
    [seq_no] = imported(repo, 1, smart_mark=True)
    result = marking.mark(make_identity(), {"seq_nos": [seq_no]}, repo, FixedClock())
    assert result["marked"] == 0 and result["refused"][0]["reason"] == "already_marked"


def test_unmark_success_says_how_many_in_the_seed_words(repo):
    seq_nos = imported(repo, 3, smart_mark=True)
    result = marking.unmark(make_identity(), {"seq_nos": seq_nos}, repo, FixedClock())
    assert result["unmarked"] == 3 and result["message_zh"] == "本次成功取消标记 3 条"
    assert not any(repo.items[s].smart_mark for s in seq_nos)


@pytest.mark.parametrize(
    "change", [{"status": DeclarationStatus.DECLARED}, {"smart_status": "in_progress"}, {"smart_status": "failed"}]
)
def test_unmark_refused_when_not_temp_saved_or_not_pending(repo, change):
    [seq_no] = imported(repo, 1, smart_mark=True)
    repo.items[seq_no] = repo.items[seq_no].with_changes(**change)
    result = marking.unmark(make_identity(), {"seq_nos": [seq_no]}, repo, FixedClock())
    assert result["unmarked"] == 0
    assert result["message_zh"] == "请求参数均不符合取消条件(报关单状态不为暂存或智能申报状态不为待申报)!"
    assert result["refused"][0]["reason"] == "not_cancellable"


def test_unmark_partly_refused_counts_the_successes_and_lists_the_refused(repo):
    ok, busy = imported(repo, 2, smart_mark=True)
    repo.items[busy] = repo.items[busy].with_changes(smart_status="in_progress")
    result = marking.unmark(make_identity(), {"seq_nos": [ok, busy]}, repo, FixedClock())
    assert result["unmarked"] == 1 and [r["seq_no"] for r in result["refused"]] == [busy]


def test_another_enterprise_cannot_mark_our_declarations_and_learns_nothing(repo):
    [seq_no] = imported(repo, 1)
    result = marking.mark(make_identity(ENT_B), {"seq_nos": [seq_no, "I20249999999999999"]}, repo, FixedClock())
    assert result["marked"] == 0
    assert [r["reason"] for r in result["refused"]] == ["not_found", "not_found"]
    assert not repo.items[seq_no].smart_mark


def test_a_declaration_changed_between_check_and_write_is_refused_not_overwritten(repo):
    [seq_no] = imported(repo, 1)

    class RacingRepo(type(repo)):
        def get_many(self, seq_nos):
            found = super().get_many(seq_nos)
            # another worker moves it right after we read it
            self.items[seq_no] = self.items[seq_no].with_changes(version=self.items[seq_no].version + 1)
            return found

    racing = RacingRepo()
    racing.items = repo.items
    result = marking.mark(make_identity(), {"seq_nos": [seq_no]}, racing, FixedClock())
    assert result["marked"] == 0 and result["refused"][0]["reason"] == "changed"


@pytest.mark.parametrize(
    "body", [{}, {"seq_nos": []}, {"seq_nos": "I2024"}, {"seq_nos": [1]}, {"seq_nos": ["x"], "all": True}, []]
)
def test_mark_body_must_be_a_list_of_seq_nos(repo, body):
    with pytest.raises(DomainError) as exc:
        marking.mark(make_identity(), body, repo, FixedClock())
    assert exc.value.kind == "bad_request"

"""A declaration's lifecycle: named transitions, one Change each, illegal ones refused, and only
real changes of state pushed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain import lifecycle
from chalicelib.domain.declaration import DeclarationStatus
from chalicelib.domain.declaration_log import LogEntry
from chalicelib.domain.lifecycle import IllegalTransition, Outcome
from tests.engine_harness import Harness


@pytest.fixture
def h():
    return Harness()


def _pending(h):
    [seq_no] = h.declarations_marked(1)
    return h.decl(seq_no)


def _claimed(h, decl=None):
    decl = decl or _pending(h)
    now = h.clock()
    return lifecycle.claim(
        decl,
        now,
        batch_no="P1",
        execution_id="e1",
        config_id="c1",
        config_name="cfg",
        deadline=now + timedelta(minutes=15),
    ).after


def _entry(h, gate="manifest", outcome="wait"):
    return LogEntry(h.clock(), gate, outcome, "等待舱单", "waiting for the manifest", batch_no="P1")


def test_a_claim_is_one_change_with_its_log_entry_and_no_push(h):
    decl = _pending(h)
    change = lifecycle.claim(
        decl, h.clock(), batch_no="P1", execution_id="e1", config_id="c1", config_name="cfg", deadline=h.clock()
    )
    assert change.after.smart_status == "in_progress" and change.after.version == decl.version + 1
    assert change.expected_version == decl.version
    assert {"smart_status", "batch_no", "execution_id", "config_id", "claim_deadline"} <= set(change.changed)
    assert [e.gate for e in change.entries] == ["claim"] and change.entries[-1].result == Outcome.IN_PROGRESS
    assert change.events == () and change.outcome is None


def test_the_engines_bookkeeping_keeps_the_last_operation_time_so_the_list_indexes_are_not_rewritten(h):
    # Given a declaration marked at t0, then re-checked by batches later on
    decl = _pending(h)
    marked_at = decl.updated_at
    h.clock.advance(seconds=300)
    later = h.clock()
    claim = lifecycle.claim(
        decl, later, batch_no="P1", execution_id="e1", config_id="c1", config_name="cfg", deadline=later
    )
    passed = lifecycle.pass_gates(claim.after, later, [_entry(h, "manifest", "pass")], claim.after.content)
    # Then a claim and the gates passed are not operations: 最近操作时间 stays when it was marked
    assert claim.after.updated_at == passed.after.updated_at == marked_at
    assert "updated_at" not in claim.changed and "updated_at" not in passed.changed
    assert passed.after.version == decl.version + 2
    # and customs' answer is the operation people see
    declared = lifecycle.declared(passed.after, later, _entry(h, "submit", "succeeded"), "C1")
    assert declared.after.updated_at == later


def test_a_re_check_that_waits_for_the_same_thing_again_is_no_operation_and_a_new_reason_is(h):
    first = lifecycle.wait(_claimed(h), h.clock(), [_entry(h)], "manifest", reason_zh="等待舱单", reason_en="w")
    assert first.after.updated_at == h.clock()
    h.clock.advance(seconds=300)
    again = lifecycle.wait(_claimed(h, first.after), h.clock(), [_entry(h)], "manifest", reason_zh="z", reason_en="e")
    assert again.after.updated_at == first.after.updated_at
    h.clock.advance(seconds=300)
    other = lifecycle.wait(_claimed(h, again.after), h.clock(), [_entry(h)], "arrival", reason_zh="z", reason_en="e")
    assert other.after.updated_at == h.clock()


def test_claiming_a_declaration_already_in_progress_is_illegal(h):
    claimed = _claimed(h)
    with pytest.raises(IllegalTransition) as raised:
        lifecycle.claim(
            claimed, h.clock(), batch_no="P2", execution_id="e2", config_id="c1", config_name="cfg", deadline=h.clock()
        )
    assert raised.value.code == "illegal_transition" and raised.value.kind == "conflict"


@pytest.mark.parametrize("transition", ["wait", "fail", "declared", "timed_out", "pass_gates"])
def test_engine_steps_on_a_declaration_not_in_progress_are_illegal(h, transition):
    decl = _pending(h)
    calls = {
        "wait": lambda: lifecycle.wait(decl, h.clock(), [_entry(h)], "manifest", reason_zh="z", reason_en="e"),
        "fail": lambda: lifecycle.fail(decl, h.clock(), [_entry(h)], reason_zh="z", reason_en="e"),
        "declared": lambda: lifecycle.declared(decl, h.clock(), _entry(h, "submit", "pass"), "X1"),
        "timed_out": lambda: lifecycle.timed_out(decl, h.clock()),
        "pass_gates": lambda: lifecycle.pass_gates(decl, h.clock(), [], decl.content),
    }
    with pytest.raises(IllegalTransition):
        calls[transition]()


def test_continue_refused_unless_failed_and_temp_saved(h):
    with pytest.raises(IllegalTransition):
        lifecycle.continue_(_pending(h), h.clock(), "card")


def test_waiting_for_something_new_is_pushed_once_and_the_same_wait_again_is_not(h):
    first = lifecycle.wait(_claimed(h), h.clock(), [_entry(h)], "manifest", reason_zh="等待舱单", reason_en="w")
    assert first.outcome == Outcome.WAITING and first.after.waiting_reason == "manifest"
    assert [e.data["waiting_reason"] for e in first.events] == ["manifest"]
    again = lifecycle.wait(_claimed(h, first.after), h.clock(), [_entry(h)], "manifest", reason_zh="z", reason_en="e")
    assert again.events == () and again.outcome == Outcome.WAITING  # re-checked: logged, not pushed
    other = lifecycle.wait(_claimed(h, again.after), h.clock(), [_entry(h)], "arrival", reason_zh="z", reason_en="e")
    assert [e.data["waiting_reason"] for e in other.events] == ["arrival"]


def test_declared_and_failed_are_pushed_and_counted(h):
    declared = lifecycle.declared(_claimed(h), h.clock(), _entry(h, "submit", "pass"), "X1")
    assert declared.after.status == DeclarationStatus.DECLARED and declared.outcome == Outcome.SUCCEEDED
    assert [e.data["smart_status"] for e in declared.events] == ["succeeded"]
    failed = lifecycle.fail(_claimed(h), h.clock(), [_entry(h, "submit", "fail")], reason_zh="退", reason_en="no")
    assert failed.outcome == Outcome.FAILED and [e.data["smart_status"] for e in failed.events] == ["failed"]
    assert failed.after.claim_deadline is None


def test_a_time_out_requeues_without_a_push(h):
    change = lifecycle.timed_out(_claimed(h), h.clock())
    assert change.after.smart_status == "pending" and change.outcome == Outcome.WAITING and change.events == ()


def test_a_business_receipt_is_pushed_with_its_channel(h):
    declared = lifecycle.declared(_claimed(h), h.clock(), _entry(h, "submit", "pass"), "X1").after
    change = lifecycle.receipt(
        declared,
        h.clock(),
        _entry(h, "receipt", "P"),
        channel="P",
        status=DeclarationStatus.RELEASED,
        entry_id="0101",
        event={"channel": "P", "entry_id": "0101", "note": None, "notice_date": None, "receipt_id": "r1"},
    )
    assert change.after.status == DeclarationStatus.RELEASED and change.after.entry_id == "0101"
    assert [(e.event_type, e.data["channel"]) for e in change.events] == [("customs_receipt", "P")]


def test_confirming_tax_stops_a_wait_for_tax_only(h):
    waiting = lifecycle.wait(_claimed(h), h.clock(), [_entry(h)], "tax", reason_zh="z", reason_en="e").after
    change = lifecycle.tax_confirmed(waiting, h.clock(), _entry(h, "tax", "confirmed"), {"by": "c"})
    assert change.after.waiting_reason is None and change.after.tax_status == "confirmed" and change.events == ()
    with pytest.raises(IllegalTransition):  # confirmed once only
        lifecycle.tax_confirmed(change.after, h.clock(), _entry(h, "tax", "confirmed"), {"by": "c"})


def test_a_declaration_waits_for_its_send_and_for_the_next_once_it_took_the_answer_but_not_further(h):
    claimed = _claimed(h)
    answered_1 = claimed.with_changes(send_no=1, handover=None)  # send 1 answered, continued, claimed again
    handed_1 = claimed.with_changes(send_no=1, handover="queued")  # still with the client

    assert lifecycle.waits_for(claimed, 1) and lifecycle.waits_for(claimed, 2)  # none recorded yet
    assert lifecycle.waits_for(answered_1, 1) and lifecycle.waits_for(answered_1, 2)
    assert not lifecycle.waits_for(answered_1, 3)
    assert lifecycle.waits_for(handed_1, 1) and not lifecycle.waits_for(handed_1, 2)
    assert not lifecycle.waits_for(answered_1.with_changes(smart_status="failed"), 2)
    with pytest.raises(IllegalTransition):
        lifecycle.answered(handed_1, h.clock(), _entry(h), send_no=2, accepted=True)


def test_a_receipt_that_overtook_a_hand_declaration_s_answer_is_not_moved_back(h):
    # customs sends 入库成功 within a second of accepting: it may apply before the person's answer commits
    claimed = lifecycle.claim_by_hand(_pending(h), h.clock(), "clerk")
    overtaken = lifecycle.receipt(
        claimed.after,
        h.clock(),
        _entry(h, "receipt", "L"),
        channel="L",
        status=DeclarationStatus.ACCEPTED,
        entry_id="0101",
        event=None,
    ).after
    change = lifecycle.declared_by_hand(overtaken, h.clock(), _entry(h, "manual", "pass"), "X1")
    assert change.after.status == DeclarationStatus.ACCEPTED and change.after.smart_status == "pending"
    [event] = change.events
    assert event.data["status"] == "accepted" and event.data["declared_at"]  # what customs accepted, and when

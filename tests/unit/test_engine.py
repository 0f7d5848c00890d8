"""The unattended engine on fakes: batches, claims, gates applied, exactly-once submission."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain import lifecycle
from chalicelib.domain.declaration import DeclarationStatus
from chalicelib.domain.errors import DomainError
from chalicelib.domain.logistics import ArrivalReport, Manifest
from chalicelib.services.batches import run_schedule, start_batch
from chalicelib.services.executions import get_execution, stop_execution
from chalicelib.services.ports import ConditionFailed
from chalicelib.services.submit_declaration import SENDING_LEASE, submit_declaration
from tests.engine_harness import Harness
from tests.factories import ENT_B


@pytest.fixture
def h():
    return Harness()


def test_the_first_batch_is_triggered_at_once_not_at_the_next_schedule_tick(h):
    execution_id = h.start(h.config())
    assert h.queue.triggers == [(execution_id, 0, 0)]


def test_a_started_execution_declares_its_marked_declarations(h):
    seq_nos = h.declarations_marked(3)
    execution_id = h.start(h.config())
    h.run()
    assert {h.decl(s).smart_status for s in seq_nos} == {"succeeded"}
    assert {h.decl(s).status for s in seq_nos} == {"declared"}
    view = get_execution(h.identity, execution_id, h.engine)
    assert (view["batch_index"], view["total_succeeded"], view["total_failed"]) == (1, 3, 0)
    assert view["current_batch_no"].startswith("P2024032") and len(view["current_batch_no"]) == 20


def test_unmarked_other_flag_and_other_enterprise_declarations_are_not_claimed(h):
    [marked] = h.declarations_marked(1)
    [unmarked] = h.declarations_marked(1, smart_mark=False)
    [export] = h.declarations_marked(1, ie_flag="E")
    [other_consignee] = h.declarations_marked(1, consignee={"code": "1105910159", "uscc": "91110000100011743X"})
    h.start(h.config())
    h.run()
    assert h.decl(marked).smart_status == "succeeded"
    assert h.decl(unmarked).smart_status == "pending" and h.decl(export).smart_status == "pending"
    assert h.decl(other_consignee).smart_status == "pending"  # config names consignee A only


def test_a_by_user_config_takes_only_what_its_cards_marked(h):
    [mine] = h.declarations_marked(1)  # marked by card 8911020000108
    h.identity = h.identity.__class__(**{**h.identity.__dict__, "card_no": "2110050002046"})
    [theirs] = h.declarations_marked(1)
    h.start(h.config(effective_by="user", operator_cards=["2110050002046"], consignee=None))
    h.run()
    assert h.decl(theirs).smart_status == "succeeded" and h.decl(mine).smart_status == "pending"


def test_a_config_already_running_cannot_be_started_twice(h):
    config_id = h.config()
    h.start(config_id)
    with pytest.raises(DomainError) as exc:
        h.start(config_id)
    assert exc.value.code == "config_running"


def test_the_same_trigger_twice_starts_one_batch(h):
    h.declarations_marked(2)
    execution_id = h.start(h.config())
    first = start_batch(h.engine, execution_id, 0)
    second = start_batch(h.engine, execution_id, 0)
    assert first is not None and second is None
    assert len(h.queue.validation) == 2


def test_a_declaration_claimed_by_one_batch_is_not_claimed_by_another(h):
    # Given two batches that both read the same pending declaration
    [seq_no] = h.declarations_marked(1)
    decl = h.decl(seq_no)
    first = lifecycle.claim(
        decl, h.clock(), batch_no="B1", execution_id="e1", config_id="c", config_name="c", deadline=h.clock()
    )
    second = lifecycle.claim(
        decl, h.clock(), batch_no="B2", execution_id="e2", config_id="c", config_name="c", deadline=h.clock()
    )
    # When both commit, then only the first one's claim holds
    h.uow.commit(first)
    with pytest.raises(ConditionFailed):
        h.uow.commit(second)
    assert h.decl(seq_no).batch_no == "B1"


def test_every_message_delivered_twice_changes_nothing_the_second_time():
    h = Harness(deliver_twice=True)
    seq_nos = h.declarations_marked(4)
    h.start(h.config())
    h.run()
    assert h.customs.duplicates == 0 and len(h.customs.sent) == 4
    batch = next(iter(h.engine.batches.items.values()))
    assert (batch.claimed, batch.succeeded, batch.failed) == (4, 4, 0)
    assert all(h.log.gates(s).count(("submit", "pass")) == 1 for s in seq_nos)


def test_a_crash_after_customs_answered_is_redelivered_without_sending_again(h, monkeypatch):
    [seq_no] = h.declarations_marked(1)
    h.start(h.config())
    start_batch(h.engine, *h.queue.triggers.pop()[:2])
    from chalicelib.services.validate_declaration import validate_declaration

    validate_declaration(h.queue.validation.pop(), h.engine, h.logistics)
    message = h.queue.submission.pop()
    calls = {"n": 0}

    def crash_once(change):
        calls["n"] += bool(change.entries)  # the sending lease (no log entry) goes through
        if calls["n"] == 1 and change.entries:
            raise RuntimeError("Lambda died after customs answered")

    h.uow.before_commit = crash_once
    with pytest.raises(RuntimeError):
        submit_declaration(message, h.engine, h.customs)
    h.clock.advance(seconds=SENDING_LEASE.total_seconds())  # the message is back after its visibility timeout
    assert submit_declaration(message, h.engine, h.customs) == "succeeded"  # the redelivery
    assert h.customs.sent == [seq_no] and h.customs.duplicates == 0
    assert h.log.list(seq_no)[-1].details["found_at_customs"] is True


def test_customs_down_puts_declarations_back_to_wait_and_they_go_once_it_is_up(h):
    seq_nos = h.declarations_marked(2)
    execution_id = h.start(h.config(batch_wait_seconds=30))
    h.customs.down = True
    h.run()
    assert {h.decl(s).smart_status for s in seq_nos} == {"pending"}
    assert {h.decl(s).waiting_reason for s in seq_nos} == {"customs_unavailable"}
    assert get_execution(h.identity, execution_id, h.engine)["customs_available"] is False
    h.customs.down = False
    h.wait_and_run()  # the next batch leaves them resting: nobody has seen customs answer yet
    assert {h.decl(s).smart_status for s in seq_nos} == {"pending"}
    h.clock.advance(minutes=5)  # their re-check interval (the config's default)
    run_schedule(h.engine)
    h.run()
    assert {h.decl(s).smart_status for s in seq_nos} == {"succeeded"}
    view = get_execution(h.identity, execution_id, h.engine)
    assert view["customs_available"] is True and view["total_failed"] == 0 and view["batch_index"] == 3


def test_refused_by_customs_fails_with_the_customs_message(h):
    [seq_no] = h.declarations_marked(1)
    h.customs.refuse.add(seq_no)
    h.start(h.config())
    h.run()
    assert h.decl(seq_no).smart_status == "failed" and "表头校验失败" in h.decl(seq_no).reason_zh


def test_the_next_batch_waits_for_the_configured_batch_wait(h):
    h.declarations_marked(1)
    execution_id = h.start(h.config(batch_wait_seconds=45))
    h.run()
    assert h.queue.triggers == [(execution_id, 1, 45)]
    h.clock.advance(seconds=10)
    assert start_batch(h.engine, execution_id, 1) is None  # too early: not started
    assert get_execution(h.identity, execution_id, h.engine)["countdown_seconds"] == 35
    h.clock.advance(seconds=35)
    assert start_batch(h.engine, execution_id, 1).index == 2


def test_stop_lets_in_flight_declarations_finish_and_starts_no_new_batch(h):
    seq_nos = h.declarations_marked(2)
    execution_id = h.start(h.config())
    start_batch(h.engine, *h.queue.triggers.pop()[:2])
    stop_execution(h.identity, execution_id, h.engine)
    h.run()
    assert {h.decl(s).smart_status for s in seq_nos} == {"succeeded"}
    assert h.queue.triggers == []
    view = get_execution(h.identity, execution_id, h.engine)
    assert view["status"] == "stopped" and view["total_succeeded"] == 2


def test_a_stopped_execution_frees_its_configs(h):
    config_id = h.config()
    stop_execution(h.identity, h.start(config_id), h.engine)
    assert h.start(config_id)


def test_waiting_declarations_are_retried_in_later_batches(h):
    [seq_no] = h.declarations_marked(1, bill_no="COSU1")
    h.start(h.config(require_arrival=True, batch_wait_seconds=20))
    h.run()
    assert (h.decl(seq_no).smart_status, h.decl(seq_no).waiting_reason) == ("pending", "arrival")
    h.logistics.arrivals["COSU1"] = ArrivalReport("COSU1", True)
    h.wait_and_run()  # the next batch: not due for its re-check yet
    assert h.decl(seq_no).smart_status == "pending"
    h.clock.advance(minutes=5)
    run_schedule(h.engine)
    h.run()
    assert h.decl(seq_no).smart_status == "succeeded"
    assert [g for g, _ in h.log.gates(seq_no)].count("arrival") == 2


def test_a_declaration_declared_by_hand_meanwhile_is_skipped_not_failed(h):
    [seq_no] = h.declarations_marked(1)
    h.start(h.config())
    start_batch(h.engine, *h.queue.triggers.pop()[:2])
    decl = h.decl(seq_no)
    h.declarations.items[seq_no] = decl.with_changes(status=DeclarationStatus.DECLARED, version=decl.version + 1)
    h.run()
    batch = next(iter(h.engine.batches.items.values()))
    assert (batch.skipped, batch.failed) == (1, 0) and h.customs.sent == []


def test_the_schedule_requeues_declarations_stuck_in_progress(h):
    [seq_no] = h.declarations_marked(1)
    h.start(h.config())
    start_batch(h.engine, *h.queue.triggers.pop()[:2])
    h.queue.validation.clear()  # the message is lost
    h.clock.advance(minutes=16)
    assert run_schedule(h.engine)["requeued"] == 1
    assert h.decl(seq_no).smart_status == "pending"


def test_the_schedule_starts_a_batch_whose_trigger_was_lost(h):
    h.declarations_marked(1)
    execution_id = h.start(h.config())
    h.queue.triggers.clear()
    assert run_schedule(h.engine)["batches_started"] == 1
    assert h.execution(execution_id).batch_index == 1


def test_an_empty_batch_finishes_at_once_and_the_execution_sleeps_without_a_trigger(h):
    execution_id = h.start(h.config(batch_wait_seconds=60))
    h.run()
    batch = next(iter(h.engine.batches.items.values()))
    assert batch.claimed == 0 and batch.finished_at is not None
    assert h.queue.triggers == [] and h.execution(execution_id).idle


def test_a_sleeping_execution_wakes_at_the_schedule_once_something_is_marked_and_not_before(h):
    # Given a running execution asleep after an empty batch
    execution_id = h.start(h.config(batch_wait_seconds=60))
    h.run()
    # When the schedule ticks with nothing in its pool, then no batch starts
    h.clock.advance(minutes=2)
    assert run_schedule(h.engine)["batches_started"] == 0
    assert h.execution(execution_id).batch_index == 1
    # When a declaration is marked, then the next tick starts a batch that declares it
    [seq_no] = h.declarations_marked(1)
    h.clock.advance(minutes=1)
    assert run_schedule(h.engine)["batches_started"] == 1
    h.run()
    assert h.decl(seq_no).smart_status == "succeeded" and not h.execution(execution_id).idle


def test_another_enterprise_cannot_read_or_stop_our_execution(h):
    from tests.factories import make_identity

    execution_id = h.start(h.config())
    with pytest.raises(DomainError) as exc:
        stop_execution(make_identity(ENT_B), execution_id, h.engine)
    assert exc.value.kind == "not_found"


def test_compare_first_fails_with_each_difference_listed(h):
    [seq_no] = h.declarations_marked(1, bill_no="CS1", pack_no=10, gross_wt="100")
    h.logistics.manifests["CS1"] = Manifest("CS1", 12, Decimal("100.0"), "CA986", "20240320")
    h.start(h.config(require_manifest=True, compare_manifest=True))
    h.run()
    decl = h.decl(seq_no)
    assert decl.smart_status == "failed" and "pack_no" in decl.reason_en and "gross_wt" not in decl.reason_en


def test_the_watchdog_flags_a_declaration_without_receipt_once(h):
    [seq_no] = h.declarations_marked(1)
    h.start(h.config())
    h.run()
    assert h.decl(seq_no).declared_at is not None
    h.clock.advance(hours=23)
    assert run_schedule(h.engine)["receipts_overdue"] == 0
    h.clock.advance(hours=2)
    assert run_schedule(h.engine)["receipts_overdue"] == 1
    assert run_schedule(h.engine)["receipts_overdue"] == 0  # flagged once
    assert ("receipt_watchdog", "warning") in h.log.gates(seq_no)


def test_a_declaration_with_a_receipt_is_not_flagged(h):
    [seq_no] = h.declarations_marked(1)
    h.start(h.config())
    h.run()
    decl = h.decl(seq_no)
    h.declarations.items[seq_no] = decl.with_changes(receipt_channel="L", version=decl.version + 1)
    h.clock.advance(hours=30)
    assert run_schedule(h.engine)["receipts_overdue"] == 0


def test_a_batch_whose_starter_died_before_recording_it_does_not_stop_the_schedule(h):
    [seq_no] = h.declarations_marked(1)
    execution_id = h.start(h.config())
    start_batch(h.engine, *h.queue.triggers.pop()[:2])
    h.engine.batches.items.clear()  # the batch function died between its claims and the batch record
    h.queue.validation.clear()
    h.clock.advance(minutes=21)
    lost_batch = h.decl(seq_no).batch_no
    result = run_schedule(h.engine)
    assert (result["requeued"], result["batches_started"]) == (1, 1)
    assert h.execution(execution_id).batch_index == 2
    assert h.decl(seq_no).batch_no != lost_batch  # requeued, then taken by the new batch
    h.run()
    assert h.decl(seq_no).smart_status == "succeeded"


def test_the_execution_counts_a_finished_batch_once_and_never_dips(h):
    seq_nos = h.declarations_marked(2)
    execution_id = h.start(h.config())
    h.run()
    execution = h.execution(execution_id)
    batch = h.engine.batches.get(execution.current_batch_no)
    # finished and counted: the view takes the totals only
    assert execution.view(batch, h.clock())["total_succeeded"] == 2
    # counted but not yet marked finished (the moment between the two writes): still 2, not 0 or 4
    unfinished = batch.__class__(**{**batch.__dict__, "finished_at": None})
    assert execution.view(unfinished, h.clock())["total_succeeded"] == 2
    h.engine.executions.add_totals(execution_id, batch.index, 2, 0)  # a repeated count changes nothing
    assert h.execution(execution_id).total_succeeded == 2 and len(seq_nos) == 2

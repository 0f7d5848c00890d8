"""Quiet waiting and idle executions (issue #10, items 6 and 7), on fakes.

A waiting declaration rests until what it waits for may have changed (a confirmation, a continue,
customs answering again) or its config's re-check interval passed; its re-checks are logged, not
pushed. An execution with nothing to declare sleeps: the schedule peeks once a minute, and a
mark, a continue or a confirmation in its scope wakes it at once."""

from __future__ import annotations

from collections import Counter

import pytest

from chalicelib.domain import messages
from chalicelib.domain.errors import DomainError
from chalicelib.domain.logistics import ArrivalReport, Manifest
from chalicelib.services import configs as config_service
from chalicelib.services import marking
from chalicelib.services.batches import run_schedule
from chalicelib.services.results import continue_declarations
from chalicelib.services.tax import confirm_tax
from tests.engine_harness import Harness
from tests.factories import make_config_body


@pytest.fixture
def h():
    return Harness()


def _claims(h: Harness, seq_no: str) -> int:
    return [g for g, _ in h.log.gates(seq_no)].count("claim")


def _pushed(h: Harness, seq_no: str) -> list[tuple[str, str | None]]:
    """What subscribers were told of one declaration: (state word, waiting reason) per event."""
    return [(messages.state_of(e), e.data.get("waiting_reason")) for e in h.uow.events if e.seq_no == seq_no]


def _minutes(h: Harness, n: int) -> None:
    """n minutes of the one-minute schedule, each batch and message it causes run to the end."""
    for _ in range(n):
        h.clock.advance(minutes=1)
        run_schedule(h.engine)
        h.wait_and_run()


def test_a_waiting_declaration_is_not_claimed_again_before_its_recheck_interval(h):
    # Given a declaration waiting for its arrival report under a 10-second batch wait
    [seq_no] = h.declarations_marked(1, bill_no="COSU1")
    h.start(h.config(require_arrival=True, batch_wait_seconds=10))
    h.run()
    assert (h.decl(seq_no).smart_status, h.decl(seq_no).waiting_reason) == ("pending", "arrival")
    # When four minutes of batches and schedules pass
    _minutes(h, 4)
    # Then no batch took it again, and it was announced once
    assert _claims(h, seq_no) == 1
    assert _pushed(h, seq_no) == [("waiting", "arrival")]
    # When the re-check interval (5 minutes by default) is over
    _minutes(h, 1)
    # Then it is re-checked once, logged, and nobody is told again (it waits for the same thing)
    assert _claims(h, seq_no) == 2 and [g for g, _ in h.log.gates(seq_no)].count("arrival") == 2
    assert len(_pushed(h, seq_no)) == 1


def test_the_configs_recheck_interval_is_honoured(h):
    [seq_no] = h.declarations_marked(1, bill_no="COSU1")
    h.start(h.config(require_arrival=True, batch_wait_seconds=10, recheck_seconds=120))
    h.run()
    h.logistics.arrivals["COSU1"] = ArrivalReport("COSU1", True)
    _minutes(h, 1)
    assert h.decl(seq_no).smart_status == "pending"
    _minutes(h, 1)
    assert h.decl(seq_no).smart_status == "succeeded"


def test_a_new_waiting_reason_is_pushed_once_and_declared_once(h):
    # Given one waiting for its manifest, which then arrives, but not the arrival report
    [seq_no] = h.declarations_marked(1, bill_no="COSU1")
    h.start(h.config(require_manifest=True, require_arrival=True, batch_wait_seconds=10))
    h.run()
    h.logistics.manifests["COSU1"] = Manifest("COSU1", 10, h.decl(seq_no).content.gross_wt, None, None)
    _minutes(h, 12)  # two re-checks: manifest found, arrival still missing
    h.logistics.arrivals["COSU1"] = ArrivalReport("COSU1", True)
    _minutes(h, 6)
    # Then each state was told once: manifest, arrival, declared
    pushed = _pushed(h, seq_no)
    assert h.decl(seq_no).smart_status == "succeeded"
    assert len(pushed) == len(set(pushed)) == 3


def test_a_tax_confirmation_readies_the_waiting_declaration_and_wakes_the_sleeping_execution(h):
    # Given a self-paid declaration waiting for its tax confirmation, and the execution asleep
    [seq_no] = h.declarations_marked(1, self_pay=True)
    execution_id = h.start(h.config(batch_wait_seconds=10))
    h.run()
    assert h.decl(seq_no).waiting_reason == "tax"
    _minutes(h, 1)
    assert h.execution(execution_id).idle and h.queue.triggers == []
    # When a person confirms the tax, long before the re-check interval
    confirm_tax(h.identity, seq_no, h.engine)
    # Then the execution is triggered at once and the declaration goes in that batch
    assert h.queue.triggers == [(execution_id, h.execution(execution_id).batch_index, 0)]
    h.run()
    assert h.decl(seq_no).smart_status == "succeeded"


def test_a_mark_wakes_a_sleeping_execution_of_its_scope_only(h):
    # Given an import execution asleep (nothing marked), and two unmarked declarations, I and E
    execution_id = h.start(h.config(batch_wait_seconds=10))
    h.run()
    _minutes(h, 1)
    assert h.execution(execution_id).idle
    [imported] = h.declarations_marked(1, smart_mark=False)
    [exported] = h.declarations_marked(1, smart_mark=False, ie_flag="E")
    # When the export one is marked: not its scope, no trigger
    marking.mark(h.identity, {"seq_nos": [exported]}, h.declarations, h.clock, h.engine)
    assert h.queue.triggers == []
    # When the import one is marked: one trigger now, and it is declared
    marking.mark(h.identity, {"seq_nos": [imported]}, h.declarations, h.clock, h.engine)
    assert h.queue.triggers == [(execution_id, h.execution(execution_id).batch_index, 0)]
    h.run()
    assert h.decl(imported).smart_status == "succeeded" and h.decl(exported).smart_status == "pending"


def test_a_continue_wakes_the_sleeping_execution(h):
    [seq_no] = h.declarations_marked(1, note="SANDBOX:REJECT")
    execution_id = h.start(h.config(batch_wait_seconds=10))
    h.customs.refuse = {seq_no}
    h.run()
    assert h.decl(seq_no).smart_status == "failed"
    _minutes(h, 1)
    assert h.execution(execution_id).idle
    h.customs.refuse = set()
    continue_declarations(h.identity, {"seq_nos": [seq_no]}, h.engine)
    assert [t[0] for t in h.queue.triggers] == [execution_id]
    h.run()
    assert h.decl(seq_no).smart_status == "succeeded"


def test_customs_answering_again_readies_the_declarations_waiting_for_it(h):
    # Given two declarations: one claimed and sent while customs is down, one marked later
    [first] = h.declarations_marked(1)
    h.start(h.config(batch_wait_seconds=10))
    h.customs.down = True
    h.run()
    assert h.decl(first).waiting_reason == "customs_unavailable"
    h.customs.down = False
    [second] = h.declarations_marked(1)
    h.wait_and_run()  # the next batch takes only the second; customs answers it
    # Then the first, seen waiting for customs, is ready at once and goes in the batch after
    assert h.decl(second).smart_status == "succeeded"
    assert h.decl(first).recheck_at is None and ("recheck", "ready") in h.log.gates(first)
    h.wait_and_run()
    assert h.decl(first).smart_status == "succeeded"
    assert len(_pushed(h, first)) == 2  # waiting for customs, declared


def test_recheck_seconds_is_validated_and_patchable():
    from tests.factories import FixedClock, make_identity
    from tests.fakes import FakeConfigRepository

    repo, identity = FakeConfigRepository(), make_identity()
    for bad in (4, 86_401, "300", True, None):
        with pytest.raises(DomainError):
            config_service.create_config(identity, make_config_body(recheck_seconds=bad), repo, FixedClock())
    config = config_service.create_config(identity, make_config_body(), repo, FixedClock())
    assert config.content.recheck_seconds == 300
    patched = config_service.patch_config(identity, config.config_id, {"recheck_seconds": 60}, repo, FixedClock())
    assert patched.content.recheck_seconds == 60 and patched.as_json()["recheck_seconds"] == 60


class CountingProxy:
    """Counts every call to a port (each is one AWS request or more in the adapters)."""

    def __init__(self, target, counts: Counter, name: str) -> None:
        self._target, self._counts, self._name = target, counts, name

    def __getattr__(self, attr):
        value = getattr(self._target, attr)
        if not callable(value):
            return value

        def counted(*args, **kwargs):
            self._counts[f"{self._name}.{attr}"] += 1
            return value(*args, **kwargs)

        return counted


@pytest.mark.parametrize("flags", [("I",), ("I", "E")])
def test_an_idle_running_execution_costs_at_most_one_request_a_minute_beyond_the_schedules_own(h, flags):
    # Given a running execution of one or two flags with nothing to declare, asleep
    h.start(*[h.config(ie_flag=f, batch_wait_seconds=10, name=f"c{f}") for f in flags])
    h.run()
    _minutes(h, 1)
    counts: Counter = Counter()
    for port in ("declarations", "executions", "batches", "queue", "configs", "counter", "uow", "log"):
        setattr(h.engine, port, CountingProxy(getattr(h.engine, port), counts, port))
    # When the schedule ticks for ten minutes
    for _ in range(10):
        h.clock.advance(minutes=1)
        run_schedule(h.engine)
    # Then besides the schedule's own reads (time-outs, receipts, due executions), one pool Query a minute
    own = {"declarations.overdue", "declarations.awaiting_receipt", "executions.due"}
    beyond = {k: v for k, v in counts.items() if k not in own}
    assert beyond == {"declarations.pool": 10}, beyond
    assert h.queue.triggers == []


def test_the_demo_plan_tells_each_subscriber_at_most_once_per_declaration_and_state(h):
    """`make demo`'s mix (README: the measured count), on the in-process engine for 20 minutes of
    batches every 20 s: declared, waiting for a manifest, an arrival or tax, failing on comparison
    or at customs. No declaration is told the same state twice, however often it is re-checked."""
    import_config = h.config(require_manifest=True, compare_manifest=True, batch_wait_seconds=20, name="进口")
    export_config = h.config(ie_flag="E", require_arrival=True, batch_wait_seconds=20, name="出口")
    plan = (
        [{"bill_no": f"DEMOI{i:04d}"} for i in range(30)]
        + [{"bill_no": f"DEMOI{30 + i:04d}", "pack_no": 12} for i in range(5)]  # comparison fails
        + [{"bill_no": f"DEMOI{35 + i:04d}"} for i in range(5)]  # no manifest: they wait
        + [{"bill_no": f"DEMOI{40 + i:04d}", "self_pay": True} for i in range(3)]  # tax: they wait
        + [{"bill_no": f"DEMOI{43 + i:04d}"} for i in range(2)]  # customs refuses
        + [{"bill_no": f"DEMOE{45 + i:04d}", "ie_flag": "E"} for i in range(5)]
    )  # 3 arrived, 2 not
    seq_nos = [s for body in plan for s in h.declarations_marked(1, **body)]
    by_bill = dict(zip((b["bill_no"] for b in plan), seq_nos, strict=True))
    for body in plan:
        number = int(body["bill_no"][-4:])
        if body.get("ie_flag") != "E" and not 35 <= number < 40:
            h.logistics.manifests[body["bill_no"]] = Manifest(body["bill_no"], 10, h.decl(seq_nos[0]).content.gross_wt)
        if body.get("ie_flag") == "E" and number < 48:
            h.logistics.arrivals[body["bill_no"]] = ArrivalReport(body["bill_no"], True)
    h.customs.refuse = {by_bill["DEMOI0043"], by_bill["DEMOI0044"]}
    h.start(import_config, export_config)
    h.run()
    _minutes(h, 20)
    told = Counter((e.seq_no, messages.state_of(e)) for e in h.uow.events)
    assert told and max(told.values()) == 1, [k for k, n in told.items() if n > 1]
    states = Counter(state for _, state in told)
    assert (states["succeeded"], states["failed"], states["waiting"]) == (33, 7, 10)
    assert all(_claims(h, by_bill[f"DEMOI{35 + i:04d}"]) == 5 for i in range(5))  # re-checked every 5 minutes


def test_declarations_imported_with_the_mark_wake_a_sleeping_execution(h):
    from chalicelib.services.import_declarations import ImportRecord, import_declarations
    from tests.factories import make_declaration_body

    execution_id = h.start(h.config(batch_wait_seconds=10))
    h.run()
    _minutes(h, 1)
    assert h.execution(execution_id).idle and h.queue.triggers == []
    imported = import_declarations(
        h.identity,
        [ImportRecord(raw=make_declaration_body(self_pay=False))],
        True,
        h.declarations,
        h.allocator,
        h.clock,
        h.engine,
    )
    assert h.queue.triggers == [(execution_id, h.execution(execution_id).batch_index, 0)]
    h.run()
    assert h.decl(imported.accepted[0]).smart_status == "succeeded"

"""What the execution screen (智能申报执行) reads besides the live counts: the pool the ticked configs
take, the execution's batch history, and whether it waits for marked declarations (on fakes)."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import DomainError
from chalicelib.services.executions import get_execution, stop_execution
from chalicelib.services.results import execution_batches, pool
from tests.engine_harness import Harness
from tests.factories import ENT_B, make_identity


@pytest.fixture
def h():
    return Harness()


def listed(h: Harness, *config_ids: str, enterprise_type: str = "agent") -> list[str]:
    answer = pool(h.identity, {"enterprise_type": enterprise_type, "config_ids": ",".join(config_ids)}, h.engine)
    assert answer["total"] == len(answer["items"]) and answer["truncated"] is False
    return [d["seq_no"] for d in answer["items"]]


def test_the_pool_lists_the_marked_pending_declarations_the_ticked_config_takes(h):
    # Given marked imports, an unmarked one and a marked export, and an import config
    marked = h.declarations_marked(3)
    h.declarations_marked(1, smart_mark=False)
    h.declarations_marked(1, ie_flag="E")
    config = h.config()
    # Then the pool of that config is the marked imports, in the order a batch takes them
    assert listed(h, config) == marked


def test_the_pool_leaves_out_what_no_ticked_configs_scope_holds(h):
    # Given a config for consignee A only, and a declaration of another consignee
    [ours] = h.declarations_marked(1)
    h.declarations_marked(1, consignee={"code": "1105910159", "uscc": "91110000100011743X"})
    assert listed(h, h.config()) == [ours]


def test_the_pool_of_two_configs_lists_both_flags(h):
    imports, exports = h.declarations_marked(2), h.declarations_marked(1, ie_flag="E")
    assert listed(h, h.config(), h.config(ie_flag="E", name="出口")) == imports + exports


def test_the_pool_shrinks_as_a_batch_takes_and_declares_its_declarations(h):
    config = h.config()
    h.declarations_marked(2)
    h.start(config)
    h.run()
    assert listed(h, config) == []


def test_the_pool_lists_a_waiting_declaration_with_what_it_waits_for(h):
    # Given a self-paid declaration, which waits for its tax confirmation after a batch looked at it
    config = h.config()
    [taxed] = h.declarations_marked(1, self_pay=True)
    h.start(config)
    h.run()
    # Then it is still in the pool, saying why
    [row] = pool(h.identity, {"config_ids": config}, h.engine)["items"]
    assert (row["seq_no"], row["smart_status"], row["waiting_reason"]) == (taxed, "pending", "tax")


def test_the_pool_of_a_disabled_config_is_empty(h):
    config = h.config(enabled=False)
    h.declarations_marked(1)
    assert listed(h, config) == []


def test_the_pool_refuses_another_enterprises_config_as_not_found(h):
    config = h.config()
    with pytest.raises(DomainError) as refused:
        pool(make_identity(ENT_B), {"config_ids": config}, h.engine)
    assert refused.value.code == "not_found"


@pytest.mark.parametrize(
    "params,field",
    [
        ({}, "config_ids"),
        ({"config_ids": "a,a"}, "config_ids"),
        ({"config_ids": "a", "enterprise_type": "owner"}, "enterprise_type"),
        ({"config_ids": "a", "ie_flag": "I"}, "(query).ie_flag"),
    ],
)
def test_the_pool_refuses_a_malformed_query_naming_the_parameter(h, params, field):
    with pytest.raises(DomainError) as refused:
        pool(h.identity, params, h.engine)
    assert refused.value.code == "invalid_request"
    assert field in [d["field"] for d in refused.value.details]


def test_the_batch_history_lists_the_executions_batches_newest_first(h):
    # Given an execution whose first batch declared two, then a mark woke it for a second
    config = h.config()
    h.declarations_marked(2)
    execution_id = h.start(config)
    h.run()
    h.wait_and_run()  # the batch after the wait finds nothing: it sleeps
    history = execution_batches(h.identity, execution_id, h.engine)
    assert [(b["index"], b["claimed"], b["succeeded"]) for b in history] == [(2, 0, 0), (1, 2, 2)]


def test_the_batch_history_of_another_enterprises_execution_is_not_found(h):
    execution_id = h.start(h.config())
    with pytest.raises(DomainError) as refused:
        execution_batches(make_identity(ENT_B), execution_id, h.engine)
    assert refused.value.code == "not_found"


def test_an_execution_whose_batch_found_nothing_says_it_waits_for_marked_declarations(h):
    # Given a running execution with nothing marked
    execution_id = h.start(h.config())
    h.run()
    # Then it says it is idle, not that a batch is about to start
    view = get_execution(h.identity, execution_id, h.engine)
    assert (view["status"], view["idle"]) == ("running", True)


def test_an_execution_with_work_or_stopped_is_not_idle(h):
    config = h.config()
    h.declarations_marked(1)
    execution_id = h.start(config)
    h.run()
    assert get_execution(h.identity, execution_id, h.engine)["idle"] is False  # waits the batch wait
    h.wait_and_run()
    assert get_execution(h.identity, execution_id, h.engine)["idle"] is True
    assert stop_execution(h.identity, execution_id, h.engine)["idle"] is False

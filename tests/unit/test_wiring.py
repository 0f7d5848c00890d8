"""The composition root (chalicelib/container.py): the production adapters and the fakes fill the
same ports, and a function handler runs on the production wiring with the fakes passed in."""

from __future__ import annotations

import inspect
import json

import pytest

from chalicelib.config import Settings
from chalicelib.container import Container, bootstrap
from chalicelib.services import exchange_ports, ports
from chalicelib.services.batches import start_batch
from tests import exchange_fakes, fakes
from tests.engine_harness import Harness

# Every port, the wiring's name for it, and its fake. A new port is added here with both sides.
PORTS = {
    ports.DeclarationRepository: ("declarations", fakes.FakeDeclarationRepository),
    ports.ConfigRepository: ("configs", fakes.FakeConfigRepository),
    ports.ColumnMappingRepository: ("column_mappings", fakes.FakeColumnMappingRepository),
    ports.PartsRepository: ("parts", fakes.FakePartsRepository),
    ports.PriceHistory: ("price_history", fakes.FakePriceHistory),
    ports.EnterpriseRepository: ("enterprises", fakes.FakeEnterpriseRepository),
    ports.SeqNoAllocator: ("seq_nos", fakes.FakeSeqNoAllocator),
    ports.CustomsGateway: ("customs", fakes.FakeCustoms),
    ports.LogisticsGateway: ("logistics", fakes.FakeLogistics),
    ports.ExecutionRepository: ("executions", fakes.FakeExecutionRepository),
    ports.BatchRepository: ("batches", fakes.FakeBatchRepository),
    ports.DeclarationLog: ("log", fakes.FakeDeclarationLog),
    ports.UnitOfWork: ("uow", fakes.FakeUnitOfWork),
    ports.WorkQueue: ("queue", fakes.FakeWorkQueue),
    ports.Counter: ("counter", fakes.FakeCounter),
    ports.WindowCounter: ("window_counter", fakes.FakeWindowCounter),
    ports.ReceiptRepository: ("receipts", exchange_fakes.FakeReceipts),
    ports.EventPublisher: ("publisher", exchange_fakes.RecordingPublisher),
    ports.SubscriptionRepository: ("subscriptions", fakes.FakeSubscriptions),
    ports.DeliveryLog: ("deliveries", fakes.FakeDeliveryLog),
    exchange_ports.ExchangeOutbox: ("exchange_outbox", exchange_fakes.FakeExchangeOutbox),
    exchange_ports.AgentCredentials: ("agent_credentials", exchange_fakes.FakeAgentCredentials),
    exchange_ports.CustomsChannels: ("customs_channels", exchange_fakes.FakeCustomsChannels),
    exchange_ports.InboxFiles: ("inbox_files", exchange_fakes.FakeInboxFiles),
}


def _ports_of(module) -> set[type]:
    return {
        c
        for c in vars(module).values()
        if inspect.isclass(c) and c.__module__ == module.__name__ and inspect.isabstract(c)
    }


@pytest.fixture(scope="module")
def production() -> Container:
    # The production defaults, built offline: no table binding, no call made (clients are only created)
    settings = Settings(
        customs_endpoint="http://127.0.0.1:9", events_topic_arn="arn:aws-cn:sns:cn-north-1:000000000000:wiring-test"
    )
    return Container(settings, bind=False)


def test_every_port_is_listed_with_its_wiring_name_and_its_fake():
    assert _ports_of(ports) | _ports_of(exchange_ports) == set(PORTS)


@pytest.mark.parametrize("port", list(PORTS), ids=lambda p: p.__name__)
def test_the_production_default_and_the_fake_implement_every_method_of_the_port(port, production):
    name, fake = PORTS[port]
    default = type(getattr(production, name))
    for implementation in (default, fake):
        assert issubclass(implementation, port) and not inspect.isabstract(implementation), implementation
        for method in port.__abstractmethods__:
            _takes_the_ports_arguments(port, implementation, method)


def _takes_the_ports_arguments(port: type, implementation: type, method: str) -> None:
    """The implementation accepts every call the port describes: its parameters, by the same names
    and kinds; anything more it takes has a default."""
    wanted = list(inspect.signature(getattr(port, method)).parameters.values())
    given = inspect.signature(getattr(implementation, method)).parameters
    where = f"{implementation.__name__}.{method}"
    for p in wanted:
        assert p.name in given, f"{where} lacks {p.name}"
        assert given[p.name].kind == p.kind, f"{where}: {p.name} is {given[p.name].kind}, the port's {p.kind}"
    extra = [p for n, p in given.items() if n not in {w.name for w in wanted}]
    assert all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in extra), where


def test_bootstrap_refuses_an_adapter_the_wiring_has_no_name_for():
    with pytest.raises(TypeError, match="customs_gateway"):
        bootstrap(customs_gateway=fakes.FakeCustoms())


def test_a_given_adapter_is_used_and_the_defaults_are_still_built_only_when_first_used():
    customs = fakes.FakeCustoms()
    wiring = bootstrap(customs=customs)
    assert wiring.customs is customs
    assert "declarations" not in vars(wiring) and "engine" not in vars(wiring)  # nothing else built yet


def test_on_the_exchange_channel_the_wiring_declares_into_the_outbox_it_was_given():
    outbox = exchange_fakes.FakeExchangeOutbox()
    wiring = bootstrap(Settings(customs_channel="exchange"), bind=False, exchange_outbox=outbox)
    response = wiring.customs.declare("I202400000000001", b"<DecMessage/>", ent_code="1105910159")
    assert response.queued and [s.client_seq_no for s in outbox.sends("I202400000000001")] == ["I202400000000001"]


def test_the_engine_of_the_wiring_is_made_of_the_adapters_given():
    h = Harness()
    engine = h.engine
    assert (engine.declarations, engine.uow, engine.queue, engine.log) == (h.declarations, h.uow, h.queue, h.log)
    assert engine.clock is h.clock and engine.publisher is None


# ---- a function handler on fakes ----------------------------------------------------------------


def _sqs_event(messages: list[dict], prefix: str) -> dict:
    records = [
        {"messageId": f"{prefix}-{i}", "receiptHandle": f"{prefix}-{i}", "body": json.dumps(m), "attributes": {}}
        for i, m in enumerate(messages)
    ]
    return {"Records": records}


def test_the_submission_function_declares_each_message_once_on_the_wiring_with_fakes_even_delivered_twice(
    fake_container,
):
    from functions import submit, validate
    from infra.local_runner import LambdaContext

    h = fake_container
    seq_nos = h.declarations_marked(2)
    execution_id = h.start(h.config())
    start_batch(h.engine, execution_id, 0)  # the batch function's step, due at once
    h.queue.triggers.clear()
    taken, h.queue.validation = h.queue.validation, []
    assert validate.handler(_sqs_event(taken, "v"), LambdaContext("validation")) == {"batchItemFailures": []}
    to_submit, h.queue.submission = h.queue.submission, []
    assert sorted(m["seq_no"] for m in to_submit) == sorted(seq_nos)

    first = submit.handler(_sqs_event(to_submit, "s"), LambdaContext("submission"))
    again = submit.handler(_sqs_event(to_submit, "s2"), LambdaContext("submission"))  # SQS delivers again

    assert first == again == {"batchItemFailures": []}
    assert sorted(h.customs.sent) == sorted(seq_nos) and h.customs.duplicates == 0  # ClientSeqNo: our seq_no
    assert {(h.decl(s).status, h.decl(s).smart_status) for s in seq_nos} == {("declared", "succeeded")}


def test_a_record_the_submission_function_cannot_read_fails_alone(fake_container):
    from functions import submit
    from infra.local_runner import LambdaContext

    event = _sqs_event([{"seq_no": "I2024000000000000"}], "s")
    event["Records"].insert(0, {"messageId": "garbage", "receiptHandle": "g", "body": "not json", "attributes": {}})
    result = submit.handler(event, LambdaContext("submission"))
    assert {"itemIdentifier": "garbage"} in result["batchItemFailures"]
    assert fake_container.customs.sent == []

"""Drive the engine on fakes: start, then deliver queue messages (once or twice) until quiet.

The engine comes from the production wiring (chalicelib/container.bootstrap) with the fakes of
tests/fakes.py passed in, so what the functions get is what these tests drive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.config import Settings
from chalicelib.container import Container, bootstrap
from chalicelib.services import configs as config_service
from chalicelib.services.batches import start_batch
from chalicelib.services.executions import start_execution
from chalicelib.services.import_declarations import ImportRecord, import_declarations
from chalicelib.services.submit_declaration import submit_declaration
from chalicelib.services.validate_declaration import validate_declaration
from tests.factories import FixedClock, make_config_body, make_declaration_body, make_identity
from tests.fakes import (
    FakeBatchRepository,
    FakeConfigRepository,
    FakeCounter,
    FakeCustoms,
    FakeDeclarationLog,
    FakeDeclarationRepository,
    FakeExecutionRepository,
    FakeLogistics,
    FakePartsRepository,
    FakePriceHistory,
    FakeSeqNoAllocator,
    FakeUnitOfWork,
    FakeWorkQueue,
)


def fake_wiring(clock=None, settings: Settings | None = None, **adapters) -> Container:
    """The production wiring on fakes: the engine's repositories, queue and gateways (any of them
    replaceable by name; customs=None leaves the settings' channel to the wiring), batches of 100.
    `settings` (a channel, say) never move the DynamoDB models: nothing here reaches them."""
    declarations = adapters.setdefault("declarations", FakeDeclarationRepository())
    log = adapters.setdefault("log", FakeDeclarationLog())
    adapters.setdefault("uow", FakeUnitOfWork(declarations, log))
    for name, fake in (
        ("configs", FakeConfigRepository),
        ("executions", FakeExecutionRepository),
        ("batches", FakeBatchRepository),
        ("queue", FakeWorkQueue),
        ("counter", FakeCounter),
        ("customs", FakeCustoms),
        ("logistics", FakeLogistics),
        ("seq_nos", FakeSeqNoAllocator),
        ("parts", FakePartsRepository),
        ("price_history", FakePriceHistory),
    ):
        if name not in adapters:
            adapters[name] = fake()
    if adapters["customs"] is None:
        del adapters["customs"]
    return bootstrap(settings, clock=clock or FixedClock(), bind=False, **adapters)


@dataclass
class Harness:
    clock: FixedClock = field(default_factory=FixedClock)
    declarations: FakeDeclarationRepository = field(default_factory=FakeDeclarationRepository)
    configs: FakeConfigRepository = field(default_factory=FakeConfigRepository)
    queue: FakeWorkQueue = field(default_factory=FakeWorkQueue)
    customs: FakeCustoms = field(default_factory=FakeCustoms)
    logistics: FakeLogistics = field(default_factory=FakeLogistics)
    log: FakeDeclarationLog = field(default_factory=FakeDeclarationLog)
    deliver_twice: bool = False
    settings: Settings | None = None  # the exchange channel's, say (then customs=None: the wiring's gateway)
    more: dict[str, Any] = field(default_factory=dict)  # other adapters, by their names in the wiring

    def __post_init__(self) -> None:
        self.uow = FakeUnitOfWork(self.declarations, self.log)
        self.allocator = FakeSeqNoAllocator()
        self.wiring: Container = fake_wiring(
            clock=self.clock,
            declarations=self.declarations,
            configs=self.configs,
            uow=self.uow,
            log=self.log,
            queue=self.queue,
            customs=self.customs,
            logistics=self.logistics,
            seq_nos=self.allocator,
            settings=self.settings,
            **self.more,
        )
        self.customs = self.wiring.customs
        self.engine = self.wiring.engine
        self.identity = make_identity()

    def config(self, **overrides) -> str:
        body = make_config_body(**{"require_manifest": False, "compare_manifest": False, **overrides})
        return config_service.create_config(self.identity, body, self.configs, self.clock).config_id

    def declarations_marked(self, n: int = 1, smart_mark: bool = True, **overrides) -> list[str]:
        overrides.setdefault("self_pay", False)
        records = [ImportRecord(raw=make_declaration_body(**overrides)) for _ in range(n)]
        return import_declarations(
            self.identity, records, smart_mark, self.declarations, self.allocator, self.clock
        ).accepted

    def start(self, *config_ids: str, enterprise_type: str = "agent") -> str:
        execution = start_execution(
            self.identity, {"enterprise_type": enterprise_type, "config_ids": list(config_ids)}, self.engine
        )
        return execution.execution_id

    def run(self, max_rounds: int = 50) -> None:
        """Deliver every queued message (batch triggers only when due), until nothing moves."""
        for _ in range(max_rounds):
            moved = False
            while self.queue.validation or self.queue.submission:
                if self.queue.validation:
                    message = self.queue.validation.pop(0)
                    for _ in range(2 if self.deliver_twice else 1):
                        validate_declaration(message, self.engine, self.logistics)
                else:
                    message = self.queue.submission.pop(0)
                    for _ in range(2 if self.deliver_twice else 1):
                        submit_declaration(message, self.engine, self.customs)
                moved = True
            due = [t for t in self.queue.triggers if t[2] == 0]
            if due:
                self.queue.triggers.remove(due[0])
                start_batch(self.engine, due[0][0], due[0][1])
                moved = True
            if not moved:
                return

    def wait_and_run(self, seconds: int | None = None) -> None:
        """Let the batch wait pass, fire the pending triggers, run."""
        pending, self.queue.triggers = self.queue.triggers, []
        for execution_id, after, delay in pending:
            self.clock.advance(seconds=seconds if seconds is not None else delay)
            start_batch(self.engine, execution_id, after)
        self.run()

    def decl(self, seq_no: str):
        return self.declarations.items[seq_no]

    def execution(self, execution_id: str):
        return self.engine.executions.get(execution_id)

"""The agent and the simulator's client mode together, in the real shapes: the agent's zips taken by
the simulated Single Window client, its Successed_/Failed_ answers (GB18030) and DEC_RESULT receipts
forwarded whole to the service and archived; a failed try retried; a card failure forwarded."""

from __future__ import annotations

import time

import pytest

from infra.customs_simulator.client_mode import SingleWindowClient, make_sandbox
from infra.customs_simulator.server import CustomsSimulator

SEQS = [f"I2024000000000030{n}" for n in range(4)]


@pytest.fixture
def root(tmp_path):
    return make_sandbox(tmp_path / "海关 单一窗口" / "ImpPath")


@pytest.fixture
def simulated():
    simulator = CustomsSimulator(receipt_delay_seconds=0.01)
    yield simulator
    simulator.stop()


def until(predicate, agent, client, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        agent.step()
        client.tick()
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("not reached in time")


def test_declarations_go_through_the_simulated_client_and_every_answer_reaches_the_service(
    make_agent, fake, root, simulated
):
    # Given four declarations: one refused by customs, one failing its first try, one with a card failure
    for seq in SEQS:
        fake.queue(seq, note="SANDBOX:REJECT" if seq == SEQS[1] else "")
    client = SingleWindowClient(simulated, root, seed=1)
    client.force_failures(SEQS[2], 1)
    client.force_card_failure(SEQS[3], "C134")
    agent = make_agent()
    # When the agent and the client run until the service has every answer and receipt
    until(lambda: len(fake.receipts) >= 8, agent, client)  # 4 answers, 2 receipts for each of the 2 accepted
    # Then each kind arrived as the client wrote it
    kinds = sorted(r["kind"] for r in fake.receipts.values())
    assert kinds == ["DEC_RESULT"] * 4 + ["DecImportResponse"] * 4
    names = sorted(name for name, _ in fake.receipts)
    assert sum(n.startswith("Successed_") for n in names) == 2 and sum(n.startswith("Failed_") for n in names) == 2
    assert (SEQS[2], 1, 1, "send_failed") in fake.event_set() and (SEQS[2], 1, 2, "sent") in fake.event_set()
    assert all(item.state == "sent" for item in fake.items.values())
    assert list((root / "Deccus001" / "InBox").iterdir()) == []

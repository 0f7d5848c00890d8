"""A hundred declarations through the agent while it is killed at random steps (seeded, so every run
is the same run), and at random requests after the service committed and before the agent read the
answer; the client fails some sends, and SQS delivers every submit message twice. The agent talks to
the service's own use cases (tests/agent/service_transport.py on the engine harness): every
declaration is declared (or given up) exactly once, its message written once per try, and every
answer and receipt applied once."""

from __future__ import annotations

import os
import random
from collections import Counter
from pathlib import Path

import pytest

import smartdecl_client
from chalicelib.domain.smart_status import SmartStatus
from smartdecl_agent.names import parse_outgoing
from tests.exchange_fakes import exchange_harness
from tests.exchange_files import agent as agent_identity
from tests.exchange_files import successed

from .conftest import Killed
from .service_transport import ServiceTransport

SEED = 20241206
DECLARATIONS = 100


class Client:
    """The Single Window client, one move at a time: OutBox → SentBox, then its Successed_ answer and
    customs' 入库成功 receipt in InBox (each its own SeqNo and entry number); or → FailBox."""

    def __init__(self, root: Path, fail: dict[str, int]) -> None:
        self.box, self.fail = root / "Deccus001", fail
        self.taken: list[str] = []
        self.numbers: dict[str, int] = {}

    def act(self) -> None:
        for path in sorted((self.box / "OutBox").glob("*.zip")):
            name = parse_outgoing(path.name)
            assert name is not None, path.name
            self.taken.append(path.name)
            seq = name.client_seq_no
            if self.fail.get(seq, 0) > 0:
                self.fail[seq] -= 1
                os.replace(path, self.box / "FailBox" / path.name)
                continue
            os.replace(path, self.box / "SentBox" / path.name)
            n = self.numbers.setdefault(seq, len(self.numbers) + 1)
            self.write(*successed(seq, name.try_no, customs_seq_no=customs_seq_no(n)))
            self.write(f"Receipt_{customs_seq_no(n)}_L_20240321110821000.xml", receipt(seq, n))

    def write(self, name: str, data: bytes) -> None:
        """As the client does: under `.tmp`, then renamed."""
        partial = self.box / "InBox" / f"{name}.tmp"
        partial.write_bytes(data)
        os.replace(partial, self.box / "InBox" / name)


def customs_seq_no(n: int) -> str:
    return f"I2024900{n:010d}"


def entry_id(n: int) -> str:
    return f"0101202410{n:08d}"


def receipt(seq: str, n: int) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<DEC_RESULT>'
        f"<CUS_CIQ_NO>{customs_seq_no(n)}</CUS_CIQ_NO><ENTRY_ID>{entry_id(n)}</ENTRY_ID>"
        "<NOTICE_DATE>2024-03-21T11:02:21</NOTICE_DATE><CHANNEL>L</CHANNEL><NOTE>海关入库成功</NOTE>"
        f"<CUSTOM_MASTER>0101</CUSTOM_MASTER><CLIENT_SEQ_NO>{seq}</CLIENT_SEQ_NO></DEC_RESULT>"
    ).encode()


@pytest.fixture
def service(fake, monkeypatch):
    """The engine harness on the exchange channel, its submit messages delivered twice; the agent's
    requests reach its use cases through the client library's transport (instead of the fake service)."""
    h, x, outbox = exchange_harness()
    h.deliver_twice = True
    transport = ServiceTransport(x, agent_identity())
    monkeypatch.setattr(smartdecl_client, "TRANSPORT", transport)
    return h, outbox, transport


def test_a_hundred_declarations_with_random_kills_are_each_declared_exactly_once(service, make_agent, clock, root):
    h, outbox, transport = service
    rng = random.Random(SEED)
    seqs = h.declarations_marked(DECLARATIONS)
    planned = {seq: rng.choices([0, 1, 2, 3], weights=[80, 12, 5, 3])[0] for seq in seqs}  # tries that fail
    client = Client(root, dict(planned))
    kills: Counter[str] = Counter()

    def fault(point: str) -> None:
        if rng.random() < 0.03:
            kills[point] += 1
            raise Killed(point)

    transport.after = lambda method, path: fault(f"answer of {method} {path.split('/')[2]}")
    h.start(h.config(batch_wait_seconds=5))
    h.run()
    agent = make_agent(fault=fault)
    for _ in range(400):
        try:
            agent.step()
        except Killed:
            agent.journal.close()
            for moved in (clock, h.clock):  # a restart takes a while: leases taken before the kill have run out
                moved.advance(seconds=301)
            agent = make_agent(fault=fault)
        client.act()
        h.wait_and_run()  # the next batch, once this one is answered
        if all(h.decl(s).smart_status != SmartStatus.IN_PROGRESS for s in seqs) and not any(
            any((root / "Deccus001" / box).iterdir()) for box in ("OutBox", "FailBox", "InBox")
        ):
            break
    else:
        raise AssertionError("not every declaration answered in 400 passes")

    assert sum(kills.values()) >= 20, kills  # the agent did die, often, at many steps
    assert len(kills) >= 8, kills
    # every declaration declared once, or given up after three tries; one send each, never a second
    given_up = {s for s in seqs if planned[s] >= 3}
    ends = {s: h.decl(s) for s in seqs}
    assert {s for s, d in ends.items() if d.smart_status == SmartStatus.FAILED} == given_up
    assert all(d.smart_status == SmartStatus.SUCCEEDED for s, d in ends.items() if s not in given_up)
    assert sorted(outbox.items) == sorted((s, 1) for s in seqs)
    batches = [h.engine.batches.get(b) for b in {d.batch_no for d in ends.values()}]
    assert sum(b.succeeded for b in batches) == DECLARATIONS - len(given_up)  # counted once
    assert sum(b.failed for b in batches) == len(given_up)
    # every try's file written exactly once, and exactly the tries the client's failures call for
    assert len(client.taken) == len(set(client.taken))
    for seq in seqs:
        tries = min(planned[seq], 2) + 1
        assert [n for n in client.taken if f"_{seq}_" in n] == [f"I_{seq}_t-{n}.zip" for n in range(1, tries + 1)]
    # every answer and receipt applied once: one line each in the declaration's log, the receipt's status
    for seq, decl in ends.items():
        lines = Counter((e.gate, str(e.outcome)) for e in h.log.list(seq))
        if seq in given_up:
            assert lines[("exchange", "gave_up")] == 1, seq
            continue
        assert (lines[("exchange", "accepted")], lines[("receipt", "L")]) == (1, 1), seq
        assert (decl.status, decl.receipt_channel) == ("accepted", "L"), seq
        assert decl.entry_id == entry_id(client.numbers[seq]), seq
    archived = [p.name for p in (root / "smartdecl" / "archive").rglob("*") if p.is_file()]
    assert len(archived) == len(set(archived))
    assert not any((root / "smartdecl" / "quarantine").iterdir())

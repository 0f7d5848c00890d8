"""A hundred declarations through the agent while it is killed at random steps (seeded, so every run
is the same run) and the client fails some sends: every declaration is written once per try, sent or
given up once, and every answer applied and archived once."""

from __future__ import annotations

import random
from collections import Counter

from .conftest import Killed

SEED = 20241206
DECLARATIONS = 100


def test_a_hundred_declarations_with_random_kills_are_each_declared_exactly_once(make_agent, fake, client, root):
    rng = random.Random(SEED)
    seqs = [f"I2024{n:013d}" for n in range(1, DECLARATIONS + 1)]
    for seq in seqs:
        fake.queue(seq)
        client.fail[seq] = rng.choices([0, 1, 2, 3], weights=[80, 12, 5, 3])[0]
    planned = dict(client.fail)
    kills = Counter()

    def fault(point: str) -> None:
        if rng.random() < 0.03:
            kills[point] += 1
            raise Killed(point)

    agent = make_agent(fault=fault)
    for _ in range(400):
        try:
            agent.step()
        except Killed:
            agent.journal.close()
            fake.advance(301)  # a restart takes a while: leases taken before the kill have run out
            agent = make_agent(fault=fault)
        client.act()
        if all(item.state in ("sent", "gave_up") for item in fake.items.values()) and not any(
            (root / "Deccus001" / box).iterdir() for box in ("OutBox", "FailBox", "InBox")
        ):
            break

    assert sum(kills.values()) >= 20, kills  # the agent did die, often, at many steps
    assert len(kills) >= 8, kills
    # every try's file exactly once, and exactly the tries the client's failures call for
    assert len(client.taken) == len(set(client.taken))
    for seq in seqs:
        tries = min(planned[seq], 2) + 1
        expected = [f"I_{seq}_t-{n}.zip" for n in range(1, tries + 1)]
        assert [name for name in client.taken if f"_{seq}_" in name] == expected, seq
        assert fake.items[(seq, 1)].state == ("gave_up" if planned[seq] >= 3 else "sent"), seq
    # every answer and receipt reached the service once (repeats answered `duplicate`) and was archived once
    assert len(fake.receipts) == 2 * client.answered == 2 * sum(1 for s in seqs if planned[s] < 3)
    archived = [p.name for p in (root / "smartdecl" / "archive").rglob("*") if p.is_file()]
    assert len(archived) == len(set(archived))

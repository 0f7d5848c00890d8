"""The agent killed just after each of its steps, then a fresh agent on the same folders and journal:
nothing is lost and nothing is written twice (docs/customs-channel.md, "Crash cases").

One scenario holds every step: A is sent at once, B fails once and is sent as t-2, C fails three
times and is given up, and InBox holds a file the service cannot read. The kill is deterministic: a
fault hook raises at the named step the first time it is reached."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smartdecl_agent.agent import FAULT_POINTS
from smartdecl_agent.journal import Journal
from smartdecl_agent.names import OutgoingName

from .conftest import Killed

A, B, C = "I20240000000000001", "I20240000000000002", "I20240000000000003"
EXPECTED_FILES = [f"I_{A}_t-1.zip", f"I_{B}_t-1.zip", f"I_{B}_t-2.zip"] + [f"I_{C}_t-{n}.zip" for n in (1, 2, 3)]
EXPECTED_EVENTS = {
    (A, 1, 1, "sent"),
    (B, 1, 1, "send_failed"),
    (B, 1, 2, "sent"),
    (C, 1, 1, "send_failed"),
    (C, 1, 2, "send_failed"),
    (C, 1, 3, "gave_up"),
}
GARBLED = "Failed_unreadable_20240320"


def run_scenario(make_agent, fake, client, point: str | None, rounds: int = 20) -> bool:
    """The scenario until everything is answered; the agent dies once at `point`. True if it died."""
    died = False

    def fault(at: str) -> None:
        nonlocal died
        if at == point and not died:
            died = True
            raise Killed(at)

    for seq in (A, B, C):
        fake.queue(seq)
    client.fail.update({B: 1, C: 3})
    client.write_inbox(GARBLED, b"\x00 this is no XML")
    agent = make_agent(fault=fault)
    for _ in range(rounds):
        try:
            agent.step()
        except Killed:
            agent.journal.close()  # the process is gone; a new one starts, after the leases ran out
            fake.advance(301)
            agent = make_agent()
        client.act()
    return died


@pytest.mark.parametrize("point", FAULT_POINTS)
def test_an_agent_killed_after_any_step_and_restarted_loses_nothing_and_writes_nothing_twice(
    make_agent, fake, client, root, point
):
    died = run_scenario(make_agent, fake, client, point)

    assert died, f"the scenario never reached {point}"
    # every file was written once, each try once: the client never saw a name twice
    assert sorted(client.taken) == sorted(EXPECTED_FILES)
    # the service heard every event (repeats are harmless: each is idempotent by send, try, kind)
    assert fake.event_set() == EXPECTED_EVENTS
    assert {seq: item.state for (seq, _), item in fake.items.items()} == {A: "sent", B: "sent", C: "gave_up"}
    assert all(item.acks for item in fake.items.values())
    # every InBox file was applied once and archived once; the unreadable one is in quarantine
    box = root / "Deccus001"
    archive = sorted(p.name for p in (root / "smartdecl" / "archive").rglob("*") if p.is_file())
    inbox_archived = [n for n in archive if not n.endswith(".zip")]
    assert len(fake.receipts) == client.answered * 2 == len(inbox_archived) == len(set(inbox_archived))
    assert [p.name for p in (root / "smartdecl" / "quarantine").iterdir()] == [GARBLED]
    # the failed tries are archived; nothing is left anywhere half-done
    assert [n for n in archive if n.endswith(".zip")] == sorted(
        [f"I_{B}_t-1.zip"] + [f"I_{C}_t-{n}.zip" for n in (1, 2, 3)]
    )
    for folder in ("OutBox", "FailBox", "InBox"):
        assert list((box / folder).iterdir()) == [], folder
    assert list(box.glob("~smartdecl-*")) == []
    # the journal on the PC keeps no message once done: names and SHA-256 only, the bytes overwritten
    assert_journal_keeps_no_message(root)


def assert_journal_keeps_no_message(root):
    journal = Journal(root / "smartdecl" / "journal.sqlite3", durable=False)
    try:
        tries = journal.of_seq_no(A) + journal.of_seq_no(B) + journal.of_seq_no(C)
    finally:
        journal.close()
    assert len(tries) == len(EXPECTED_FILES) and all(t.message == b"" and len(t.sha256) == 64 for t in tries)
    assert b"DecMessage" not in (root / "smartdecl" / "journal.sqlite3").read_bytes()


def test_the_scenario_without_a_kill_ends_the_same(make_agent, fake, client, root):
    assert run_scenario(make_agent, fake, client, None) is False
    assert sorted(client.taken) == sorted(EXPECTED_FILES) and fake.event_set() == EXPECTED_EVENTS
    assert len(fake.events) == len(EXPECTED_EVENTS)  # without a kill, no event is even repeated
    assert_journal_keeps_no_message(root)


def test_a_journal_of_an_earlier_version_drops_the_messages_done_when_opened(root):
    path = root / "smartdecl" / "journal.sqlite3"
    journal = Journal(path, durable=False)
    now = datetime(2024, 3, 20, 10, 0, tzinfo=UTC)
    for seq in (A, B):
        name = OutgoingName("I", seq, 1)
        journal.record(
            name, send_no=1, first_try=1, sha256="0" * 64, message=b"<DecMessage/>", lease_token=None, now=now
        )
    journal._db.execute("UPDATE tries SET state = 'sent' WHERE client_seq_no = ?", (A,))  # as an earlier agent left it
    journal.close()

    reopened = Journal(path, durable=False)
    try:
        assert [t.message for t in reopened.of_seq_no(A)] == [b""]
        assert [t.message for t in reopened.of_seq_no(B)] == [b"<DecMessage/>"]  # still being written: kept
    finally:
        reopened.close()

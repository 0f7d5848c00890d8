"""The agent's loop, one behaviour at a time, against the fake service and the client double."""

from __future__ import annotations

import hashlib
import os
import time
import zipfile

import pytest

from smartdecl_agent.journal import GAVE_UP, HANDED, SENT, WRITING
from smartdecl_agent.names import OutgoingName

from .conftest import Killed, dec_result, failure, success

SEQ = "I20240000000000001"
SEQ2 = "I20240000000000002"


def outbox(root):
    return sorted(p.name for p in (root / "Deccus001" / "OutBox").iterdir())


def archived(root):
    return sorted(p.name for p in (root / "smartdecl" / "archive").rglob("*") if p.is_file())


# ---- take, write ahead, acknowledge -----------------------------------------------------------------


def test_a_taken_message_is_written_into_outbox_as_the_clients_zip_and_acknowledged(make_agent, fake, root):
    # Given a queued declaration
    item = fake.queue(SEQ)
    # When the agent takes it
    make_agent().step()
    # Then OutBox holds I_<ClientSeqNo>_t-1.zip holding I_<ClientSeqNo>_t-1.xml, the message's bytes
    assert outbox(root) == [f"I_{SEQ}_t-1.zip"]
    with zipfile.ZipFile(root / "Deccus001" / "OutBox" / f"I_{SEQ}_t-1.zip") as written:
        assert written.namelist() == [f"I_{SEQ}_t-1.xml"]
        assert written.read(f"I_{SEQ}_t-1.xml") == item.xml
    # and the service was told, with the XML's sha256 and the lease it handed out
    assert item.state == "written"
    assert item.acks == [{"lease_token": "lease-1", "file_name": f"I_{SEQ}_t-1.zip", "sha256": item.sha256, "try": 1}]


def test_an_export_is_written_under_e(make_agent, fake, root):
    fake.queue("E20240000000000007", ie_flag="E")
    make_agent().step()
    assert outbox(root) == ["E_E20240000000000007_t-1.zip"]


def test_the_zip_is_written_beside_outbox_and_renamed_in_never_written_in_place(make_agent, fake, root):
    def die_when_staged(point: str) -> None:
        if point == "staged":
            raise Killed(point)

    fake.queue(SEQ)
    with pytest.raises(Killed):
        make_agent(fault=die_when_staged).step()
    # the client could only ever see a whole file: nothing in OutBox yet, the zip beside it
    assert outbox(root) == []
    assert (root / "Deccus001" / f"~smartdecl-I_{SEQ}_t-1.zip.part").is_file()


def test_a_message_handed_out_again_after_its_acknowledgement_was_lost_is_acknowledged_not_written_again(
    make_agent, fake, root, client
):
    # Given an agent killed when the service had answered the acknowledgement
    item = fake.queue(SEQ)

    def die_after_ack(point: str) -> None:
        if point == "acknowledged":
            raise Killed(point)

    with pytest.raises(Killed):
        make_agent(fault=die_after_ack).step()
    client.act()  # the client sends it meanwhile
    # When a fresh agent runs
    make_agent().step()
    # Then it acknowledged again (the same answer), wrote nothing, and reported it sent
    assert client.taken == [f"I_{SEQ}_t-1.zip"] and outbox(root) == []
    assert len(item.acks) == 2 and item.state == "sent"


def test_a_file_of_the_same_client_seq_no_already_in_sentbox_is_not_written_again_when_the_journal_was_lost(
    make_agent, fake, root, client
):
    # Given a declaration written and sent, and then the journal deleted (a reinstalled PC)
    item = fake.queue(SEQ)
    make_agent().step()
    client.act()
    (root / "smartdecl" / "journal.sqlite3").unlink()
    item.state, item.lease_expires = "taken", None  # and the service hands it out again
    # When a fresh agent takes it
    make_agent().step()
    # Then the file in SentBox is recognised (same name, same bytes): acknowledged, not written again
    assert client.taken == [f"I_{SEQ}_t-1.zip"] and outbox(root) == []
    assert item.state in ("written", "sent")


def test_another_message_under_a_file_name_already_used_is_refused(make_agent, fake, root, client):
    # Given a t-1 file in SentBox whose message is not the one the service now hands out
    fake.queue(SEQ)
    make_agent().step()
    client.act()
    (root / "smartdecl" / "journal.sqlite3").unlink()
    fake.items.clear()
    other = fake.queue(SEQ, note="changed")
    # When a fresh agent takes it
    make_agent().step()
    # Then nothing is written and nothing acknowledged: a person must look
    assert outbox(root) == [] and other.acks == []


def test_a_message_whose_bytes_do_not_match_its_sha256_is_not_written(make_agent, fake, root, monkeypatch):
    item = fake.queue(SEQ)
    monkeypatch.setattr(type(item), "sha256", property(lambda self: "0" * 64))
    make_agent().step()
    assert outbox(root) == [] and item.acks == []


def test_an_acknowledgement_whose_lease_was_handed_out_again_waits_for_the_next_take(make_agent, fake, root, client):
    # Given an agent killed between its rename and its journal's `written`; meanwhile the lease ran
    # out and the item was handed out again (a take whose answer never arrived)
    item = fake.queue(SEQ)

    def die_after_rename(point: str) -> None:
        if point == "renamed":
            raise Killed(point)

    with pytest.raises(Killed):
        make_agent(fault=die_after_rename).step()
    fake.advance(301)
    fake._take(10)
    # When the fresh agent runs: it finishes the write (the file is there), but its lease is lost
    agent = make_agent()
    agent.step()
    assert outbox(root) == [f"I_{SEQ}_t-1.zip"] and item.state == "taken"
    # Then when the item comes back with a new lease it is acknowledged, and still written once
    fake.advance(301)
    agent.step()
    assert item.state == "written" and item.acks[-1]["lease_token"] == "lease-3"
    assert outbox(root) == [f"I_{SEQ}_t-1.zip"]


# ---- SentBox, FailBox ---------------------------------------------------------------------------------


def test_a_file_the_client_sent_is_reported_once(make_agent, fake, client):
    item = fake.queue(SEQ)
    agent = make_agent()
    agent.step()
    client.act()
    agent.step()
    agent.step()
    assert fake.events == [(SEQ, 1, 1, "sent")] and item.state == "sent"
    assert agent.journal.get(f"I_{SEQ}_t-1.zip").state == SENT


def test_a_failed_try_is_written_again_as_the_next_try_and_the_failed_zip_archived(make_agent, fake, root, client):
    # Given the client fails the first try
    fake.queue(SEQ)
    client.fail[SEQ] = 1
    agent = make_agent()
    agent.step()
    client.act()
    # When the agent looks
    agent.step()
    # Then it reported the failure, wrote t-2 (holding t-2.xml, the same message) and archived t-1
    assert fake.events == [(SEQ, 1, 1, "send_failed")]
    assert outbox(root) == [f"I_{SEQ}_t-2.zip"]
    with zipfile.ZipFile(root / "Deccus001" / "OutBox" / f"I_{SEQ}_t-2.zip") as written:
        assert written.namelist() == [f"I_{SEQ}_t-2.xml"]
    assert archived(root) == [f"I_{SEQ}_t-1.zip"]
    assert list((root / "Deccus001" / "FailBox").iterdir()) == []
    client.act()
    agent.step()
    assert fake.events[-1] == (SEQ, 1, 2, "sent")


def test_a_send_is_given_up_after_three_failed_tries_and_no_fourth_file_is_written(make_agent, fake, root, client):
    item = fake.queue(SEQ)
    client.fail[SEQ] = 5
    agent = make_agent()
    for _ in range(5):
        agent.step()
        client.act()
    agent.step()
    assert client.taken == [f"I_{SEQ}_t-1.zip", f"I_{SEQ}_t-2.zip", f"I_{SEQ}_t-3.zip"]
    assert fake.events == [(SEQ, 1, 1, "send_failed"), (SEQ, 1, 2, "send_failed"), (SEQ, 1, 3, "gave_up")]
    assert item.state == "gave_up" and outbox(root) == []
    assert agent.journal.get(f"I_{SEQ}_t-3.zip").state == GAVE_UP
    assert archived(root) == [f"I_{SEQ}_t-{n}.zip" for n in (1, 2, 3)]


def test_a_new_send_after_a_refusal_counts_its_tries_on_from_the_service_s_first_try(make_agent, fake, root, client):
    # Given send 1 went out as t-1 and was refused; a person pressed continue: send 2 starts at t-2
    fake.queue(SEQ)
    agent = make_agent()
    agent.step()
    client.act()
    agent.step()
    second = fake.queue(SEQ, send_no=2, first_try=2)
    # When the agent takes it
    agent.step()
    # Then it is written as t-2 and acknowledged as send 2
    assert outbox(root) == [f"I_{SEQ}_t-2.zip"]
    assert second.acks[0]["try"] == 2 and second.state == "written"


def test_a_file_in_sentbox_the_agent_never_wrote_is_left_alone(make_agent, fake, root):
    stray = root / "Deccus001" / "SentBox" / "I_I20230000000000099_t-1.zip"
    stray.write_bytes(b"not ours")
    make_agent().step()
    assert stray.exists() and fake.events == []


# ---- InBox --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_every_inbox_file_is_forwarded_whole_and_archived_after_the_service_answered(
    make_agent, fake, root, client, encoding
):
    # Given a Successed_ file (no extension, as the client names it), a Failed_ one and a receipt
    files = {
        f"Successed_I_{SEQ}_t-1_202403201000001234567": success(SEQ, "I20249000000000001", encoding),
        f"Failed_I_{SEQ2}_t-1_202403201000002234567": failure(SEQ2, "申报地海关不存在", encoding),
        "Receipt_I20249000000000001_L_20240320100001000.xml": dec_result(SEQ, "L"),
    }
    for name, data in files.items():
        client.write_inbox(name, data)
    # When the agent runs
    make_agent().step()
    # Then the service got each file's exact bytes once, and InBox is empty; the files are in the dated archive
    assert {name: count for (name, _), count in fake.forwarded.items()} == dict.fromkeys(files, 1)
    for name, data in files.items():
        assert (name, hashlib.sha256(data).hexdigest()) in fake.receipts
    assert list((root / "Deccus001" / "InBox").iterdir()) == []
    assert archived(root) == sorted(files)
    assert {p.parent.name for p in (root / "smartdecl" / "archive").rglob("*") if p.is_file()} == {"2024-03-20"}


def test_a_file_the_client_is_still_writing_is_not_forwarded(make_agent, fake, root):
    partial = root / "Deccus001" / "InBox" / f"Successed_I_{SEQ}_t-1_20240320100000.tmp"
    partial.write_bytes(b"<DecImportResponse><ResponseCode>0</Resp")
    make_agent().step()
    assert fake.forwarded == {} and partial.exists()


def test_an_inbox_file_the_service_cannot_read_goes_to_quarantine_and_is_never_deleted(make_agent, fake, root, client):
    client.write_inbox("Failed_garbled_20240320", b"\x00\x01 not xml")
    agent = make_agent()
    agent.step()
    assert (root / "smartdecl" / "quarantine" / "Failed_garbled_20240320").read_bytes() == b"\x00\x01 not xml"
    assert list((root / "Deccus001" / "InBox").iterdir()) == []
    assert agent.journal.inbox_outcomes() == {"quarantined": 1}


def test_inbox_files_wait_where_they_are_while_the_service_is_unreachable(make_agent, fake, root, client):
    # Given the service down
    client.write_inbox(f"Successed_I_{SEQ}_t-1_202403201000001234567", success(SEQ, "I20249000000000001"))
    fake.down = True
    agent = make_agent()
    agent.step()
    assert len(list((root / "Deccus001" / "InBox").iterdir())) == 1 and not agent.service_reachable
    # When it is back
    fake.down = False
    agent.step()
    # Then the file is forwarded and archived
    assert list((root / "Deccus001" / "InBox").iterdir()) == [] and agent.service_reachable


def test_the_same_name_arriving_again_is_archived_beside_the_first_never_over_it(make_agent, fake, root, client):
    agent = make_agent()
    client.write_inbox("Receipt_X_L_1.xml", dec_result(SEQ, "L"))
    agent.step()
    client.write_inbox("Receipt_X_L_1.xml", dec_result(SEQ, "P"))
    agent.step()
    assert archived(root) == ["Receipt_X_L_1.xml", "Receipt_X_L_1.xml~2"]


# ---- heartbeat ----------------------------------------------------------------------------------------


def test_the_heartbeat_tells_the_folders_and_the_client_up(make_agent, fake, root):
    make_agent().step(take=False, beat=True)
    (beat,) = fake.heartbeats
    assert beat["client"] == "up" and beat["journal"] == {"unacknowledged": 0}
    assert beat["folders"]["outbox"] == {"count": 0, "oldest_age_seconds": None}
    assert set(beat["folders"]) == {"outbox", "sentbox", "failbox", "inbox", "quarantine"}
    assert beat["agent_version"] and beat["hostname"] and beat["clock"]


def test_a_file_sitting_in_outbox_for_five_minutes_means_the_client_is_down(make_agent, fake, root, clock):
    fake.queue(SEQ)
    agent = make_agent()
    agent.step()
    written = root / "Deccus001" / "OutBox" / f"I_{SEQ}_t-1.zip"
    six_minutes_ago = clock().timestamp() - 360
    os.utime(written, (six_minutes_ago, six_minutes_ago))
    agent.step(take=False, beat=True)
    assert fake.heartbeats[-1]["client"] == "down"
    assert fake.heartbeats[-1]["folders"]["outbox"]["oldest_age_seconds"] >= 300


def test_the_heartbeat_takes_the_service_s_poll_interval(make_agent, fake):
    agent = make_agent()
    agent.step(take=False, beat=True)
    assert agent.take_seconds == 5


def test_the_client_is_unknown_when_its_folders_are_missing(make_agent, fake, root):
    for name in ("OutBox", "SentBox", "FailBox", "InBox"):
        (root / "Deccus001" / name).rmdir()
    make_agent().step(take=False, beat=True)
    assert fake.heartbeats[-1]["client"] == "unknown"


# ---- the journal ----------------------------------------------------------------------------------------


def test_the_journal_records_the_try_before_any_file_exists(make_agent, fake, root):
    def die_when_journaled(point: str) -> None:
        if point == "journaled":
            raise Killed(point)

    fake.queue(SEQ)
    with pytest.raises(Killed):
        make_agent(fault=die_when_journaled).step()
    entry = make_agent().journal.get(OutgoingName("I", SEQ, 1).zip_name)
    assert entry is not None and entry.state == WRITING and outbox(root) == []


def test_the_loop_runs_until_stopped(make_agent, fake, root):
    import threading

    fake.queue(SEQ)
    agent = make_agent()
    stop = threading.Event()
    runner = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    runner.start()
    deadline = time.monotonic() + 5
    while not outbox(root) and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    runner.join(5)
    assert outbox(root) == [f"I_{SEQ}_t-1.zip"] and not runner.is_alive()
    assert agent.journal.get(f"I_{SEQ}_t-1.zip").state == HANDED


def test_a_refused_credential_is_logged_once_not_at_every_scan(make_agent, fake, caplog):
    fake.credential = "sdag_OTHER.key"  # revoked: every request answers 401
    agent = make_agent()
    with caplog.at_level("ERROR", logger="smartdecl.agent"):
        for _ in range(5):
            agent.step()
    refused = [r.getMessage() for r in caplog.records if "401" in r.getMessage()]
    assert refused == ["service refused (take): 401 sign_in_required: An agent credential is required"]


def test_an_inbox_file_that_cannot_be_moved_yet_does_not_hold_up_the_others(
    make_agent, fake, root, client, monkeypatch
):
    # Given two answers, the first still held open by the client (Windows refuses to move it)
    import smartdecl_agent.agent as agent_module

    held = client.write_inbox(f"Successed_I_{SEQ}_t-1_202403201000001234567", success(SEQ, "I20249000000000001"))
    client.write_inbox(f"Successed_I_{SEQ2}_t-1_202403201000002234567", success(SEQ2, "I20249000000000002"))
    real_move = agent_module.move_into

    def locked(path, folder):
        if path == held:
            raise PermissionError(32, "The process cannot access the file because it is being used by another process")
        return real_move(path, folder)

    monkeypatch.setattr(agent_module, "move_into", locked)
    agent = make_agent()
    agent.step()
    # Then the other one is archived; the held one waits in InBox, forwarded (and answered) once
    assert [p.name for p in (root / "Deccus001" / "InBox").iterdir()] == [held.name]
    assert archived(root) == [f"Successed_I_{SEQ2}_t-1_202403201000002234567"]
    # and once released it is archived, the service answering its repeat as a duplicate
    monkeypatch.setattr(agent_module, "move_into", real_move)
    agent.step()
    assert list((root / "Deccus001" / "InBox").iterdir()) == [] and len(fake.receipts) == 2


def test_the_agent_never_makes_the_client_s_folders(make_agent, fake, root):
    # Given a root whose OutBox is missing (the client never ran there, or the root is wrong)
    (root / "Deccus001" / "OutBox").rmdir()
    item = fake.queue(SEQ)
    make_agent().step()
    # Then nothing is written or acknowledged, and no OutBox appears: doctor says what to do
    assert not (root / "Deccus001" / "OutBox").exists() and item.acks == []

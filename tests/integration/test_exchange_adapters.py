"""The exchange channel's adapters on moto: the outbox of sends (keys, indexes, conditions), the
unit of work moving a send with its declaration, the agents table."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.adapters.exchange_gateway import ExchangeCustomsGateway
from chalicelib.adapters.exchange_outbox import DynamoExchangeOutbox
from chalicelib.domain import lifecycle
from chalicelib.domain.declaration_log import LogEntry
from chalicelib.domain.exchange import Answer, Send, SendState
from chalicelib.services.exchange_ports import Credential, SendMoved, SendWrite
from chalicelib.services.ports import ConditionFailed
from tests.factories import ENT_A, ENT_B

XML = '<?xml version="1.0" encoding="UTF-8"?><DecMessage Version="4.8"><备注>中文</备注></DecMessage>'.encode()


def send(container, seq_no="I20240000000000001", send_no=1, ent=ENT_A["code"], **overrides) -> Send:
    return Send(
        client_seq_no=seq_no,
        send_no=send_no,
        ent_code=ent,
        ie_flag="I",
        message_version="4.8",
        sha256=hashlib.sha256(XML).hexdigest(),
        first_try=1,
        created_at=container.clock(),
        xml=XML,
        **overrides,
    )


def test_a_send_is_put_once_and_read_back_without_its_xml_except_where_it_is_handed_out(container):
    outbox = DynamoExchangeOutbox()

    assert outbox.put(send(container)) is True
    assert outbox.put(send(container)) is False

    [stored] = outbox.sends("I20240000000000001")
    assert (stored.state, stored.xml, stored.first_try) == (SendState.QUEUED, b"", 1)
    [due] = outbox.due(ENT_A["code"], container.clock(), 10)
    assert due.xml == XML  # byte for byte, Chinese included


def test_the_lease_reads_queued_sends_then_expired_leases_of_the_enterprise_only(container):
    outbox = DynamoExchangeOutbox()
    now = container.clock()
    for n, ent in ((1, ENT_A["code"]), (2, ENT_A["code"]), (3, ENT_B["code"])):
        outbox.put(send(container, seq_no=f"I2024000000000000{n}", ent=ent))
    first = outbox.get("I20240000000000001", 1)
    assert first is not None
    outbox.save(first.take(now, "t1"), first.version)

    assert [s.client_seq_no for s in outbox.due(ENT_A["code"], now, 10)] == ["I20240000000000002"]
    later = now + timedelta(minutes=5)
    assert {s.client_seq_no for s in outbox.due(ENT_A["code"], later, 10)} == {
        "I20240000000000001",
        "I20240000000000002",
    }
    assert outbox.counts(ENT_A["code"]) == {"queued": 1, "taken": 1, "written": 0, "sent": 0}


def test_a_save_from_a_stale_version_is_refused(container):
    outbox = DynamoExchangeOutbox()
    outbox.put(send(container))
    read = outbox.get("I20240000000000001", 1)
    assert read is not None
    outbox.save(read.take(container.clock(), "t1"), read.version)

    with pytest.raises(SendMoved):
        outbox.save(read.take(container.clock(), "t2"), read.version)


def test_an_answered_send_leaves_the_indexes_and_expires(container):
    from chalicelib.adapters.dynamo_models import ExchangeOutboxModel

    outbox = DynamoExchangeOutbox()
    outbox.put(send(container))
    read = outbox.get("I20240000000000001", 1)
    assert read is not None and [s.client_seq_no for s in outbox.open_sends()] == ["I20240000000000001"]

    outbox.save(read.answered(container.clock(), Answer.REFUSED, message="退回"), read.version)

    item = ExchangeOutboxModel.get("I20240000000000001", 1)
    assert item.ent_state is None and item.open_shard is None and item.expires_at is not None
    assert outbox.open_sends() == [] and outbox.first_open(ENT_A["code"]) is None


def test_the_gateway_answers_queued_and_a_second_declare_finds_the_send(container):
    gateway = ExchangeCustomsGateway(DynamoExchangeOutbox(), clock=container.clock)

    first = gateway.declare("I20240000000000001", XML, ent_code=ENT_A["code"])
    again = gateway.declare("I20240000000000001", XML, ent_code=ENT_A["code"])

    assert (first.queued, first.send_no, again.send_no) == (True, 1, 1)
    assert gateway.lookup("I20240000000000001") == first
    assert len(DynamoExchangeOutbox().sends("I20240000000000001")) == 1


def test_a_send_and_its_declaration_move_in_one_write_or_not_at_all(enabled_api, container):
    from tests.factories import make_declaration_body

    [seq_no] = enabled_api.post("/declarations", {"declarations": [make_declaration_body()], "smart_mark": True}).json[
        "accepted"
    ]
    outbox = DynamoExchangeOutbox()
    outbox.put(send(container, seq_no=seq_no))
    now = container.clock()
    decl = container.declarations.get(seq_no)
    claimed = lifecycle.claim(decl, now, batch_no="B1", execution_id="E1", config_id="C", config_name="c", deadline=now)
    container.engine.uow.commit(claimed)
    entry = LogEntry(now, "submit", "handed_over", "已交", "handed over")
    container.engine.uow.commit(lifecycle.handed_over(claimed.after, now, entry, 1))
    decl = container.declarations.get(seq_no)
    before = outbox.get(seq_no, 1)
    assert before is not None
    written = before.take(now, "t").acknowledge(now, lease_token="t", sha256=before.sha256, file_name="f", try_no=1)
    moved = lifecycle.handover_moved(decl, now, LogEntry(now, "exchange", "written", "写入", "written"), 1, "written")

    # a stale send refuses the whole write: the declaration did not move either
    with pytest.raises(SendMoved):
        container.engine.uow.commit(moved, send=SendWrite(written, before.version + 1))
    assert container.declarations.get(seq_no).handover == "queued"
    # a stale declaration refuses it too: the send did not move
    with pytest.raises(ConditionFailed):
        container.engine.uow.commit(replace(moved, before=replace(decl, version=0)), send=SendWrite(written, 1))
    assert outbox.get(seq_no, 1).state == SendState.QUEUED  # type: ignore[union-attr]

    container.engine.uow.commit(moved, send=SendWrite(written, before.version))
    assert container.declarations.get(seq_no).handover == "written"
    assert outbox.get(seq_no, 1).state == SendState.WRITTEN  # type: ignore[union-attr]


def test_credentials_are_listed_by_enterprise_revoked_once_and_keep_no_key(container):
    now = container.clock()
    creds = container.agent_credentials
    for n, ent in ((1, ENT_A), (2, ENT_A), (3, ENT_B)):
        creds.add(Credential(f"AG{n:016d}", ent["code"], ent["uscc"], f"PC{n}", "h" * 64, now, "card"))

    creds.revoke("AG0000000000000001", now)
    creds.revoke("AG0000000000000001", now + timedelta(hours=1))
    creds.contact("AG0000000000000002", now, "BROKER-PC", "1.0.0")

    mine = {c.credential_id: c for c in creds.list(ENT_A["code"])}
    assert set(mine) == {"AG0000000000000001", "AG0000000000000002"}
    assert mine["AG0000000000000001"].revoked_at == now
    assert (mine["AG0000000000000002"].hostname, mine["AG0000000000000002"].last_contact_at) == ("BROKER-PC", now)


def test_a_channel_is_written_with_its_version_and_read_many_at_once(container):
    channels = container.customs_channels
    channels.save(ENT_A["code"], {"last_contact_at": "2024-03-21T03:07:21.000Z"}, None)

    with pytest.raises(SendMoved):
        channels.save(ENT_A["code"], {}, None)
    channels.save(ENT_A["code"], {"client": "down"}, 1)

    assert channels.get_many([ENT_A["code"], ENT_B["code"]]) == {ENT_A["code"]: ({"client": "down"}, 2)}


def test_inbox_files_are_parked_under_a_seq_no_and_kept_once_newest_first(container):
    files, now = container.inbox_files, container.clock()
    files.park(ENT_A["code"], "I20249000000000001", "f1", "Receipt_1.xml", "中文".encode(), now)

    assert files.parked(ENT_A["code"], "I20249000000000001") == [("f1", "Receipt_1.xml", "中文".encode())]
    files.unpark(ENT_A["code"], "I20249000000000001", "f1")
    assert files.parked(ENT_A["code"], "I20249000000000001") == []
    assert files.keep(ENT_A["code"], "k1", {"file_name": "a"}, now) is True
    assert files.keep(ENT_A["code"], "k1", {"file_name": "a"}, now) is False
    files.keep(ENT_A["code"], "k2", {"file_name": "b"}, now + timedelta(seconds=1))
    assert [f["file_id"] for f in files.kept(ENT_A["code"])] == ["k2", "k1"]
    assert files.kept(ENT_B["code"]) == []

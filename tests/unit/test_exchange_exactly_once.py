"""Exactly once through the exchange channel (docs/customs-channel.md), with deterministic
interleavings: the agent and the client overtake the submission's own write, the service hands a
message out again, the same InBox file comes twice, receipts arrive before the answer."""

from __future__ import annotations

from chalicelib.domain.exchange import SendState
from chalicelib.domain.smart_status import SmartStatus
from chalicelib.services import exchange, exchange_inbox
from chalicelib.services.batches import start_batch
from chalicelib.services.engine import Invocation
from chalicelib.services.submit_declaration import submit_declaration
from chalicelib.services.validate_declaration import validate_declaration
from tests.exchange_fakes import exchange_harness
from tests.exchange_files import CUSTOMS_SEQ_NO, ENTRY_ID, agent, dec_result, sha, stem, successed

AGENT = agent()


def validated():
    """One declaration claimed and validated; its submission message not delivered yet."""
    h, x, outbox = exchange_harness()
    [seq_no] = h.declarations_marked(1)
    h.start(h.config())
    start_batch(h.engine, *h.queue.triggers.pop()[:2])
    while h.queue.validation:
        validate_declaration(h.queue.validation.pop(0), h.engine, h.logistics)
    [message] = h.queue.submission
    h.queue.submission = []
    return h, x, outbox, seq_no, message


def forward(x, file):
    name, data = file
    return exchange_inbox.apply_inbox_file(x, AGENT, name, sha(data), data)


def write(x, seq_no):
    [message] = exchange.take(x, AGENT, None)["messages"]
    body = {"lease_token": message["lease_token"], "file_name": f"{stem(seq_no)}.zip", "sha256": message["sha256"]}
    exchange.acknowledge(x, AGENT, seq_no, 1, {**body, "try": 1})


def test_the_agent_writing_before_the_submission_commits_its_handover_leaves_the_handover_written():
    h, x, outbox, seq_no, message = validated()
    run = Invocation.start(h.engine, [message])
    # Given the submission put the send and holds its handed-over step until its invocation ends
    assert submit_declaration(message, h.engine, h.customs, run) == "handed_over"
    # When the agent takes and writes it meanwhile
    write(x, seq_no)
    run.finish()
    # Then the staged step, overtaken, does not move it back; the message handed over is logged all the same
    decl = h.decl(seq_no)
    assert (decl.handover, decl.send_no, decl.claim_deadline) == ("written", 1, None)
    [handed] = [e for e in h.log.list(seq_no) if e.outcome == "handed_over"]
    assert handed.details["sha256"] == outbox.items[(seq_no, 1)].sha256


def test_the_clients_answer_before_the_submission_commits_declares_it_once_and_counts_it_once():
    h, x, outbox, seq_no, message = validated()
    run = Invocation.start(h.engine, [message])
    submit_declaration(message, h.engine, h.customs, run)
    write(x, seq_no)
    forward(x, successed(seq_no))

    run.finish()

    decl = h.decl(seq_no)
    assert decl.smart_status == SmartStatus.SUCCEEDED and decl.handover is None
    batch = h.engine.batches.get(decl.batch_no)
    assert (batch.succeeded, batch.failed) == (1, 0)


def test_a_message_handed_out_again_is_written_once_by_an_agent_whose_journal_says_written():
    h, x, outbox, seq_no, message = validated()
    submit_declaration(message, h.engine, h.customs)
    [first] = exchange.take(x, AGENT, None)["messages"]
    h.clock.advance(minutes=5)  # the agent crashed after writing, before acknowledging
    [again] = exchange.take(x, AGENT, None)["messages"]
    # its journal says written: it acknowledges the same file under the new lease, writing nothing
    assert (again["send_no"], again["xml_base64"]) == (first["send_no"], first["xml_base64"])
    ack = {"lease_token": again["lease_token"], "file_name": f"{stem(seq_no)}.zip", "sha256": again["sha256"]}

    exchange.acknowledge(x, AGENT, seq_no, 1, {**ack, "try": 1})

    assert outbox.items[(seq_no, 1)].state == SendState.WRITTEN and outbox.puts == 1


def test_receipts_before_the_answer_naming_our_client_seq_no_apply_at_once_and_the_answer_still_declares():
    h, x, outbox, seq_no, message = validated()
    submit_declaration(message, h.engine, h.customs)
    write(x, seq_no)

    first = forward(x, dec_result(seq_no, "L"))  # DEC_RESULT before the DecImportResponse
    answer = forward(x, successed(seq_no))

    decl = h.decl(seq_no)
    assert (first["outcome"], answer["outcome"]) == ("applied", "applied")
    assert (decl.smart_status, decl.status, decl.receipt_channel) == (SmartStatus.SUCCEEDED, "accepted", "L")
    assert (decl.customs_seq_no, decl.entry_id) == (CUSTOMS_SEQ_NO, ENTRY_ID)


def test_a_receipt_naming_only_customs_seq_no_before_the_answer_is_parked_and_applied_when_it_comes():
    h, x, outbox, seq_no, message = validated()
    submit_declaration(message, h.engine, h.customs)
    write(x, seq_no)

    early = forward(x, dec_result(None, "L"))  # real DEC_RESULT: customs' SeqNo, no ClientSeqNo
    assert early["outcome"] == "unmatched" and h.decl(seq_no).receipt_channel is None
    forward(x, successed(seq_no))

    decl = h.decl(seq_no)
    assert (decl.smart_status, decl.receipt_channel, decl.status) == (SmartStatus.SUCCEEDED, "L", "accepted")
    assert x.files.parked(AGENT.ent_code, CUSTOMS_SEQ_NO) == []
    assert forward(x, dec_result(None, "L"))["outcome"] == "duplicate"  # and, forwarded again, once


def test_receipts_in_any_order_and_twice_give_the_same_declaration():
    orders = [["L", "P", "answer"], ["P", "answer", "L", "L"], ["answer", "P", "L", "P"]]
    ends = []
    for order in orders:
        h, x, outbox, seq_no, message = validated()
        submit_declaration(message, h.engine, h.customs)
        write(x, seq_no)
        for item in order:
            forward(x, successed(seq_no) if item == "answer" else dec_result(seq_no, item))
        decl = h.decl(seq_no)
        ends.append((decl.smart_status, decl.status, decl.customs_seq_no, decl.entry_id))
    assert ends == [(SmartStatus.SUCCEEDED, "released", CUSTOMS_SEQ_NO, ENTRY_ID)] * 3


def test_two_agents_taking_at_once_get_the_send_once():
    h, x, outbox, seq_no, message = validated()
    submit_declaration(message, h.engine, h.customs)
    taken_by_the_other = []

    def the_other_agent_takes_first(send):
        outbox.before_save = None
        taken_by_the_other.extend(exchange.take(x, AGENT, None)["messages"])

    outbox.before_save = the_other_agent_takes_first
    mine = exchange.take(x, AGENT, None)["messages"]

    assert (len(mine), len(taken_by_the_other)) == (0, 1)
    assert outbox.items[(seq_no, 1)].handed_out == 1


def test_the_same_inbox_file_forwarded_twice_at_once_is_applied_once():
    h, x, outbox, seq_no, message = validated()
    submit_declaration(message, h.engine, h.customs)
    write(x, seq_no)
    answers = []

    def the_repeat_lands_first(change):
        h.uow.before_commit = None
        answers.append(forward(x, successed(seq_no)))

    h.uow.before_commit = the_repeat_lands_first
    answers.append(forward(x, successed(seq_no)))

    assert [a["outcome"] for a in answers] == ["applied", "duplicate"]
    assert [e.outcome for e in h.log.list(seq_no)].count("accepted") == 1
    assert h.engine.batches.get(h.decl(seq_no).batch_no).succeeded == 1

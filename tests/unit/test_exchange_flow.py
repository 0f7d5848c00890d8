"""A declaration through the exchange channel, on fakes: submission hands it over, the agent takes,
writes and reports it, the client's answer declares or fails it. Every step once, whatever repeats."""

from __future__ import annotations

import base64

import pytest

from chalicelib.domain import errors
from chalicelib.domain.exchange import LEASE, Answer, SendState
from chalicelib.domain.smart_status import SmartStatus
from chalicelib.services import exchange, exchange_inbox
from chalicelib.services.batches import run_schedule
from chalicelib.services.results import continue_declarations
from chalicelib.services.submit_declaration import submit_declaration
from tests.exchange_fakes import exchange_harness
from tests.exchange_files import (
    CUSTOMS_SEQ_NO,
    OTHER_AGENT,
    agent,
    card_failure,
    failed,
    sha,
    stem,
    successed,
)

AGENT = agent()


def handed_over(n: int = 1):
    """n declarations claimed, validated and handed over to the exchange outbox."""
    h, x, outbox = exchange_harness()
    h.start(h.config())
    seq_nos = h.declarations_marked(n)
    h.wait_and_run()
    return h, x, outbox, seq_nos


def take_and_write(x, seq_no: str, send_no: int = 1, try_no: int = 1) -> dict:
    [message] = [m for m in exchange.take(x, AGENT, None)["messages"] if m["client_seq_no"] == seq_no]
    body = {"lease_token": message["lease_token"], "file_name": f"{stem(seq_no, try_no)}.zip"}
    exchange.acknowledge(x, AGENT, seq_no, send_no, {**body, "sha256": message["sha256"], "try": try_no})
    return message


def forward(x, file, identity=AGENT) -> dict:
    name, data = file
    return exchange_inbox.apply_inbox_file(x, identity, name, sha(data), data)


# ---- submission: handed over -----------------------------------------------------------------------


def test_submission_hands_the_declaration_over_and_it_stays_in_progress():
    h, x, outbox, [seq_no] = handed_over()
    decl = h.decl(seq_no)

    assert (decl.smart_status, decl.handover, decl.send_no) == (SmartStatus.IN_PROGRESS, "queued", 1)
    assert decl.claim_deadline is None and decl.sending_until is None
    [send] = outbox.items.values()
    assert (send.client_seq_no, send.send_no, send.first_try, send.ent_code) == (seq_no, 1, 1, decl.owner_ent)
    assert h.log.list(seq_no)[-1].outcome == "handed_over"


def test_a_handed_over_declaration_is_not_released_by_the_claim_deadline():
    h, x, outbox, [seq_no] = handed_over()
    h.clock.advance(hours=2)

    run_schedule(h.engine)

    assert h.decl(seq_no).smart_status == SmartStatus.IN_PROGRESS and h.decl(seq_no).handover == "queued"


def test_a_redelivered_submit_message_puts_no_second_send():
    h, x, outbox, [seq_no] = handed_over()
    decl = h.decl(seq_no)
    message = {"seq_no": seq_no, "batch_no": decl.batch_no, "execution_id": decl.execution_id}

    assert submit_declaration(message, h.engine, h.customs) == "duplicate"
    assert outbox.puts == 1 and len(outbox.items) == 1


def test_a_submission_that_died_after_the_put_is_handed_over_by_its_redelivery_with_the_same_send():
    h, x, outbox = exchange_harness()
    h.start(h.config())
    [seq_no] = h.declarations_marked(1)

    def die_at_the_handover(change):
        if change.after.handover is not None:
            raise RuntimeError("the submission died after putting the send")

    h.uow.before_commit = die_at_the_handover
    with pytest.raises(RuntimeError):
        h.wait_and_run()
    h.uow.before_commit = None
    [message] = [m for m in h.queue.submission] or [
        {"seq_no": seq_no, "batch_no": h.decl(seq_no).batch_no, "execution_id": h.decl(seq_no).execution_id}
    ]
    h.clock.advance(minutes=4)  # the sending lease has ended when the message comes back

    assert submit_declaration(message, h.engine, h.customs) == "handed_over"
    assert len(outbox.items) == 1 and h.decl(seq_no).send_no == 1
    assert h.log.list(seq_no)[-1].reason_en.endswith("(handed over before; not again)")


# ---- the agent: take, write, report ------------------------------------------------------------


def test_the_agent_takes_the_message_with_its_bytes_and_a_lease():
    h, x, outbox, [seq_no] = handed_over()

    [message] = exchange.take(x, AGENT, "10")["messages"]

    send = outbox.items[(seq_no, 1)]
    assert base64.b64decode(message["xml_base64"]) == send.xml and message["sha256"] == send.sha256
    assert (message["send_no"], message["first_try"], message["ie_flag"]) == (1, 1, "I")
    assert exchange.take(x, AGENT, "10")["messages"] == []  # leased: not handed out twice at once


def test_a_send_whose_lease_ran_out_unacknowledged_is_handed_out_again_with_the_same_send_no_and_bytes():
    h, x, outbox, [seq_no] = handed_over()
    first = exchange.take(x, AGENT, None)["messages"][0]  # then the agent died before writing

    h.clock.advance(seconds=LEASE.total_seconds())
    [again] = exchange.take(x, AGENT, None)["messages"]

    assert (again["send_no"], again["xml_base64"], again["sha256"]) == (1, first["xml_base64"], first["sha256"])
    assert again["lease_token"] != first["lease_token"]


def test_written_moves_the_handover_and_a_repeat_answers_the_same_without_a_second_log_line():
    h, x, outbox, [seq_no] = handed_over()
    message = take_and_write(x, seq_no)
    lines = len(h.log.list(seq_no))

    again = exchange.acknowledge(
        x,
        AGENT,
        seq_no,
        1,
        {"lease_token": message["lease_token"], "file_name": "x.zip", "sha256": message["sha256"], "try": 1},
    )

    assert again == {"state": "written"} and h.decl(seq_no).handover == "written"
    assert len(h.log.list(seq_no)) == lines and outbox.items[(seq_no, 1)].state == SendState.WRITTEN


def test_written_with_other_bytes_is_a_conflict():
    h, x, outbox, [seq_no] = handed_over()
    [message] = exchange.take(x, AGENT, None)["messages"]

    with pytest.raises(errors.DomainError) as refused:
        exchange.acknowledge(
            x, AGENT, seq_no, 1, {"lease_token": message["lease_token"], "file_name": "x", "sha256": "a" * 64, "try": 1}
        )
    assert (refused.value.code, refused.value.kind) == ("sha256_mismatch", "conflict")


def test_an_agent_that_crashed_after_writing_acknowledges_under_the_new_lease_when_the_send_comes_back():
    h, x, outbox, [seq_no] = handed_over()
    first = exchange.take(x, AGENT, None)["messages"][0]  # wrote the file, then died before acknowledging
    h.clock.advance(seconds=LEASE.total_seconds())
    [again] = exchange.take(x, AGENT, None)["messages"]  # another run of the agent took it meanwhile

    ack = {"file_name": "x.zip", "sha256": first["sha256"], "try": 1}
    with pytest.raises(errors.DomainError) as lost:
        exchange.acknowledge(x, AGENT, seq_no, 1, {**ack, "lease_token": first["lease_token"]})
    assert lost.value.code == "lease_lost"
    assert exchange.acknowledge(x, AGENT, seq_no, 1, {**ack, "lease_token": again["lease_token"]})["state"] == "written"
    assert h.decl(seq_no).handover == "written"


def test_sent_moves_the_handover_once():
    h, x, outbox, [seq_no] = handed_over()
    take_and_write(x, seq_no)
    event = {"kind": "sent", "try": 1, "file_name": f"{stem(seq_no)}.zip", "at": "2024-03-21T11:07:21+08:00"}

    assert exchange.report(x, AGENT, seq_no, 1, event) == {"state": "sent"}
    lines = len(h.log.list(seq_no))
    assert exchange.report(x, AGENT, seq_no, 1, event) == {"state": "sent"}
    assert h.decl(seq_no).handover == "sent" and len(h.log.list(seq_no)) == lines


def test_three_failed_tries_fail_the_declaration_saying_what_to_do():
    h, x, outbox, [seq_no] = handed_over()
    take_and_write(x, seq_no)
    at = "2024-03-21T11:07:21+08:00"
    for try_no in (1, 2):
        exchange.report(x, AGENT, seq_no, 1, {"kind": "send_failed", "try": try_no, "file_name": "f", "at": at})

    answer = exchange.report(
        x, AGENT, seq_no, 1, {"kind": "gave_up", "try": 3, "file_name": "f", "at": at, "detail": "无法连接"}
    )

    decl = h.decl(seq_no)
    assert answer == {"state": "gave_up"}
    assert decl.smart_status == SmartStatus.FAILED and decl.handover is None
    assert "3次发送均失败" in decl.reason_zh and "Continue" in decl.reason_en
    assert [e.outcome for e in h.log.list(seq_no) if e.gate == "exchange"].count("send_failed") == 2
    assert h.engine.batches.get(decl.batch_no).failed == 1


def test_another_enterprises_agent_sees_and_moves_none_of_its_sends():
    h, x, outbox, [seq_no] = handed_over()

    assert exchange.take(x, OTHER_AGENT, None) == {"messages": []}
    with pytest.raises(errors.DomainError) as missing:
        exchange.report(x, OTHER_AGENT, seq_no, 1, {"kind": "sent", "try": 1, "file_name": "f", "at": "x"})
    assert missing.value.kind == "not_found"


# ---- the client's answer -----------------------------------------------------------------------------


def test_a_successed_file_declares_it_with_customs_seq_no_and_counts_it_on_its_batch():
    h, x, outbox, [seq_no] = handed_over()
    take_and_write(x, seq_no)

    result = forward(x, successed(seq_no))

    decl = h.decl(seq_no)
    assert (result["outcome"], result["kind"], result["seq_no"]) == ("applied", "import_response", seq_no)
    assert (decl.smart_status, decl.status, decl.customs_seq_no, decl.handover) == (
        SmartStatus.SUCCEEDED,
        "declared",
        CUSTOMS_SEQ_NO,
        None,
    )
    assert outbox.items[(seq_no, 1)].answer == Answer.ACCEPTED
    assert h.engine.batches.get(decl.batch_no).succeeded == 1
    assert any(e.event_type == "smart_status_changed" for e in h.uow.events)


def test_the_same_inbox_file_twice_is_applied_once():
    h, x, outbox, [seq_no] = handed_over()
    take_and_write(x, seq_no)
    forward(x, successed(seq_no))
    version, events = h.decl(seq_no).version, len(h.uow.events)

    again = forward(x, successed(seq_no))

    assert again["outcome"] == "duplicate"
    assert h.decl(seq_no).version == version and len(h.uow.events) == events


def test_a_failed_file_fails_it_with_customs_error_message():
    h, x, outbox, [seq_no] = handed_over()
    take_and_write(x, seq_no)

    forward(x, failed(seq_no, message="表头校验失败：申报地海关不正确"))

    decl = h.decl(seq_no)
    assert decl.smart_status == SmartStatus.FAILED
    assert decl.reason_zh == "海关退回：表头校验失败：申报地海关不正确"


def test_a_card_failure_fails_it_naming_the_card_and_what_to_do():
    h, x, outbox, [seq_no] = handed_over()
    take_and_write(x, seq_no)

    result = forward(x, card_failure(seq_no, code="C134"))

    decl = h.decl(seq_no)
    assert result["kind"] == "card_failure" and decl.smart_status == SmartStatus.FAILED
    assert "IC卡/UKey" in decl.reason_zh and "C134" in decl.reason_zh and "C134" in decl.reason_en
    assert outbox.items[(seq_no, 1)].answer == Answer.CARD_FAILED


def test_after_a_refusal_a_new_send_goes_only_through_continue_and_counts_tries_on():
    h, x, outbox, [seq_no] = handed_over()
    take_and_write(x, seq_no)
    forward(x, failed(seq_no))
    assert exchange.take(x, AGENT, None)["messages"] == []  # nothing is sent again by itself

    continue_declarations(h.identity, {"seq_nos": [seq_no]}, h.engine)
    h.wait_and_run()

    [message] = exchange.take(x, AGENT, None)["messages"]
    assert (message["send_no"], message["first_try"]) == (2, 4)
    assert h.decl(seq_no).handover == "queued" and h.decl(seq_no).send_no == 2


def test_a_late_answer_of_the_first_send_does_not_touch_the_second():
    h, x, outbox, [seq_no] = handed_over()
    take_and_write(x, seq_no)
    forward(x, failed(seq_no))
    continue_declarations(h.identity, {"seq_nos": [seq_no]}, h.engine)
    h.wait_and_run()

    late = forward(x, successed(seq_no, try_no=1))  # names t-1: the first send's, answered already

    assert late["outcome"] == "kept"
    assert h.decl(seq_no).smart_status == SmartStatus.IN_PROGRESS and h.decl(seq_no).send_no == 2


def test_an_answer_naming_another_enterprises_declaration_is_kept_unmatched_and_tells_nothing():
    h, x, outbox, [seq_no] = handed_over()
    take_and_write(x, seq_no)

    result = forward(x, successed(seq_no), identity=OTHER_AGENT)

    assert (result["outcome"], result["seq_no"]) == ("unmatched", None)
    assert h.decl(seq_no).smart_status == SmartStatus.IN_PROGRESS


def test_an_answer_before_the_acknowledgement_still_declares_it():
    h, x, outbox, [seq_no] = handed_over()
    exchange.take(x, AGENT, None)  # the client answered before the agent acknowledged

    forward(x, successed(seq_no))

    assert h.decl(seq_no).smart_status == SmartStatus.SUCCEEDED


# ---- declaring by hand through the exchange channel ----------------------------------------------


def test_declaring_by_hand_hands_it_over_and_the_answer_ends_it_as_declaring_by_hand_does():
    from chalicelib.services.manual_declare import declare_by_hand

    h, x, outbox = exchange_harness()
    [seq_no] = h.declarations_marked(1, smart_mark=False)

    answer = declare_by_hand(h.identity, seq_no, h.engine, h.customs)
    take_and_write(x, seq_no)
    forward(x, successed(seq_no))

    assert (answer["smart_status"], answer["handover"]) == ("in_progress", "queued")
    decl = h.decl(seq_no)
    assert (decl.smart_status, decl.status, decl.reason_zh) == (SmartStatus.PENDING, "declared", "已手动申报")


def test_a_refusal_of_a_declaration_declared_by_hand_leaves_it_pending_with_why_and_it_may_be_declared_again():
    from chalicelib.services.manual_declare import declare_by_hand

    h, x, outbox = exchange_harness()
    [seq_no] = h.declarations_marked(1, smart_mark=False)
    declare_by_hand(h.identity, seq_no, h.engine, h.customs)
    take_and_write(x, seq_no)
    forward(x, failed(seq_no, message="申报地海关不正确"))

    assert (h.decl(seq_no).smart_status, h.decl(seq_no).reason_zh) == (
        SmartStatus.PENDING,
        "海关退回：申报地海关不正确",
    )
    again = declare_by_hand(h.identity, seq_no, h.engine, h.customs)
    assert (again["handover"], again["send_no"]) == ("queued", 2)


def test_the_message_is_written_in_the_channels_version_with_decsign_naming_the_card_where_the_writer_takes_them(
    monkeypatch,
):
    from dataclasses import dataclass

    from chalicelib.services import submit_declaration as submission

    @dataclass(frozen=True)
    class Sign:
        ic_code: str | None = None
        cop_code: str | None = None
        cop_name: str | None = None
        cop_uscc: str | None = None

    written = []

    def writer(content, **options):
        written.append(options)
        return b'<?xml version="1.0" encoding="UTF-8"?><DecMessage Version="4.8"/>'

    monkeypatch.setattr(submission, "build_dec_message", writer)
    # a writer that takes version and sign (where the module still asks the writer whether it does)
    monkeypatch.setattr(submission, "_WRITER_TAKES", frozenset({"version", "sign"}), raising=False)
    monkeypatch.setattr(submission, "_DEC_SIGN_INFO", Sign, raising=False)
    monkeypatch.setattr(submission, "SIGNS", True, raising=False)
    h, x, outbox = exchange_harness()
    h.start(h.config(effective_by="user", operator_cards=["8911020000777", h.identity.card_no]))
    [seq_no] = h.declarations_marked(1)
    h.wait_and_run()

    [options] = written
    assert options["version"] == "4.8" and options["sign"].ic_code == h.identity.card_no
    assert options["sign"].cop_code == h.decl(seq_no).owner_ent
    assert outbox.items[(seq_no, 1)].message_version == "4.8"

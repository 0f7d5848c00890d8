"""Use case: send a declaration that passed the gates to customs, exactly once in effect.

Before sending, customs is asked whether this ClientSeqNo already arrived (a crash between the
customs answer and our status write must not send it twice); the message sent is logged with
its SHA-256, so what was declared can be proven later.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import lifecycle
from chalicelib.domain.customs import CustomsResponse
from chalicelib.domain.declaration import Declaration
from chalicelib.domain.declaration_log import LogEntry
from chalicelib.domain.gates import declaring_unit_refusal
from chalicelib.domain.lifecycle import Change
from chalicelib.domain.smart_status import SmartStatus
from chalicelib.formats.dec_message_writer import MESSAGE_VERSION, DecSignInfo, build_dec_message

from .batches import customs_back
from .engine import Engine, Invocation, count_again, recheck_after
from .ports import CustomsGateway, CustomsUnavailable


@dataclass(frozen=True)
class Sent:
    response: CustomsResponse | None  # None: customs unreachable
    entry: LogEntry


def dec_message(decl: Declaration, now: datetime, version: str | None, card: str | None = None) -> bytes:
    """The declaration's DecMessage in the channel's version, its DecSign filled with the card and the
    declaring enterprise and left for the client's card to sign."""
    agent = decl.content.agent
    sign = DecSignInfo(ic_code=card, cop_code=agent.code or decl.owner_ent, cop_name=agent.name, cop_uscc=agent.uscc)
    return build_dec_message(
        decl.content,
        oper_type="C",
        client_seq_no=decl.seq_no,
        sign_time=now,
        version=version or MESSAGE_VERSION,
        sign=sign,
    )


def signing_card(decl: Declaration, config: Any = None) -> str | None:
    """The card DecSign names: the card that marked the declaration, when its config names no cards or
    names it (按用户生效); else the config's first card. The client's card signs; customs checks they agree."""
    cards = getattr(getattr(config, "content", None), "operator_cards", None) or []
    own = decl.marked_by or decl.card_no
    return own if not cards or own in cards else cards[0]


def send_to_customs(
    decl: Declaration, customs: CustomsGateway, now: datetime, who: str = "system", card: str | None = None
) -> Sent:
    refusal = declaring_unit_refusal(decl)
    if refusal is not None:  # who declares: only its declaring unit's channel; customs is not even asked
        return Sent(
            CustomsResponse(False, "local", refusal.reason_zh, decl.seq_no),
            LogEntry(now, "submit", "fail", refusal.reason_zh, refusal.reason_en, who, decl.batch_no, refusal.details),
        )
    try:
        xml = dec_message(decl, now, customs.message_version, card)
    except ValueError as exc:  # e.g. a control character XML cannot carry: the broker must fix the text
        return Sent(
            CustomsResponse(False, "local", str(exc), decl.seq_no),
            LogEntry(
                now,
                "submit",
                "fail",
                f"无法生成报关报文：{exc}",
                f"cannot build the customs message: {exc}",
                who,
                decl.batch_no,
            ),
        )
    digest = hashlib.sha256(xml).hexdigest()
    try:
        earlier = customs.lookup(decl.seq_no)
        # accepted before, or still with the Single Window client: either way not sent again. Nor a
        # send answered that this declaration, as leased, never recorded: a delivery of this very
        # attempt whose invocation died before committing its handover, answered meanwhile (refused,
        # or given up). Its answer stands; only a person's continue, after the declaration took that
        # answer (its send_no), makes another send (the model's finding, docs/model.md).
        unrecorded = earlier is not None and earlier.send_no is not None and earlier.send_no != decl.send_no
        found = earlier is not None and (earlier.accepted or earlier.queued or unrecorded)
        response = (
            earlier if earlier is not None and found else customs.declare(decl.seq_no, xml, ent_code=decl.owner_ent)
        )
    except CustomsUnavailable as exc:
        return Sent(
            None,
            LogEntry(
                now,
                "submit",
                "wait",
                "海关系统暂时无法连接，退回待申报，恢复后自动重试",
                "customs unreachable; back to pending, retried automatically",
                who,
                decl.batch_no,
                {"sha256": digest, "error": str(exc)},
            ),
        )
    details: dict[str, Any] = {
        "sha256": digest,
        "xml": xml.decode("utf-8"),
        "response_code": response.response_code,
        "message": response.message,
        "customs_seq_no": response.seq_no,
        "found_at_customs": found,
    }
    if response.queued:
        details["send_no"] = response.send_no
        details["message_version"] = customs.message_version
        again_zh, again_en = ("(此前已交，未重复交付)", " (handed over before; not again)") if found else ("", "")
        return Sent(
            response,
            LogEntry(
                now,
                "submit",
                "handed_over",
                f"已交报文客户端(第{response.send_no}次发送)，等待报文客户端代理领取" + again_zh,
                f"handed to the Single Window client (send {response.send_no}); waiting for the agent to take it"
                + again_en,
                who,
                decl.batch_no,
                details,
            ),
        )
    if response.accepted:
        zh = "海关已接收申报" + ("(此前已送达，未重复发送)" if found else "")
        en = "accepted by customs" + (" (had arrived before; not sent again)" if found else "")
        return Sent(response, LogEntry(now, "submit", "pass", zh, en, who, decl.batch_no, details))
    return Sent(
        response,
        LogEntry(
            now,
            "submit",
            "fail",
            f"海关退回：{response.message}",
            f"refused by customs: {response.message}",
            who,
            decl.batch_no,
            details,
        ),
    )


_customs_state: dict[str, bool] = {}  # per container: write the execution's flag only when it changes


def submit_declaration(
    message: dict[str, Any], engine: Engine, customs: CustomsGateway, run: Invocation | None = None
) -> str:
    """Returns succeeded | failed | wait | handed_over | duplicate (see validate_declaration for `run`)."""
    if run is not None:
        return _submit(message, engine, customs, run)
    run = Invocation.start(engine, [message])
    try:
        return _submit(message, engine, customs, run)
    finally:
        run.finish()


# ≥ the submission function's timeout (an invocation cannot hold it longer) and ≤ its queue's
# visibility timeout (a dead holder's message comes back after its lease ended); template.yaml
# has 120 s and 720 s, and tests/integration/test_template.py checks both.
SENDING_LEASE = timedelta(seconds=180)
# A quarter of the function's 120 s timeout: beyond it an invocation commits the answers it holds
ANSWERS_HELD_AT_MOST = timedelta(seconds=30)


def _submit(message: dict[str, Any], engine: Engine, customs: CustomsGateway, run: Invocation) -> str:
    decl = run.declaration(message["seq_no"])
    if (
        decl is None
        or decl.smart_status != SmartStatus.IN_PROGRESS
        or decl.batch_no != message["batch_no"]
        or decl.handover is not None  # with the Single Window client: its answer comes through a file
    ):
        count_again(run, decl, message)
        return "duplicate"
    if not holds_lease(engine, run, message):
        return "duplicate"  # another delivery holds it right now: that one sends it (or its message returns)
    decl = run.declarations[message["seq_no"]]  # as leased
    # the config is read once per invocation: its card goes into DecSign
    card = signing_card(decl, run.config(message.get("ent_code") or decl.owner_ent, decl.config_id or ""))
    sent = send_to_customs(decl, _UnlessFoundDown(customs, run), engine.clock(), card=card)
    if sent.response is None or sent.response.response_code != "local":  # customs was asked
        _note_customs(engine, message.get("execution_id"), sent.response is not None)
    answer, still_ours = _answer_steps(sent, run, message, engine.clock())

    # Customs' answers are committed together when the invocation finishes (one request for its
    # batch). Customs sends 入库成功 within a second, and a receipt may be applied to the declaration
    # in progress before that: its staged answer is then made again on the record as it now is. A
    # crash before the commit leaves the answer at customs, where the next delivery's lookup finds it;
    # answers are not held longer than ANSWERS_HELD_AT_MOST (slow customs), so a time-out of the
    # function leaves only the last ones to that lookup, minutes later.
    change = answer(decl)
    run.stage(change, again=(answer, still_ours))
    if run.running_for() >= ANSWERS_HELD_AT_MOST:
        run.finish()
    if change.outcome is None:
        return "handed_over"
    return {"waiting": "wait"}.get(str(change.outcome), str(change.outcome))


def _answer_steps(
    sent: Sent, run: Invocation, message: dict[str, Any], now: datetime
) -> tuple[Callable[[Declaration], Change], Callable[[Declaration], bool]]:
    """The step customs' answer makes on a declaration, and whether a record that moved meanwhile
    still takes it (Invocation.stage's `again`)."""

    def answer(d: Declaration) -> Change:
        if sent.response is None:  # the config is read only here (once per invocation): how long to rest
            rest = recheck_after(run.config(message.get("ent_code") or d.owner_ent, d.config_id or ""))
            return lifecycle.wait(
                d,
                now,
                [sent.entry],
                "customs_unavailable",
                reason_zh=sent.entry.reason_zh,
                reason_en=sent.entry.reason_en,
                recheck_at=now + rest,
            )
        if sent.response.queued:  # the exchange channel: customs answers later, through the client's files
            if d.handover is None and d.smart_status == SmartStatus.IN_PROGRESS:
                return lifecycle.handed_over(d, now, sent.entry, sent.response.send_no or 1)
            return lifecycle.noted(d, now, sent.entry)  # overtaken by the agent: the message is logged all the same
        if sent.response.accepted:
            return lifecycle.declared(d, now, sent.entry, sent.response.seq_no)
        return refused_step(d, now, sent)

    def still_ours(d: Declaration) -> bool:
        # still this message's claim: after an answer, a continue and the next batch's claim, a staged
        # step of the old claim would make the new one wait for a send answered already (the model's
        # finding, docs/model.md)
        if d.batch_no != message["batch_no"]:
            return False
        if sent.response is not None and sent.response.queued:  # the agent's and the client's steps may be first
            return lifecycle.is_its_send(d, sent.response.send_no or 1)
        return d.smart_status == SmartStatus.IN_PROGRESS

    return answer, still_ours


def refused_step(decl: Declaration, now: datetime, sent: Sent) -> Change:
    """Customs refused, or was unreachable: the declaration fails (a batch's) or is pending again with
    why (declared by hand). A refusal the exchange channel's lookup found, of a send the declaration
    never took (it was back in the pool when the answer came), is taken now as that send's answer
    (its send_no): otherwise every later attempt would find the same refusal again, and neither a
    continue nor declaring by hand would ever make the next send."""
    found = sent.response.send_no if sent.response is not None else None
    if found is not None and lifecycle.waits_for(decl, found):
        zh, en = sent.entry.reason_zh, sent.entry.reason_en
        return lifecycle.answered(decl, now, sent.entry, send_no=found, accepted=False, reason_zh=zh, reason_en=en)
    if decl.batch_no is None:
        return lifecycle.hand_declaration_failed(decl, now, sent.entry)
    return lifecycle.fail(decl, now, [sent.entry], reason_zh=sent.entry.reason_zh, reason_en=sent.entry.reason_en)


class _UnlessFoundDown(CustomsGateway):
    """Customs as one invocation sees it: once a call found it unreachable (every retry timed out),
    the rest of the batch goes back to wait at once instead of spending the same time-outs again,
    so a batch of ten stays well inside the function's timeout while customs is down."""

    def __init__(self, customs: CustomsGateway, run: Invocation) -> None:
        self._customs, self._run = customs, run
        self.message_version = customs.message_version

    def declare(self, client_seq_no: str, dec_message_xml: bytes, *, ent_code: str | None = None) -> CustomsResponse:
        return self._call(lambda: self._customs.declare(client_seq_no, dec_message_xml, ent_code=ent_code))

    def lookup(self, client_seq_no: str) -> CustomsResponse | None:
        return self._call(lambda: self._customs.lookup(client_seq_no))

    def _call(self, call):
        if self._run.customs_unreachable:
            raise CustomsUnavailable("customs was unreachable earlier in this invocation")
        try:
            return call()
        except CustomsUnavailable:
            self._run.customs_unreachable = True
            raise


def holds_lease(engine: Engine, run: Invocation, message: dict[str, Any]) -> bool:
    """Does this invocation hold the sending lease of the message's declaration? At its first message
    the invocation takes the lease on every declaration its messages may send, in one request
    (UnitOfWork.commit_many; a lease lost to another writer is dropped from it); a message it did
    not see at the start gets a request of its own. Replaces a Powertools idempotency record per
    message (two requests): the record's own conditional write is what makes a second delivery
    running at the same time back off before customs is asked."""
    now = engine.clock()
    changes = {}
    for m in (*run.messages, message):
        seq_no = m["seq_no"]
        if seq_no in run.leases or seq_no in changes:
            continue
        decl = run.declarations.get(seq_no)
        if decl is not None and lifecycle.may_send(decl, m.get("batch_no"), now):
            changes[seq_no] = lifecycle.start_sending(decl, now, now + SENDING_LEASE)
        elif seq_no == message["seq_no"]:
            run.leases[seq_no] = False
    lost = engine.uow.commit_many(list(changes.values())) if changes else set()
    for change in changes.values():
        run.leases[change.seq_no] = change.seq_no not in lost
        if change.seq_no not in lost:
            run.written(change)
    return run.leases.get(message["seq_no"], False)


def _note_customs(engine: Engine, execution_id: str | None, available: bool) -> None:
    if execution_id and _customs_state.get(execution_id) is not available:
        back = engine.executions.set_customs_available(execution_id, available)
        _customs_state[execution_id] = available
        if back:  # what the declarations waiting for customs wait for has changed: re-check them now
            customs_back(engine, execution_id)

"""Use cases of the exchange channel's agent (docs/customs-channel.md): take the enterprise's sends
under a lease, acknowledge a written file, report what the client did with it.

Each move of a send is one conditional write, together with the declaration's step it causes (the
unit of work's `send`): the send's state and the declaration's `handover` never disagree. Every
request may be repeated: a move the send already made is computed as no move, and the answer is
the same. An agent only ever sees its own enterprise's sends; another's is answered as missing.
InBox files: services/exchange_inbox.py; heartbeats and the channel's state: exchange_channel.py.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from chalicelib.domain import errors, lifecycle
from chalicelib.domain.declaration import Declaration
from chalicelib.domain.declaration_log import LogEntry
from chalicelib.domain.errors import FieldError
from chalicelib.domain.exchange import (
    MAX_TAKE,
    MAX_TRIES,
    Answer,
    EventKind,
    Send,
    SendRefused,
    SendState,
    handover_rank,
)
from chalicelib.domain.identity import Identity

from .engine import Engine
from .exchange_ports import AgentCredentials, CustomsChannels, ExchangeOutbox, InboxFiles, SendMoved, SendWrite
from .ports import ConditionFailed, EventPublisher, ReceiptRepository, StoredReceipt

MAX_ATTEMPTS = 5  # a send or its declaration moved meanwhile: read again and redo the step
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
MAX_FILE_NAME = 255
MAX_DETAIL = 500
Step = Callable[[Declaration, Send, Send], "lifecycle.Change | None"]


@dataclass
class Exchange:
    """What the exchange channel's use cases share: the engine (declarations, their unit of work and
    log), the outbox of sends, the receipts, InBox files kept, the channels and credentials."""

    engine: Engine
    outbox: ExchangeOutbox
    receipts: ReceiptRepository
    files: InboxFiles
    channels: CustomsChannels
    credentials: AgentCredentials
    publisher: EventPublisher | None = None  # channel events (an agent or a client down, back)
    recent: Any = None  # services/receipts.RecentDeclarations
    channel: str = "exchange"
    poll_seconds: int = 5
    handover_watchdog: timedelta = timedelta(minutes=60)
    new_token: Callable[[], str] = field(default=lambda: secrets.token_urlsafe(18))

    def clock(self):
        return self.engine.clock()


# ---- errors ----------------------------------------------------------------------------------


def refused(exc: SendRefused) -> errors.DomainError:
    kind = "conflict" if exc.code in ("lease_lost", "sha256_mismatch") else "bad_request"
    return errors.DomainError(exc.code, exc.message_zh, exc.message_en, kind=kind)


def _send_not_found(client_seq_no: str, send_no: int) -> errors.DomainError:
    return errors.not_found("报文", "send", f"{client_seq_no}/{send_no}")


def _busy() -> errors.DomainError:
    return errors.state_conflict(
        "报文正被其他请求修改，请稍后重试", "the send is being changed by another request; retry"
    )


def _field(name: str, zh: str, en: str) -> errors.DomainError:
    return errors.invalid_request([FieldError(name, zh, en)])


# ---- the agent's lease -----------------------------------------------------------------------


def take(x: Exchange, identity: Identity, max_messages: str | None) -> dict[str, Any]:
    """GET /agent/outbox: up to `max` sends leased to the agent (queued first, then those whose lease
    ran out), each with its XML, the same bytes every time it is handed out."""
    most = _count(max_messages)
    now = x.clock()
    messages = []
    for send in x.outbox.due(identity.ent_code, now, most):
        if send.ent_code != identity.ent_code:  # the index is the enterprise's; the item says so too
            continue
        taken = send.take(now, x.new_token())
        try:
            x.outbox.save(taken, send.version)
        except SendMoved:  # another request of the agent took it first
            continue
        messages.append({**taken.handed_out_json(), "xml_base64": base64.b64encode(send.xml).decode("ascii")})
    return {"messages": messages}


def _count(text: str | None) -> int:
    if text is None:
        return 10
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_TAKE:
        raise _field("max", f"max 须为1至{MAX_TAKE}的整数", f"max must be a whole number from 1 to {MAX_TAKE}")
    return int(text)


def send_number(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 9999:
        raise errors.not_found("报文", "send", text)
    return int(text)


# ---- moving a send, with its declaration ---------------------------------------------------------


def move_send(
    x: Exchange,
    ent_code: str,
    client_seq_no: str,
    send_no: int,
    move: Callable[[Send], Send],
    step: Step,
    receipt: StoredReceipt | None = None,
) -> tuple[Send, Send, lifecycle.Change | None]:
    """Move a send of the enterprise (`ent_code`: the agent's) and, in the same write, take the declaration's step the
    move causes (`step` returns None when the declaration takes none). Returns (before, after, change).
    A send moved or a declaration changed meanwhile is read again and the move made again on it."""
    for _ in range(MAX_ATTEMPTS):
        before = x.outbox.get(client_seq_no, send_no)
        if before is None or before.ent_code != ent_code:
            raise _send_not_found(client_seq_no, send_no)
        try:
            after = move(before)
        except SendRefused as exc:
            raise refused(exc) from None
        decl = x.engine.declarations.get(client_seq_no)
        change = step(decl, before, after) if decl is not None and decl.owner_ent == before.ent_code else None
        if change is None and after is before:
            return before, after, None
        try:
            if change is None:
                x.outbox.save(after, before.version)
            else:
                write = SendWrite(after, before.version) if after is not before else None
                x.engine.uow.commit(change, receipt=receipt, send=write)
        except (SendMoved, ConditionFailed):
            continue
        if change is not None:
            x.engine.publish([change])
            x.engine.outcome(change.after.batch_no, change.outcome, change.seq_no)
        return before, after, change
    raise _busy()


def _ours(decl: Declaration, send: Send) -> bool:
    """The declaration is still waiting on this send: in progress, and this is its send (lifecycle.waits_for)."""
    return lifecycle.waits_for(decl, send.send_no)


def catch_up(x: Exchange, file_name: str | None, try_no: int | None) -> Step:
    """The declaration's `handover` catches up with where its send got (written, sent): logged once."""

    def step(decl: Declaration, before: Send, after: Send) -> lifecycle.Change | None:
        target = after.state if after.state in (SendState.WRITTEN, SendState.SENT) else None
        if target is None or not _ours(decl, after) or handover_rank(target) <= handover_rank(decl.handover):
            return None
        name = file_name or after.file_name or after.file_stem(try_no or after.first_try)
        if target == SendState.WRITTEN:
            zh, en = f"报文已写入报文客户端发件箱(OutBox)：{name}", f"written into the client's OutBox: {name}"
        else:
            zh, en = f"单一窗口客户端已发送报文：{name}", f"sent by the Single Window client: {name}"
        entry = LogEntry(
            x.clock(),
            "exchange",
            str(target),
            zh,
            en,
            "agent",
            decl.batch_no,
            {"send_no": after.send_no, "file_name": name, "try": try_no},
        )
        return lifecycle.handover_moved(decl, x.clock(), entry, after.send_no, str(target))

    return step


# ---- acknowledgements and the client's moves -------------------------------------------------


def acknowledge(x: Exchange, identity: Identity, client_seq_no: str, send_no: int, body: Any) -> dict[str, Any]:
    """POST …/written: the agent wrote the send's (first) file into OutBox."""
    if not isinstance(body, dict):
        raise _field("(body)", "请求体须为JSON对象", "the body must be a JSON object")
    sha256 = body.get("sha256")
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise _field("sha256", "sha256 须为64位十六进制", "sha256 must be 64 hex digits")
    file_name, try_no = _file_name(body), _try(body)
    token = body.get("lease_token")
    if token is not None and not isinstance(token, str):
        raise _field("lease_token", "lease_token 须为字符串", "lease_token must be a string")
    move_send(
        x,
        identity.ent_code,
        client_seq_no,
        send_no,
        lambda s: s.acknowledge(x.clock(), lease_token=token, sha256=sha256, file_name=file_name, try_no=try_no),
        catch_up(x, file_name, try_no),
    )
    return {"state": "written"}  # acknowledged, now or before (the send may have moved on since)


def _agent_state(send: Send) -> str:
    """The state the agent is told: answered sends say how (gave_up, accepted …)."""
    return str(send.answer) if send.answer else str(send.state)


def report(x: Exchange, identity: Identity, client_seq_no: str, send_no: int, body: Any) -> dict[str, Any]:
    """POST …/events: a file of the send reached SentBox (sent) or FailBox (send_failed: the agent
    writes the next try), or the third failed and the agent gave up (the send fails)."""
    if not isinstance(body, dict):
        raise _field("(body)", "请求体须为JSON对象", "the body must be a JSON object")
    try:
        kind = EventKind(str(body.get("kind")))
    except ValueError:
        raise _field(
            "kind", "kind 须为 sent、send_failed 或 gave_up", "kind must be sent, send_failed or gave_up"
        ) from None
    file_name, try_no = _file_name(body), _try(body)
    detail = body.get("detail")
    if detail is not None and (not isinstance(detail, str) or len(detail) > MAX_DETAIL):
        raise _field("detail", f"detail 须为不超过{MAX_DETAIL}字的文字", f"detail must be text of at most {MAX_DETAIL}")
    now = x.clock()
    _, after, _ = move_send(
        x,
        identity.ent_code,
        client_seq_no,
        send_no,
        lambda s: s.event(now, kind, try_no, detail),
        _event_step(x, kind, file_name, try_no, detail),
    )
    return {"state": _agent_state(after)}


def _event_step(x: Exchange, kind: EventKind, file_name: str, try_no: int, detail: str | None) -> Step:
    sent = catch_up(x, file_name, try_no)

    def step(decl: Declaration, before: Send, after: Send) -> lifecycle.Change | None:
        if kind == EventKind.SENT:
            return sent(decl, before, after)
        if after is before or not _ours(decl, after):  # reported before: logged then
            return None
        now = x.clock()
        if kind == EventKind.SEND_FAILED:
            left = after.first_try + MAX_TRIES - 1 - try_no
            why = f"：{detail}" if detail else ""
            entry = LogEntry(
                now,
                "exchange",
                "send_failed",
                f"单一窗口客户端未能发送(第{try_no}次，已移入FailBox){why}；"
                + (f"代理将重新放入发件箱，还可重试{left}次" if left > 0 else "已无重试次数"),
                f"the Single Window client could not send it (try {try_no}, moved to FailBox)"
                + (f": {detail}" if detail else "")
                + (f"; the agent puts it back in OutBox, {left} tries left" if left > 0 else "; no tries left"),
                "agent",
                decl.batch_no,
                {"send_no": after.send_no, "file_name": file_name, "try": try_no, "detail": detail},
            )
            return lifecycle.handover_moved(decl, now, entry, after.send_no, decl.handover or SendState.WRITTEN)
        if after.answer != Answer.GAVE_UP or not before.open:
            return None
        why = f"（{detail}）" if detail else ""
        reason_zh = (
            f"单一窗口客户端{MAX_TRIES}次发送均失败{why}："
            "请检查客户端是否运行、能否联网及IC卡/UKey，然后继续智能辅助申报"
        )
        reason_en = (
            f"the Single Window client failed to send it {MAX_TRIES} times"
            + (f" ({detail})" if detail else "")
            + ": check that the client runs, is online and has its IC card or UKey, then press Continue"
        )
        entry = LogEntry(
            now,
            "exchange",
            "gave_up",
            reason_zh,
            reason_en,
            "agent",
            decl.batch_no,
            {"send_no": after.send_no, "file_name": file_name, "try": try_no, "detail": detail},
        )
        return lifecycle.answered(
            decl, now, entry, send_no=after.send_no, accepted=False, reason_zh=reason_zh, reason_en=reason_en
        )

    return step


def _file_name(body: dict[str, Any]) -> str:
    name = body.get("file_name")
    if not isinstance(name, str) or not name or len(name) > MAX_FILE_NAME or any(c in name for c in "/\\\x00"):
        raise _field("file_name", "file_name 须为文件名", "file_name must be a file name")
    return name


def _try(body: dict[str, Any]) -> int:
    value = body.get("try")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 999:
        raise _field("try", "try 须为正整数", "try must be a positive whole number")
    return value

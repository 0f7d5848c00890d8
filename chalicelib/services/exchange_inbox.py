"""Use case: a file the Single Window client wrote into InBox, forwarded whole by the agent
(POST /agent/inbox), read, matched within the agent's enterprise and applied once, in any order.

- A DecImportResponse (Successed_/Failed_) answers its send: the declaration is *answered* (declared
  with customs' SeqNo, or failed with the ErrorMessage) in the same write as the send and the file,
  which is stored as a receipt under the file's id (its name and SHA-256): the same file twice is
  applied once. A card failure (failCode) fails it, naming the card and what to do.
- DEC_RESULT / DEC_DATA go through services/receipts.apply_receipts, scoped to the enterprise. One
  that names only customs' SeqNo, before the DecImportResponse that tells us that SeqNo arrived, is
  parked under it and applied when that answer comes (receipts out of order).
- An ImportAgrResponse (agency agreement) is logged on the declaration it names, else kept.
- Anything else readable is kept and shown (GET /customs/channel); nothing is dropped. A file that is
  not readable XML is refused (422 unreadable_file): the agent quarantines it.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import unquote

from chalicelib.domain import errors, lifecycle
from chalicelib.domain.declaration import Declaration
from chalicelib.domain.declaration_log import LogEntry
from chalicelib.domain.exchange import Answer, Send
from chalicelib.domain.identity import Identity
from chalicelib.domain.receipts import Receipt
from chalicelib.domain.timestamps import iso
from chalicelib.formats.exchange_files import InboxFile, read_inbox_file

from .exchange import Exchange, _ours, move_send
from .ports import ReceiptAlreadyApplied, StoredReceipt
from .receipts import apply_receipts

KEPT_TEXT = 4000  # characters of a kept file's text shown on the channel (the whole file stays with the agent)


def sha256_mismatch() -> errors.DomainError:
    return errors.DomainError(
        "sha256_mismatch",
        "文件内容与 X-Smartdecl-File-Sha256 不符",
        "the file's bytes do not match X-Smartdecl-File-Sha256",
        kind="bad_request",
    )


def file_id_of(name: str, sha256: str) -> str:
    """A file's receipt id: its name and its content together."""
    return hashlib.sha256(f"{name}\n{sha256}".encode()).hexdigest()


def apply_inbox_file(
    x: Exchange, identity: Identity, name_header: str | None, sha256_header: str | None, data: bytes
) -> dict[str, Any]:
    try:
        name = unquote(name_header or "", errors="strict")
    except UnicodeDecodeError:
        raise errors.invalid_request(
            [
                errors.FieldError(
                    "X-Smartdecl-File-Name",
                    "文件名须为百分号编码的UTF-8",
                    "the file name must be percent-encoded UTF-8",
                )
            ]
        ) from None
    sha256 = hashlib.sha256(data).hexdigest()
    if not sha256_header or sha256_header.strip().lower() != sha256:
        raise sha256_mismatch()
    file_id = file_id_of(name, sha256)
    file = read_inbox_file(name, data)
    if file.kind in ("import_response", "card_failure"):
        return _answer(x, identity, file, file_id, sha256)
    if file.kind == "dec_result":
        return _business(x, identity, file, file_id, data)
    if file.kind == "agreement":
        return _agreement(x, identity, file, file_id, sha256)
    return _keep(x, identity, file, file_id, sha256, "kept")


def _result(file_id: str, file: InboxFile, outcome: str, seq_no: str | None = None) -> dict[str, Any]:
    return {"receipt_id": file_id, "kind": file.kind, "outcome": outcome, "seq_no": seq_no}


# ---- DecImportResponse: the send's answer -----------------------------------------------------


def _send_of(sends: list[Send], try_no: int | None) -> Send | None:
    """The send a file answers: the one its try belongs to, else the ClientSeqNo's latest."""
    if try_no is not None:
        return next((s for s in sends if s.holds_try(try_no)), None)
    return sends[-1] if sends else None


def _answer(x: Exchange, identity: Identity, file: InboxFile, file_id: str, sha256: str) -> dict[str, Any]:
    seq_no = file.client_seq_no
    send = _send_of(x.outbox.sends(seq_no), file.try_no) if seq_no else None
    if seq_no is None or send is None or send.ent_code != identity.ent_code:  # another's is unknown here
        return _keep(x, identity, file, file_id, sha256, "unmatched")
    now = x.clock()
    answer, message = _answer_of(file)
    body = {
        **Receipt.from_read(file.receipts[0], received_at=now, seq_no=seq_no).as_json(),
        "receipt_id": file_id,
        "file_name": file.name.name,
        "file_sha256": sha256,
        "send_no": send.send_no,
        "fail_code": file.fail_code,
    }
    stored = StoredReceipt(file_id, body, seq_no, iso(now) or "")

    def move(s: Send) -> Send:
        return s.answered(
            now,
            answer,
            customs_seq_no=file.customs_seq_no,
            response_code=file.response_code,
            message=message,
            answered_by=file_id,
        )

    def step(decl: Declaration, before: Send, after: Send) -> lifecycle.Change | None:
        if not before.open or after.answered_by != file_id or not _ours(decl, after):
            return None
        return _answered(decl, after, file, file_id, now)

    try:
        before, after, change = move_send(x, identity.ent_code, seq_no, send.send_no, move, step, receipt=stored)
    except ReceiptAlreadyApplied:
        return _again(x, identity, file, file_id, seq_no)
    if change is None:
        if not before.open and before.answered_by == file_id:
            return _again(x, identity, file, file_id, seq_no)
        return _not_applied(x, file, file_id, stored, before, after)
    if answer == Answer.ACCEPTED and file.customs_seq_no:
        if x.recent is not None:
            x.recent.keep(change.after)  # its SeqNo is known here at once (the index follows later)
        _unpark(x, identity, file.customs_seq_no)
    return _result(file_id, file, "applied", seq_no)


def _again(x: Exchange, identity: Identity, file: InboxFile, file_id: str, seq_no: str) -> dict[str, Any]:
    """The same answer forwarded again (the agent got no 2xx): what its first forward may not have
    finished is done now. An invocation that died after its commit and before unparking left the
    receipts parked under customs' SeqNo (the model's finding, docs/model.md); unparking is idempotent."""
    if file.accepted and file.customs_seq_no:
        _unpark(x, identity, file.customs_seq_no)
    return _result(file_id, file, "duplicate", seq_no)


def _answer_of(file: InboxFile) -> tuple[Answer, str | None]:
    if file.accepted:
        return Answer.ACCEPTED, file.error_message
    if file.kind == "card_failure":
        return Answer.CARD_FAILED, file.fail_info or file.error_message
    return Answer.REFUSED, file.error_message


def _not_applied(
    x: Exchange, file: InboxFile, file_id: str, stored: StoredReceipt, before: Send, after: Send
) -> dict[str, Any]:
    """The answer moved no declaration (the send was answered before, or its declaration no longer
    waits for it): the file is kept as a receipt of it, once, and its log says so."""
    seq_no = before.client_seq_no
    if not before.open and before.answered_by == file_id:  # the same file again: it answered the send
        return _result(file_id, file, "duplicate", seq_no)
    if x.receipts.add(file_id, stored.body, seq_no, stored.received_at) is not None:
        return _result(file_id, file, "duplicate", seq_no)
    why = (
        ("该报文此前已有回执", "the send was answered before")
        if not before.open
        else ("报关单当前不在等待此报文的回执", "the declaration is not waiting for this send's answer")
    )
    x.engine.log.append(
        [
            (
                seq_no,
                LogEntry(
                    x.clock(),
                    "exchange",
                    "ignored",
                    f"收到报文客户端回执 {file.name.name}，{why[0]}：未采用，已保存待查",
                    f"the client's answer {file.name.name} arrived, but {why[1]}: not applied, kept for inspection",
                    "agent",
                    None,
                    {"receipt_id": file_id, "send_no": after.send_no},
                ),
            )
        ]
    )
    return _result(file_id, file, "kept", seq_no)


def _answered(decl: Declaration, send: Send, file: InboxFile, file_id: str, now) -> lifecycle.Change:
    details = {
        "receipt_id": file_id,
        "file_name": file.name.name,
        "send_no": send.send_no,
        "response_code": file.response_code,
        "customs_seq_no": file.customs_seq_no,
        "fail_code": file.fail_code,
    }
    if send.answer == Answer.ACCEPTED:
        entry = LogEntry(
            now,
            "exchange",
            "accepted",
            f"海关已接收申报(报文客户端回执 {file.name.name})"
            + (f"，海关统一编号 {file.customs_seq_no}" if file.customs_seq_no else ""),
            f"accepted by customs (the client's answer {file.name.name})"
            + (f", customs seq no {file.customs_seq_no}" if file.customs_seq_no else ""),
            "customs",
            decl.batch_no,
            details,
        )
        return lifecycle.answered(
            decl, now, entry, send_no=send.send_no, accepted=True, customs_seq_no=file.customs_seq_no
        )
    if send.answer == Answer.CARD_FAILED:
        code = file.fail_code or "?"
        info = f"：{file.fail_info}" if file.fail_info else ""
        zh = (
            f"IC卡/UKey签名失败（{code}{info}）：请检查报关员电脑上的IC卡或UKey是否插好、读卡器与证书是否正常，"
            "然后继续智能辅助申报"
        )
        en = (
            f"the IC card or UKey could not sign it (failure {code}): check the card or UKey, its reader and its "
            "certificate on the broker's PC, then press Continue"
        )
        outcome = "card_failed"
    else:
        message = file.error_message or "未说明原因"
        zh, en = f"海关退回：{message}", f"refused by customs: {message}"
        outcome = "refused"
    entry = LogEntry(now, "exchange", outcome, zh, en, "customs", decl.batch_no, details)
    return lifecycle.answered(decl, now, entry, send_no=send.send_no, accepted=False, reason_zh=zh, reason_en=en)


def _unpark(x: Exchange, identity: Identity, customs_seq_no: str) -> None:
    """DEC_RESULT files that named this SeqNo before its DecImportResponse came: applied now."""
    for file_id, name, data in x.files.parked(identity.ent_code, customs_seq_no):
        try:
            reads = list(read_inbox_file(name, data).receipts)
        except errors.DomainError:
            reads = []
        if reads:
            apply_receipts(reads, x.engine, x.receipts, x.recent, tenant=identity.ent_code)
        x.files.unpark(identity.ent_code, customs_seq_no, file_id)


# ---- DEC_RESULT / DEC_DATA: customs' business receipts ---------------------------------------------


def _business(x: Exchange, identity: Identity, file: InboxFile, file_id: str, data: bytes) -> dict[str, Any]:
    result = apply_receipts(list(file.receipts), x.engine, x.receipts, x.recent, tenant=identity.ent_code)
    waiting_for_answer = [u["cus_ciq_no"] for u in result["unmatched"] if u.get("cus_ciq_no")]
    for customs_seq_no in dict.fromkeys(waiting_for_answer):
        x.files.park(identity.ent_code, customs_seq_no, file_id, file.name.name, data, x.clock())
    if result["applied"]:
        outcome = "applied"
    elif result["conflicts"]:
        outcome = "conflict"
    elif result["unmatched"]:
        outcome = "unmatched"
    else:
        outcome = "duplicate"
    return _result(file_id, file, outcome, file.client_seq_no)


# ---- ImportAgrResponse, and what the service cannot apply ----------------------------------------


def _agreement(x: Exchange, identity: Identity, file: InboxFile, file_id: str, sha256: str) -> dict[str, Any]:
    decl = x.engine.declarations.get(file.client_seq_no) if file.client_seq_no else None
    if decl is None or decl.owner_ent != identity.ent_code:
        return _keep(x, identity, file, file_id, sha256, "kept")
    if not x.files.keep(identity.ent_code, file_id, _kept_view(file, sha256, x), x.clock()):
        return _result(file_id, file, "duplicate", decl.seq_no)
    said = file.error_message or file.response_code or ""
    number = f"（委托编号 {file.consign_no}）" if file.consign_no else ""
    x.engine.log.append(
        [
            (
                decl.seq_no,
                LogEntry(
                    x.clock(),
                    "agreement",
                    "receipt",
                    f"代理报关委托协议回执：{said}{number}",
                    f"agency agreement answer: code {file.response_code or '-'}"
                    + (f" (consignment {file.consign_no})" if file.consign_no else ""),
                    "customs",
                    decl.batch_no,
                    {"receipt_id": file_id, "file_name": file.name.name, "consign_no": file.consign_no},
                ),
            )
        ]
    )
    return _result(file_id, file, "applied", decl.seq_no)


def _kept_view(file: InboxFile, sha256: str, x: Exchange) -> dict[str, Any]:
    return {
        "file_name": file.name.name,
        "file_sha256": sha256,
        "kind": file.kind,
        "root": file.root,
        "client_seq_no": file.client_seq_no,
        "received_at": iso(x.clock()),
        "text": file.raw[:KEPT_TEXT],
    }


def _keep(x: Exchange, identity: Identity, file: InboxFile, file_id: str, sha256: str, outcome: str) -> dict[str, Any]:
    if not x.files.keep(identity.ent_code, file_id, _kept_view(file, sha256, x), x.clock()):
        return _result(file_id, file, "duplicate")
    return _result(file_id, file, outcome)

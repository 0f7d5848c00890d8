"""Use case: take in customs receipts (回执), apply them to their declarations, push them out.

Receipts are signed by the sender (HMAC), may come twice and out of order, and may name a
declaration we do not know: those are kept for inspection, never dropped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from chalicelib.domain import errors, lifecycle
from chalicelib.domain.declaration import Declaration, DeclarationStatus
from chalicelib.domain.declaration_log import LogEntry
from chalicelib.domain.receipts import Receipt, describe, receipt_id, status_after, verify_signature
from chalicelib.domain.smart_status import SmartStatus
from chalicelib.domain.timestamps import iso
from chalicelib.formats.dec_result import ReceiptRead, read_receipts

from .engine import Engine
from .ports import ReceiptAlreadyApplied, ReceiptRepository, StoredReceipt

MAX_ATTEMPTS = 5  # a receipt races the engine's own writes on the same declaration: re-read and retry


class RecentDeclarations:
    """The records this process last applied a receipt to, as committed (at most `size`), found by
    any number a receipt may name them by: our seq_no (ClientSeqNo), customs' entry_id or SeqNo.

    Customs sends a declaration's receipts seconds apart (入库成功 L, then 放行 P): when the next one
    lands on the same warm container, it is applied to the record as this container wrote it,
    without reading it (or an index) again. A stale record is harmless: the change is conditional
    on the version it was computed from, and a refused one is read again (`_apply`'s retry)."""

    def __init__(self, size: int = 1000) -> None:
        self._size = size
        self._records: OrderedDict[str, Declaration] = OrderedDict()
        self._names: dict[str, str] = {}  # "entry:<entry_id>" / "customs:<customs_seq_no>" → seq_no
        self._lock = threading.Lock()  # the local API serves requests on threads

    def find(self, read: ReceiptRead) -> Declaration | None:
        with self._lock:
            names = (
                read.client_seq_no,
                self._names.get(f"entry:{read.entry_id}") if read.entry_id else None,
                self._names.get(f"customs:{read.cus_ciq_no}") if read.cus_ciq_no else None,
            )
            for seq_no in names:
                found = self._records.get(seq_no) if seq_no else None
                if found is not None:
                    self._records.move_to_end(found.seq_no)
                    return found
            return None

    def keep(self, decl: Declaration) -> None:
        with self._lock:
            self._records[decl.seq_no] = decl
            self._records.move_to_end(decl.seq_no)
            for name in _names_of(decl):
                self._names[name] = decl.seq_no
            while len(self._records) > self._size:
                self._drop(next(iter(self._records)))

    def forget(self, seq_no: str) -> None:
        with self._lock:
            self._drop(seq_no)

    def _drop(self, seq_no: str) -> None:
        decl = self._records.pop(seq_no, None)
        for name in _names_of(decl) if decl is not None else ():
            self._names.pop(name, None)


def _names_of(decl: Declaration) -> list[str]:
    """The other numbers a receipt may name the declaration by, as RecentDeclarations keys them."""
    names = []
    if decl.entry_id:
        names.append(f"entry:{decl.entry_id}")
    if decl.customs_seq_no:
        names.append(f"customs:{decl.customs_seq_no}")
    return names


def ingest_receipts(
    body: bytes,
    signature: str | None,
    secret: str | None,
    engine: Engine,
    receipts: ReceiptRepository,
    recent: RecentDeclarations | None = None,
) -> dict[str, Any]:
    """A matched receipt costs one read of its declaration (none when `recent` holds it) and one
    write: the receipt is stored, marked applied and applied to the declaration in the same
    request (UnitOfWork.commit)."""
    if not secret or not verify_signature(body, signature, secret):
        raise errors.DomainError(
            "bad_signature", "回执签名校验失败", "the receipt signature is missing or wrong", kind="unauthenticated"
        )
    reads = read_receipts(body)
    recent = recent if recent is not None else RecentDeclarations(size=0)
    now = engine.clock()
    applied, duplicates, unmatched = 0, 0, []
    known = _prefetch(reads, engine)
    now_text = iso(now) or now.isoformat()  # _iso answers None only for None
    for read in reads:
        rid = receipt_id(read)
        decl = _match(read, engine, known, recent)
        never_declared = decl is not None and not _sent_to_customs(decl)
        seq_no = decl.seq_no if decl is not None and not never_declared else None
        receipt = Receipt.from_read(read, received_at=now, seq_no=seq_no)
        stored = StoredReceipt(rid, receipt.as_json(), seq_no, now_text)
        if decl is not None and seq_no is not None:
            result = _apply(engine, decl, read, receipt, stored, recent)
            if result == "applied":
                applied += 1
            elif result == "duplicate":
                duplicates += 1
            else:  # the record kept moving or vanished: kept unapplied, a second delivery applies it
                receipts.add(rid, stored.body, seq_no, stored.received_at)
            continue
        seen = receipts.add(rid, stored.body, seq_no, stored.received_at)
        if seen is not None and seen.get("applied"):
            duplicates += 1
            continue
        unmatched.append(
            {
                "receipt_id": rid,
                "client_seq_no": read.client_seq_no,
                "cus_ciq_no": read.cus_ciq_no,
                "entry_id": read.entry_id,
                "channel": read.channel,
                **_why_unmatched(never_declared),
            }
        )
        if (
            decl is not None and never_declared and seen is None
        ):  # in the declaration's log once; its state stays as it is
            engine.log.append(
                [
                    (
                        decl.seq_no,
                        LogEntry(
                            now,
                            "receipt",
                            "ignored",
                            "收到海关回执，但本报关单尚未申报：回执未采用，已保存待查",
                            "a customs receipt arrived for this declaration, which was never declared: "
                            "not applied, kept for inspection",
                            "customs",
                            decl.batch_no,
                            {"receipt_id": rid, "channel": read.channel},
                        ),
                    )
                ]
            )
    return {"received": len(reads), "applied": applied, "duplicates": duplicates, "unmatched": unmatched}


def _prefetch(reads: list[ReceiptRead], engine: Engine) -> dict[str, Declaration]:
    """Several receipts in one body: their declarations in one BatchGetItem."""
    seq_nos = list(dict.fromkeys(r.client_seq_no for r in reads if r.client_seq_no))
    return engine.declarations.get_many(seq_nos) if len(seq_nos) > 1 else {}


def _sent_to_customs(decl: Declaration) -> bool:
    """Only a declaration that was declared (or is being declared right now: the receipt may
    overtake the submission's own write) may move on a receipt; issue #9."""
    return (
        decl.status != DeclarationStatus.TEMP_SAVED
        or decl.declared_at is not None
        or decl.smart_status == SmartStatus.IN_PROGRESS
    )


def _why_unmatched(never_declared: bool) -> dict[str, str]:
    if never_declared:
        return {
            "message_zh": "对应的报关单尚未申报，回执未采用，已保存待查",
            "message_en": "the declaration it names was never declared; the receipt is not applied "
            "and is kept for inspection",
        }
    return {
        "message_zh": "未找到对应的报关单，回执已保存待查",
        "message_en": "no declaration matches this receipt; it is kept for inspection",
    }


def _match(
    read: ReceiptRead, engine: Engine, known: dict[str, Declaration], recent: RecentDeclarations
) -> Declaration | None:
    """The declaration a receipt is about: its ClientSeqNo is our seq_no; else by entry_id; else by
    customs' SeqNo."""
    repo = engine.declarations
    decl = recent.find(read)  # this container applied its previous receipt: nothing to read
    if decl is None and read.client_seq_no:
        decl = known.get(read.client_seq_no) or repo.get(read.client_seq_no)
    if decl is None:
        seq_no = repo.by_entry_id(read.entry_id) if read.entry_id else None
        if seq_no is None and read.cus_ciq_no:
            seq_no = repo.by_customs_seq_no(read.cus_ciq_no)
        decl = repo.get(seq_no) if seq_no else None
    return decl


def _apply(
    engine: Engine,
    decl: Declaration,
    read: ReceiptRead,
    receipt: Receipt,
    stored: StoredReceipt,
    recent: RecentDeclarations,
) -> str:
    """applied | duplicate (applied before: a second delivery applies nothing) | lost (kept moving)."""
    rid = stored.receipt_id

    def apply_to(d: Declaration) -> lifecycle.Change:
        zh, en = describe(receipt)
        entry = LogEntry(
            engine.clock(),
            "receipt",
            receipt.channel or read.kind,
            zh,
            en,
            "customs",
            d.batch_no,
            {"receipt_id": rid, "channel": read.channel, "entry_id": read.entry_id, "note": read.note},
        )
        event = None
        if read.kind == "dec_result":  # business receipts are pushed; others are only logged
            event = {
                "channel": read.channel or "",
                "entry_id": read.entry_id,
                "note": read.note,
                "notice_date": read.notice_date_text,
                "receipt_id": rid,
            }
        return lifecycle.receipt(
            d,
            engine.clock(),
            entry,
            channel=read.channel or d.receipt_channel or read.kind,
            status=status_after(d.status, read.channel) if read.kind == "dec_result" and read.channel else None,
            entry_id=read.entry_id,
            event=event,
        )

    try:
        change = engine.commit_fresh(decl, apply_to, receipt=stored, attempts=MAX_ATTEMPTS)
    except ReceiptAlreadyApplied:
        recent.forget(decl.seq_no)
        return "duplicate"
    if change is None:  # the record kept moving or vanished
        recent.forget(decl.seq_no)
        return "lost"
    recent.keep(change.after)
    return "applied"

"""Use case: take in customs receipts (回执), apply them to their declarations, push them out.

Receipts are signed by the sender (HMAC), may come twice and out of order, and may name a
declaration we do not know: those are kept for inspection, never dropped.

A receipt is applied only when every number it names agrees (``_match``): our seq_no
(ClientSeqNo), customs' entry_id and customs' SeqNo must point at one declaration, and that
declaration must not hold other numbers than the receipt's. When they disagree nothing is applied:
the receipt is kept as a conflict, each declaration it points at gets a log line, and the caller
raises an alarm. With a `tenant` (receipts that arrive through an enterprise's own agent), only that
enterprise's declarations can be matched; another's is treated as unknown, and its existence is not
told.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain import errors, lifecycle
from chalicelib.domain.declaration import Declaration, DeclarationStatus
from chalicelib.domain.declaration_log import LogEntry
from chalicelib.domain.receipts import (
    IDENTIFIERS,
    Disagreement,
    Receipt,
    channel_after,
    describe,
    disagreement_words,
    receipt_id,
    status_after,
    verify_signature,
)
from chalicelib.domain.smart_status import SmartStatus
from chalicelib.domain.timestamps import iso
from chalicelib.formats.dec_result import ReceiptRead, read_receipts

from .engine import Engine
from .ports import ReceiptAlreadyApplied, ReceiptRepository, StoredReceipt

RECEIPT_CONFLICTS = "ReceiptConflicts"  # the metric an alarm watches (template.yaml ReceiptConflictAlarm)
MAX_ATTEMPTS = 5  # a receipt races the engine's own writes on the same declaration: re-read and retry


class RecentDeclarations:
    """The records this process last applied a receipt to, as committed (at most `size`), found by
    any number a receipt may name them by: our seq_no (ClientSeqNo), customs' entry_id or SeqNo.

    Customs sends a declaration's receipts seconds apart (入库成功 L, then 放行 P): when the next one
    lands on the same warm container, it is applied to the record as this container wrote it,
    without reading it (or an index) again. A stale record is harmless: the change is conditional
    on the version it was computed from, and a refused one is read again (`_apply`'s retry).
    The cache only stands in for the reads: a receipt found through it is checked for agreement
    like any other (`_match`)."""

    def __init__(self, size: int = 1000) -> None:
        self._size = size
        self._records: OrderedDict[str, Declaration] = OrderedDict()
        self._names: dict[str, str] = {}  # "entry:<entry_id>" / "customs:<customs_seq_no>" → seq_no
        self._lock = threading.Lock()  # the local API serves requests on threads

    def get(self, seq_no: str) -> Declaration | None:
        with self._lock:
            found = self._records.get(seq_no)
            if found is not None:
                self._records.move_to_end(seq_no)
            return found

    def holder(self, identifier: str, value: str) -> str | None:
        """The seq_no of the kept record holding customs' `identifier` (entry_id, cus_ciq_no) = value."""
        with self._lock:
            return self._names.get(f"{_NAME_PREFIX[identifier]}:{value}")

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


_NAME_PREFIX = {"entry_id": "entry", "cus_ciq_no": "customs"}


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
    """Receipts from customs' side of the service (signed with the receipt secret): any enterprise's."""
    if not secret or not verify_signature(body, signature, secret):
        raise errors.DomainError(
            "bad_signature", "回执签名校验失败", "the receipt signature is missing or wrong", kind="unauthenticated"
        )
    return apply_receipts(read_receipts(body), engine, receipts, recent)


def apply_receipts(
    reads: list[ReceiptRead],
    engine: Engine,
    receipts: ReceiptRepository,
    recent: RecentDeclarations | None = None,
    tenant: str | None = None,
) -> dict[str, Any]:
    """Match each receipt (within `tenant`'s declarations when given), apply it once, keep the rest.

    A matched receipt costs one read of its declaration (none when `recent` holds it), an index
    query for a customs number the declaration does not hold yet, and one write: the receipt is
    stored, marked applied and applied to the declaration in the same request (UnitOfWork.commit)."""
    run = _Ingest(engine, receipts, recent if recent is not None else RecentDeclarations(size=0), tenant)
    known = _prefetch(reads, engine)
    for read in reads:
        run.one(read, known)
    return {
        "received": len(reads),
        "applied": run.applied,
        "duplicates": run.duplicates,
        "unmatched": run.unmatched,
        "conflicts": run.conflicts,
    }


class _Ingest:
    """One body's receipts, one at a time, and what became of them."""

    def __init__(
        self, engine: Engine, receipts: ReceiptRepository, recent: RecentDeclarations, tenant: str | None
    ) -> None:
        self.engine, self.receipts, self.recent, self.tenant = engine, receipts, recent, tenant
        self.now = engine.clock()
        self.now_text = iso(self.now) or self.now.isoformat()  # iso answers None only for None
        self.applied, self.duplicates = 0, 0
        self.unmatched: list[dict[str, Any]] = []
        self.conflicts: list[dict[str, Any]] = []

    def one(self, read: ReceiptRead, known: dict[str, Declaration]) -> None:
        rid = receipt_id(read)
        match = _match(read, self.engine, known, self.recent, self.tenant)
        decl = match.decl
        never_declared = decl is not None and not _sent_to_customs(decl)
        seq_no = decl.seq_no if decl is not None and not never_declared else None
        receipt = Receipt.from_read(read, received_at=self.now, seq_no=seq_no)
        stored = StoredReceipt(rid, receipt.as_json(), seq_no, self.now_text)
        if decl is not None and seq_no is not None:
            result = _apply(self.engine, decl, read, receipt, stored, self.recent)
            if result == "applied":
                self.applied += 1
                return
            if result == "duplicate":
                self.duplicates += 1
                return
            if not isinstance(result, Match):  # the record kept moving or vanished: a second delivery applies it
                self.receipts.add(rid, stored.body, seq_no, stored.received_at)
                return
            match = result  # the record, read again, disagrees with the receipt
        if match.disagreements:
            self._conflict(read, rid, match, stored)
            return
        seen = self.receipts.add(rid, stored.body, seq_no, stored.received_at)
        if seen is not None and seen.get("applied"):
            self.duplicates += 1
            return
        self.unmatched.append(
            {
                "receipt_id": rid,
                "client_seq_no": read.client_seq_no,
                "cus_ciq_no": read.cus_ciq_no,
                "entry_id": read.entry_id,
                "channel": read.channel,
                **_why_unmatched(never_declared),
            }
        )
        if decl is not None and never_declared and seen is None:  # in its log once; its state stays
            self.engine.log.append(
                [
                    (
                        decl.seq_no,
                        LogEntry(
                            self.now,
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

    def _conflict(self, read: ReceiptRead, rid: str, match: Match, stored: StoredReceipt) -> None:
        conflict = _conflict(read, match, self.tenant)
        seen = self.receipts.add(rid, {**stored.body, "conflict": conflict}, None, stored.received_at)
        if seen is not None and seen.get("applied"):
            self.duplicates += 1
            return
        self.conflicts.append({"receipt_id": rid, **conflict})
        if seen is None:  # in each declaration's log once
            _log_conflict(self.engine, self.now, rid, read, match)


@dataclass(frozen=True)
class Match:
    """What a receipt's numbers point at: one declaration (`decl`, when they agree), or the
    disagreements and every declaration of the tenant they point at (`involved`, for their logs)."""

    decl: Declaration | None
    disagreements: tuple[Disagreement, ...] = ()
    involved: tuple[Declaration, ...] = ()


_NO_MATCH = Match(None)


def _conflict(read: ReceiptRead, match: Match, tenant: str | None) -> dict[str, Any]:
    zh, en = disagreement_words(match.disagreements)
    # an enterprise's agent is not told another enterprise's seq_no
    reveal = tenant is None
    return {
        "client_seq_no": read.client_seq_no,
        "cus_ciq_no": read.cus_ciq_no,
        "entry_id": read.entry_id,
        "channel": read.channel,
        "seq_nos": [d.seq_no for d in match.involved],
        "disagreements": [d.as_json(reveal) for d in match.disagreements],
        "message_zh": f"回执所列编号不一致（{zh}），未采用，已保存待查",
        "message_en": f"the numbers this receipt names disagree ({en}); not applied, kept for inspection",
    }


def _log_conflict(engine: Engine, now: datetime, rid: str, read: ReceiptRead, match: Match) -> None:
    zh, en = disagreement_words(match.disagreements)
    entry = {
        d.seq_no: LogEntry(
            now,
            "receipt",
            "conflict",
            f"收到的海关回执所列编号与本报关单不一致（{zh}）：回执未采用，已保存待查，请核查",
            f"a customs receipt names numbers that disagree with this declaration ({en}): "
            "not applied, kept for inspection; please check",
            "customs",
            d.batch_no,
            {"receipt_id": rid, "channel": read.channel, "disagree": [x.identifier for x in match.disagreements]},
        )
        for d in match.involved
    }
    engine.log.append(list(entry.items()))


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


class _Lookup:
    """Declarations by seq_no and customs' numbers' holders: this container's recent records first,
    then the body's prefetched ones, then the repository."""

    def __init__(self, engine: Engine, known: dict[str, Declaration], recent: RecentDeclarations) -> None:
        self._repo, self._known, self._recent = engine.declarations, known, recent

    def record(self, seq_no: str) -> Declaration | None:
        return self._recent.get(seq_no) or self._known.get(seq_no) or self._repo.get(seq_no)

    def holder(self, identifier: str, value: str) -> str | None:
        cached = self._recent.holder(identifier, value)
        if cached is not None:
            return cached
        if identifier == "entry_id":
            return self._repo.by_entry_id(value)
        return self._repo.by_customs_seq_no(value)


_CUSTOMS_NUMBERS = ("entry_id", "cus_ciq_no")


def _ours(decl: Declaration | None, tenant: str | None) -> Declaration | None:
    return decl if decl is not None and (tenant is None or decl.owner_ent == tenant) else None


def _match(
    read: ReceiptRead,
    engine: Engine,
    known: dict[str, Declaration],
    recent: RecentDeclarations,
    tenant: str | None = None,
) -> Match:
    """The declaration a receipt is about, when all its numbers agree: its ClientSeqNo is our
    seq_no; without one, customs' entry_id, else customs' SeqNo, names it. Every customs number the
    receipt carries is then checked: against what the declaration holds, or, when it holds nothing
    there yet, against the index (another declaration holding it is a disagreement)."""
    lookup = _Lookup(engine, known, recent)
    named = read.client_seq_no
    decl = _ours(lookup.record(named), tenant) if named else None
    if decl is None:
        found = _by_customs_numbers(read, lookup, tenant)
        if found is None or isinstance(found, Match):
            return found or _NO_MATCH
        decl = found
    disagreements, involved = list(_record_disagreements(decl, read)), [decl]
    for identifier in _CUSTOMS_NUMBERS:
        value = getattr(read, identifier)
        if not value or _holds(decl, identifier):
            continue
        holder = lookup.holder(identifier, value)
        if holder is not None and holder != decl.seq_no:
            disagreements.append(Disagreement(identifier, value, None, holder))
            if other := _ours(lookup.record(holder), tenant):
                involved.append(other)
    if disagreements:
        return Match(None, tuple(disagreements), tuple(involved))
    return Match(decl)


def _by_customs_numbers(read: ReceiptRead, lookup: _Lookup, tenant: str | None) -> Declaration | Match | None:
    """The tenant's declaration customs' entry_id, else its SeqNo, names; a Match of the disagreement
    when the receipt's own ClientSeqNo names another (or no) declaration of ours."""
    for identifier in _CUSTOMS_NUMBERS:
        value = getattr(read, identifier)
        holder = lookup.holder(identifier, value) if value else None
        held = _ours(lookup.record(holder), tenant) if holder else None
        if held is None:
            continue
        if read.client_seq_no:
            return Match(None, (Disagreement("client_seq_no", read.client_seq_no, held.seq_no),), (held,))
        return held
    return None


def _holds(decl: Declaration, identifier: str) -> str | None:
    return getattr(decl, IDENTIFIERS[identifier][0])


def _record_disagreements(decl: Declaration, read: ReceiptRead) -> list[Disagreement]:
    """The receipt's numbers that differ from what the declaration holds (no reads)."""
    out = []
    for identifier in IDENTIFIERS:
        value, held = getattr(read, identifier), _holds(decl, identifier)
        if value and held and value != held:
            out.append(Disagreement(identifier, value, held))
    return out


class _Disagrees(Exception):
    def __init__(self, disagreements: list[Disagreement]) -> None:
        super().__init__("the record disagrees with the receipt")
        self.disagreements = disagreements


def _apply(
    engine: Engine,
    decl: Declaration,
    read: ReceiptRead,
    receipt: Receipt,
    stored: StoredReceipt,
    recent: RecentDeclarations,
) -> str | Match:
    """applied | duplicate (applied before: a second delivery applies nothing) | lost (kept moving),
    or the Match of a record that, read again, holds other numbers than the receipt."""
    rid = stored.receipt_id

    def apply_to(d: Declaration) -> lifecycle.Change:
        if disagreements := _record_disagreements(d, read):
            raise _Disagrees(disagreements)
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
                # China time with its zone (+08:00), as every time a person or a machine reads; the text as
                # written only when it could not be read as a date
                "notice_date": read.notice_at.isoformat() if read.notice_at else read.notice_date_text,
                "receipt_id": rid,
            }
        return lifecycle.receipt(
            d,
            engine.clock(),
            entry,
            channel=channel_after(d.status, d.receipt_channel, read.channel)
            if read.channel
            else d.receipt_channel or read.kind,
            status=status_after(d.status, read.channel) if read.kind == "dec_result" and read.channel else None,
            entry_id=read.entry_id,
            customs_seq_no=read.cus_ciq_no,
            event=event,
        )

    try:
        change = engine.commit_fresh(decl, apply_to, receipt=stored, attempts=MAX_ATTEMPTS)
    except ReceiptAlreadyApplied:
        recent.forget(decl.seq_no)
        return "duplicate"
    except _Disagrees as exc:
        recent.forget(decl.seq_no)
        return Match(None, tuple(exc.disagreements), (decl,))
    if change is None:  # the record kept moving or vanished
        recent.forget(decl.seq_no)
        return "lost"
    recent.keep(change.after)
    return "applied"

"""A declaration's life as named transitions. Each returns one Change (the new record, what
changed, the log entries, the events to push, what it counts as on its batch); an illegal one
raises IllegalTransition. Services commit a Change through the unit of work; they never set a
declaration's fields one by one.

Pushing (item 6 of issue #10): a subscriber hears of a real change of state only: a new waiting
reason, declared, failed, each customs receipt, an overdue receipt, declared by hand. A claim, a
re-check that waits for the same thing again, a time-out or a continue are logged, not pushed.

Quiet waiting: a declaration that waits is back in the pool but not *ready* before its
`recheck_at` (now + the config's re-check interval); the pool is read by readiness
(`ready_at`), so no batch even reads it before then. What it waits for changing makes it ready
at once: a tax or advisory confirmation, a continue, customs answering again (`recheck_now`).
Manifests and arrival reports are looked up at validation (no import tells us they arrived),
so for those the interval is the trigger.

Words (domain.md): "released" is customs' 放行 only; a declaration the engine puts back in the
pool is *waiting* (with its `waiting_reason` when it waits for something), and that is the
outcome counted on its batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from .declaration import Declaration, DeclarationContent, DeclarationStatus, TaxStatus
from .declaration_log import LogEntry
from .errors import DomainError
from .events import Event, customs_receipt, handover_overdue, receipt_overdue, smart_status_changed
from .exchange import SendState, handover_rank
from .smart_status import SmartStatus


class Outcome(StrEnum):
    """How a declaration ended a step of the engine: the log, the batch console and the API say
    it with these words, and the batch counts them."""

    IN_PROGRESS = "in_progress"  # claimed, not finished yet
    SUCCEEDED = "succeeded"  # declared to customs (申报成功)
    FAILED = "failed"  # a gate or customs refused it (申报失败)
    WAITING = "waiting"  # back in the pool, waiting (manifest, arrival, tax, prompts, customs down, time-out)
    SKIPPED = "skipped"  # left the pool: declared by hand meanwhile


COUNTED = (Outcome.SUCCEEDED, Outcome.FAILED, Outcome.WAITING, Outcome.SKIPPED)  # a batch's counters


class IllegalTransition(DomainError):
    """A transition that the declaration's state does not allow (a programming or race error)."""

    def __init__(self, transition: str, decl: Declaration) -> None:
        super().__init__(
            "illegal_transition",
            f"报关单当前状态（{decl.smart_status}/{decl.status}）不允许此操作",
            f"'{transition}' is not allowed while smart status is {decl.smart_status} and status {decl.status}",
            {"seq_no": decl.seq_no, "transition": transition},
            kind="conflict",
        )


@dataclass(frozen=True)
class Change:
    """One transition of one declaration, committed as one write (services/unit_of_work)."""

    before: Declaration
    after: Declaration
    entries: tuple[LogEntry, ...]
    events: tuple[Event, ...] = ()
    outcome: Outcome | None = None  # what it counts as on its batch; None: not counted
    changed: dict[str, Any] = field(default_factory=dict)

    @property
    def expected_version(self) -> int:
        return self.before.version

    @property
    def seq_no(self) -> str:
        return self.after.seq_no


_TRACKED = None


def _changed(before: Declaration, after: Declaration) -> dict[str, Any]:
    global _TRACKED
    if _TRACKED is None:
        _TRACKED = tuple(f.name for f in fields(Declaration))
    return {n: getattr(after, n) for n in _TRACKED if getattr(before, n) != getattr(after, n)}


def _change(
    decl: Declaration,
    now: datetime,
    entries: list[LogEntry] | tuple[LogEntry, ...],
    *,
    outcome: Outcome | None = None,
    push: bool = False,
    events: tuple[Event, ...] = (),
    operation: bool = True,
    **attributes: Any,
) -> Change:
    """`operation`: whether the step is an operation, which moves `updated_at` (最近操作时间, the
    sort key of the enterprise lists: moving it rewrites both list indexes). What people do is one,
    and so is every step a subscriber is told of; the engine's own bookkeeping (a claim, the gates
    passed, a re-check that waits for the same thing again) is not: a declaration waiting two days
    for its manifest is re-checked every few minutes, and its 最近操作时间 stays when it waited
    from."""
    updated_at = now if operation else decl.updated_at
    after = decl.with_changes(updated_at=updated_at, version=decl.version + 1, **attributes)
    result = outcome or (
        Outcome.IN_PROGRESS
        if attributes.get("smart_status") == SmartStatus.IN_PROGRESS and decl.smart_status != SmartStatus.IN_PROGRESS
        else None
    )
    if result is not None and entries:  # the batch console reads how it ended from the log
        entries = (*entries[:-1], replace(entries[-1], result=str(result)))
    if push:
        events = (*events, smart_status_changed(after, now))
    return Change(decl, after, tuple(entries), events, outcome, _changed(decl, after))


# What a step that ends the engine's work on a declaration (wait, timed out, fail, skip, declared)
# clears: the claim's deadline, and with it any sending lease, so no later delivery mistakes the
# declaration for one still being sent.
_OUT_OF_THE_ENGINES_HANDS: dict[str, Any] = {"claim_deadline": None, "sending_until": None, "handover": None}


def ready_at(decl: Declaration) -> datetime:
    """When a pending declaration in the pool may be taken by a batch: its re-check time while it
    waits, else since its last change (a mark, a continue, a confirmation: at once)."""
    return decl.recheck_at or decl.updated_at


def _require(ok: bool, transition: str, decl: Declaration) -> None:
    if not ok:
        raise IllegalTransition(transition, decl)


def _in_progress(decl: Declaration, transition: str) -> None:
    _require(decl.smart_status == SmartStatus.IN_PROGRESS, transition, decl)


def settled(decl: Declaration) -> Outcome | None:
    """How a declaration ended in its current batch (None: still in progress there). A redelivered
    message counts it again with this; counting is idempotent (adapters: a set of seq_nos)."""
    if decl.smart_status == SmartStatus.IN_PROGRESS:
        return None
    if decl.smart_status == SmartStatus.SUCCEEDED:
        return Outcome.SUCCEEDED
    if decl.smart_status == SmartStatus.FAILED:
        return Outcome.FAILED
    return Outcome.WAITING if decl.status == DeclarationStatus.TEMP_SAVED else Outcome.SKIPPED


# ---- the engine's steps ----------------------------------------------------------------------


def claim(
    decl: Declaration,
    now: datetime,
    *,
    batch_no: str,
    execution_id: str,
    config_id: str,
    config_name: str,
    deadline: datetime,
) -> Change:
    """A batch takes a marked, pending, temp-saved declaration. Its waiting reason stays: a later
    wait for the same thing is then recognised as no news."""
    _require(
        decl.smart_status == SmartStatus.PENDING and decl.smart_mark and decl.status == DeclarationStatus.TEMP_SAVED,
        "claim",
        decl,
    )
    entry = LogEntry(
        now,
        "claim",
        Outcome.IN_PROGRESS,
        f"批次 {batch_no} 开始智能申报，预配置“{config_name}”",
        f"taken into batch {batch_no} under config '{config_name}'",
        batch_no=batch_no,
    )
    return _change(
        decl,
        now,
        [entry],
        operation=False,
        smart_status=SmartStatus.IN_PROGRESS,
        batch_no=batch_no,
        config_id=config_id,
        config_name=config_name,
        execution_id=execution_id,
        claim_deadline=deadline,
    )


def refuse_at_claim(
    decl: Declaration,
    now: datetime,
    refusal: LogEntry,
    *,
    batch_no: str,
    execution_id: str,
    config_id: str,
    config_name: str,
) -> Change:
    """A batch finds a marked declaration it must not declare (its declaring unit must:
    gates.declaring_unit_refusal): taken into the batch and failed in the same write, so it is
    shown and pushed with why, counted as failed on the batch, and never reaches the gates or
    customs. Back in the pool only through continue, like any failure."""
    taken = claim(
        decl,
        now,
        batch_no=batch_no,
        execution_id=execution_id,
        config_id=config_id,
        config_name=config_name,
        deadline=now,
    )
    return _change(
        decl,
        now,
        [*taken.entries, refusal],
        outcome=Outcome.FAILED,
        push=True,
        smart_status=SmartStatus.FAILED,
        batch_no=batch_no,
        config_id=config_id,
        config_name=config_name,
        execution_id=execution_id,
        **_OUT_OF_THE_ENGINES_HANDS,
        waiting_reason=None,
        reason_zh=refusal.reason_zh,
        reason_en=refusal.reason_en,
        recheck_at=None,
    )


def pass_gates(decl: Declaration, now: datetime, entries: list[LogEntry], content: DeclarationContent) -> Change:
    """Every gate passed: the (possibly fixed) content is kept, it goes on to submission. Not an
    operation on the lists: it stays 申报中, and customs' answer (or a wait) follows within the
    invocation, so 最近操作时间 is not moved for it (nor the list indexes rewritten)."""
    _in_progress(decl, "pass_gates")
    return _change(decl, now, entries, operation=False, content=content)


def may_send(decl: Declaration, batch_no: str | None, now: datetime) -> bool:
    """A submission message of `batch_no` may take the declaration's sending lease now."""
    return (
        decl.smart_status == SmartStatus.IN_PROGRESS
        and decl.batch_no == batch_no
        and decl.handover is None  # with the Single Window client: its send is out, none other may go
        and (decl.sending_until is None or decl.sending_until <= now)
    )


def start_sending(decl: Declaration, now: datetime, until: datetime) -> Change:
    """The submission's lease: of two deliveries of one message running at once, only the one whose
    conditional write wins asks customs and sends; the other leaves it to the holder. A holder that
    dies leaves a lease that ends by `until` (its function's timeout), before its message comes
    back. Not a visible change: no log entry, no event, `updated_at` kept, so no list index is
    rewritten."""
    _require(decl.smart_status == SmartStatus.IN_PROGRESS and (decl.sending_until or now) <= now, "start_sending", decl)
    after = decl.with_changes(sending_until=until, version=decl.version + 1)
    return Change(decl, after, (), (), None, _changed(decl, after))


def wait(
    decl: Declaration,
    now: datetime,
    entries: list[LogEntry],
    reason: str | None,
    *,
    reason_zh: str,
    reason_en: str,
    recheck_at: datetime | None = None,
) -> Change:
    """Back to the pool to wait for `reason` (None: a retry without a named reason, e.g. its config
    was disabled), not taken again before `recheck_at` unless what it waits for changes. Pushed
    only when it waits for something new: a re-check that finds the same reason is only logged.
    A retry without a reason keeps the reason it was announced with, so waiting for that again
    later is no news either."""
    _in_progress(decl, "wait")
    news = reason is not None and reason != decl.waiting_reason
    return _change(
        decl,
        now,
        entries,
        outcome=Outcome.WAITING,
        push=news,
        operation=news,
        smart_status=SmartStatus.PENDING,
        **_OUT_OF_THE_ENGINES_HANDS,
        waiting_reason=reason if reason is not None else decl.waiting_reason,
        reason_zh=reason_zh,
        reason_en=reason_en,
        recheck_at=recheck_at,
    )


def timed_out(decl: Declaration, now: datetime) -> Change:
    """In progress past its deadline (a worker died): back to the pool for a later batch."""
    _in_progress(decl, "timed_out")
    entry = LogEntry(
        now,
        "timeout",
        Outcome.WAITING,
        "申报处理超时，退回待申报，下一批次重试",
        "in progress past its deadline; back to pending for a later batch",
        batch_no=decl.batch_no,
    )
    return _change(
        decl,
        now,
        [entry],
        outcome=Outcome.WAITING,
        smart_status=SmartStatus.PENDING,
        **_OUT_OF_THE_ENGINES_HANDS,
        reason_zh=entry.reason_zh,
        reason_en=entry.reason_en,
        recheck_at=None,
    )


def fail(decl: Declaration, now: datetime, entries: list[LogEntry], *, reason_zh: str, reason_en: str) -> Change:
    """A gate or customs refused it: failed until a person continues it."""
    _in_progress(decl, "fail")
    return _change(
        decl,
        now,
        entries,
        outcome=Outcome.FAILED,
        push=True,
        smart_status=SmartStatus.FAILED,
        **_OUT_OF_THE_ENGINES_HANDS,
        waiting_reason=None,
        reason_zh=reason_zh,
        reason_en=reason_en,
        recheck_at=None,
    )


def skip(decl: Declaration, now: datetime, entries: list[LogEntry], *, reason_zh: str, reason_en: str) -> Change:
    """Declared by hand meanwhile: it leaves the pool (no longer temp-saved) without failing."""
    _in_progress(decl, "skip")
    return _change(
        decl,
        now,
        entries,
        outcome=Outcome.SKIPPED,
        smart_status=SmartStatus.PENDING,
        **_OUT_OF_THE_ENGINES_HANDS,
        reason_zh=reason_zh,
        reason_en=reason_en,
    )


def declared(decl: Declaration, now: datetime, entry: LogEntry, customs_seq_no: str | None) -> Change:
    """Customs accepted it (申报成功). A receipt may have overtaken this answer (customs sends 入库成功
    within a second, and receipts apply to a declaration in progress): its status is then already
    past declared, and declared never moves it back."""
    _in_progress(decl, "declared")
    return _change(
        decl,
        now,
        [entry],
        outcome=Outcome.SUCCEEDED,
        push=True,
        smart_status=SmartStatus.SUCCEEDED,
        status=DeclarationStatus.DECLARED if decl.status == DeclarationStatus.TEMP_SAVED else decl.status,
        **_OUT_OF_THE_ENGINES_HANDS,
        customs_seq_no=customs_seq_no,
        waiting_reason=None,
        declared_at=now,
        reason_zh=None,
        reason_en=None,
        recheck_at=None,
    )


# ---- what customs sends back ----------------------------------------------------------------


def receipt(
    decl: Declaration,
    now: datetime,
    entry: LogEntry,
    *,
    channel: str,
    status: DeclarationStatus | None,
    entry_id: str | None,
    event: dict[str, Any] | None,
    customs_seq_no: str | None = None,
) -> Change:
    """A customs receipt applied: its channel, the status it leads to, customs' entry_id and SeqNo
    (kept once known: the next receipt that names them is checked against them, not an index).
    `event` (the receipt's own facts) is pushed for business receipts (DEC_RESULT)."""
    attributes: dict[str, Any] = {"receipt_channel": channel}
    if status is not None:
        attributes["status"] = status
    if entry_id and not decl.entry_id:
        attributes["entry_id"] = entry_id
    if customs_seq_no and not decl.customs_seq_no:
        attributes["customs_seq_no"] = customs_seq_no
    after = decl.with_changes(**attributes)
    events = (customs_receipt(after, occurred_at=now, **event),) if event is not None else ()
    return _change(decl, now, [entry], events=events, **attributes)


def receipt_late(decl: Declaration, now: datetime) -> Change:
    """Declared, and no receipt in time: flagged once, logged and pushed."""
    _require(
        decl.declared_at is not None and not decl.receipt_channel and decl.receipt_overdue_at is None,
        "receipt_late",
        decl,
    )
    assert decl.declared_at is not None  # _require raised otherwise
    hours = int((now - decl.declared_at).total_seconds() // 3600)
    entry = LogEntry(
        now,
        "receipt_watchdog",
        "warning",
        f"申报后 {hours} 小时仍未收到海关回执，请核查",
        f"no customs receipt {hours} hours after declaring; please check",
        batch_no=decl.batch_no,
    )
    after = decl.with_changes(receipt_overdue_at=now)
    return _change(
        decl,
        now,
        [entry],
        events=(receipt_overdue(after, declared_at=decl.declared_at, occurred_at=now),),
        receipt_overdue_at=now,
    )


# ---- what people do ---------------------------------------------------------------------------


def continue_(decl: Declaration, now: datetime, who: str) -> Change:
    """继续智能辅助申报: a failed, temp-saved declaration goes back to the pool."""
    _require(decl.smart_status == SmartStatus.FAILED and decl.status == DeclarationStatus.TEMP_SAVED, "continue", decl)
    entry = LogEntry(
        now,
        "continue",
        SmartStatus.PENDING,
        "继续智能辅助申报：重新加入申报池",
        "continued: back in the pool for the next batch",
        who,
    )
    return _change(
        decl,
        now,
        [entry],
        smart_status=SmartStatus.PENDING,
        smart_mark=True,
        waiting_reason=None,
        reason_zh=None,
        reason_en=None,
        marked_by=decl.marked_by or who,
        marked_at=decl.marked_at or now,
        recheck_at=None,
    )


def claim_by_hand(decl: Declaration, now: datetime, who: str) -> Change:
    """A person declares it now: taken exactly like a batch would, so no batch takes it meanwhile."""
    _require(
        decl.status == DeclarationStatus.TEMP_SAVED and decl.smart_status != SmartStatus.IN_PROGRESS,
        "claim_by_hand",
        decl,
    )
    entry = LogEntry(now, "manual", Outcome.IN_PROGRESS, "手动申报开始", "declaring by hand", who)
    return _change(decl, now, [entry], smart_status=SmartStatus.IN_PROGRESS, batch_no=None, execution_id=None)


def declared_by_hand(decl: Declaration, now: datetime, entry: LogEntry, customs_seq_no: str | None) -> Change:
    _in_progress(decl, "declared_by_hand")
    return _change(
        decl,
        now,
        [entry],
        push=True,
        smart_status=SmartStatus.PENDING,
        # as for declared: a receipt that overtook customs' answer is not moved back
        status=DeclarationStatus.DECLARED if decl.status == DeclarationStatus.TEMP_SAVED else decl.status,
        customs_seq_no=customs_seq_no,
        reason_zh="已手动申报",
        reason_en="declared by hand",
        declared_at=now,
        waiting_reason=None,
    )


def hand_declaration_failed(decl: Declaration, now: datetime, entry: LogEntry) -> Change:
    """Customs refused or was unreachable: it is pending again, with why (the person is told directly)."""
    _in_progress(decl, "hand_declaration_failed")
    return _change(
        decl, now, [entry], smart_status=SmartStatus.PENDING, reason_zh=entry.reason_zh, reason_en=entry.reason_en
    )


def _stop_waiting_for(decl: Declaration, reason: str) -> dict[str, Any]:
    """A confirmation makes it ready at once (recheck_at cleared: ready since now)."""
    if decl.waiting_reason != reason:
        return {"recheck_at": None}
    return {"waiting_reason": None, "reason_zh": None, "reason_en": None, "recheck_at": None}


def recheck_now(decl: Declaration, now: datetime, reason: str, *, why_zh: str, why_en: str) -> Change:
    """What it waits for (`reason`) may have changed (customs answers again): ready at once.
    Logged, not pushed, not counted."""
    _require(
        decl.smart_status == SmartStatus.PENDING and decl.waiting_reason == reason and decl.recheck_at is not None,
        "recheck_now",
        decl,
    )
    entry = LogEntry(now, "recheck", "ready", why_zh, why_en, batch_no=decl.batch_no)
    return _change(decl, now, [entry], recheck_at=None)


def tax_confirmed(decl: Declaration, now: datetime, entry: LogEntry, confirmation: dict[str, Any]) -> Change:
    """税费确认: a declaration waiting for it may go in the next batch."""
    _require(
        decl.tax_status != TaxStatus.CONFIRMED and decl.smart_status != SmartStatus.IN_PROGRESS, "tax_confirmed", decl
    )
    return _change(
        decl,
        now,
        [entry],
        tax_status=TaxStatus.CONFIRMED,
        tax_confirmation=confirmation,
        **_stop_waiting_for(decl, "tax"),
    )


def advisories_confirmed(decl: Declaration, now: datetime, entry: LogEntry, fingerprint: str) -> Change:
    """A person confirmed the advisory prompts they saw."""
    _require(decl.smart_status != SmartStatus.IN_PROGRESS, "advisories_confirmed", decl)
    return _change(decl, now, [entry], advisories_confirmed=fingerprint, **_stop_waiting_for(decl, "advisory"))


# ---- the exchange channel: with the Single Window client (docs/customs-channel.md) ------------


def is_its_send(decl: Declaration, send_no: int) -> bool:
    """Send `send_no` is the declaration's: its latest, or none recorded yet; or the next one after
    the send whose answer it took (no handover), while the submission's handed_over of it is not
    committed yet (a submission commits its steps at its invocation's end: the client's answer may
    come first; the model's finding, docs/model.md)."""
    if decl.send_no is None or decl.send_no == send_no:
        return True
    return decl.send_no + 1 == send_no and decl.handover is None


def waits_for(decl: Declaration, send_no: int) -> bool:
    """The declaration takes send `send_no`'s steps (written, sent, its answer): 申报中, and it is its send."""
    return decl.smart_status == SmartStatus.IN_PROGRESS and is_its_send(decl, send_no)


def handed_over(decl: Declaration, now: datetime, entry: LogEntry, send_no: int) -> Change:
    """Submission put the message in the enterprise's exchange outbox as send `send_no`: the
    declaration stays 申报中 (`handover` queued) until customs' answer comes back through the client's
    files. The claim's deadline no longer releases it (the agent and the client take their time; the
    handover watchdog watches the send instead), and a redelivered submit message finds it handed
    over and sends nothing (`may_send`). Logged, not pushed: its smart status did not change."""
    _require(decl.smart_status == SmartStatus.IN_PROGRESS and decl.handover is None, "handed_over", decl)
    return _change(
        decl, now, [entry], claim_deadline=None, sending_until=None, handover=SendState.QUEUED.value, send_no=send_no
    )


def noted(decl: Declaration, now: datetime, entry: LogEntry) -> Change:
    """A line in the declaration's log and nothing else of it changes: the message handed to the
    client, when the client's own steps (written, answered) overtook the submission's write."""
    return _change(decl, now, [entry], operation=False)


def handover_moved(decl: Declaration, now: datetime, entry: LogEntry, send_no: int, state: str) -> Change:
    """The agent wrote the send's file into the client's OutBox (`written`), the client sent it
    (`sent`), or a try failed and the next one waits in OutBox: logged, and `handover` never moves
    back. A declaration whose handed-over step is not written yet (the submission commits its
    answers at the end of its invocation) takes it here."""
    _require(waits_for(decl, send_no), "handover_moved", decl)
    handover = state if handover_rank(state) > handover_rank(decl.handover) else decl.handover
    return _change(
        decl, now, [entry], operation=False, claim_deadline=None, sending_until=None, handover=handover, send_no=send_no
    )


def answered(
    decl: Declaration,
    now: datetime,
    entry: LogEntry,
    *,
    send_no: int,
    accepted: bool,
    customs_seq_no: str | None = None,
    reason_zh: str = "",
    reason_en: str = "",
) -> Change:
    """The send's answer arrived: the client's DecImportResponse (Successed_ → declared with customs'
    SeqNo; Failed_ → failed with its ErrorMessage), a card failure or the client giving up (failed,
    saying what to do). A declaration declared by hand (no batch) ends as declaring by hand does:
    declared, or pending again with why. A new send after a refusal only through *continue*."""
    _require(waits_for(decl, send_no), "answered", decl)
    by_hand = decl.batch_no is None
    common: dict[str, Any] = {**_OUT_OF_THE_ENGINES_HANDS, "send_no": send_no, "recheck_at": None}
    if accepted:
        declared_as: dict[str, Any] = {
            "status": DeclarationStatus.DECLARED if decl.status == DeclarationStatus.TEMP_SAVED else decl.status,
            "customs_seq_no": decl.customs_seq_no or customs_seq_no,  # a receipt that came first set it, agreeing
            "waiting_reason": None,
            "declared_at": now,
        }
        if by_hand:
            return _change(
                decl,
                now,
                [entry],
                push=True,
                smart_status=SmartStatus.PENDING,
                reason_zh="已手动申报",
                reason_en="declared by hand",
                **declared_as,
                **common,
            )
        return _change(
            decl,
            now,
            [entry],
            outcome=Outcome.SUCCEEDED,
            push=True,
            smart_status=SmartStatus.SUCCEEDED,
            reason_zh=None,
            reason_en=None,
            **declared_as,
            **common,
        )
    if by_hand:
        return _change(
            decl, now, [entry], smart_status=SmartStatus.PENDING, reason_zh=reason_zh, reason_en=reason_en, **common
        )
    return _change(
        decl,
        now,
        [entry],
        outcome=Outcome.FAILED,
        push=True,
        smart_status=SmartStatus.FAILED,
        waiting_reason=None,
        reason_zh=reason_zh,
        reason_en=reason_en,
        **common,
    )


def handover_late(decl: Declaration, now: datetime, entry: LogEntry, *, send_no: int, taken_at: datetime) -> Change:
    """The agent took the send and no answer came in time (the handover watchdog): logged and pushed
    once (the send is flagged in the same write); never sent again by itself, a person checks it."""
    _require(waits_for(decl, send_no), "handover_late", decl)
    event = handover_overdue(decl, send_no=send_no, taken_at=taken_at, occurred_at=now)
    return _change(decl, now, [entry], operation=False, events=(event,))

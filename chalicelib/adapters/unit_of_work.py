"""DynamoUnitOfWork: one lifecycle Change in one TransactWriteItems request.

Why a transaction, and why the events ride on the log entry:

- The record is an UpdateItem of the attributes that changed (compared on their stored form, so
  derived keys such as the pool and in-flight index keys follow), conditional on the version the
  change was computed from. Nothing else may be written if that condition fails, and the log
  must never say what did not happen: so the record and its log entries go in one transaction.
- A change's log lines are one log item (the gates' several lines cost one write), and the
  change's events are an attribute of it, not a table of their own. The log table's stream
  (NEW_IMAGE, INSERTs that carry `events`) is the transactional outbox:
  functions/publish_events.py publishes exactly what committed, and nothing that did not. An
  event costs no extra item and no extra write, only its bytes on a log item written anyway.
- WCU: a transaction costs two WRU per KB of each item. A step is the record's update and its
  log item (2 WRU each under 1 KB), plus the indexes whose projected attributes changed.
  The content is not on the record (dynamo_models.DeclarationContentModel): the record is under
  1 KB (2 WRU) whatever its goods. Carrying the log on the record's own write instead (and copying
  it to the log table from the stream) would halve the table WRU, but every step would rewrite a
  record that carries the previous step's log (the submission's entry holds the whole customs
  XML), making the record itself 3–6 KB; it would also make the log, which the API reads right
  after a step, only eventually written. The transaction keeps the record small and the log
  immediately consistent; bench/README.md gives the measured WRU per declaration.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.events import event_record
from chalicelib.domain.lifecycle import Change
from chalicelib.services.exchange_ports import SendMoved, SendWrite
from chalicelib.services.ports import ConditionFailed, ReceiptAlreadyApplied, StoredReceipt, UnitOfWork

from .conditions import cancelled_by_condition
from .declaration_repository import content_item, to_item
from .dynamo_models import DeclarationModel as M
from .dynamo_models import ReceiptModel as R
from .dynamo_models import connection
from .exchange_outbox import update_of
from .execution_repository import log_item
from .receipt_repository import receipt_item


def changed_actions(change: Change) -> list:
    """SET/REMOVE for every stored attribute whose stored form differs between before and after;
    with the content, the version of the content item written with it."""
    item = to_item(change.after)
    before, after = to_item(change.before).serialize(), item.serialize()
    actions = []
    for name in sorted(set(before) | set(after)):
        if name == "seq_no" or before.get(name) == after.get(name):
            continue
        attribute = getattr(M, name)
        actions.append(attribute.set(getattr(item, name)) if name in after else attribute.remove())
    if _content_changed(change):
        actions.append(M.content_version.set(change.after.version))
    return actions


def _content_changed(change: Change) -> bool:
    return "content" in change.changed


MAX_ITEMS = 100  # TransactWriteItems' limit on items per request


def _puts(change: Change) -> list:
    """What a change puts whole: its log item, and its content item when the step changed the
    content (the gates' fix-ups); the record itself is an update of what changed."""
    puts = _log_items(change)
    if _content_changed(change):
        puts.append(content_item(change.after))
    return puts


def _log_items(change: Change) -> list:
    """The change's log lines, one item, carrying its events (none without a line: a step that
    logs nothing, the sending lease, has nothing to push)."""
    if not change.entries:
        return []
    events = json.dumps([event_record(e) for e in change.events], ensure_ascii=False) if change.events else None
    return [log_item(change.seq_no, change.entries, 0, events)]


class DynamoUnitOfWork(UnitOfWork):
    def __init__(self, region: str | None = None) -> None:
        self._region = region

    def commit(self, change: Change, receipt: StoredReceipt | None = None, send: SendWrite | None = None) -> None:
        """PynamoDB sends a transaction's puts before its updates: with a receipt, item 0 is the
        receipt; the record's update is the last item, a send's update the one before it."""
        try:
            with TransactWrite(connection=connection(self._region)) as tx:
                if receipt is not None:
                    # stored and marked applied in the change's own write: once, even when delivered twice;
                    # a receipt kept unapplied before (its declaration was unknown then) may be applied now
                    tx.save(
                        receipt_item(receipt, applied=True),
                        condition=R.receipt_id.does_not_exist() | (R.applied == False),  # noqa: E712 - a DynamoDB condition
                    )
                for item in _puts(change):
                    tx.save(item)
                if send is not None:
                    key, actions, condition = update_of(send.send, send.expected_version)
                    tx.update(key, actions=actions, condition=condition)
                tx.update(
                    M(seq_no=change.seq_no),
                    actions=changed_actions(change),
                    condition=M.version == change.expected_version,
                )
        except TransactWriteError as exc:
            failed = cancelled_by_condition(exc)
            if receipt is not None and failed and failed[0]:
                raise ReceiptAlreadyApplied(receipt.receipt_id) from exc
            if send is not None and len(failed) >= 2 and failed[-2]:
                raise SendMoved(f"{send.send.client_seq_no}/{send.send.send_no}") from exc
            if any(failed):
                raise ConditionFailed(change.seq_no) from exc
            raise

    def commit_many(self, changes: Sequence[Change]) -> set[str]:
        """As few TransactWriteItems as the 100-item limit allows. All or none per request, so a
        change whose condition failed (CancellationReasons says which) is dropped and the rest of
        its request sent again: every change stays conditional on its own version."""
        lost: set[str] = set()
        group: list[Change] = []
        size = 0
        for change in changes:
            n = 1 + bool(change.entries) + _content_changed(change)  # the record, its log item, its content
            if group and size + n > MAX_ITEMS:
                lost |= self._commit_group(group)
                group, size = [], 0
            group.append(change)
            size += n
        if group:
            lost |= self._commit_group(group)
        return lost

    def _commit_group(self, group: list[Change]) -> set[str]:
        lost: set[str] = set()
        while group:
            if len(group) == 1:
                try:
                    self.commit(group[0])
                except ConditionFailed:
                    lost.add(group[0].seq_no)
                return lost
            try:
                with TransactWrite(connection=connection(self._region)) as tx:
                    for change in group:
                        for item in _puts(change):
                            tx.save(item)
                    for change in group:
                        tx.update(
                            M(seq_no=change.seq_no),
                            actions=changed_actions(change),
                            condition=M.version == change.expected_version,
                        )
            except TransactWriteError as exc:
                failed = cancelled_by_condition(exc)
                updates = failed[len(failed) - len(group) :] if len(failed) >= len(group) else []
                losers = {c.seq_no for c, f in zip(group, updates, strict=False) if f}  # updates may be empty
                if not losers:
                    raise
                lost |= losers
                group = [c for c in group if c.seq_no not in losers]
                continue
            return lost
        return lost

"""DynamoUnitOfWork: one lifecycle Change in one TransactWriteItems request.

Why a transaction, and why the events ride on the log entry:

- The record is an UpdateItem of the attributes that changed (compared on their stored form, so
  derived keys such as the pool and in-flight index keys follow), conditional on the version the
  change was computed from. Nothing else may be written if that condition fails, and the log
  must never say what did not happen: so the record and its log entries go in one transaction.
- The change's events are an attribute of its last log item, not a table of their own. The log
  table's stream (NEW_IMAGE, INSERTs that carry `events`) is the transactional outbox:
  functions/publish_events.py publishes exactly what committed, and nothing that did not.
  An event costs no extra item and no extra write, only its bytes on a log item that is written
  anyway.
- WCU: a transaction costs two WRU per KB of each item. A step is the record's update (the
  declaration is ~1.3 KB: 2 × 2 = 4 WRU) and one or a few log items (< 1 KB each: 2 WRU each),
  plus the indexes whose projected attributes changed. Carrying the log on the record's own write
  instead (and copying it to the log table from the stream) would halve the table WRU, but every
  step would rewrite a record that carries the previous step's log (the submission's entry holds
  the whole customs XML), making the record itself 3–6 KB; it would also make the log, which the
  API reads right after a step, only eventually written. The transaction keeps the record small
  and the log immediately consistent; bench/README.md gives the measured WRU per declaration.
"""
from __future__ import annotations

import json

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.events import event_record
from chalicelib.domain.lifecycle import Change
from chalicelib.services.ports import ConditionFailed, UnitOfWork

from .declaration_repository import to_item
from .dynamo_models import DeclarationModel as M
from .execution_repository import log_item


def changed_actions(change: Change) -> list:
    """SET/REMOVE for every stored attribute whose stored form differs between before and after."""
    before, after = to_item(change.before).serialize(), to_item(change.after).serialize()
    item = to_item(change.after)
    actions = []
    for name in sorted(set(before) | set(after)):
        if name == "seq_no" or before.get(name) == after.get(name):
            continue
        attribute = getattr(M, name)
        actions.append(attribute.set(getattr(item, name)) if name in after else attribute.remove())
    return actions


class DynamoUnitOfWork(UnitOfWork):
    def __init__(self, region: str | None = None) -> None:
        self._region = region

    def commit(self, change: Change) -> None:
        entries = change.entries
        try:
            with TransactWrite(connection=Connection(region=self._region)) as tx:
                tx.update(M(seq_no=change.seq_no), actions=changed_actions(change),
                          condition=M.version == change.expected_version)
                for n, entry in enumerate(entries):
                    last = n == len(entries) - 1
                    events = json.dumps([event_record(e) for e in change.events], ensure_ascii=False) \
                        if last and change.events else None
                    tx.save(log_item(change.seq_no, entry, n, events))
        except TransactWriteError as exc:
            # only the record's update carries a condition (PynamoDB may order it after the puts)
            if any(r is not None and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons or []):
                raise ConditionFailed(change.seq_no) from exc
            raise

"""DynamoReceiptRepository: every customs receipt once, kept whether or not it matched a declaration."""

from __future__ import annotations

import json
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.domain import errors
from chalicelib.services.ports import ReceiptRepository, StoredReceipt

from .conditions import condition_failed
from .dynamo_models import ReceiptModel as M

# A real receipt is a few KB. The cap keeps the item far below DynamoDB's 400 KB, and, as the receipt
# is stored before it is applied, keeps its NOTE out of the log and the pushed events (SNS: 256 KB).
MAX_RECEIPT_BYTES = 64 * 1024


def receipt_item(receipt: StoredReceipt, applied: bool = False) -> M:
    """The receipt as stored (also written by the unit of work, with the change that applies it)."""
    text = json.dumps(receipt.body, ensure_ascii=False)
    if len(text.encode("utf-8")) > MAX_RECEIPT_BYTES:
        raise errors.too_large_to_store("回执", "receipt", MAX_RECEIPT_BYTES)
    return M(
        receipt_id=receipt.receipt_id,
        received_at=receipt.received_at,
        body=text,
        seq_no=receipt.seq_no,
        # the sparse index lists what no declaration took: unknown ones and conflicts, apart
        unmatched=None if receipt.seq_no else ("conflict" if receipt.body.get("conflict") else "unmatched"),
        applied=applied,
    )


class DynamoReceiptRepository(ReceiptRepository):
    def add(self, receipt_id: str, body: dict[str, Any], seq_no: str | None, received_at: str) -> dict | None:
        item = receipt_item(StoredReceipt(receipt_id, body, seq_no, received_at))
        try:
            item.save(condition=M.receipt_id.does_not_exist())
            return None
        except PutError as exc:
            if not condition_failed(exc):
                raise
        existing = M.get(receipt_id, consistent_read=True)
        return {"applied": bool(existing.applied), "seq_no": existing.seq_no, **json.loads(existing.body)}

    def mark_applied(self, receipt_id: str) -> None:
        M(receipt_id=receipt_id).update(actions=[M.applied.set(True)])

    def get(self, receipt_id: str) -> dict | None:
        try:
            item = M.get(receipt_id, consistent_read=True)
        except DoesNotExist:
            return None
        return {"applied": bool(item.applied), "seq_no": item.seq_no, **json.loads(item.body)}

    def unmatched(self, limit: int = 100) -> list[dict]:
        return [json.loads(i.body) for i in M.unmatched_index.query("unmatched", scan_index_forward=False, limit=limit)]

    def conflicts(self, limit: int = 100) -> list[dict]:
        return [json.loads(i.body) for i in M.unmatched_index.query("conflict", scan_index_forward=False, limit=limit)]

"""DynamoReceiptRepository: every customs receipt once, kept whether or not it matched a declaration."""
from __future__ import annotations

import json
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.services.ports import ReceiptRepository

from .dynamo_models import ReceiptModel as M


class DynamoReceiptRepository(ReceiptRepository):
    def add(self, receipt_id: str, body: dict[str, Any], seq_no: str | None, received_at: str) -> dict | None:
        item = M(receipt_id=receipt_id, received_at=received_at, body=json.dumps(body, ensure_ascii=False),
                 seq_no=seq_no, unmatched=None if seq_no else "unmatched", applied=False)
        try:
            item.save(condition=M.receipt_id.does_not_exist())
            return None
        except PutError as exc:
            if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
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

    def for_declaration(self, seq_no: str) -> list[dict]:
        return [json.loads(i.body) for i in M.by_seq_no.query(seq_no)]

    def unmatched(self, limit: int = 100) -> list[dict]:
        return [json.loads(i.body) for i in M.unmatched_index.query("unmatched", scan_index_forward=False,
                                                                    limit=limit)]

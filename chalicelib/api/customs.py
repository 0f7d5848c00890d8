"""POST /customs/receipts: customs' receipts in, authenticated by HMAC, not by a user token."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.observability import count_now
from chalicelib.services.receipts import RECEIPT_CONFLICTS, ingest_receipts

from .routing import Call, endpoint

bp = Blueprint(__name__)
RECEIPT_TYPES = ["application/xml", "text/xml", "application/octet-stream"]


@endpoint(bp, "/customs/receipts", methods=["POST"], auth=False, content_types=RECEIPT_TYPES)
def receipts(call: Call) -> dict:
    ctx = call.ctx
    result = ingest_receipts(
        call.raw(ctx.settings.max_import_body),
        call.request.headers.get("x-receipt-signature"),
        ctx.receipt_secret,
        ctx.engine,
        ctx.receipts,
        ctx.recent_declarations,
    )
    if result["conflicts"]:  # the ReceiptConflictAlarm watches this count
        count_now(RECEIPT_CONFLICTS, len(result["conflicts"]))
    return result

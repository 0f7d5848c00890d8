"""A declaration's status at customs (申报状态): what the receipts move it through.

Apart from declaration.py so that what reads only statuses (receipts, push messages) loads no
declaration model.
"""

from __future__ import annotations

from enum import StrEnum


class DeclarationStatus(StrEnum):
    TEMP_SAVED = "temp_saved"
    DECLARED = "declared"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RELEASED = "released"
    CLOSED = "closed"


STATUS_LABELS = {
    "temp_saved": "暂存",
    "declared": "已申报",
    "accepted": "海关入库成功",
    "rejected": "退单",
    "released": "放行",
    "closed": "结关",
}

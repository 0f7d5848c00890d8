"""Print docs/push.md's push samples: each message kind as SMS (the template to submit for approval
and what the phone shows) and as e-mail in both languages, generated from the catalogue.

    .venv/bin/python scripts/push_samples.py           # the full samples
    .venv/bin/python scripts/push_samples.py --table   # the short table above them
tests/unit/test_push_samples.py keeps both parts of docs/push.md equal to what this prints.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.domain import messages
from chalicelib.domain.events import Event

AT = datetime(2024, 3, 21, 2, 15, tzinfo=UTC)
NAMES = {
    "bill_no": "MSKU1234567",
    "consignee_name": "北京大恒企业有限公司",
    "config_name": "大恒企业进口",
    "goods_name": "便携式自动数据处理设备",
    "config_id": "cfg1",
    "batch_no": "P2024032100000093019",
}
SAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "declared": ("smart_status_changed", {"smart_status": "succeeded", "entry_id": "010120241000012345"}),
    "failed": (
        "smart_status_changed",
        {
            "smart_status": "failed",
            "reason_zh": "缺少代理报关委托协议，且未配置自动生成",
            "reason_en": "agency agreement missing and auto-generation is off",
        },
    ),
    "waiting": (
        "smart_status_changed",
        {
            "smart_status": "pending",
            "waiting_reason": "manifest",
            "reason_zh": "未查询到提运单号 MSKU1234567 的舱单数据，等待后再申报",
            "reason_en": "no manifest yet for bill MSKU1234567; waits",
        },
    ),
    "progress": ("smart_status_changed", {"smart_status": "in_progress"}),
    "receipt": (
        "customs_receipt",
        {
            "channel": "P",
            "channel_label": "放行",
            "note": "放行",
            "smart_status": "succeeded",
            "entry_id": "010120241000012345",
        },
    ),
    "overdue": (
        "receipt_overdue",
        {"smart_status": "succeeded", "overdue_hours": 26, "entry_id": "010120241000012345"},
    ),
}
CONSOLE, SHORT = "https://smartdecl.example.cn", "https://api.example.cn"


def _event(kind: str) -> Event:
    event_type, data = SAMPLES[kind]
    return Event.make(
        event_type,
        seq_no="I20240001031824871",
        ie_flag="I",
        ent_codes=["1108919038"],
        occurred_at=AT,
        data={**NAMES, **data},
        key=kind,
    )


def table() -> str:
    """docs/push.md, in short: each kind's SMS and e-mail subject (Chinese / English)."""
    rows = ["| kind | SMS (as received) | e-mail subject (Chinese / English) |", "|---|---|---|"]
    for kind in messages.SMS_KINDS:
        event = _event(kind)
        rows.append(f"| `{kind}` | {event.sms_text(SHORT)} | {event.email_subject()} |")
    return "\n".join(rows) + "\n"


def samples() -> str:
    """docs/push.md: each kind's SMS template, SMS, and full e-mail in both languages."""
    out = []
    for kind in messages.SMS_KINDS:
        event = _event(kind)
        out += [
            f"#### `{kind}`",
            "",
            "SMS template to submit (`SmsTemplate" + kind.capitalize() + "`):",
            "",
            "```text",
            messages.SMS_TEMPLATES[kind].replace("{base}", SHORT),
            "```",
            "",
            "SMS as received:",
            "",
            "```text",
            event.sms_text(SHORT),
            "```",
            "",
            f"E-mail — subject `{event.email_subject()}`:",
            "",
            "```text",
            event.email_text(CONSOLE).rstrip("\n"),
            "```",
            "",
        ]
    return "\n".join(out)


if __name__ == "__main__":
    print(table() if "--table" in sys.argv else samples(), end="")

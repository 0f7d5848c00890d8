"""Events pushed to enterprises: a smart-status change, a customs receipt, an overdue receipt.

One Event is one fact about one declaration. It may concern two enterprises (the declaring unit
and the consignee); SNS message attributes are single-valued, so the publisher sends one message
per enterprise (`for_enterprise`). The same fact always gets the same `event_id` when it is built
with a key (`Event.make(..., key=...)`), so a re-publish after a crash is recognisable as a
duplicate by the receivers.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from .smart_status import LABELS as SMART_STATUS_LABELS
from .timestamps import iso

if TYPE_CHECKING:  # the push functions load no declaration model (pydantic): events are built from its fields
    from .declaration import Declaration

EventType = Literal["smart_status_changed", "customs_receipt", "receipt_overdue", "customs_channel"]
EVENT_TYPES: tuple[str, ...] = ("smart_status_changed", "customs_receipt", "receipt_overdue", "customs_channel")
EVENT_TYPE_LABELS = {
    "smart_status_changed": ("智能申报状态变更", "Smart status changed"),
    "customs_receipt": ("海关回执", "Customs receipt"),
    "receipt_overdue": ("海关回执超时", "Customs receipt overdue"),
    "customs_channel": ("报文通道", "Customs channel"),  # the exchange channel: agent, client, a send overdue
}

# DEC_RESULT CHANNEL codes (shared/examples/declaration-fields.md); labels as people read them.
CHANNEL_LABELS = {
    "L": "海关入库成功",
    "E": "退单",
    "G": "接单交单",
    "J": "审单中心确定办理税费及证件手续",
    "C": "查验通知",
    "H": "挂起",
    "P": "放行",
    "R": "结关",
    "7": "申报成功",
    "8": "申报失败",
}

WAITING_LABELS = {
    "manifest": ("等待舱单", "waiting for the manifest"),
    "arrival": ("等待运抵报告", "waiting for the arrival report"),
    "tax": ("等待税费确认", "waiting for the tax confirmation"),
    "advisory": ("温馨提示待人工确认", "an advisory prompt waits for a person"),
    "licence": ("等待补充监管证件", "waiting for a licence to be added"),
    "customs_unavailable": ("海关系统暂不可用，稍后重试", "customs is unavailable; will retry"),
}

SMS_MAX_CHARS = 70  # one UCS-2 SMS segment; longer Chinese texts are split and billed twice
SMS_PREFIX = "【智能申报】"  # mainland SMS carry a signature in 【】; it counts against the 70


@dataclass(frozen=True)
class Event:
    """One fact about one declaration, addressed to the enterprises that may see it."""

    event_id: str
    event_type: str
    ent_codes: tuple[str, ...]
    ie_flag: str
    seq_no: str
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict, hash=False)  # read-only by convention

    def __post_init__(self) -> None:
        # Programming errors, not user input: fail loudly before anything is published.
        if self.event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event_type {self.event_type!r}")
        if self.ie_flag not in ("I", "E"):
            raise ValueError(f"ie_flag must be I or E, not {self.ie_flag!r}")
        if not self.ent_codes or not all(isinstance(c, str) and c for c in self.ent_codes):
            raise ValueError("an event needs at least one enterprise code")
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")

    @classmethod
    def make(
        cls,
        event_type: str,
        *,
        seq_no: str,
        ie_flag: str,
        ent_codes: Iterable[str | None],
        occurred_at: datetime,
        data: Mapping[str, Any] | None = None,
        key: str | None = None,
    ) -> Event:
        """Build an event; with `key` (a state or receipt id) the event_id is derived, not random."""
        codes = tuple(dict.fromkeys(c for c in ent_codes if c))  # agent == consignee is common
        return cls(
            event_id=event_id_for(event_type, seq_no, key) if key is not None else uuid.uuid4().hex,
            event_type=event_type,
            ent_codes=codes,
            ie_flag=ie_flag,
            seq_no=seq_no,
            occurred_at=occurred_at.astimezone(UTC),
            data=dict(data or {}),
        )

    @classmethod
    def from_json(cls, body: Mapping[str, Any], ent_code: str) -> Event:
        """The event back from its webhook/SQS body (`as_json`) and the `ent_code` message attribute."""
        occurred = datetime.fromisoformat(str(body["occurred_at"]).replace("Z", "+00:00"))
        return cls(
            event_id=body["event_id"],
            event_type=body["event_type"],
            ent_codes=(ent_code,),
            ie_flag=body["ie_flag"],
            seq_no=body["seq_no"],
            occurred_at=occurred,
            data=dict(body.get("data") or {}),
        )

    def for_enterprise(self, ent_code: str) -> Event:
        """A copy addressed to one enterprise, which must be one of this event's."""
        if ent_code not in self.ent_codes:
            raise ValueError(f"event {self.event_id} does not concern enterprise {ent_code}")
        return replace(self, ent_codes=(ent_code,))

    # ---- renderings --------------------------------------------------------------------------

    def as_json(self) -> dict[str, Any]:
        """The webhook body (and the SQS/Lambda message): no enterprise codes, one receiver each."""
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "occurred_at": iso(self.occurred_at),
            "seq_no": self.seq_no,
            "ie_flag": self.ie_flag,
            "data": dict(self.data),
        }

    def sms_text(self, base: str = "") -> str:
        """The SMS (SNS, or what a provider template gives): the catalogue's template for this kind."""
        from . import messages

        kind = messages.kind_of(self)
        return f"{SMS_PREFIX}" + messages.fill(messages.SMS_TEMPLATES[kind], _sms_fitted(self), base)

    def email_subject(self) -> str:
        """Chinese first, English after: for mail sent by us (SNS needs `sns_subject`)."""
        from . import messages

        return messages.email_subject(self)

    def sns_subject(self) -> str:
        from . import messages

        return messages.sns_subject(self)

    def email_text(self, console_url: str | None = None) -> str:
        """The mail body: the Chinese block, then the same facts in English (domain/messages.py)."""
        from . import messages

        return messages.email_text(self, console_url)


def _sms_fitted(event: Event) -> dict[str, str]:
    from . import messages, sms

    return sms.fit_parameters(messages.kind_of(event), messages.sms_values(event))


def event_id_for(event_type: str, seq_no: str, key: str) -> str:
    """The stable id of one fact: 32 hex digits of sha256(event_type, seq_no, key)."""
    return hashlib.sha256("\x1f".join((event_type, seq_no, key)).encode("utf-8")).hexdigest()[:32]


# ---- builders from a declaration ---------------------------------------------------------------


def enterprises_of(declaration: Declaration) -> tuple[str, ...]:
    """The enterprises that may see a declaration: only its owner, the enterprise that imported it
    (issue #9: a code typed into the form must not route pushes to another enterprise)."""
    return (declaration.owner_ent,)


def naming(declaration: Declaration) -> dict[str, Any]:
    """How the enterprise knows the declaration (push texts name it so); additive payload keys."""
    c = declaration.content
    return {
        "bill_no": c.bill_no,
        "consignee_name": c.consignee.name,
        "goods_name": c.goods[0].g_name if c.goods else None,
        "config_id": declaration.config_id,
        "config_name": declaration.config_name,
    }


def _about(d: Declaration, event_type: EventType, occurred_at: datetime, key: str, **data: Any) -> Event:
    """An event about declaration `d`: addressed to its enterprises, naming it as they know it."""
    return Event.make(
        event_type,
        seq_no=d.seq_no,
        ie_flag=d.ie_flag,
        ent_codes=enterprises_of(d),
        occurred_at=occurred_at,
        key=key,
        data={**data, "batch_no": d.batch_no, **naming(d)},
    )


def smart_status_changed(declaration: Declaration, occurred_at: datetime) -> Event:
    """The declaration's current smart status as an event (build it from the record just saved)."""
    d = declaration
    # the stored version changes on every transition: the same saved state always gives the same id
    return _about(
        d,
        "smart_status_changed",
        occurred_at,
        f"{d.smart_status}:{d.version}",
        smart_status=d.smart_status,
        smart_status_label=SMART_STATUS_LABELS.get(d.smart_status),
        status=d.status,  # 申报状态: a declaration declared by hand is 待申报 again, but declared
        declared_at=iso(d.declared_at) if d.declared_at else None,  # when customs accepted it (either way)
        waiting_reason=d.waiting_reason,
        reason_zh=d.reason_zh,
        reason_en=d.reason_en,
        entry_id=d.entry_id,
    )


def customs_receipt(
    declaration: Declaration,
    *,
    channel: str,
    occurred_at: datetime,
    entry_id: str | None = None,
    note: str | None = None,
    notice_date: str | None = None,
    receipt_id: str | None = None,
) -> Event:
    """A business receipt (DEC_RESULT). `receipt_id` defaults to channel + notice date."""
    d = declaration
    return _about(
        d,
        "customs_receipt",
        occurred_at,
        receipt_id or f"{channel}:{notice_date or ''}",
        channel=channel,
        channel_label=CHANNEL_LABELS.get(channel, f"回执{channel}"),
        entry_id=entry_id or d.entry_id,
        note=note,
        notice_date=notice_date,
        smart_status=d.smart_status,
    )


def receipt_overdue(declaration: Declaration, *, declared_at: datetime, occurred_at: datetime) -> Event:
    """Declared, but customs has sent no receipt in time."""
    d = declaration
    hours = max(1, int((occurred_at - declared_at).total_seconds() // 3600))
    return _about(
        d,
        "receipt_overdue",
        occurred_at,
        f"overdue:{iso(declared_at)}",
        smart_status=d.smart_status,
        declared_at=iso(declared_at),
        overdue_hours=hours,
        entry_id=d.entry_id,
    )


def customs_channel(
    *,
    ent_code: str,
    part: str,
    state: str,
    since: str,
    seq_no: str,
    ie_flag: str,
    occurred_at: datetime,
    data: Mapping[str, Any] | None = None,
) -> Event:
    """The enterprise's customs channel (exchange) changed while declarations wait: its agent went
    silent or the Single Window client stopped sending (`part` agent | client, `state` down), or is
    back (up). Named by a declaration that waits (the oldest), as the enterprise knows it; `since` (when
    it went down) keys it, so the same fact told twice has one event_id."""
    return Event.make(
        "customs_channel",
        seq_no=seq_no,
        ie_flag=ie_flag,
        ent_codes=[ent_code],
        occurred_at=occurred_at,
        key=f"{part}:{state}:{since}",
        data={**(data or {}), "part": part, "state": state, "since": since},
    )


def handover_overdue(declaration: Declaration, *, send_no: int, taken_at: datetime, occurred_at: datetime) -> Event:
    """A send the agent took got no answer from customs in time (the handover watchdog)."""
    d = declaration
    hours = max(1, int((occurred_at - taken_at).total_seconds() // 3600))
    return _about(
        d,
        "customs_channel",
        occurred_at,
        f"send:overdue:{send_no}",
        part="send",
        state="overdue",
        since=iso(taken_at),
        send_no=send_no,
        overdue_hours=hours,
        smart_status=d.smart_status,
    )


def event_record(event: Event) -> dict[str, Any]:
    """The event as stored on its log entry (the outbox), with every enterprise it concerns."""
    return {**event.as_json(), "ent_codes": list(event.ent_codes)}


def event_from_record(record: Mapping[str, Any]) -> Event:
    occurred = datetime.fromisoformat(str(record["occurred_at"]).replace("Z", "+00:00"))
    return Event(
        event_id=record["event_id"],
        event_type=record["event_type"],
        ent_codes=tuple(record["ent_codes"]),
        ie_flag=record["ie_flag"],
        seq_no=record["seq_no"],
        occurred_at=occurred,
        data=dict(record.get("data") or {}),
    )

"""Customs receipts in the domain: what each DEC_RESULT CHANNEL means, how it moves a declaration's
status, how the same receipt is recognised when it comes twice, and how a receipt is told to people.

The CHANNEL codes come from shared/examples/declaration-fields.md (L, E, G, J, C, H, P, R, 7, 8) and
from two public listings of DEC_RESULT codes that agree on A B C D E F G H I J K L M P R W X Y 7
(one also lists 3 4 8 9 O Q V, the other T). A code in neither list is unknown: the receipt is
kept and flagged, and it changes no status. Not listed on purpose: N, S, Z (one listing each, with
unclear or conflicting meanings) and lower-case codes (one tool uses a b c d for inspection and
quarantine states, which is why codes are matched exactly, never upper-cased).
K is 通关无纸化担保放行 (paperless release under guarantee) in both listings, not 转人工审单.

Ordering rule. Receipts arrive out of order and twice (a DEC_RESULT "arrives several times for one
declaration, one CHANNEL each (e.g. 7 → L → P)"), so applying one is a *join*: the declaration
takes the higher of its status and the channel's status in

    temp_saved < declared < accepted < rejected < released < closed

Taking a maximum is commutative, associative and idempotent, so any order and any repetition of
the same receipts give the same status as the ordered sequence. Consequences, chosen on purpose:

- a 退单 E (or a declaring failure 4/8/9/Y) beats 7, L, G, J, W in either order: a late L never
  undoes a rejection;
- a release (P, B, F, I, K) or 结关 R beats E in either order: customs only releases a declaration
  it entered, so an E seen next to a P is stale (or belongs to an earlier round that was corrected);
- nothing moves a declaration backwards; channels with no status (C 查验, H 挂起, …) change nothing.

A "rejected only from declared/accepted, then terminal" rule was rejected: E then P would give
rejected while P then E gives released, so the result would depend on arrival order. Declaring a
rejected declaration again is a new round that the service starts by setting the status itself;
stale receipts of the old round cannot be told from new ones by CHANNEL alone (compare notice_at).

8 申报失败 ("uploaded, but no right to declare; arrange authorisation on site") → rejected: the
declaration never reached customs and only a person can fix it; rejected is the only failure
status there is, and it shows as 退单 until the service re-declares.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, NamedTuple

from .declaration_status import DeclarationStatus
from .timestamps import iso

ReceiptKind = Literal["dec_result", "import_response"]


@dataclass(frozen=True)
class ReceiptRead:
    """One receipt as read, before it is matched to a declaration."""

    kind: ReceiptKind
    raw: str  # the receipt's XML as text (the whole inner document when the receipt is its root)
    client_seq_no: str | None = None  # CLIENT_SEQ_NO / ClientSeqNo; real DEC_RESULT often lacks it
    cus_ciq_no: str | None = None  # CUS_CIQ_NO / SeqNo: customs' 统一编号
    entry_id: str | None = None  # ENTRY_ID: 海关编号, empty until customs enters the declaration
    channel: str | None = None  # CHANNEL (DEC_RESULT only), e.g. L, P, E
    note: str | None = None
    custom_master: str | None = None
    notice_at: datetime | None = None  # NOTICE_DATE, aware, China time
    notice_date_text: str | None = None  # NOTICE_DATE as written (kept when it could not be read)
    i_e_date: datetime | None = None  # I_E_DATE; date-only forms read as midnight China time
    d_date: datetime | None = None  # D_DATE (申报日期)
    response_code: str | None = None  # DecImportResponse only: 0 = accepted
    error_message: str | None = None  # DecImportResponse only: 暂存成功/申报成功 or the refusal
    cop_msg_id: str | None = None  # from the DxpMsg envelope's TransInfo, when wrapped
    msg_type: str | None = None
    sender_id: str | None = None

    @property
    def accepted(self) -> bool | None:
        """For an import response, whether customs took the message (ResponseCode 0); else None."""
        return self.response_code == "0" if self.kind == "import_response" else None


Severity = Literal["info", "warning", "error"]
S = DeclarationStatus
SMS_MAX_CHARS = 70  # one SMS holds 70 Chinese characters (UCS-2)


class ChannelInfo(NamedTuple):
    label_zh: str
    label_en: str
    status: DeclarationStatus | None  # the status it leads to; None changes nothing
    is_final: bool  # no further receipt is expected in the normal course
    severity: Severity  # of the event shown to people: warning/error need someone to act


CHANNELS: dict[str, ChannelInfo] = {
    # the declaring system (before customs)
    "3": ChannelInfo("上载成功", "Uploaded", None, False, "info"),
    "4": ChannelInfo("上载失败", "Upload failed", S.REJECTED, True, "error"),
    "7": ChannelInfo("申报成功", "Declared", S.DECLARED, False, "info"),
    "8": ChannelInfo("申报失败(无申报权限)", "Declaring failed: no right to declare", S.REJECTED, True, "error"),
    "9": ChannelInfo("申报处理失败", "Declaring failed at the data centre", S.REJECTED, True, "error"),
    "Y": ChannelInfo("申报失败", "Declaring failed", S.REJECTED, True, "error"),
    # customs has it
    "L": ChannelInfo("海关入库成功", "Entered by customs", S.ACCEPTED, False, "info"),
    "G": ChannelInfo("接单交单", "Accepted for review", S.ACCEPTED, False, "info"),
    "J": ChannelInfo(
        "审单中心确定办理税费及证件手续", "Review centre: settle duties and permits", S.ACCEPTED, False, "warning"
    ),
    "W": ChannelInfo("无纸验放通知(审结)", "Paperless clearance notice: review concluded", S.ACCEPTED, False, "info"),
    "M": ChannelInfo("报关单重审", "Declaration reviewed again", None, False, "info"),
    "C": ChannelInfo("查验通知", "Inspection notice", None, False, "warning"),
    "H": ChannelInfo("挂起(需手工申报)", "Suspended: declare by hand", None, False, "warning"),
    "T": ChannelInfo("需交税费", "Duties and taxes to pay", None, False, "warning"),
    "V": ChannelInfo("转现场验估", "Sent to on-site valuation", None, False, "warning"),
    "Q": ChannelInfo("现场验估处理反馈", "On-site valuation feedback", None, False, "info"),
    "A": ChannelInfo("放行前删除或异常处理", "Deleted or held before release: declare by hand", None, False, "error"),
    "D": ChannelInfo("海关删单", "Deleted by customs", None, True, "error"),
    "E": ChannelInfo("退单/不受理", "Returned / not accepted by customs", S.REJECTED, True, "error"),
    # released and closed
    "P": ChannelInfo("已放行", "Released", S.RELEASED, False, "info"),
    "B": ChannelInfo("担保放行", "Released under guarantee", S.RELEASED, False, "info"),
    "K": ChannelInfo("通关无纸化担保放行", "Paperless release under guarantee", S.RELEASED, False, "info"),
    "F": ChannelInfo("放行交单", "Released: hand in the documents", S.RELEASED, False, "info"),
    "I": ChannelInfo("无纸放行通知", "Paperless release notice", S.RELEASED, False, "info"),
    "X": ChannelInfo("准予进港(保税港区)", "Allowed into the bonded port", None, False, "info"),
    "O": ChannelInfo("准予进卡", "Allowed through the gate", None, False, "info"),
    "R": ChannelInfo("已结关", "Customs clearance closed", S.CLOSED, True, "info"),
}

# The join order of status_after (see the module docstring).
RANK: dict[DeclarationStatus, int] = {
    S.TEMP_SAVED: 0,
    S.DECLARED: 1,
    S.ACCEPTED: 2,
    S.REJECTED: 3,
    S.RELEASED: 4,
    S.CLOSED: 5,
}

# A DecImportResponse has no CHANNEL: its ResponseCode gives the label (0 = accepted into the queue).
_RESPONSE_LABELS = {
    True: ("申报报文已接收", "message received by customs"),
    False: ("申报报文被拒绝", "message refused by customs"),
}
_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")


def _code(channel: str | None) -> str:
    return channel.strip() if isinstance(channel, str) else ""


def is_known_channel(channel: str | None) -> bool:
    return _code(channel) in CHANNELS


def channel_info(channel: str | None) -> ChannelInfo:
    """The table row of a CHANNEL; an unknown code gets a flagged row that changes nothing."""
    code = _code(channel)
    if code in CHANNELS:
        return CHANNELS[code]
    shown = code or "空"
    return ChannelInfo(f"未知回执({shown})", f"unknown receipt channel '{code}'", None, False, "warning")


def status_after(current: DeclarationStatus, channel: str | None) -> DeclarationStatus:
    """The status once a receipt of `channel` is applied: the higher of the two in RANK."""
    target = channel_info(channel).status
    if target is None or RANK[target] <= RANK[current]:
        return current
    return target


def receipt_id(read: ReceiptRead) -> str:
    """A stable idempotency key: the same receipt twice gives the same id, another receipt another.

    sha256 of (customs' seq no, else ours, else the entry id; channel; notice time; kind). Import
    responses have neither channel nor time, so their ResponseCode and message take that place:
    two refusals of one ClientSeqNo for different reasons are two receipts.

    A receipt with none of the three numbers cannot be matched; it is kept (unmatched) under the
    hash of its whole text and envelope id, never of an empty key: two such receipts about
    different declarations with the same channel and second would otherwise share one id, and the
    second would be dropped as a duplicate. Only the very same text, sent again, is one receipt.
    """
    subject = read.cus_ciq_no or read.client_seq_no or read.entry_id
    if not subject:
        payload = json.dumps(["unkeyed", read.kind, read.cop_msg_id or "", read.raw], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()
    if read.kind == "import_response":
        what, when = f"{read.response_code or ''}:{read.error_message or ''}", ""
    else:
        # notice_at is normalised (China time, whole seconds), so one instant written in two date
        # forms is one receipt; the text as written stands in when it could not be read
        when = read.notice_at.isoformat() if read.notice_at else (read.notice_date_text or "")
        what = _code(read.channel)
    payload = json.dumps([subject, what, when, read.kind], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# The numbers a receipt may name its declaration by: (receipt field, declaration field, words).
IDENTIFIERS: dict[str, tuple[str, str, str]] = {
    "client_seq_no": ("seq_no", "统一编号(ClientSeqNo)", "our seq_no (ClientSeqNo)"),
    "entry_id": ("entry_id", "海关编号", "customs entry_id"),
    "cus_ciq_no": ("customs_seq_no", "海关统一编号(SeqNo)", "customs' seq_no (SeqNo)"),
}


@dataclass(frozen=True)
class Disagreement:
    """One number of a receipt that points elsewhere than the declaration it was matched to.

    `held` is what the declaration holds instead (None when it holds nothing there); `held_by` the
    seq_no of another declaration that holds the receipt's number (None when none does)."""

    identifier: str  # a key of IDENTIFIERS
    value: str
    held: str | None = None
    held_by: str | None = None

    def as_json(self, reveal: bool = True) -> dict[str, Any]:
        """`reveal` False leaves out the other declaration's seq_no (it may be another tenant's)."""
        return {
            "identifier": self.identifier,
            "value": self.value,
            "held": self.held,
            "held_by": self.held_by if reveal else None,
        }


def disagreement_words(disagreements: Sequence[Disagreement]) -> tuple[str, str]:
    """ "海关编号、海关统一编号(SeqNo)" / "customs entry_id, customs' seq_no (SeqNo)": which numbers disagree."""
    names = list(dict.fromkeys(d.identifier for d in disagreements))
    return "、".join(IDENTIFIERS[n][1] for n in names), ", ".join(IDENTIFIERS[n][2] for n in names)


def channel_after(current: DeclarationStatus, kept: str | None, channel: str) -> str:
    """The receipt channel a declaration shows once `channel` arrived: the newest one, unless it
    leads to a lower status than the declaration already has (a late L after P is stale, as in
    status_after), in which case the channel kept so far stays."""
    target = channel_info(channel).status
    if kept and target is not None and RANK[target] < RANK[current]:
        return kept
    return channel


def verify_signature(body: bytes, header: str | None, secret: str) -> bool:
    """Whether `header` is ``sha256=<hex HMAC-SHA256 of body under secret>`` (as the simulator signs).

    False for a missing or malformed header and for an empty secret (anyone could sign with it).
    """
    if not secret or not isinstance(header, str):
        return False
    match = _SIGNATURE.fullmatch(header.strip())
    if not match:
        return False
    expected = hmac.new(secret.encode("utf-8"), bytes(body), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match.group(1).lower())


@dataclass(frozen=True)
class Receipt:
    """A stored receipt. `seq_no` is ours, filled when the service matched it to a declaration."""

    receipt_id: str
    kind: str  # dec_result | import_response
    seq_no: str | None
    client_seq_no: str | None
    cus_ciq_no: str | None
    entry_id: str | None
    channel: str | None
    channel_label_zh: str
    channel_label_en: str
    note: str | None
    notice_at: datetime | None
    received_at: datetime
    matched: bool
    raw: str
    custom_master: str | None = None
    response_code: str | None = None  # import responses
    error_message: str | None = None  # import responses
    cop_msg_id: str | None = None  # the DxpMsg envelope's, when wrapped

    @classmethod
    def from_read(cls, read: ReceiptRead, *, received_at: datetime, seq_no: str | None = None) -> Receipt:
        label_zh, label_en = _labels(read.kind, read.channel, read.response_code)
        return cls(
            receipt_id=receipt_id(read),
            kind=read.kind,
            seq_no=seq_no,
            client_seq_no=read.client_seq_no,
            cus_ciq_no=read.cus_ciq_no,
            entry_id=read.entry_id,
            channel=read.channel,
            channel_label_zh=label_zh,
            channel_label_en=label_en,
            note=read.note,
            notice_at=read.notice_at,
            received_at=received_at,
            matched=seq_no is not None,
            raw=read.raw,
            custom_master=read.custom_master,
            response_code=read.response_code,
            error_message=read.error_message,
            cop_msg_id=read.cop_msg_id,
        )

    def matched_to(self, seq_no: str) -> Receipt:
        return replace(self, seq_no=seq_no, matched=True)

    @property
    def known_channel(self) -> bool:
        return self.kind == "import_response" or is_known_channel(self.channel)

    @property
    def info(self) -> ChannelInfo | None:
        """The channel's table row (None for an import response)."""
        return channel_info(self.channel) if self.kind == "dec_result" else None

    @property
    def severity(self) -> Severity:
        if self.kind == "import_response":
            return "info" if self.response_code == "0" else "error"
        return channel_info(self.channel).severity

    def as_json(self) -> dict[str, Any]:
        info = self.info
        return {
            "receipt_id": self.receipt_id,
            "kind": self.kind,
            "seq_no": self.seq_no,
            "client_seq_no": self.client_seq_no,
            "cus_ciq_no": self.cus_ciq_no,
            "entry_id": self.entry_id,
            "channel": self.channel,
            "channel_label_zh": self.channel_label_zh,
            "channel_label_en": self.channel_label_en,
            "known_channel": self.known_channel,
            "status": info.status.value if info and info.status else None,
            "is_final": info.is_final if info else False,
            "severity": self.severity,
            "note": self.note,
            "notice_at": iso(self.notice_at),
            "received_at": iso(self.received_at),
            "matched": self.matched,
            "custom_master": self.custom_master,
            "response_code": self.response_code,
            "error_message": self.error_message,
            "cop_msg_id": self.cop_msg_id,
            "raw": self.raw,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Receipt:
        """The inverse of as_json (derived keys such as status and severity are ignored)."""
        names = cls.__dataclass_fields__
        values: dict[str, Any] = {key: data.get(key) for key in names}
        for key in ("notice_at", "received_at"):
            values[key] = datetime.fromisoformat(data[key]) if data.get(key) else None
        values["matched"] = bool(data.get("matched"))
        return cls(**values)


def _labels(kind: str, channel: str | None, response_code: str | None) -> tuple[str, str]:
    if kind == "import_response":
        return _RESPONSE_LABELS[response_code == "0"]
    info = channel_info(channel)
    return info.label_zh, info.label_en


def describe(receipt: Receipt) -> tuple[str, str]:
    """A one-line Chinese and English text, e.g. "报关单 I2024… 海关编号 0101… 已放行".

    The Chinese one is for SMS: at most 70 characters (longer reasons are cut with "…"). The reason
    (NOTE or ErrorMessage) is added only when something went wrong; otherwise it repeats the label.
    """
    number = receipt.seq_no or receipt.cus_ciq_no or receipt.client_seq_no
    zh = f"报关单 {number}" if number else "报关单"
    en = f"Declaration {number}" if number else "Declaration"
    if receipt.entry_id:
        zh += f" 海关编号 {receipt.entry_id}"
        en += f" (entry {receipt.entry_id})"
    zh += f" {receipt.channel_label_zh}"
    en += f": {receipt.channel_label_en}"
    reason = receipt.error_message if receipt.kind == "import_response" else receipt.note
    if receipt.severity == "error" and reason and reason != receipt.channel_label_zh:
        zh += f"：{reason}"
        en += f" ({reason})"
    if len(zh) > SMS_MAX_CHARS:
        zh = zh[: SMS_MAX_CHARS - 1] + "…"
    return zh, en

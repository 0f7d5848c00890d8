"""Read customs receipts: the communication receipt DecImportResponse and the business receipt DEC_RESULT.

Accepted shapes, as real senders write them (shared/examples/declaration-fields.md, "Receipts" and
"What real files … look like"):

- ``DEC_RESULT`` as the root (never namespaced): CUS_CIQ_NO, ENTRY_ID, NOTICE_DATE, CHANNEL, NOTE,
  CUSTOM_MASTER, I_E_DATE, D_DATE and, from our simulator only, CLIENT_SEQ_NO.
- ``DEC_DATA`` holding a ``DEC_RESULT`` (and ``RESULT_INFO``), as older DXP clients write it: the
  customs number (统一编号) in SEQ_NO instead of CUS_CIQ_NO, the customs office in DECL_PORT instead
  of CUSTOM_MASTER, times as ``yyyyMMddTHHmmssSS``; RESULT_INFO stands in for an empty NOTE, and
  the receipt's raw text is the whole DEC_DATA.
- ``DecImportResponse`` in the dec namespace, with an ``ns2:`` prefix or in none: ResponseCode,
  ErrorMessage, ClientSeqNo, SeqNo (absent when refused).
- Either inside the exchange envelope ``DxpMsg`` (namespace http://www.chinaport.gov.cn/dxp) whose
  ``Data`` holds the receipt in base64, possibly over several indented lines, and in GB2312/GBK;
  or several receipts (or envelopes) under any wrapper root, read in document order.
- Encodings, DTD refusal and the XML declaration are handled by the DecMessage reader's helpers.
- Empty elements (``<X/>``, ``<X />``, ``<X></X>``) mean absent; unknown elements are ignored.

Dates carry no zone and mean China time (+08:00). Accepted: ``yyyy-MM-ddTHH:mm:ss``,
``yyyy-MM-dd HH:mm:ss``, ``yyyyMMddTHHmmssSS``, ``yyyyMMddHHmmss``, ``yyyyMMdd HH:mm:ss``, the
date-only ``yyyy-MM-dd``/``yyyyMMdd`` (midnight) and ISO text with a zone (converted). Digits below
the second are dropped: tools disagree on what ``SS`` means, and a receipt written twice in two
forms must read to the same instant. A date that fits none of these reads as None (the receipt is
kept: its raw text still holds it). A date that fits but names no real moment — a zone offset past
±14:00 or with 60+ minutes (``+99:99``, ``+24:00``), a year outside 1900–2999 — is no format variant
but a forged or broken receipt: it is refused (ReceiptUnreadable, 400; issue #9).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from xml.etree.ElementTree import Element, tostring

from chalicelib.domain.china_time import CHINA_TIME  # receipt dates carry no zone and mean China time
from chalicelib.domain.errors import DomainError
from chalicelib.domain.receipts import ReceiptKind, ReceiptRead  # the reader's result type

# The one XML toolkit: any encoding (GB2312/GBK read as GB18030), BOMs, DTDs and entities refused,
# the DxpMsg envelope, and namespace-blind element helpers.
from .xml import (
    DXP_NS,
    ENVELOPE,
    MAX_ENVELOPES,
    XmlUnreadable,
    as_utf8,
    child_text,
    envelope_content,
    local_name,
    parse_xml,
)

__all__ = ["DXP_NS", "MAX_RECEIPTS", "ReceiptUnreadable", "china_time", "read_receipts"]

MAX_RECEIPTS = 500  # one body is one receipt in practice; a few hundred is already a batch

_RECEIPT_TAGS: dict[str, ReceiptKind] = {"DEC_RESULT": "dec_result", "DecImportResponse": "import_response"}
_OLD_DEC_RESULT = "DEC_DATA"  # older DXP clients' wrapper of one DEC_RESULT and its RESULT_INFO

_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
_COMPACT = re.compile(
    r"(\d{4})(\d{2})(\d{2})"
    r"(?:T?(\d{2})(\d{2})(\d{2})\d{0,3}"  # yyyyMMddHHmmss[SS], yyyyMMddTHHmmssSS
    r"|[ T](\d{1,2}):(\d{2}):(\d{2}))?"
)  # yyyyMMdd HH:mm:ss (SignTime's form)


class ReceiptUnreadable(DomainError):
    """The body holds no readable receipt (not XML, a DTD, a broken envelope, or no receipt at all)."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__("receipt_unreadable", message_zh, message_en, kind="bad_request")


def _unreadable(reason_zh: str, reason_en: str) -> ReceiptUnreadable:
    return ReceiptUnreadable(f"回执无法读取：{reason_zh}", f"The receipt cannot be read: {reason_en}")


@dataclass(frozen=True)
class _Envelope:
    cop_msg_id: str | None = None
    msg_type: str | None = None
    sender_id: str | None = None


def read_receipts(data: bytes) -> list[ReceiptRead]:
    """Every receipt in `data`, in document order; raises ReceiptUnreadable when there is none."""
    found: list[ReceiptRead] = []
    _read_document(data, _Envelope(), 0, found)
    if not found:
        raise _unreadable(
            "报文中没有回执(DEC_RESULT或DecImportResponse)", "it holds no receipt (DEC_RESULT or DecImportResponse)"
        )
    return found


def china_time(text: str | None) -> datetime | None:
    """A receipt date as an aware China-time datetime (whole seconds); None when absent or unreadable."""
    if not text or not (text := text.strip()):
        return None
    if match := _ISO.fullmatch(text):
        year, month, day, hour, minute, second, zone = match.groups()
    elif match := _COMPACT.fullmatch(text):
        year, month, day, h1, m1, s1, h2, m2, s2 = match.groups()
        hour, minute, second, zone = h1 or h2, m1 or m2, s1 or s2, None
    else:
        return None
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:  # 2024-13-40 and the like
        return None
    if not _YEARS[0] <= moment.year <= _YEARS[1]:
        raise _unreadable(f"日期超出范围：{text[:40]}", f"a date is out of range: {text[:40]}")
    if zone is None:
        return moment.replace(tzinfo=CHINA_TIME)
    offset = UTC if zone == "Z" else _offset(zone)
    if offset is None:
        raise _unreadable(f"日期的时区无效：{text[:40]}", f"a date has an impossible zone offset: {text[:40]}")
    return moment.replace(tzinfo=offset).astimezone(CHINA_TIME)


_YEARS = (1900, 2999)  # within these, no offset can push a date past datetime's ends


def _offset(zone: str) -> timezone | None:
    """A zone such as +08:00 or -0530; None when no real zone reads so (+99:99, +24:00)."""
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 14 or minutes > 59:  # real offsets span -12:00 … +14:00
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if zone[0] == "-" else delta)


# ---- documents and envelopes --------------------------------------------------------------


def _read_document(data: bytes, envelope: _Envelope, depth: int, found: list[ReceiptRead]) -> None:
    try:
        utf8 = as_utf8(data)  # decoded by its declared or sniffed encoding, declaration removed
        root = parse_xml(utf8)
    except XmlUnreadable as exc:
        raise _unreadable(exc.reason_zh, exc.reason_en) from None
    _collect(root, utf8.decode("utf-8").strip(), envelope, depth, found)


def _collect(root: Element, text: str | None, envelope: _Envelope, depth: int, found: list[ReceiptRead]) -> None:
    """Receipts and envelopes under `root` (itself included), not looking inside one already found."""
    pending = [root]  # an explicit stack: a hostile body may nest deeper than Python recurses
    while pending:
        node = pending.pop()
        name = local_name(node.tag)
        old_shape = name == _OLD_DEC_RESULT and any(local_name(child.tag) == "DEC_RESULT" for child in node)
        if name in _RECEIPT_TAGS or old_shape:
            # the original text when the receipt is its document's root; else its serialisation
            raw = text if node is root and text is not None else tostring(node, encoding="unicode").strip()
            if old_shape:
                info = child_text(node, "RESULT_INFO")
                found.extend(
                    _read_receipt(child, "dec_result", raw, envelope, result_info=info)
                    for child in node
                    if local_name(child.tag) == "DEC_RESULT"
                )
            else:
                found.append(_read_receipt(node, _RECEIPT_TAGS[name], raw, envelope))
            if len(found) > MAX_RECEIPTS:
                raise _unreadable(f"回执超过{MAX_RECEIPTS}份", f"it holds more than {MAX_RECEIPTS} receipts")
        elif name == ENVELOPE:
            _open_envelope(node, envelope, depth + 1, found)
        else:
            pending.extend(reversed(node))


def _open_envelope(message: Element, outer: _Envelope, depth: int, found: list[ReceiptRead]) -> None:
    if depth > MAX_ENVELOPES:
        raise _unreadable("交换报文(DxpMsg)嵌套过深", "its DxpMsg envelopes are nested too deep")
    envelope = _envelope_info(message, outer)
    try:
        content = envelope_content(message)
    except XmlUnreadable as exc:
        raise _unreadable(exc.reason_zh, exc.reason_en) from None
    if isinstance(content, bytes):
        _read_document(content, envelope, depth, found)
        return
    for child in content:  # the XML itself inside Data
        _collect(child, None, envelope, depth, found)


def _envelope_info(message: Element, outer: _Envelope) -> _Envelope:
    trans = next((child for child in message if local_name(child.tag) == "TransInfo"), None)
    if trans is None:
        return outer
    return _Envelope(
        cop_msg_id=child_text(trans, "CopMsgId") or outer.cop_msg_id,
        msg_type=child_text(trans, "MsgType") or outer.msg_type,
        sender_id=child_text(trans, "SenderId") or outer.sender_id,
    )


# ---- one receipt --------------------------------------------------------------------------


def _read_receipt(
    node: Element, kind: ReceiptKind, raw: str, envelope: _Envelope, result_info: str | None = None
) -> ReceiptRead:
    wrapped: dict[str, Any] = {
        "cop_msg_id": envelope.cop_msg_id,
        "msg_type": envelope.msg_type,
        "sender_id": envelope.sender_id,
    }
    if kind == "import_response":
        return ReceiptRead(
            kind=kind,
            raw=raw,
            client_seq_no=child_text(node, "ClientSeqNo"),
            cus_ciq_no=child_text(node, "SeqNo"),
            response_code=child_text(node, "ResponseCode"),
            error_message=child_text(node, "ErrorMessage"),
            **wrapped,
        )
    notice = child_text(node, "NOTICE_DATE")
    # _text takes the first non-empty of the names: today's tag, then the older DXP clients' one
    return ReceiptRead(
        kind=kind,
        raw=raw,
        client_seq_no=child_text(node, "CLIENT_SEQ_NO"),
        cus_ciq_no=child_text(node, "CUS_CIQ_NO", "SEQ_NO"),
        entry_id=child_text(node, "ENTRY_ID"),
        channel=child_text(node, "CHANNEL"),
        note=child_text(node, "NOTE") or result_info,
        custom_master=child_text(node, "CUSTOM_MASTER", "DECL_PORT"),
        notice_at=china_time(notice),
        notice_date_text=notice,
        i_e_date=china_time(child_text(node, "I_E_DATE")),
        d_date=china_time(child_text(node, "D_DATE")),
        **wrapped,
    )

"""Read a file the Single Window client wrote into InBox, by its name and its content
(docs/customs-channel.md, "The files the client writes").

What a file is comes from its content (the root element), never from its name alone; the name adds
what only it carries: the stem of the message it answers (`I_<ClientSeqNo>_t-<try>`), hence the try.

- ``DecImportResponse`` (``Successed_<stem>_<time>`` / ``Failed_<stem>_<time>``, GB18030 or UTF-8,
  bare or in a DxpMsg envelope): ResponseCode 0 is accepted (SeqNo), anything else refused
  (ErrorMessage). A ``failCode`` in it is a **card failure**: the client could not sign (card or
  reader, e.g. C134), and ``failInfo`` says why.
- ``DEC_RESULT``, or ``DEC_DATA`` holding one (older clients): customs' business receipts, read by
  formats/dec_result.py as the HTTP channel's are.
- ``ImportAgrResponse``: the answer to an agency agreement (代理报关委托协议): ResponseInfo's
  ResponseCode and ResponseMessage, ConsignNo.
- anything else that is XML: **unknown**, kept and shown. Not XML (or a DTD, or no receipt in a
  receipt's shape): ExchangeFileUnreadable, and the agent quarantines it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from xml.etree.ElementTree import Element

from chalicelib.domain.errors import DomainError
from chalicelib.domain.receipts import ReceiptRead

from .dec_result import read_receipts
from .xml import XmlUnreadable, decode_xml, local_name, parse_xml

InboxKind = Literal["import_response", "card_failure", "dec_result", "agreement", "unknown"]
MAX_NAME = 255  # a Windows file name

# Successed_I_I20240000000000001_t-2_20240320101530123 (the client's own names have no extension)
_STEM = re.compile(r"(?P<ie>[IE])_(?P<seq>[IE][0-9]{17})_t-(?P<try>[0-9]{1,3})(?![0-9])")
_PREFIX = re.compile(r"^(?P<prefix>[A-Za-z]+)_")
_RECEIPT_ROOTS = {"DecImportResponse", "DEC_RESULT", "DEC_DATA", "DxpMsg"}


class ExchangeFileUnreadable(DomainError):
    """The file is not XML the service can read: 422, and the agent moves it to quarantine."""

    def __init__(self, reason_zh: str, reason_en: str) -> None:
        super().__init__(
            "unreadable_file",
            f"文件无法读取：{reason_zh}",
            f"The file cannot be read: {reason_en}",
            kind="unprocessable",
        )


@dataclass(frozen=True)
class FileName:
    """What an InBox file's name says: its prefix (Successed, Failed, Receipt …) and the stem of the
    message it answers, when it names one."""

    name: str
    prefix: str | None = None
    client_seq_no: str | None = None
    try_no: int | None = None

    @classmethod
    def parse(cls, name: str) -> FileName:
        prefix = _PREFIX.match(name)
        stem = _STEM.search(name)
        return cls(
            name,
            prefix["prefix"] if prefix else None,
            stem["seq"] if stem else None,
            int(stem["try"]) if stem else None,
        )


@dataclass(frozen=True)
class InboxFile:
    name: FileName
    kind: InboxKind
    root: str  # the content's root element (its local name)
    client_seq_no: str | None = None  # the content's ClientSeqNo, else the name's
    response_code: str | None = None
    error_message: str | None = None
    customs_seq_no: str | None = None  # SeqNo of an accepted DecImportResponse
    fail_code: str | None = None  # card failures
    fail_info: str | None = None
    receipts: tuple[ReceiptRead, ...] = field(default=())  # DEC_RESULT / DecImportResponse as read
    consign_no: str | None = None  # ImportAgrResponse
    raw: str = ""  # the text (decoded), for what is kept

    @property
    def accepted(self) -> bool:
        return self.kind == "import_response" and self.response_code == "0"

    @property
    def try_no(self) -> int | None:
        return self.name.try_no


def read_inbox_file(name: str, data: bytes) -> InboxFile:
    """An InBox file read by name and content; ExchangeFileUnreadable when it is not readable XML."""
    if not name or len(name) > MAX_NAME or any(c in name for c in "/\\\x00"):
        raise ExchangeFileUnreadable("文件名无效", "its name is not a file name")
    file_name = FileName.parse(name)
    try:
        root = parse_xml(data)  # any encoding; DTDs and entities refused
    except XmlUnreadable as exc:
        raise ExchangeFileUnreadable(exc.reason_zh, exc.reason_en) from None
    root_name = local_name(root.tag)
    text = decode_xml(data)  # parsed already: its encoding is known to read
    if root_name in _RECEIPT_ROOTS or _first(root, "DecImportResponse") is not None:
        return _receipt_file(file_name, data, root, root_name)
    agreement = root if root_name == "ImportAgrResponse" else _first(root, "ImportAgrResponse")
    if agreement is not None:
        info = _first(agreement, "ResponseInfo")
        where = info if info is not None else agreement
        return InboxFile(
            file_name,
            "agreement",
            root_name,
            client_seq_no=_text(agreement, "ClientSeqNo") or file_name.client_seq_no,
            response_code=_text(where, "ResponseCode"),
            error_message=_text(where, "ResponseMessage") or _text(where, "ErrorMessage"),
            consign_no=_text(agreement, "ConsignNo"),
            raw=text,
        )
    return InboxFile(file_name, "unknown", root_name, client_seq_no=file_name.client_seq_no, raw=text)


def _receipt_file(file_name: FileName, data: bytes, root: Element, root_name: str) -> InboxFile:
    try:
        reads = read_receipts(data)
    except DomainError as exc:  # a receipt's shape without a receipt in it (an empty envelope …)
        raise ExchangeFileUnreadable(
            exc.message_zh.removeprefix("回执无法读取："), exc.message_en.removeprefix("The receipt cannot be read: ")
        ) from None
    answers = [r for r in reads if r.kind == "import_response"]
    if not answers:
        return InboxFile(
            file_name,
            "dec_result",
            root_name,
            client_seq_no=next((r.client_seq_no for r in reads if r.client_seq_no), None),
            receipts=tuple(reads),
            raw=reads[0].raw,
        )
    answer = answers[0]  # one DecImportResponse a file
    response = _first(root, "DecImportResponse")
    fail_code = _text(response, "failCode", "FailCode") if response is not None else None
    fail_info = _text(response, "failInfo", "FailInfo") if response is not None else None
    return InboxFile(
        file_name,
        "card_failure" if fail_code else "import_response",
        root_name,
        client_seq_no=answer.client_seq_no or file_name.client_seq_no,
        response_code=answer.response_code,
        error_message=answer.error_message,
        customs_seq_no=answer.cus_ciq_no if answer.response_code == "0" else None,
        fail_code=fail_code,
        fail_info=fail_info,
        receipts=(answer,),
        raw=answer.raw,
    )


def _first(element: Element, name: str) -> Element | None:
    if local_name(element.tag) == name:
        return element
    return next((node for node in element.iter() if local_name(node.tag) == name), None)


def _text(element: Element, *names: str) -> str | None:
    for name in names:
        for child in element:
            if local_name(child.tag) == name and (child.text or "").strip():
                return (child.text or "").strip()
    return None

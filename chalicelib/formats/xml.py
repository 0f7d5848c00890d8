"""The one XML toolkit of every customs message this service reads: declarations, receipts, the client's
InBox files, the answers of a customs gateway.

- `decode_xml(data)`: bytes to text by what the bytes are (BOM, declared encoding, UTF-8, else GB18030).
- `parse_xml(data)`: a safe parse (no DTD, no entities, no external references) of bytes or text.
- `open_envelopes(root)`: the business document inside DxpMsg exchange envelopes.
- `envelope_content(envelope)`: what one DxpMsg's Data holds.
- `local_name(tag)`, `child_text(element, *names)`, `children`, `descendants`, `outermost`:
  element helpers that match local names only, since senders use any namespace or none.

Every failure is an `XmlUnreadable` naming the reason in Chinese and English; each caller turns it
into its own error (an unreadable file, an unreadable receipt, a customs protocol error).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException

from . import limits

# The GB2312 family, all read as GB18030 (their superset). The one list: readers and gateways share it.
GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "cp936", "x-gbk", "euc-cn", "gb_2312-80"})
XML_DECLARATION = re.compile(r"^\s*<\?xml\s.*?\?>", re.DOTALL)
DXP_NS = "http://www.chinaport.gov.cn/dxp"
ENVELOPE = "DxpMsg"
MAX_ENVELOPES = 3  # a DxpMsg inside a DxpMsg is odd already; deeper is refused

_DECLARED = re.compile(rb"^\s*<\?xml\s[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_UTF8_NAMES = {"utf-8", "utf8"}


class XmlUnreadable(Exception):
    """Bytes that hold no usable XML document: the reason, in two languages."""

    def __init__(self, reason_zh: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_zh = reason_zh
        self.reason_en = reason_en


# ---- bytes → text ----------------------------------------------------------------------------


def decode_xml(data: bytes) -> str:
    """The text of an XML document, decoded by what its bytes are, never silently garbled.

    - A byte-order mark decides (UTF-8, UTF-16).
    - Declared GB2312/GBK/GB18030 (read as GB18030): a file that is valid UTF-8 is read as UTF-8 -
      it was re-saved as UTF-8 by an editor that kept the old declaration (GB18030 would accept most
      of its bytes too, as other, wrong, Chinese characters).
    - Declared UTF-8, or nothing declared: UTF-8, else GB18030 (older Windows tools write GBK under
      a UTF-8 declaration).
    - Any other declared encoding is used as declared.
    Bytes valid under neither reading are refused with the position of the first bad byte.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise XmlUnreadable("内容不是文件数据", "the content is not file data")
    data = bytes(data)
    if data.startswith(codecs.BOM_UTF8):
        return _decode_as(data[len(codecs.BOM_UTF8) :], "utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_as(data, "utf-16")
    match = _DECLARED.match(data)
    declared = match.group(1).decode("ascii") if match else None
    gb_declared = declared is not None and declared.lower() in GB_FAMILY
    if declared is not None and not gb_declared and declared.lower().replace("_", "-") not in _UTF8_NAMES:
        return _decode_as(data, declared)
    utf8, utf8_error = _try(data, "utf-8")
    if utf8 is not None and _plausible(utf8):
        return utf8
    gb, gb_error = _try(data, "gb18030")
    if gb is not None:
        return gb
    if utf8 is not None:  # implausible as UTF-8 but not GB18030 either: UTF-8 it is
        return utf8
    error = gb_error if gb_declared else utf8_error
    position = error.start if error is not None else 0
    said = f"声明为{declared}，但" if declared else ""
    said_en = f"it declares {declared}, but " if declared else ""
    raise XmlUnreadable(
        f"{said}内容既不是有效的GB18030(GB2312/GBK)文本，也不是有效的UTF-8文本（第{position + 1}字节起无法解码）",
        f"{said_en}its bytes are neither valid GB18030 (GB2312/GBK) nor valid UTF-8 text "
        f"(undecodable from byte {position + 1})",
    )


def _try(data: bytes, encoding: str) -> tuple[str | None, UnicodeDecodeError | None]:
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError as exc:
        return None, exc


def _plausible(text: str) -> bool:
    """False when a UTF-8 reading holds what no customs file holds: C1 controls, private-use or
    unassigned code points (GBK bytes that happen to form valid UTF-8 sequences often do)."""
    return not any(ord(ch) > 0x7F and unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") for ch in text)


def _decode_as(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except LookupError:
        raise XmlUnreadable(f"不支持的字符编码 {encoding}", f"its encoding {encoding} is not supported") from None
    except UnicodeDecodeError as exc:
        raise XmlUnreadable(
            f"内容不符合声明的字符编码 {encoding}（第{exc.start + 1}字节起无法解码）",
            f"its bytes are not valid {encoding} (undecodable from byte {exc.start + 1})",
        ) from None


# ---- text → elements -------------------------------------------------------------------------


def as_utf8(data: bytes | str) -> bytes:
    """The document as UTF-8 without its XML declaration: expat reads no GB2312/GBK, and text that
    was decoded already must not be decoded again by what its declaration says. Only the
    declaration goes: the line break after it stays, so parse errors keep their line."""
    text = data if isinstance(data, str) else decode_xml(data)
    return XML_DECLARATION.sub("", text, count=1).encode("utf-8")


def parse_xml(data: bytes | str) -> Element:
    """The root element of a document in any encoding; DTDs and entities are refused outright (customs
    messages never carry one, and that closes both entity-expansion bombs and external entities)."""
    try:
        return limits.parse_xml(as_utf8(data))  # elements, depth and characters counted as it builds
    except DefusedXmlException:
        raise XmlUnreadable(
            "文件含有DTD或实体声明，出于安全原因不予读取", "it declares a DTD or entities, which are refused for safety"
        ) from None
    except ParseError as exc:
        raise XmlUnreadable(f"不是有效的XML（{exc}）", f"it is not well-formed XML ({exc})") from None


# ---- the DxpMsg exchange envelope -------------------------------------------------------------


def envelope_content(envelope: Element) -> Element | bytes:
    """What a DxpMsg's Data holds: the Data element itself when the sender put the XML inside it, else
    the document's bytes (base64, possibly wrapped over several indented lines and without padding,
    or XML written as escaped text or CDATA)."""
    data = next((child for child in envelope if local_name(child.tag) == "Data"), None)
    if data is None:
        raise XmlUnreadable("交换报文(DxpMsg)中没有Data", "the DxpMsg envelope has no Data")
    if len(data):
        return data
    content = (data.text or "").strip()
    if not content:
        raise XmlUnreadable("交换报文(DxpMsg)的Data为空", "the DxpMsg Data is empty")
    if content.startswith("<"):  # decoded already: its declaration must not decide again
        return as_utf8(content)
    encoded = "".join(content.split())
    try:
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise XmlUnreadable("交换报文(DxpMsg)的Data不是有效的Base64", "the DxpMsg Data is not valid base64") from None


def open_envelopes(root: Element) -> Element:
    """The business document's root inside DxpMsg envelopes (`root` itself when it is none; the Data
    element when the XML sits in it, as several documents may)."""
    for _ in range(MAX_ENVELOPES):
        if local_name(root.tag) != ENVELOPE:
            return root
        content = envelope_content(root)
        if isinstance(content, bytes):
            root = parse_xml(content)
        else:  # the XML itself inside Data: one envelope more, or the documents under Data
            inner = list(content)
            root = inner[0] if len(inner) == 1 and local_name(inner[0].tag) == ENVELOPE else content
    if local_name(root.tag) == ENVELOPE:
        raise XmlUnreadable("交换报文嵌套过深", "its DxpMsg envelopes are nested too deep")
    return root


# ---- element helpers (local names, namespaces ignored) ------------------------------------------


def local_name(tag: Any) -> str:
    """The tag without its namespace ("{http://www.chinaport.gov.cn/dec}DecHead" → "DecHead");
    "" for comments and processing instructions."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def children(element: Element, name: str) -> list[Element]:
    return [child for child in element if local_name(child.tag) == name]


def descendants(element: Element, name: str) -> list[Element]:
    """Every element called `name` below `element` (not itself), in document order."""
    return [node for node in element.iter() if node is not element and local_name(node.tag) == name]


def outermost(element: Element, name: str) -> list[Element]:
    """Elements called `name` in document order, not looking inside one that was found."""
    found: list[Element] = []
    pending = [element]  # an explicit stack: a hostile file may nest deeper than Python recurses
    while pending:
        node = pending.pop()
        if local_name(node.tag) == name:
            found.append(node)
        else:
            pending.extend(reversed(node))
    return found


def child_value(element: Element, *names: str) -> tuple[str, str] | None:
    """(tag, stripped text) of the first child among `names` with text; `<X/>`, `<X />` and
    `<X></X>` count as absent."""
    for name in names:
        for child in children(element, name):
            text = (child.text or "").strip()
            if text:
                return name, text
    return None


def child_text(element: Element, *names: str) -> str | None:
    """The stripped text of the first child among `names` that has any; None when none has."""
    found = child_value(element, *names)
    return found[1] if found else None

"""Read customs declaration messages (DecMessage XML) into import records.

One record per DecMessage, source "DecMessage N". Accepted shapes, as other customs software
writes them (shared/examples/declaration-fields.md):

- UTF-8 with or without BOM, UTF-16 with BOM, or the encoding the XML declaration names
  (GB2312/GBK are read as GB18030, their superset, unless the bytes are UTF-8: a file re-saved
  as UTF-8 that kept its GB2312 declaration). Undeclared text that is not UTF-8 is tried as
  GB18030; bytes that are neither are refused (``_common.decode_xml``).
- Any namespace or none: every element is matched on its local name.
- DecMessage as the root, inside ImportMessage or any other wrapper (several per file), or
  inside the DxpMsg exchange envelope whose ``Data`` holds the message in base64.
- Blocks in any order; EdocRealation repeated directly under DecMessage or in a wrapper;
  ``<X/>``, ``<X />`` and ``<X></X>`` mean absent; blocks full of empty tags are skipped.

Mapped tags (everything else is ignored, e.g. DecRequestCerts, DecOtherPacks, DecUsers,
EcoRelation, DecLicenseDocus (licences: no field holds them), DecHead/Type, OtherMark/Rate/Curr):

- DecHead: see ``_HEAD``; SeqNo, else DecSign/ClientSeqNo → seq_no only when it has the
  I/E + 17 digits form; VoyNo from DecHead or DecFreeTxt; TradeAreaCode (贸易国别) →
  trade_country when present, TradeCountry otherwise (see ``_countries``); DepartCountry →
  depart_country. FeeMark/InsurMark empty with a zero or empty rate → no freight/insurance.
- DecList (goods, ordered by GNo): see ``_GOODS``; a zero FirstQty/SecondQty without its unit
  is dropped (files write 0 for "no second unit").
- DecContainers/Container: see ``_CONTAINER``; a zero ContainerWt is dropped.
- EdocRealation: EdocID → edoc_no, EdocCode → edoc_code.

Not in the message and left to their defaults: two_step, self_pay, summarized_tax (false).
Decimals become plain strings without trailing zeros; numeric currency/country codes become
letter codes (unknown codes are kept so that validation names them).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException

from chalicelib.domain import errors
from chalicelib.domain.declaration import SEQ_NO_RE
from chalicelib.domain.errors import FieldError
from chalicelib.services.import_declarations import ImportRecord

from . import limits
from ._common import (
    MAX_RECORDS,
    BadValue,
    bad_value_error,
    coded,
    decimal_text,
    decode_xml,
    entry_type,
    is_zero,
    iso_date,
    nest,
    whole_number,
)

Convert = Callable[[str], Any]
# (tags tried in order, field path, converter)
Mapping = tuple[tuple[tuple[str, ...], str, Convert], ...]


def _text(value: str) -> str:
    return value


_HEAD: Mapping = (
    (("IEFlag",), "ie_flag", str.upper),
    (("EntryType",), "declaration_type", entry_type),
    (("CustomMaster",), "declare_customs", _text),
    (("IEPort",), "ie_port", _text),
    (("IEDate",), "ie_date", iso_date),
    (("AgentCode",), "agent.code", str.upper),
    (("AgentCodeScc",), "agent.uscc", str.upper),
    (("AgentName",), "agent.name", _text),
    (("TradeCode",), "consignee.code", str.upper),
    (("TradeCoScc",), "consignee.uscc", str.upper),
    (("TradeName",), "consignee.name", _text),
    (("OwnerCode",), "owner.code", str.upper),
    (("OwnerCodeScc",), "owner.uscc", str.upper),
    (("OwnerName",), "owner.name", _text),
    (("BillNo",), "bill_no", _text),
    (("TrafMode",), "transport_mode", str.upper),
    (("TrafName",), "traf_name", _text),
    (("VoyNo",), "voyage_no", _text),
    (("TradeMode",), "trade_mode", _text),
    (("CutMode",), "cut_mode", _text),
    (("TransMode",), "trans_mode", _text),
    (("FeeMark",), "freight.mark", _text),
    (("FeeRate",), "freight.rate", decimal_text),
    (("FeeCurr",), "freight.currency", coded("currency")),
    (("InsurMark",), "insurance.mark", _text),
    (("InsurRate",), "insurance.rate", decimal_text),
    (("InsurCurr",), "insurance.currency", coded("currency")),
    (("PackNo",), "pack_no", whole_number),
    (("WrapType",), "wrap_type", _text),
    (("GrossWet", "GrossWt"), "gross_wt", decimal_text),
    (("NetWt", "NetWet"), "net_wt", decimal_text),
    (("NoteS",), "note", _text),
)

_GOODS: Mapping = (
    (("GNo",), "g_no", whole_number),
    (("CodeTS",), "code_ts", _text),
    (("GName",), "g_name", _text),
    (("GModel",), "g_model", _text),
    (("GQty",), "qty", decimal_text),
    (("GUnit",), "unit", _text),
    (("FirstQty",), "first_qty", decimal_text),
    (("FirstUnit",), "first_unit", _text),
    (("SecondQty",), "second_qty", decimal_text),
    (("SecondUnit",), "second_unit", _text),
    (("DeclPrice",), "decl_price", decimal_text),
    (("DeclTotal",), "decl_total", decimal_text),
    (("TradeCurr",), "currency", coded("currency")),
    (("OriginCountry",), "origin_country", coded("country")),
    (("DestinationCountry",), "destination_country", coded("country")),
    (("DutyMode",), "duty_mode", _text),
)

_CONTAINER: Mapping = (
    (("ContainerId",), "container_id", _text),
    (("ContainerMd",), "container_md", _text),
    (("GoodsNo",), "goods_no", _text),
    (("LclFlag",), "lcl_flag", _text),
    (("ContainerWt",), "container_wt", decimal_text),
)

_DOCUMENT: Mapping = (
    (("EdocCode",), "edoc_code", _text),
    (("EdocID", "EdocId"), "edoc_no", _text),
)

_COUNTRY = coded("country")
_XML_DECL = re.compile(r"^\s*<\?xml\s.*?\?>", re.DOTALL)
_MAX_ENVELOPES = 3  # a DxpMsg inside a DxpMsg is odd already; deeper is refused


def read_dec_messages(data: bytes, *, max_records: int = MAX_RECORDS) -> list[ImportRecord]:
    """One ImportRecord per DecMessage in `data`; raises unreadable_file when none can be read."""
    root = _open_envelopes(_parse(data))
    messages = _outermost(root, "DecMessage")
    if not messages:
        raise errors.unreadable_file("文件中没有报关单报文(DecMessage)", "it contains no DecMessage")
    if len(messages) > max_records:
        raise errors.unreadable_file(
            f"报关单超过{max_records}份（共{len(messages)}份）",
            f"it holds {len(messages)} declarations, more than {max_records}",
        )
    return [_read_message(message, f"DecMessage {n}") for n, message in enumerate(messages, 1)]


# ---- parsing ------------------------------------------------------------------------------


def _parse(data: bytes) -> Element:
    try:
        # DTDs are refused outright: customs messages never carry one, and that closes both
        # entity-expansion bombs and external entities.
        return limits.parse_xml(_as_utf8(data))  # counts elements and characters as it builds
    except DefusedXmlException:
        raise errors.unreadable_file(
            "文件含有DTD或实体声明，出于安全原因不予读取", "it declares a DTD or entities, which are refused for safety"
        ) from None
    except ParseError as exc:
        raise errors.unreadable_file(f"不是有效的XML（{exc}）", f"it is not well-formed XML ({exc})") from None


def _as_utf8(data: bytes) -> bytes:
    """The document re-encoded as UTF-8 without its XML declaration: expat reads no GB2312/GBK."""
    if not isinstance(data, (bytes, bytearray)):
        raise errors.unreadable_file("内容不是文件数据", "the content is not file data")
    text = decode_xml(bytes(data))
    # only the declaration goes: the line break after it stays, so parse errors keep their line
    return _XML_DECL.sub("", text, count=1).encode("utf-8")


def _open_envelopes(root: Element) -> Element:
    """The business XML inside DxpMsg envelopes (Data: base64, possibly over several lines)."""
    for _ in range(_MAX_ENVELOPES):
        if _local(root.tag) != "DxpMsg":
            return root
        data = next(iter(_descendants(root, "Data")), None)
        if data is None:
            raise errors.unreadable_file("交换报文(DxpMsg)中没有Data", "the DxpMsg envelope has no Data")
        if len(data):  # some senders put the XML itself inside Data
            return data
        encoded = "".join((data.text or "").split())
        if not encoded:
            raise errors.unreadable_file("交换报文(DxpMsg)的Data为空", "the DxpMsg Data is empty")
        try:
            inner = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise errors.unreadable_file(
                "交换报文(DxpMsg)的Data不是有效的Base64", "the DxpMsg Data is not valid base64"
            ) from None
        root = _parse(inner)
    raise errors.unreadable_file("交换报文嵌套过深", "its DxpMsg envelopes are nested too deep")


# ---- element helpers (local names, namespaces ignored) ------------------------------------


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _descendants(element: Element, name: str) -> list[Element]:
    return [node for node in element.iter() if node is not element and _local(node.tag) == name]


def _outermost(element: Element, name: str) -> list[Element]:
    """Elements called `name` in document order, not looking inside one that was found."""
    found: list[Element] = []
    pending = [element]  # an explicit stack: a hostile file may nest deeper than Python recurses
    while pending:
        node = pending.pop()
        if _local(node.tag) == name:
            found.append(node)
        else:
            pending.extend(reversed(node))
    return found


def _value(element: Element, *names: str) -> tuple[str, str] | None:
    """(tag, stripped text) of the first child among `names` with text; empty means absent."""
    for name in names:
        for child in _children(element, name):
            text = (child.text or "").strip()
            if text:
                return name, text
    return None


def _is_blank(element: Element) -> bool:
    return not any((node.text or "").strip() for node in element.iter())


# ---- one DecMessage -----------------------------------------------------------------------


def _read_block(
    element: Element, mapping: Mapping, prefix: str, where: str, problems: list[FieldError]
) -> dict[str, Any]:
    """Flat {field path: value} of the mapped child tags; bad values go to `problems`."""
    flat: dict[str, Any] = {}
    for tags, path, convert in mapping:
        found = _value(element, *tags)
        if found is None:
            continue
        tag, text = found
        try:
            flat[path] = convert(text)
        except BadValue as bad:
            problems.append(bad_value_error(prefix + path, f"{where}/{tag}", f"{where}/{tag}", text, bad))
    return flat


def _read_message(message: Element, source: str) -> ImportRecord:
    problems: list[FieldError] = []
    heads = _descendants(message, "DecHead")
    raw: dict[str, Any] = {}
    if not heads:
        problems.append(FieldError("DecHead", "报文缺少报关单表头(DecHead)", "the DecMessage has no DecHead"))
    elif len(heads) > 1:
        problems.append(FieldError("DecHead", "报文含有多个报关单表头(DecHead)", "the DecMessage has several DecHead"))
    else:
        raw = _read_head(message, heads[0], problems)
    raw["goods"] = _read_goods(message, problems)
    raw["containers"] = _read_list(message, "Container", _CONTAINER, "containers", problems)
    raw["documents"] = _read_list(message, "EdocRealation", _DOCUMENT, "documents", problems)
    for container in raw["containers"]:
        if is_zero(container.get("container_wt")):
            del container["container_wt"]
    return ImportRecord(raw=raw, source=source, read_errors=problems)


def _read_head(message: Element, head: Element, problems: list[FieldError]) -> dict[str, Any]:
    flat = _read_block(head, _HEAD, "", "DecHead", problems)
    seq_no = _seq_no(message, head)
    if seq_no:
        flat["seq_no"] = seq_no
    if "voyage_no" not in flat:
        for free_text in _descendants(message, "DecFreeTxt"):
            if found := _value(free_text, "VoyNo"):
                flat["voyage_no"] = found[1]
                break
    flat.update(_countries(head, flat.get("ie_flag")))
    raw = nest(flat)
    for fee in ("freight", "insurance"):
        # files write <FeeMark/><FeeRate>0</FeeRate> for "no freight"
        if fee in raw and "mark" not in raw[fee] and (raw[fee].get("rate") is None or is_zero(raw[fee]["rate"])):
            del raw[fee]
    return raw


def _seq_no(message: Element, head: Element) -> str | None:
    """SeqNo, else DecSign/ClientSeqNo, when it has our form; other tools' numbers are dropped."""
    candidates = [_value(head, "SeqNo")]
    candidates += [_value(sign, "ClientSeqNo") for sign in _descendants(message, "DecSign")]
    for found in candidates:
        if found and SEQ_NO_RE.match(found[1].upper()):
            return found[1].upper()
    return None


def _countries(head: Element, ie_flag: str | None) -> dict[str, str]:
    """trade_country and depart_country.

    Since the 2018 reform TradeAreaCode is 贸易国(地区) and TradeCountry is 启运国 (import) or
    运抵国 (export). Older files have only TradeCountry, meaning the trade country.
    """
    area, country, depart = (_value(head, tag) for tag in ("TradeAreaCode", "TradeCountry", "DepartCountry"))
    out: dict[str, str] = {}
    if area:
        out["trade_country"] = _COUNTRY(area[1])
        if country and ie_flag == "I" and not depart:
            depart = country
    elif country:
        out["trade_country"] = _COUNTRY(country[1])
    if depart:
        out["depart_country"] = _COUNTRY(depart[1])
    return out


def _read_goods(message: Element, problems: list[FieldError]) -> list[dict[str, Any]]:
    lists = [item for item in _descendants(message, "DecList") if not _is_blank(item)]
    lists.sort(key=_g_no_key)  # stable: items without a usable GNo keep their place at the end
    goods = []
    for index, item in enumerate(lists):
        flat = _read_block(item, _GOODS, f"goods[{index}].", f"DecList[{index + 1}]", problems)
        for qty, unit in (("first_qty", "first_unit"), ("second_qty", "second_unit")):
            if unit not in flat and is_zero(flat.get(qty)):
                del flat[qty]  # "0" written for a legal unit the goods do not have
        goods.append(flat)
    return goods


def _g_no_key(item: Element) -> int:
    found = _value(item, "GNo")
    try:
        return whole_number(found[1]) if found else 1 << 30
    except BadValue:
        return 1 << 30


def _read_list(
    message: Element, name: str, mapping: Mapping, field: str, problems: list[FieldError]
) -> list[dict[str, Any]]:
    blocks = [block for block in _descendants(message, name) if not _is_blank(block)]
    return [
        _read_block(block, mapping, f"{field}[{index}].", f"{name}[{index + 1}]", problems)
        for index, block in enumerate(blocks)
    ]

"""Read customs declaration messages (DecMessage XML) into import records.

One record per DecMessage, source "DecMessage N". Accepted shapes, as other customs software
writes them (shared/examples/declaration-fields.md):

- UTF-8 with or without BOM, UTF-16 with BOM, or the encoding the XML declaration names
  (GB2312/GBK are read as GB18030, their superset, unless the bytes are UTF-8: a file re-saved
  as UTF-8 that kept its GB2312 declaration). Undeclared text that is not UTF-8 is tried as
  GB18030; bytes that are neither are refused (``xml.decode_xml``).
- Any namespace or none: every element is matched on its local name.
- DecMessage as the root, inside ImportMessage or any other wrapper (several per file), or
  inside the DxpMsg exchange envelope whose ``Data`` holds the message in base64.
- Blocks in any order; EdocRealation repeated directly under DecMessage or in a wrapper;
  ``<X/>``, ``<X />`` and ``<X></X>`` mean absent; blocks full of empty tags are skipped.

Mapped tags (everything else is ignored, e.g. DecUsers, DecCopLimits, EcoRelation, DecHead/Type,
DecSign (but its ClientSeqNo, below)):

- Every field the table (``domain/declaration_fields.py``) maps to a tag, in its block; then by
  hand the ones it marks ``in_code`` (``READ_IN_CODE``). DecHead: SeqNo, else
  DecSign/ClientSeqNo → seq_no only when it has the I/E + 17 digits form; VoyNo from DecHead
  or DecFreeTxt; TradeAreaCode (贸易国别) → trade_country when present, TradeCountry otherwise
  (see ``_countries``); DepartCountry → depart_country. FeeMark/InsurMark empty with a zero or
  empty rate → no freight/insurance.
- DecList (goods, ordered by GNo): a zero FirstQty/SecondQty without its unit
  is dropped (files write 0 for "no second unit"); DecGoodsLimits/DecGoodsLimit → licences, and
  the DecGoodsLimitVin inside each → its vins.
- DecContainers/Container: a zero ContainerWt is dropped.
- EdocRealation: EdocID → edoc_no, EdocCode → edoc_code.

Not in the message and left to their defaults: two_step, self_pay, summarized_tax (false).
Decimals become plain strings without trailing zeros; numeric currency/country codes become
letter codes (unknown codes are kept so that validation names them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element

from chalicelib.domain import errors
from chalicelib.domain.declaration import SEQ_NO_RE
from chalicelib.domain.declaration_fields import (
    FIELDS,
    FREE_TEXT,
    GOODS,
    GOODS_LICENCE,
    HEAD,
    LICENCE_VIN,
    LIST_BLOCKS,
    FieldSpec,
)
from chalicelib.domain.errors import FieldError

from ._common import (
    CHARACTER_FLAGS,
    MAX_RECORDS,
    BadValue,
    bad_value_error,
    coded,
    decimal_text,
    entry_type,
    is_zero,
    iso_date,
    nest,
    whole_number,
)
from .records import ImportRecord
from .xml import XmlUnreadable, child_text, child_value, descendants, open_envelopes, outermost, parse_xml

Convert = Callable[[str], Any]
# (tags tried in order, field path, converter)
Mapping = tuple[tuple[tuple[str, ...], str, Convert], ...]


def _text(value: str) -> str:
    return value


# kind (declaration_fields.KINDS) → how the message's text becomes the field's value
_CONVERTERS: dict[str, Callable[[FieldSpec], Convert]] = {
    "text": lambda spec: _text,
    "upper": lambda spec: str.upper,
    "code": lambda spec: str.upper,
    "uscc": lambda spec: str.upper,
    "ie_flag": lambda spec: str.upper,
    "table": lambda spec: coded(spec.code_table or ""),
    "dec": lambda spec: decimal_text,
    "int": lambda spec: whole_number,
    "date": lambda spec: iso_date,
    "entry_type": lambda spec: entry_type,
}

# Fields the table marks `in_code`: read by the functions below, not by the mappings; and the tags
# whose characters are flags of several fields (_common.CHARACTER_FLAGS).
READ_IN_CODE = frozenset({"seq_no", "voyage_no", "trade_country", "depart_country"})
READ_AS_CHARACTERS = frozenset(CHARACTER_FLAGS)


def _mapping(block: str) -> Mapping:
    """(tags, path inside the block's record, converter) of every field the table maps in `block`."""
    return tuple(
        (spec.tags, spec.leaf, _CONVERTERS[spec.kind](spec))
        for spec in FIELDS
        if spec.message_block == block and spec.in_code is None and spec.kind != "bool"
    )


_HEAD, _FREE_TEXT, _GOODS, _GOODS_LICENCE, _LICENCE_VIN = (
    _mapping(b) for b in (HEAD, FREE_TEXT, GOODS, GOODS_LICENCE, LICENCE_VIN)
)
# the head's lists: field name, the item's element, its mapping
_LISTS = tuple(
    (name, block, _mapping(block))
    for name, block in LIST_BLOCKS.items()
    if name and "[]" not in name and block != GOODS
)

_COUNTRY = coded("country")


def read_dec_messages(data: bytes, *, max_records: int = MAX_RECORDS) -> list[ImportRecord]:
    """One ImportRecord per DecMessage in `data`; raises unreadable_file when none can be read."""
    try:
        root = open_envelopes(parse_xml(data))
    except XmlUnreadable as exc:
        raise errors.unreadable_file(exc.reason_zh, exc.reason_en) from None
    messages = outermost(root, "DecMessage")
    if not messages:
        raise errors.unreadable_file("文件中没有报关单报文(DecMessage)", "it contains no DecMessage")
    if len(messages) > max_records:
        raise errors.unreadable_file(
            f"报关单超过{max_records}份（共{len(messages)}份）",
            f"it holds {len(messages)} declarations, more than {max_records}",
        )
    return [_read_message(message, f"DecMessage {n}") for n, message in enumerate(messages, 1)]


def _is_blank(element: Element) -> bool:
    return not any((node.text or "").strip() for node in element.iter())


# ---- one DecMessage -----------------------------------------------------------------------


def _read_block(
    element: Element, mapping: Mapping, prefix: str, where: str, problems: list[FieldError]
) -> dict[str, Any]:
    """Flat {field path: value} of the mapped child tags; bad values go to `problems`."""
    flat: dict[str, Any] = {}
    for tags, path, convert in mapping:
        found = child_value(element, *tags)
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
    heads = descendants(message, "DecHead")
    raw: dict[str, Any] = {}
    if not heads:
        problems.append(FieldError("DecHead", "报文缺少报关单表头(DecHead)", "the DecMessage has no DecHead"))
    elif len(heads) > 1:
        problems.append(FieldError("DecHead", "报文含有多个报关单表头(DecHead)", "the DecMessage has several DecHead"))
    else:
        raw = _read_head(message, heads[0], problems)
    raw["goods"] = _read_goods(message, problems)
    for name, block, mapping in _LISTS:
        raw[name] = _read_list(message, block, mapping, name, problems)
    for container in raw["containers"]:
        if is_zero(container.get("container_wt")):
            del container["container_wt"]
    return ImportRecord(raw=raw, source=source, read_errors=problems)


def _read_head(message: Element, head: Element, problems: list[FieldError]) -> dict[str, Any]:
    flat = _read_block(head, _HEAD, "", "DecHead", problems)
    for free_text in descendants(message, FREE_TEXT)[:1]:
        flat.update(_read_block(free_text, _FREE_TEXT, "", FREE_TEXT, problems))
    flat.update(_character_flags(head))
    seq_no = _seq_no(message, head)
    if seq_no:
        flat["seq_no"] = seq_no
    if voyage_no := _voyage_no(message, head):
        flat["voyage_no"] = voyage_no
    flat.update(_countries(head, flat.get("ie_flag")))
    raw = nest(flat)
    for fee in ("freight", "insurance", "other_fee"):
        # files write <FeeMark/><FeeRate>0</FeeRate> for "no freight"
        if fee in raw and "mark" not in raw[fee] and (raw[fee].get("rate") is None or is_zero(raw[fee]["rate"])):
            del raw[fee]
    return raw


def _seq_no(message: Element, head: Element) -> str | None:
    """SeqNo, else DecSign/ClientSeqNo, when it has our form; other tools' numbers are dropped."""
    candidates = [child_value(head, "SeqNo")]
    candidates += [child_value(sign, "ClientSeqNo") for sign in descendants(message, "DecSign")]
    for found in candidates:
        if found and SEQ_NO_RE.match(found[1].upper()):
            return found[1].upper()
    return None


def _character_flags(head: Element) -> dict[str, bool | None]:
    """PromiseItmes and SpecDeclFlag: one field per character (1 yes, 0 no, anything else: not given)."""
    flat: dict[str, bool | None] = {}
    for tag, paths in CHARACTER_FLAGS.items():
        text = child_text(head, tag)
        if text is None:
            continue
        for path, char in zip(paths, text.ljust(len(paths), "9"), strict=False):
            flat[path] = True if char == "1" else False if char == "0" else None
    return flat


def _voyage_no(message: Element, head: Element) -> str | None:
    """DecFreeTxt/VoyNo; some files put it in DecHead, which then wins."""
    for block in (head, *descendants(message, "DecFreeTxt")):
        if found := child_value(block, "VoyNo"):
            return found[1]
    return None


def _countries(head: Element, ie_flag: str | None) -> dict[str, str]:
    """trade_country and depart_country.

    Since the 2018 reform TradeAreaCode is 贸易国(地区) and TradeCountry is 启运国 (import) or
    运抵国 (export). Older files have only TradeCountry, meaning the trade country.
    """
    area, country, depart = (child_value(head, tag) for tag in ("TradeAreaCode", "TradeCountry", "DepartCountry"))
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
    lists = [item for item in descendants(message, GOODS) if not _is_blank(item)]
    lists.sort(key=_g_no_key)  # stable: items without a usable GNo keep their place at the end
    goods = []
    for index, item in enumerate(lists):
        flat = _read_block(item, _GOODS, f"goods[{index}].", f"DecList[{index + 1}]", problems)
        for qty, unit in (("first_qty", "first_unit"), ("second_qty", "second_unit")):
            if unit not in flat and is_zero(flat.get(qty)):
                del flat[qty]  # "0" written for a legal unit the goods do not have
        flat["licences"] = [
            _read_licence(limit, f"goods[{index}].licences[{n}].", f"DecList[{index + 1}]/{GOODS_LICENCE}", problems)
            for n, limit in enumerate(x for x in descendants(item, GOODS_LICENCE) if not _is_blank(x))
        ]
        goods.append(flat)
    return goods


def _read_licence(limit: Element, prefix: str, where: str, problems: list[FieldError]) -> dict[str, Any]:
    """A goods item's licence and the vehicles it covers (DecGoodsLimitVin, inside it; their
    LicTypeCode and LicenceNo repeat the licence's)."""
    flat = _read_block(limit, _GOODS_LICENCE, prefix, where, problems)  # its own children only
    vins = [x for x in descendants(limit, LICENCE_VIN) if not _is_blank(x)]
    flat["vins"] = [
        _read_block(vin, _LICENCE_VIN, f"{prefix}vins[{n}].", f"{where}/{LICENCE_VIN}[{n + 1}]", problems)
        for n, vin in enumerate(vins)
    ]
    return flat


def _g_no_key(item: Element) -> int:
    found = child_value(item, "GNo")
    try:
        return whole_number(found[1]) if found else 1 << 30
    except BadValue:
        return 1 << 30


def _read_list(
    message: Element, name: str, mapping: Mapping, field: str, problems: list[FieldError]
) -> list[dict[str, Any]]:
    blocks = [block for block in descendants(message, name) if not _is_blank(block)]
    return [
        _read_block(block, mapping, f"{field}[{index}].", f"{name}[{index + 1}]", problems)
        for index, block in enumerate(blocks)
    ]


# ---- for the customs simulator (infra/customs_simulator), which still imports these names ----------
# New code uses formats/xml.py; these keep the simulator's DomainError on an unreadable body.


def _parse(data: bytes) -> Element:
    try:
        return parse_xml(data)
    except XmlUnreadable as exc:
        raise errors.unreadable_file(exc.reason_zh, exc.reason_en) from None


def _open_envelopes(root: Element) -> Element:
    try:
        return open_envelopes(root)
    except XmlUnreadable as exc:
        raise errors.unreadable_file(exc.reason_zh, exc.reason_en) from None


_descendants, _outermost, _value = descendants, outermost, child_value

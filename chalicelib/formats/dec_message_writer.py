"""Write a declaration as a customs declaration message (DecMessage XML), version 4.x or 3.1.

The output reads back through ``chalicelib.formats.dec_message.read_dec_messages`` to the same
content, except for what the message does not carry (two_step, self_pay, summarized_tax: the
reader leaves them at false). Shape, as real files have it (shared/examples/declaration-fields.md):

- UTF-8, ``<?xml version="1.0" encoding="UTF-8"?>``, root ``DecMessage`` with the default
  namespace ``http://www.chinaport.gov.cn/dec`` and ``Version`` (4.8 unless asked; "3.1" for old
  QP clients, which know none of the fields the table marks ``since="4.x"``: a content holding one
  is refused for 3.1 rather than declared with parts missing);
- DecHead, DecLists/DecList (a goods item's licences in DecGoodsLimits/DecGoodsLimit, the
  vehicles a licence covers in DecGoodsLimitVin inside it), DecContainers/Container,
  DecLicenseDocus, DecFreeTxt (VoyNo), DecSign, then one EdocRealation per document directly under
  the root (where the shipped example and customs clients put them);
- each block's elements in the order of the message's schema (``HEAD_ORDER`` …), their values
  from the field table (``domain/declaration_fields.py``); an absent value is an empty element
  ``<X />``; decimals are written as given, in plain notation (``format(d, "f")``: "820.00" stays
  "820.00", never a float and never "1E+3");
- DecSign: OperType, the card and enterprise of ``sign`` (``DecSignInfo``: ICCode, OperName,
  CopCode, also written to DecHead as TypistNo, InputerName, CopCode, CopName), ClientSeqNo and
  SignDate; Sign and Certificate stay empty: the client signs with the enterprise's card.

Countries (see ``dec_message._countries``): TradeAreaCode carries trade_country (贸易国). For an
import TradeCountry carries depart_country (启运国), empty when there is none, so that the reader
gives the same depart_country back. For an export TradeCountry is the country of arrival
(运抵国), which the content does not hold: we write the goods' destination country when all
goods share one, else the trade country; the reader ignores it for exports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from chalicelib.domain.china_time import CHINA_TIME  # customs times carry no zone and mean China time
from chalicelib.domain.declaration import DeclarationContent
from chalicelib.domain.declaration_fields import (
    CONTAINER,
    DOCUMENT,
    FIELDS,
    FREE_TEXT,
    GOODS,
    GOODS_LICENCE,
    HEAD,
    LICENCE_DOCUMENT,
    LICENCE_VIN,
    OTHER_PACK,
    REQUESTED_CERTIFICATE,
    FieldSpec,
)
from chalicelib.formats._common import CHARACTER_FLAGS, ENTRY_TYPES

DEC_NS = "http://www.chinaport.gov.cn/dec"
MESSAGE_VERSION = "4.8"  # what the Single Window client takes today
VERSIONS = ("4.8", "3.1")
EDOC_FORMAT = "US"  # EdocFomatType (sic): "US" = document uploaded by the user

# Each block's elements in the order of the message's schema (as the customs clients' field lists give it).
HEAD_ORDER = (
    "SeqNo", "IEFlag", "Type", "AgentCode", "AgentName", "ApprNo", "BillNo", "ContrNo", "CustomMaster", "CutMode",
    "DistinatePort", "FeeCurr", "FeeMark", "FeeRate", "GrossWet", "IEDate", "IEPort", "InsurCurr", "InsurMark",
    "InsurRate", "LicenseNo", "ManualNo", "NetWt", "NoteS", "OtherCurr", "OtherMark", "OtherRate", "OwnerCode",
    "OwnerName", "PackNo", "TradeCode", "TradeCountry", "TradeMode", "TradeName", "TrafMode", "TrafName", "TransMode",
    "WrapType", "EntryId", "PreEntryId", "EdiId", "Risk", "CopName", "CopCode", "EntryType", "PDate", "TypistNo",
    "InputerName", "PartenerID", "TgdNo", "DataSource", "DeclTrnRel", "ChkSurety", "BillType", "CopCodeScc",
    "OwnerCodeScc", "AgentCodeScc", "TradeCoScc", "PromiseItmes", "TradeAreaCode", "CheckFlow", "TaxAaminMark",
    "MarkNo", "DespPortCode", "EntyPortCode", "GoodsPlace", "BLNo", "InspOrgCode", "SpecDeclFlag", "PurpOrgCode",
    "DespDate", "CmplDschrgDt", "CorrelationReasonFlag", "VsaOrgCode", "OrigBoxFlag", "DeclareName", "NoOtherPack",
    "OrgCode", "OverseasConsignorCode", "OverseasConsignorCname", "OverseasConsignorEname", "OverseasConsignorAddr",
    "OverseasConsigneeCode", "OverseasConsigneeEname", "DomesticConsigneeEname", "CorrelationNo", "EdiRemark",
    "EdiRemark2", "TradeCiqCode", "OwnerCiqCode", "DeclCiqCode",
)  # fmt: skip
GOODS_ORDER = (
    "ClassMark", "CodeTS", "ContrItem", "DeclPrice", "DutyMode", "Factor", "GModel", "GName", "GNo", "OriginCountry",
    "TradeCurr", "DeclTotal", "GQty", "FirstQty", "SecondQty", "GUnit", "FirstUnit", "SecondUnit", "UseTo", "WorkUsd",
    "ExgNo", "ExgVersion", "DestinationCountry", "CiqCode", "DeclGoodsEname", "OrigPlaceCode", "Purpose",
    "ProdValidDt", "ProdQgp", "GoodsAttr", "Stuff", "Uncode", "DangName", "DangPackType", "DangPackSpec",
    "EngManEntCnm", "NoDangFlag", "DestCode", "GoodsSpec", "GoodsModel", "GoodsBrand", "ProduceDate", "ProdBatchNo",
    "DistrictCode", "CiqName", "DecGoodsLimits", "MnufctrRegNo", "MnufctrRegName",
)  # fmt: skip
ORDERS = {
    HEAD: HEAD_ORDER,
    GOODS: GOODS_ORDER,
    GOODS_LICENCE: ("GoodsNo", "LicTypeCode", "LicenceNo", "LicWrtofDetailNo", "LicWrtofQty", "LicWrtofQtyUnit"),
    LICENCE_VIN: (
        "LicenceNo",
        "LicTypeCode",
        "VinNo",
        "BillLadDate",
        "QualityQgp",
        "MotorNo",
        "VinCode",
        "ChassisNo",
        "InvoiceNum",
        "ProdCnnm",
        "ProdEnnm",
        "ModelEn",
        "PricePerUnit",
        "InvoiceNo",
    ),  # fmt: skip
    CONTAINER: ("ContainerId", "ContainerMd", "GoodsNo", "LclFlag", "GoodsContaWt", "ContainerWt"),
    LICENCE_DOCUMENT: ("DocuCode", "CertCode"),
    FREE_TEXT: ("RelId", "RelManNo", "BonNo", "VoyNo", "DecBpNo", "CusFie", "DecNo"),
    REQUESTED_CERTIFICATE: ("AppCertCode", "ApplOri", "ApplCopyQuan"),
    OTHER_PACK: ("PackQty", "PackType"),
    DOCUMENT: ("EdocID", "EdocCode", "EdocFomatType", "OpNote", "EdocCopId", "EdocOwnerCode", "SignUnit", "SignTime"),
}

# Fields the table marks `in_code`: written by the functions below, not from the table alone; and the
# tags whose characters are flags of several fields (_common.CHARACTER_FLAGS).
WRITTEN_IN_CODE = frozenset({"seq_no", "voyage_no", "trade_country", "depart_country"})
WRITTEN_AS_CHARACTERS = frozenset(CHARACTER_FLAGS)

_ENTRY_TYPE_CODES = {name: code for code, name in ENTRY_TYPES.items()}
_OPER_TYPES = frozenset("ACG")  # A upload, C declare, G temp-save (暂存)
# XML 1.0 forbids these characters outright; an escaped form would not parse either.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Value = str | int | Decimal | date | None
# (tag, value) for a leaf, (tag, [children]) for a block
Node = tuple[str, "Value | list[Node]"]


@dataclass(frozen=True)
class DecSignInfo:
    """Who hands the message to customs: the operator's card and enterprise (the agent's settings).
    The card itself signs in the client: Sign, Certificate and the signed SignDate are its business."""

    ic_code: str | None = None  # 操作员IC卡号: DecSign/ICCode and DecHead/TypistNo
    oper_name: str | None = None  # 操作员姓名: DecSign/OperName and DecHead/InputerName
    cop_code: str | None = None  # 录入单位代码: DecSign/CopCode and DecHead/CopCode
    cop_name: str | None = None  # 录入单位名称: DecHead/CopName
    cop_uscc: str | None = None  # 录入单位统一社会信用代码: DecHead/CopCodeScc
    declare_name: str | None = None  # 申报人员姓名: DecHead/DeclareName


class MessageVersionError(ValueError):
    """The content holds fields the asked message version cannot carry."""

    def __init__(self, version: str, paths: list[str]) -> None:
        super().__init__(f"DecMessage {version} cannot carry {', '.join(paths)}; write version {MESSAGE_VERSION}")
        self.paths = paths


def build_dec_message(
    content: DeclarationContent,
    *,
    oper_type: str = "C",
    client_seq_no: str | None = None,
    sign_time: datetime | None = None,
    sign: DecSignInfo | None = None,
    version: str = MESSAGE_VERSION,
) -> bytes:
    """The DecMessage of `content` as UTF-8 bytes; the same arguments always give the same bytes.

    `sign_time` defaults to now; a naive time is taken as China time, an aware one converted to it.
    Raises ValueError for an unknown oper_type or version, text that XML cannot carry (control
    characters), and MessageVersionError for a 3.1 message of a content with 4.x fields.
    """
    if oper_type not in _OPER_TYPES:
        raise ValueError(f"oper_type must be one of A, C, G, not {oper_type!r}")
    if version not in VERSIONS:
        raise ValueError(f"version must be one of {', '.join(VERSIONS)}, not {version!r}")
    if version == "3.1" and (too_new := _newer_fields(content)):
        raise MessageVersionError(version, too_new)
    sign = sign or DecSignInfo()
    signed = _china_time(sign_time or datetime.now(CHINA_TIME))
    newer = version != "3.1"
    blocks_4x: list[Node] = [
        (
            "DecRequestCerts",
            [("DecRequestCert", _block(REQUESTED_CERTIFICATE, r, version)) for r in content.requested_certificates],
        ),
        ("DecOtherPacks", [("DecOtherPack", _block(OTHER_PACK, p, version)) for p in content.other_packs]),
    ]
    children: list[Node] = [
        ("DecHead", _block(HEAD, content, version, _head_in_code(content, sign, newer))),
        ("DecLists", [("DecList", _goods_item(item, version)) for item in content.goods]),
        ("DecContainers", [("Container", _block(CONTAINER, c, version)) for c in content.containers]),
        ("DecLicenseDocus", [("LicenseDocu", _block(LICENCE_DOCUMENT, d, version)) for d in content.licence_documents]),
        ("DecFreeTxt", _block(FREE_TEXT, content, version, {"VoyNo": content.voyage_no})),
        *(blocks_4x if newer else []),
        (
            "DecSign",
            [
                ("OperType", oper_type),
                ("ICCode", sign.ic_code),
                ("CopCode", sign.cop_code),
                ("OperName", sign.oper_name),
                ("ClientSeqNo", client_seq_no or content.seq_no),
                ("Sign", None),
                ("SignDate", signed.strftime("%Y%m%d%H%M%S")),
                ("Certificate", None),
            ],
        ),
        *(("EdocRealation", _block(DOCUMENT, d, version, {"EdocFomatType": EDOC_FORMAT})) for d in content.documents),
    ]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<DecMessage xmlns="{DEC_NS}" Version="{version}">']
    for node in children:
        _write(node, 1, lines)
    lines.append("</DecMessage>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _block(block: str, item: Any, version: str, extra: dict[str, Value | list[Node]] | None = None) -> list[Node]:
    """The block's elements in schema order: the table's fields of `item`, then `extra` (values the
    functions below work out); tags with neither are left out."""
    values: dict[str, Value | list[Node]] = {
        spec.tag: _out(spec, _get(item, spec.leaf))
        for spec in _specs(block, version)
        if spec.tag is not None and spec.in_code is None
    }
    values.update(extra or {})
    return [(tag, values[tag]) for tag in ORDERS[block] if tag in values]


def _goods_item(item: Any, version: str) -> list[Node]:
    licences: list[Node] = [("DecGoodsLimit", _licence(item.g_no, licence, version)) for licence in item.licences]
    return _block(GOODS, item, version, {"DecGoodsLimits": licences} if version != "3.1" else None)


def _licence(g_no: int, licence: Any, version: str) -> list[Node]:
    """DecGoodsLimit: the licence's elements, then one DecGoodsLimitVin per vehicle it covers, each
    repeating the licence's number and type."""
    parent: dict[str, Value | list[Node]] = {"LicenceNo": licence.licence_no, "LicTypeCode": licence.lic_type_code}
    vins: list[Node] = [(LICENCE_VIN, _block(LICENCE_VIN, vin, version, parent)) for vin in licence.vins]
    return _block(GOODS_LICENCE, licence, version, {"GoodsNo": g_no}) + vins


def _specs(block: str, version: str) -> list[FieldSpec]:
    return [s for s in FIELDS if s.message_block == block and (version != "3.1" or s.since == "3.1")]


def _get(item: Any, path: str) -> Any:
    for name in path.split("."):
        item = getattr(item, name, None) if item is not None else None
    return item


def _out(spec: FieldSpec, value: Any) -> Value:
    if value is None:
        return None
    if spec.kind == "entry_type":
        return _ENTRY_TYPE_CODES[value]
    if spec.kind == "date":
        return value.strftime("%Y%m%d")
    return value


def _newer_fields(content: DeclarationContent) -> list[str]:
    """Paths of the 4.x fields `content` fills, list items numbered."""
    found = []
    for spec in FIELDS:
        if spec.since == "3.1" or spec.tag is None:
            continue
        found += [
            f"{prefix}{spec.leaf}" for prefix, item in _items(content, spec.list) if _get(item, spec.leaf) is not None
        ]
    return found


def _items(content: Any, list_path: str) -> list[tuple[str, Any]]:
    """(path prefix, item) of every item of a list path ("goods[].licences"); the content for ""."""
    found: list[tuple[str, Any]] = [("", content)]
    for name in list_path.split("[].") if list_path else []:
        found = [
            (f"{prefix}{name}[{n}].", item) for prefix, parent in found for n, item in enumerate(getattr(parent, name))
        ]
    return found


def _head_in_code(c: DeclarationContent, sign: DecSignInfo, newer: bool) -> dict[str, Value | list[Node]]:
    """DecHead values that are no one field's alone: the countries, the character flags, and who
    enters the message."""
    flags = {tag: _characters(c, tag) for tag in CHARACTER_FLAGS} if newer else {}
    return {
        **flags,
        "SeqNo": c.seq_no,
        "Type": None,  # 单据类型 (e.g. ML 备案清单) is another code list; empty = ordinary declaration
        "TradeCountry": _trade_country_tag(c),
        "TradeAreaCode": c.trade_country,
        "CopCode": sign.cop_code,
        "CopName": sign.cop_name,
        "CopCodeScc": sign.cop_uscc,
        "TypistNo": sign.ic_code,
        "InputerName": sign.oper_name,
        "DeclareName": sign.declare_name,
    }


def _characters(c: DeclarationContent, tag: str) -> str | None:
    """PromiseItmes / SpecDeclFlag: a character per field (1 yes, 0 no, 9 not applicable); empty
    when the content has none of them."""
    paths = CHARACTER_FLAGS[tag]
    if _get(c, paths[0].split(".")[0]) is None:
        return None
    return "".join({True: "1", False: "0"}.get(_get(c, path), "9") for path in paths)


def _trade_country_tag(c: DeclarationContent) -> str | None:
    """TradeCountry: 启运国 on import, 运抵国 on export (see the module docstring)."""
    if c.ie_flag == "I":
        return c.depart_country
    destinations = {item.destination_country for item in c.goods}
    return destinations.pop() if len(destinations) == 1 else c.trade_country


# ---- serialisation ------------------------------------------------------------------------


def _write(node: Node, depth: int, lines: list[str]) -> None:
    tag, value = node
    pad = "  " * depth
    if isinstance(value, list):
        if not value:
            lines.append(f"{pad}<{tag} />")
            return
        lines.append(f"{pad}<{tag}>")
        for child in value:
            _write(child, depth + 1, lines)
        lines.append(f"{pad}</{tag}>")
        return
    text = _text(tag, value)
    lines.append(f"{pad}<{tag}>{text}</{tag}>" if text else f"{pad}<{tag} />")


def _text(tag: str, value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # as given, in plain notation: never via float
    text = str(value)
    if _NOT_XML.search(text):
        raise ValueError(f"{tag} holds a control character that XML cannot carry")
    # "\r" escaped too: a parser would otherwise turn "\r\n" into "\n" and change the text
    return escape(text, {"\r": "&#13;"})


def _china_time(value: datetime) -> datetime:
    return value.astimezone(CHINA_TIME) if value.tzinfo else value

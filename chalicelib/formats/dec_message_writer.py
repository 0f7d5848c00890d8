"""Write a declaration as a customs declaration message (DecMessage XML).

The output reads back through ``chalicelib.formats.dec_message.read_dec_messages`` to the same
content, except for what the message does not carry (two_step, self_pay, summarized_tax: the
reader leaves them at false). Shape, as real files have it (shared/examples/declaration-fields.md):

- UTF-8, ``<?xml version="1.0" encoding="UTF-8"?>``, root ``DecMessage`` with the default
  namespace ``http://www.chinaport.gov.cn/dec`` and ``Version="3.1"``;
- DecHead, DecLists/DecList, DecContainers/Container, DecLicenseDocus (empty: no field holds
  licences), DecFreeTxt (VoyNo), DecSign, then one EdocRealation per document directly under
  the root (where the shipped example and customs clients put them);
- an absent value is an empty element ``<X />``; decimals are written as given, in plain
  notation (``format(d, "f")``: "820.00" stays "820.00", never a float and never "1E+3").

Countries (see ``dec_message._countries``): TradeAreaCode carries trade_country (贸易国). For an
import TradeCountry carries depart_country (启运国), empty when there is none, so that the reader
gives the same depart_country back. For an export TradeCountry is the country of arrival
(运抵国), which the content does not hold: we write the goods' destination country when all
goods share one, else the trade country; the reader ignores it for exports.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from chalicelib.domain.china_time import CHINA_TIME  # customs times carry no zone and mean China time
from chalicelib.domain.declaration import Container, DeclarationContent, Document, Fee, GoodsItem, Party
from chalicelib.formats._common import ENTRY_TYPES

DEC_NS = "http://www.chinaport.gov.cn/dec"
MESSAGE_VERSION = "3.1"
EDOC_FORMAT = "US"  # EdocFomatType (sic): "US" = document uploaded by the user

_ENTRY_TYPE_CODES = {name: code for code, name in ENTRY_TYPES.items()}
_OPER_TYPES = frozenset("ACG")  # A upload, C declare, G temp-save (暂存)
# XML 1.0 forbids these characters outright; an escaped form would not parse either.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Value = str | int | Decimal | date | None
# (tag, value) for a leaf, (tag, [children]) for a block
Node = tuple[str, "Value | list[Node]"]


def build_dec_message(
    content: DeclarationContent,
    *,
    oper_type: str = "C",
    client_seq_no: str | None = None,
    sign_time: datetime | None = None,
) -> bytes:
    """The DecMessage of `content` as UTF-8 bytes; the same arguments always give the same bytes.

    `sign_time` defaults to now; a naive time is taken as China time, an aware one converted to it.
    Raises ValueError for an unknown oper_type or text that XML cannot carry (control characters).
    """
    if oper_type not in _OPER_TYPES:
        raise ValueError(f"oper_type must be one of A, C, G, not {oper_type!r}")
    signed = _china_time(sign_time or datetime.now(CHINA_TIME))
    children: list[Node] = [
        ("DecHead", _head(content)),
        ("DecLists", [("DecList", _goods(item)) for item in content.goods]),
        ("DecContainers", [("Container", _container(c)) for c in content.containers]),
        ("DecLicenseDocus", []),
        ("DecFreeTxt", [("VoyNo", content.voyage_no)]),
        (
            "DecSign",
            [
                ("OperType", oper_type),
                ("ICCode", None),
                ("CopCode", None),
                ("ClientSeqNo", client_seq_no or content.seq_no),
                ("SignDate", signed.strftime("%Y%m%d%H%M%S")),
            ],
        ),
        *(("EdocRealation", _document(d)) for d in content.documents),
    ]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<DecMessage xmlns="{DEC_NS}" Version="{MESSAGE_VERSION}">']
    for node in children:
        _write(node, 1, lines)
    lines.append("</DecMessage>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _head(c: DeclarationContent) -> list[Node]:
    owner = c.owner
    return [
        ("SeqNo", c.seq_no),
        ("IEFlag", c.ie_flag),
        ("Type", None),  # 单据类型 (e.g. ML 备案清单) is another code list; empty = ordinary declaration
        ("EntryType", _ENTRY_TYPE_CODES[c.declaration_type]),
        ("CustomMaster", c.declare_customs),
        ("IEPort", c.ie_port),
        ("IEDate", c.ie_date.strftime("%Y%m%d") if c.ie_date else None),
        *_party("Agent", "AgentCodeScc", c.agent),
        *_party("Trade", "TradeCoScc", c.consignee),
        *_party("Owner", "OwnerCodeScc", owner),
        ("BillNo", c.bill_no),
        ("TrafMode", c.transport_mode),
        ("TrafName", c.traf_name),
        ("TradeMode", c.trade_mode),
        ("CutMode", c.cut_mode),
        ("TransMode", c.trans_mode),
        ("TradeCountry", _trade_country_tag(c)),
        ("TradeAreaCode", c.trade_country),
        *_fee("Fee", c.freight),
        *_fee("Insur", c.insurance),
        ("PackNo", c.pack_no),
        ("WrapType", c.wrap_type),
        ("GrossWet", c.gross_wt),
        ("NetWt", c.net_wt),
        ("NoteS", c.note),
    ]


def _party(prefix: str, uscc_tag: str, party: Party | None) -> list[Node]:
    return [
        (f"{prefix}Code", party.code if party else None),
        (uscc_tag, party.uscc if party else None),
        (f"{prefix}Name", party.name if party else None),
    ]


def _fee(prefix: str, fee: Fee | None) -> list[Node]:
    return [
        (f"{prefix}Mark", fee.mark if fee else None),
        (f"{prefix}Rate", fee.rate if fee else None),
        (f"{prefix}Curr", fee.currency if fee else None),
    ]


def _trade_country_tag(c: DeclarationContent) -> str | None:
    """TradeCountry: 启运国 on import, 运抵国 on export (see the module docstring)."""
    if c.ie_flag == "I":
        return c.depart_country
    destinations = {item.destination_country for item in c.goods}
    return destinations.pop() if len(destinations) == 1 else c.trade_country


def _goods(g: GoodsItem) -> list[Node]:
    return [
        ("GNo", g.g_no),
        ("CodeTS", g.code_ts),
        ("GName", g.g_name),
        ("GModel", g.g_model),
        ("GQty", g.qty),
        ("GUnit", g.unit),
        ("FirstQty", g.first_qty),
        ("FirstUnit", g.first_unit),
        ("SecondQty", g.second_qty),
        ("SecondUnit", g.second_unit),
        ("DeclPrice", g.decl_price),
        ("DeclTotal", g.decl_total),
        ("TradeCurr", g.currency),
        ("OriginCountry", g.origin_country),
        ("DestinationCountry", g.destination_country),
        ("DutyMode", g.duty_mode),
    ]


def _container(c: Container) -> list[Node]:
    return [
        ("ContainerId", c.container_id),
        ("ContainerMd", c.container_md),
        ("GoodsNo", c.goods_no),
        ("LclFlag", c.lcl_flag),
        ("ContainerWt", c.container_wt),
    ]


def _document(d: Document) -> list[Node]:
    return [("EdocID", d.edoc_no), ("EdocCode", d.edoc_code), ("EdocFomatType", EDOC_FORMAT)]


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

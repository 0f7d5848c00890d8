"""DecMessage writer: what it writes reads back through our reader to the same declaration."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
import pytest

from chalicelib.domain.declaration import DeclarationContent, parse_content
from chalicelib.formats.dec_message import read_dec_messages
from chalicelib.formats.dec_message_writer import DEC_NS, DecSignInfo, MessageVersionError, build_dec_message
from tests.factories import ENT_A, ENT_B, make_declaration_body

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SIGNED = datetime(2024, 3, 20, 10, 15, 30)
NS = {"d": DEC_NS}
# The message has no tag for these: the reader leaves them false.
NOT_IN_MESSAGE = {"two_step": False, "self_pay": False, "summarized_tax": False}
SHIPPED = json.loads((EXAMPLES / "declarations.json").read_text(encoding="utf-8"))["declarations"]


def content(**overrides: Any) -> DeclarationContent:
    return DeclarationContent.model_validate(make_declaration_body(**overrides))


def read_back(c: DeclarationContent, **kw: Any) -> DeclarationContent:
    records = read_dec_messages(build_dec_message(c, sign_time=SIGNED, **kw))
    assert len(records) == 1 and records[0].read_errors == []
    back, problems = parse_content(records[0].raw)
    assert problems == [], problems
    return back


def as_sent(c: DeclarationContent) -> DeclarationContent:
    return c.model_copy(update=NOT_IN_MESSAGE)


def assert_same_values(back: DeclarationContent, c: DeclarationContent) -> None:
    # python-mode dumps compare decimals by value: "820.00" is written as given but read back as "820"
    assert back.model_dump() == as_sent(c).model_dump()


def xml(c: DeclarationContent, **kw: Any) -> Element:
    return SafeET.fromstring(build_dec_message(c, sign_time=SIGNED, **kw))


def text(root: Element, path: str) -> str | None:
    found = root.find(path, NS)
    assert found is not None, path
    return found.text


# ---- round trip ---------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(len(SHIPPED)), ids=lambda i: SHIPPED[i]["declare_customs"])
def test_shipped_example_declarations_read_back_to_the_same_content(index):
    # Given a shipped example declaration (import, export with containers, import with freight and no owner code)
    c, problems = parse_content(SHIPPED[index])
    assert problems == []
    # When it is written and read back
    back = read_back(c)
    # Then the JSON is the same, but for the flags the message does not carry
    assert back.as_json() == as_sent(c).as_json()


def test_containers_freight_and_insurance_read_back():
    # Given containers, a freight total with currency and an insurance rate without currency
    c = content(
        containers=[
            {
                "container_id": "CSLU1234567",
                "container_md": "11",
                "goods_no": "1",
                "lcl_flag": "0",
                "container_wt": "3750.5",
            },
            {"container_id": "CSLU7654321"},
        ],
        freight={"mark": "3", "rate": "1500.25", "currency": "USD"},
        insurance={"mark": "1", "rate": "0.27"},
    )
    # When written and read back, Then everything comes back
    assert_same_values(read_back(c), c)


def test_absent_owner_and_empty_optional_fields_read_back_absent():
    # Given no owner, no dates, numbers, names, voyage, levy kind, note nor model
    goods = make_declaration_body()["goods"]
    goods[0].update(g_model="", first_qty=None, first_unit=None)
    c = content(
        owner=None,
        ie_date=None,
        bill_no=None,
        traf_name=None,
        voyage_no=None,
        cut_mode=None,
        depart_country=None,
        note="",
        goods=goods,
    )
    # When written and read back, Then they are absent again, not empty strings
    back = read_back(c)
    assert_same_values(back, c)
    assert back.owner is None and back.bill_no is None and back.goods[0].first_qty is None


def test_import_and_export_read_back():
    # Given an import with a country of departure and an export (agent ≠ consignor, several goods)
    second = make_declaration_body()["goods"][0] | {
        "g_no": 2,
        "code_ts": "8443321000",
        "g_name": "激光打印机",
        "qty": "20",
        "decl_price": "156.5",
        "decl_total": "3130",
    }
    imported = content(depart_country="HKG", goods=[make_declaration_body()["goods"][0], second])
    exported = content(
        ie_flag="E",
        consignee=dict(ENT_B),
        owner=None,
        depart_country=None,
        goods=[g | {"origin_country": "CHN", "destination_country": "USA"} for g in imported.as_json()["goods"]],
    )
    # When written and read back, Then both are unchanged
    assert_same_values(read_back(imported), imported)
    assert_same_values(read_back(exported), exported)


def test_seq_no_is_written_and_read_back():
    c = content(seq_no="I20240001031824871")
    assert read_back(c).seq_no == "I20240001031824871"


# ---- shape --------------------------------------------------------------------------------


BLOCKS_31 = ["DecHead", "DecLists", "DecContainers", "DecLicenseDocus", "DecFreeTxt", "DecSign", "EdocRealation"]
BLOCKS_4X = BLOCKS_31[:5] + ["DecRequestCerts", "DecOtherPacks"] + BLOCKS_31[5:]


@pytest.mark.parametrize(("version", "blocks"), [("4.8", BLOCKS_4X), ("3.1", BLOCKS_31)])
def test_message_is_utf8_with_declaration_default_namespace_and_version(version, blocks):
    data = build_dec_message(content(), sign_time=SIGNED, version=version)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    root = SafeET.fromstring(data)
    assert root.tag == f"{{{DEC_NS}}}DecMessage" and root.get("Version") == version
    assert [child.tag.rpartition("}")[2] for child in root] == blocks
    assert "便携式自动数据处理设备".encode() in data  # UTF-8 text, not character references


def test_the_default_message_version_is_4x():
    assert SafeET.fromstring(build_dec_message(content(), sign_time=SIGNED)).get("Version") == "4.8"


def test_a_31_message_refuses_a_declaration_with_4x_fields_naming_them():
    # Given a declaration with a 4.x field (the goods' English name) and a 3.1-only reader
    goods = [make_declaration_body()["goods"][0] | {"g_name_en": "NOTEBOOK"}]
    # When it is written as 3.1, Then it is refused, not declared with the field missing
    with pytest.raises(MessageVersionError) as caught:
        build_dec_message(content(goods=goods, mark_no="N/M"), sign_time=SIGNED, version="3.1")
    assert caught.value.paths == ["mark_no", "goods[0].g_name_en"]


def test_a_declaration_of_31_fields_round_trips_as_31():
    c = content(manual_no="C220124A0012", contr_no="HC-01", other_fee={"mark": "3", "rate": "80", "currency": "USD"})
    back = read_back(c, version="3.1")
    assert_same_values(back, c)


def test_an_unknown_version_is_refused():
    with pytest.raises(ValueError, match="version"):
        build_dec_message(content(), version="2.0")


def test_price_statements_and_special_business_are_written_a_character_each():
    c = content(
        price_statements={"special_relationship": True, "price_influence": False, "royalty_payment": None},
        special_business={"international_meeting": True},
    )
    root = xml(c)
    assert text(root, "d:DecHead/d:PromiseItmes") == "10999"
    assert text(root, "d:DecHead/d:SpecDeclFlag") == "0001000"
    assert_same_values(read_back(c), c)


def test_a_goods_items_licences_are_written_inside_its_dec_list_with_its_g_no():
    goods = [
        make_declaration_body()["goods"][0]
        | {"licences": [{"lic_type_code": "325", "licence_no": "L-1"}, {"lic_type_code": "411", "licence_no": "L-2"}]}
    ]
    root = xml(content(goods=goods))
    limits = root.findall("d:DecLists/d:DecList/d:DecGoodsLimits/d:DecGoodsLimit", NS)
    assert [(text(limit, "d:GoodsNo"), text(limit, "d:LicenceNo")) for limit in limits] == [("1", "L-1"), ("1", "L-2")]


def test_sign_info_fills_dec_sign_and_the_heads_entering_enterprise_leaving_the_signature_to_the_card():
    sign = DecSignInfo(
        ic_code="8930000012345", oper_name="张三", cop_code="1108919038", cop_name="中国大恒(集团)有限公司"
    )
    root = xml(content(), sign=sign)
    assert text(root, "d:DecSign/d:ICCode") == "8930000012345" and text(root, "d:DecSign/d:OperName") == "张三"
    assert text(root, "d:DecHead/d:TypistNo") == "8930000012345" and text(root, "d:DecHead/d:CopCode") == "1108919038"
    assert text(root, "d:DecSign/d:Sign") is None and text(root, "d:DecSign/d:Certificate") is None


@pytest.mark.parametrize(
    "declaration_type, code",
    [("general", "0"), ("with_list", "L"), ("paperless", "W"), ("list_paperless", "D"), ("paperless_clearance", "M")],
)
def test_declaration_type_is_written_as_entry_type(declaration_type, code):
    root = xml(content(declaration_type=declaration_type))
    assert text(root, "d:DecHead/d:EntryType") == code
    assert read_back(content(declaration_type=declaration_type)).declaration_type == declaration_type


def test_decimals_are_written_as_given_in_plain_notation():
    # Given decimals with trailing zeros and one given in exponent form
    goods = make_declaration_body()["goods"]
    goods[0].update(qty="1E+2", decl_price="820.00", decl_total="82000.00")
    root = xml(content(goods=goods, gross_wt="1250.50000"))
    # Then they are written as given, in plain notation
    assert text(root, "d:DecLists/d:DecList/d:DeclPrice") == "820.00"
    assert text(root, "d:DecLists/d:DecList/d:DeclTotal") == "82000.00"
    assert text(root, "d:DecLists/d:DecList/d:GQty") == "100"
    assert text(root, "d:DecHead/d:GrossWet") == "1250.50000"


def test_ie_date_is_yyyymmdd_and_voyage_in_dec_free_txt():
    root = xml(content())
    assert text(root, "d:DecHead/d:IEDate") == "20240320"
    assert text(root, "d:DecFreeTxt/d:VoyNo") == "20240320"


def test_import_writes_trade_area_code_and_departure_as_trade_country():
    # Given an import traded with Hong Kong, shipped from the USA
    root = xml(content(trade_country="HKG", depart_country="USA"))
    # Then TradeAreaCode is the trade country and TradeCountry the departure (post-2018 meaning)
    assert text(root, "d:DecHead/d:TradeAreaCode") == "HKG"
    assert text(root, "d:DecHead/d:TradeCountry") == "USA"


def test_import_without_departure_leaves_trade_country_empty():
    root = xml(content(depart_country=None))
    assert text(root, "d:DecHead/d:TradeCountry") is None
    assert read_back(content(depart_country=None)).depart_country is None


def test_export_writes_the_goods_destination_as_country_of_arrival():
    goods = [make_declaration_body()["goods"][0] | {"origin_country": "CHN", "destination_country": "JPN"}]
    root = xml(content(ie_flag="E", depart_country=None, trade_country="HKG", goods=goods))
    assert text(root, "d:DecHead/d:TradeAreaCode") == "HKG"
    assert text(root, "d:DecHead/d:TradeCountry") == "JPN"


def test_dec_sign_carries_oper_type_client_seq_no_and_sign_time():
    # Given a content with a seq_no
    c = content(seq_no="I20240001031824871")
    # When written with defaults, Then ClientSeqNo is the seq_no and SignDate yyyyMMddHHmmss
    root = xml(c)
    assert text(root, "d:DecSign/d:OperType") == "C"
    assert text(root, "d:DecSign/d:ClientSeqNo") == "I20240001031824871"
    assert text(root, "d:DecSign/d:SignDate") == "20240320101530"
    # When a client number and oper type are given, Then they are written
    root = xml(c, oper_type="G", client_seq_no="202403200001")
    assert text(root, "d:DecSign/d:OperType") == "G"
    assert text(root, "d:DecSign/d:ClientSeqNo") == "202403200001"


def test_aware_sign_time_is_written_in_china_time():
    data = build_dec_message(content(), sign_time=datetime(2024, 3, 20, 2, 15, 30, tzinfo=UTC))
    assert text(SafeET.fromstring(data), "d:DecSign/d:SignDate") == "20240320101530"


def test_every_document_becomes_an_edoc_realation():
    c = content(
        documents=[
            {"edoc_code": "00000001", "edoc_no": "INV-1"},
            {"edoc_code": "10000001", "edoc_no": "20240000000000001"},
        ]
    )
    rows = [
        (
            e.findtext("d:EdocID", namespaces=NS),
            e.findtext("d:EdocCode", namespaces=NS),
            e.findtext("d:EdocFomatType", namespaces=NS),
        )
        for e in xml(c).findall("d:EdocRealation", NS)
    ]
    assert rows == [("INV-1", "00000001", "US"), ("20240000000000001", "10000001", "US")]


def test_xml_special_characters_are_escaped_and_read_back():
    # Given a goods name and model with &, < and >, and a note with a Windows line break
    goods = make_declaration_body()["goods"]
    goods[0].update(g_name="螺栓 & 螺母 <M8>", g_model="钢制|A&B|<10mm")
    c = content(goods=goods, note="第一行\r\n第二行 \"引号\" 'x'")
    data = build_dec_message(c, sign_time=SIGNED)
    # Then the XML is well-formed with the characters escaped
    assert "螺栓 &amp; 螺母 &lt;M8&gt;".encode() in data
    # And it reads back to the same text
    back = read_back(c)
    assert back.goods[0].g_name == "螺栓 & 螺母 <M8>" and back.goods[0].g_model == "钢制|A&B|<10mm"
    assert back.note == "第一行\r\n第二行 \"引号\" 'x'"


def test_control_characters_are_refused():
    goods = make_declaration_body()["goods"]
    goods[0]["g_name"] = "设备\x01"
    with pytest.raises(ValueError, match="GName"):
        build_dec_message(content(goods=goods), sign_time=SIGNED)


def test_unknown_oper_type_is_refused():
    with pytest.raises(ValueError, match="oper_type"):
        build_dec_message(content(), oper_type="X", sign_time=SIGNED)


# ---- determinism --------------------------------------------------------------------------


def test_same_content_and_sign_time_give_the_same_bytes():
    # Given the same content built twice
    first, second = content(agent=dict(ENT_A)), content(agent=dict(ENT_A))
    # When written with the same sign time, Then the hashes agree
    digest = hashlib.sha256(build_dec_message(first, sign_time=SIGNED)).hexdigest()
    assert hashlib.sha256(build_dec_message(second, sign_time=SIGNED)).hexdigest() == digest
    # And another sign time gives another message
    later = build_dec_message(first, sign_time=SIGNED + timedelta(seconds=1))
    assert hashlib.sha256(later).hexdigest() != digest

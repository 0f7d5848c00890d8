"""DecMessage XML reader: real-file quirks in, canonical declaration dicts out."""

from __future__ import annotations

import base64
import codecs

import pytest

from chalicelib.domain.declaration import parse_content
from chalicelib.domain.errors import DomainError
from chalicelib.formats.dec_message import read_dec_messages
from tests.unit._readers_helpers import (
    DEC_NS,
    EXAMPLES,
    HEAD_TAGS,
    ITEM_TAGS,
    dec_message,
    is_importer_side,
    tags,
    valid_content,
    xml_file,
)


def read_one(data: bytes):
    records = read_dec_messages(data)
    assert len(records) == 1
    return records[0]


def refused(data: bytes) -> DomainError:
    with pytest.raises(DomainError) as caught:
        read_dec_messages(data)
    assert caught.value.code == "unreadable_file"
    return caught.value


# ---- shipped examples ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, count", [("dec_message.xml", 1), ("import_message_two.xml", 2), ("dec_message_gb2312.xml", 1)]
)
def test_shipped_xml_examples_validate_without_errors(name, count):
    # Given a shipped example file
    data = (EXAMPLES / name).read_bytes()
    # When it is read
    records = read_dec_messages(data)
    # Then every declaration validates and belongs to the example importer
    assert [r.source for r in records] == [f"DecMessage {n}" for n in range(1, count + 1)]
    for record in records:
        assert is_importer_side(valid_content(record))


def test_namespaced_message_maps_head_goods_and_documents():
    # Given the namespaced example (xsi/xsd prefixes declared, ClientSeqNo in another tool's form)
    record = read_one((EXAMPLES / "dec_message.xml").read_bytes())
    raw = record.raw
    # Then head fields, parties, goods and documents are in the canonical shape
    assert raw["ie_flag"] == "I" and raw["declaration_type"] == "general"
    assert raw["ie_date"] == "2024-03-20"
    assert raw["agent"] == {"code": "1108919038", "uscc": "91110000600037341L", "name": "中国大恒(集团)有限公司"}
    assert raw["voyage_no"] == "20240320"  # from DecFreeTxt
    assert raw["gross_wt"] == "1250.5" and raw["net_wt"] == "1180"
    assert "seq_no" not in raw  # ClientSeqNo 202403200001 is not our form
    assert [g["g_no"] for g in raw["goods"]] == [1, 2]
    assert raw["goods"][0]["decl_price"] == "820" and raw["goods"][0]["qty"] == "100"
    assert raw["documents"] == [
        {"edoc_code": "00000001", "edoc_no": "INV-2024-0320"},
        {"edoc_code": "00000002", "edoc_no": "PL-2024-0320"},
    ]
    assert "freight" not in raw and "insurance" not in raw and "note" not in raw


def test_gb2312_example_reads_like_its_utf8_twin():
    # Given the same declaration encoded in UTF-8 and in GB2312 (declared as such)
    utf8 = read_one((EXAMPLES / "dec_message.xml").read_bytes())
    gb = read_one((EXAMPLES / "dec_message_gb2312.xml").read_bytes())
    # Then both read to the same dict, Chinese text included
    assert gb.raw == utf8.raw
    assert gb.raw["goods"][0]["g_name"] == "便携式自动数据处理设备"


# ---- encodings ----------------------------------------------------------------------------


def test_utf8_with_byte_order_mark_is_read():
    # Given a UTF-8 file starting with a BOM
    data = codecs.BOM_UTF8 + xml_file(dec_message())
    # When read, Then the declaration validates
    valid_content(read_one(data))


@pytest.mark.parametrize(
    "declaration", ['<?xml version="1.0" encoding="utf-8"?>', "<?xml version='1.0' encoding='UTF-8'?>", ""]
)
def test_utf8_declaration_spellings_are_read(declaration):
    # Given the XML declaration in lower case, single quotes, or missing
    data = xml_file(dec_message(), declaration)
    # Then the Chinese goods name survives
    assert read_one(data).raw["goods"][0]["g_name"] == "便携式自动数据处理设备"


@pytest.mark.parametrize("encoding", ["GB2312", "GBK", "gb18030"])
def test_gb_family_encodings_are_read(encoding):
    # Given a file encoded and declared as GB2312/GBK/GB18030
    data = xml_file(dec_message(), f'<?xml version="1.0" encoding="{encoding}"?>', encoding)
    # Then Chinese text is decoded correctly
    raw = read_one(data).raw
    assert raw["agent"]["name"] == "中国大恒(集团)有限公司"


def test_gbk_bytes_under_a_utf8_declaration_are_still_read():
    # Given GBK bytes mislabelled as UTF-8 (common with older Windows tools)
    data = xml_file(dec_message(), '<?xml version="1.0" encoding="UTF-8"?>', "gbk")
    # Then the text is recovered
    assert read_one(data).raw["goods"][0]["g_name"] == "便携式自动数据处理设备"


# ---- namespaces, wrappers, order ----------------------------------------------------------


def test_import_message_wrapper_without_namespace_gives_one_record_per_dec_message():
    # Given two DecMessages without namespace inside ImportMessage
    data = xml_file(f"<ImportMessage>{dec_message(xmlns=None)}{dec_message(xmlns=None)}</ImportMessage>")
    # When read
    records = read_dec_messages(data)
    # Then each becomes a record named after its position
    assert [r.source for r in records] == ["DecMessage 1", "DecMessage 2"]
    for record in records:
        valid_content(record)


def test_prefixed_namespace_elements_are_matched_on_local_names():
    # Given a message written with a dec: prefix and xsi/xsd declarations
    body = (
        f'<dec:DecMessage xmlns:dec="{DEC_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns:xsd="http://www.w3.org/2001/XMLSchema"><dec:DecHead>{tags(HEAD_TAGS, "dec:")}</dec:DecHead>'
        f"<dec:DecLists><dec:DecList>{tags(ITEM_TAGS, 'dec:')}</dec:DecList></dec:DecLists></dec:DecMessage>"
    )
    # Then it reads like the default-namespace form
    assert read_one(xml_file(body)).raw == read_one(xml_file(dec_message())).raw


def test_any_root_holding_several_dec_messages_is_accepted():
    # Given DecMessages nested in an unknown wrapper structure
    data = xml_file(f"<Batch><Part>{dec_message()}</Part><Part>{dec_message()}</Part></Batch>")
    # Then both are found
    assert len(read_dec_messages(data)) == 2


def test_deeply_nested_wrappers_do_not_break_the_reader():
    # Given a DecMessage under thousands of wrapper levels (deeper than Python's recursion limit)
    body = "<W>" * 5000 + dec_message() + "</W>" * 5000
    # Then it is found and read
    valid_content(read_one(xml_file(body)))


def test_element_order_is_not_fixed():
    # Given DecLists before DecHead and DecHead tags in reverse order
    head = tags(dict(reversed(list(HEAD_TAGS.items()))))
    body = (
        f'<DecMessage xmlns="{DEC_NS}"><DecSign><OperType>G</OperType></DecSign>'
        f"<DecLists><DecList>{tags(ITEM_TAGS)}</DecList></DecLists><DecHead>{head}</DecHead></DecMessage>"
    )
    # Then the record equals the usual order's
    assert read_one(xml_file(body)).raw == read_one(xml_file(dec_message())).raw


@pytest.mark.parametrize("wrapped", [False, True], ids=["directly-under-root", "inside-wrapper"])
def test_edoc_realation_is_found_with_or_without_a_wrapper(wrapped):
    # Given two EdocRealation repeated after DecSign, bare or inside a wrapper element
    docs = (
        "<EdocRealation><EdocID>INV-1</EdocID><EdocCode>00000001</EdocCode><EdocFomatType>US</EdocFomatType>"
        "</EdocRealation><EdocRealation><EdocID>PL-1</EdocID><EdocCode>00000002</EdocCode></EdocRealation>"
    )
    placed = f"<EdocRealations>{docs}</EdocRealations>" if wrapped else docs
    extra = "<DecSign><OperType>G</OperType></DecSign>" + placed
    # When read
    record = read_one(xml_file(dec_message(extra=extra)))
    # Then both documents are mapped
    assert record.raw["documents"] == [
        {"edoc_code": "00000001", "edoc_no": "INV-1"},
        {"edoc_code": "00000002", "edoc_no": "PL-1"},
    ]
    valid_content(record)


def test_unknown_blocks_and_licences_are_ignored():
    # Given blocks the reader does not map, including licences (DecLicenseDocus)
    extra = (
        "<DecRequestCerts><DecRequestCert><AppCertCode>601</AppCertCode></DecRequestCert></DecRequestCerts>"
        "<DecOtherPacks><DecOtherPack><PackQty>1</PackQty><PackType>22</PackType></DecOtherPack></DecOtherPacks>"
        "<DecUsers><DecUser><UseOrgPersonCode>X</UseOrgPersonCode></DecUser></DecUsers>"
        "<EcoRelation><CertNo>E1</CertNo></EcoRelation>"
        "<DecLicenseDocus><LicenseDocu><DocuCode>a</DocuCode><CertCode>L1</CertCode></LicenseDocu>"
        "</DecLicenseDocus>"
        "<DecSign><OperType>G</OperType><Sign>abc</Sign></DecSign><SomethingNew><X>1</X></SomethingNew>"
    )
    # When read
    record = read_one(xml_file(dec_message(head={"PromiseItmes": "000", "DeclTrnRel": "0"}, extra=extra)))
    # Then it validates, with no licence in documents
    assert record.raw["documents"] == []
    valid_content(record)


# ---- empty forms, codes, numbers, dates ----------------------------------------------------


@pytest.mark.parametrize("empty", ["<{t}/>", "<{t} />", "<{t}></{t}>", "<{t}>   </{t}>"])
def test_empty_element_forms_mean_absent(empty):
    # Given optional tags written in each empty form
    empties = "".join(
        empty.format(t=t)
        for t in ("IEDate", "NoteS", "OwnerCode", "OwnerCodeScc", "OwnerName", "FeeMark", "FeeRate", "FeeCurr", "SeqNo")
    )
    body = dec_message(head={"IEDate": None}).replace("<IEDate/>", empties)
    # When read
    record = read_one(xml_file(body))
    # Then the fields are absent, not empty strings, and the declaration still validates
    for field in ("ie_date", "note", "owner", "freight", "seq_no"):
        assert field not in record.raw
    valid_content(record)


def test_numeric_customs_codes_become_letter_codes():
    # Given an older file with numeric currency and country codes
    head = {
        "TradeCountry": "502",
        "FeeMark": "3",
        "FeeRate": "1500",
        "FeeCurr": "502",
        "InsurMark": "3",
        "InsurRate": "80",
        "InsurCurr": "142",
    }
    item = ITEM_TAGS | {"TradeCurr": "502", "OriginCountry": "110", "DestinationCountry": "142"}
    # When read
    raw = read_one(xml_file(dec_message(head=head, items=[item]))).raw
    # Then the stored form is the letter code
    assert raw["trade_country"] == "USA"
    assert raw["freight"] == {"mark": "3", "rate": "1500", "currency": "USD"}
    assert raw["insurance"]["currency"] == "CNY"
    goods = raw["goods"][0]
    assert (goods["currency"], goods["origin_country"], goods["destination_country"]) == ("USD", "HKG", "CHN")


def test_unknown_code_is_kept_so_validation_names_it():
    # Given a currency code no table knows
    record = read_one(xml_file(dec_message(items=[ITEM_TAGS | {"TradeCurr": "999"}])))
    # Then the reader keeps it and validation reports it on the goods currency
    assert record.raw["goods"][0]["currency"] == "999"
    _, problems = parse_content(record.raw)
    assert [p.field for p in problems] == ["goods[0].currency"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2.00000", "2"),
        ("17600.0000", "17600"),
        ("0.50000", "0.5"),
        ("1250.05000", "1250.05"),
        ("1E+3", "1000"),
        ("0.00000", "0"),
        (" 12.30 ", "12.3"),
    ],
)
def test_decimals_are_plain_strings_without_trailing_zeros(text, expected):
    # Given a gross weight with 4-5 places or an exponent
    raw = read_one(xml_file(dec_message(head={"GrossWet": text}))).raw
    # Then it is normalized, never in scientific notation
    assert raw["gross_wt"] == expected


@pytest.mark.parametrize("text", ["1,2,3x", "abc", "1E+999999", "NaN"])
def test_unusable_number_is_a_read_error_naming_the_tag(text):
    # Given a DecList quantity that is no number
    record = read_one(xml_file(dec_message(items=[ITEM_TAGS | {"GQty": text}])))
    # Then the record carries a bilingual read error for goods[0].qty
    [problem] = record.read_errors
    assert problem.field == "goods[0].qty"
    assert "DecList[1]/GQty" in problem.message_zh and "DecList[1]/GQty" in problem.message_en


def test_ie_date_in_yyyymmdd_becomes_iso_and_a_bad_one_is_a_read_error():
    # Given a valid and an impossible IEDate
    good = read_one(xml_file(dec_message(head={"IEDate": "20240229"})))
    bad = read_one(xml_file(dec_message(head={"IEDate": "20241345"})))
    # Then the first is ISO, the second is refused with the tag named
    assert good.raw["ie_date"] == "2024-02-29"
    assert [p.field for p in bad.read_errors] == ["ie_date"]
    assert "IEDate" in bad.read_errors[0].message_zh


@pytest.mark.parametrize(
    "code, expected",
    [("0", "general"), ("L", "with_list"), ("W", "paperless"), ("D", "list_paperless"), ("M", "paperless_clearance")],
)
def test_entry_type_codes_map_to_declaration_type(code, expected):
    assert read_one(xml_file(dec_message(head={"EntryType": code}))).raw["declaration_type"] == expected


def test_unknown_entry_type_is_a_read_error():
    record = read_one(xml_file(dec_message(head={"EntryType": "Q"})))
    assert [p.field for p in record.read_errors] == ["declaration_type"]


@pytest.mark.parametrize(
    "head, extra, expected",
    [
        ({"SeqNo": "I20240001031824871"}, "", "I20240001031824871"),
        ({"SeqNo": None}, "<DecSign><ClientSeqNo>I20240000000000042</ClientSeqNo></DecSign>", "I20240000000000042"),
        ({"SeqNo": "201800000000123456"}, "", None),
        ({}, "<DecSign><ClientSeqNo>CLIENT-0001</ClientSeqNo></DecSign>", None),
    ],
    ids=["seq-no", "client-seq-no", "other-form-seq-no", "other-form-client-seq-no"],
)
def test_seq_no_is_kept_only_in_our_form(head, extra, expected):
    raw = read_one(xml_file(dec_message(head=head, extra=extra))).raw
    assert raw.get("seq_no") == expected


def test_fee_without_mark_is_omitted_and_with_mark_is_kept():
    # Given "no freight" written as an empty mark with a zero rate, and an insurance with a mark
    head = {
        "FeeMark": None,
        "FeeRate": "0",
        "FeeCurr": None,
        "InsurMark": "1",
        "InsurRate": "0.30000",
        "InsurCurr": None,
    }
    raw = read_one(xml_file(dec_message(head=head))).raw
    # Then freight is absent and insurance has mark and rate only
    assert "freight" not in raw
    assert raw["insurance"] == {"mark": "1", "rate": "0.3"}


def test_owner_with_all_tags_empty_is_omitted():
    raw = read_one(xml_file(dec_message(head={"OwnerCode": None, "OwnerCodeScc": "", "OwnerName": None}))).raw
    assert "owner" not in raw


def test_trade_area_code_is_the_trade_country_and_trade_country_the_departure_on_import():
    # Given a post-2018 import with TradeAreaCode (贸易国) and TradeCountry (启运国)
    raw = read_one(xml_file(dec_message(head={"TradeAreaCode": "HKG", "TradeCountry": "502"}))).raw
    # Then trade_country is the trade country and depart_country the country of departure
    assert (raw["trade_country"], raw["depart_country"]) == ("HKG", "USA")


def test_export_trade_country_is_not_taken_as_departure():
    # Given an export: TradeCountry is then the country of arrival (运抵国)
    raw = read_one(xml_file(dec_message(head={"IEFlag": "E", "TradeAreaCode": "USA", "TradeCountry": "HKG"}))).raw
    assert raw["trade_country"] == "USA" and "depart_country" not in raw


def test_voyage_no_comes_from_dec_head_or_dec_free_txt():
    in_head = read_one(xml_file(dec_message(head={"VoyNo": "V1"}))).raw
    in_free = read_one(xml_file(dec_message(extra="<DecFreeTxt><VoyNo>V2</VoyNo><BonNo/></DecFreeTxt>"))).raw
    assert (in_head["voyage_no"], in_free["voyage_no"]) == ("V1", "V2")


def test_goods_are_put_in_gno_order_and_blank_lists_skipped():
    # Given DecList items out of order and an empty DecList placeholder
    second = ITEM_TAGS | {"GNo": "2", "GQty": "1", "FirstQty": "1", "DeclPrice": "5", "DeclTotal": "5"}
    body = dec_message(items=[second, ITEM_TAGS]).replace("</DecLists>", "<DecList><GNo/><UseTo/></DecList></DecLists>")
    # When read
    record = read_one(xml_file(body))
    # Then goods run 1, 2 and the declaration validates
    assert [g["g_no"] for g in record.raw["goods"]] == [1, 2]
    valid_content(record)


def test_zero_second_quantity_without_unit_is_dropped():
    item = ITEM_TAGS | {"SecondQty": "0.00000", "SecondUnit": None}
    goods = read_one(xml_file(dec_message(items=[item]))).raw["goods"][0]
    assert "second_qty" not in goods and "second_unit" not in goods


def test_containers_are_mapped():
    extra = (
        "<DecContainers><Container><ContainerId>CSLU1234567</ContainerId><ContainerMd>11</ContainerMd>"
        "<GoodsNo>1</GoodsNo><LclFlag>0</LclFlag><ContainerWt>3750.00000</ContainerWt></Container>"
        "<Container><ContainerId>CSLU7654321</ContainerId><ContainerWt>0</ContainerWt></Container>"
        "</DecContainers>"
    )
    record = read_one(xml_file(dec_message(extra=extra)))
    assert record.raw["containers"] == [
        {"container_id": "CSLU1234567", "container_md": "11", "goods_no": "1", "lcl_flag": "0", "container_wt": "3750"},
        {"container_id": "CSLU7654321"},  # a zero weight means "not given"
    ]
    valid_content(record)


# ---- DxpMsg envelope ----------------------------------------------------------------------


def dxp(payload: bytes, wrap: int = 76) -> bytes:
    encoded = base64.b64encode(payload).decode()
    lines = "\n      ".join(encoded[i : i + wrap] for i in range(0, len(encoded), wrap))
    return xml_file(
        '<DxpMsg xmlns="http://www.chinaport.gov.cn/dxp" ver="1.0"><TransInfo>'
        "<CopMsgId>abc</CopMsgId><SenderId>DXPENT0000000001</SenderId>"
        "<ReceiverIds><ReceiverId>DXPEDCDEC0000002</ReceiverId></ReceiverIds>"
        "<CreatTime>2024-03-20T10:15:30</CreatTime><MsgType>DEC</MsgType></TransInfo>"
        f"<Data>\n      {lines}\n    </Data><AddInfo><FileName>x.xml</FileName></AddInfo></DxpMsg>"
    )


def test_dxp_envelope_with_base64_over_several_lines_is_opened():
    # Given a GB2312 DecMessage in base64, wrapped over indented lines, inside DxpMsg
    inner = (EXAMPLES / "dec_message_gb2312.xml").read_bytes()
    # When read
    record = read_one(dxp(inner))
    # Then it is the inner declaration
    assert record.raw == read_one(inner).raw


def test_dxp_envelope_with_invalid_base64_is_refused():
    data = xml_file('<DxpMsg xmlns="http://www.chinaport.gov.cn/dxp"><Data>not*base64!</Data></DxpMsg>')
    assert "base64" in refused(data).message_en


def test_dxp_envelope_holding_a_receipt_has_no_declarations():
    receipt = xml_file(
        "<DecImportResponse><ResponseCode>0</ResponseCode><ErrorMessage>暂存成功</ErrorMessage>"
        "<SeqNo>I20240001031824871</SeqNo></DecImportResponse>"
    )
    assert "DecMessage" in refused(dxp(receipt)).message_en


# ---- whole-file refusals ------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<DecMessage><DecHead><NoteS>&lol4;</NoteS></DecHead></DecMessage>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE DecMessage [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<DecMessage><DecHead><NoteS>&xxe;</NoteS></DecHead></DecMessage>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_entity_declarations_are_refused(data):
    # Given an entity-expansion bomb or an external entity
    error = refused(data)
    # Then the file is refused for safety, without expanding anything
    assert "DTD" in error.message_en


@pytest.mark.parametrize(
    "data",
    [b"", b"not xml at all", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", b'{"declarations": []}', b"<DecMessage><DecHead>"],
    ids=["empty", "text", "pdf", "json", "truncated"],
)
def test_data_that_is_not_xml_is_refused(data):
    assert refused(data).message_zh.startswith("文件无法读取")


def test_xml_without_dec_message_is_refused():
    assert "DecMessage" in refused(xml_file("<DEC_RESULT><CHANNEL>L</CHANNEL></DEC_RESULT>")).message_en


def test_more_messages_than_allowed_is_refused():
    data = xml_file(f"<ImportMessage>{dec_message() * 3}</ImportMessage>")
    with pytest.raises(DomainError) as caught:
        read_dec_messages(data, max_records=2)
    assert "more than 2" in caught.value.message_en


# ---- one bad record does not sink the others ----------------------------------------------


def test_half_wrong_file_keeps_the_good_record():
    # Given a good message, one with an unreadable PackNo, one with a business error, one without DecHead
    broken = dec_message(head={"PackNo": "ten"})
    invalid = dec_message(head={"TrafMode": "Q"})
    headless = f'<DecMessage xmlns="{DEC_NS}"><DecLists><DecList>{tags(ITEM_TAGS)}</DecList></DecLists></DecMessage>'
    data = xml_file(f"<ImportMessage>{dec_message()}{broken}{invalid}{headless}</ImportMessage>")
    # When read
    good, unreadable, rejected, no_head = read_dec_messages(data)
    # Then the first validates
    valid_content(good)
    # And the second carries a bilingual read error on pack_no
    [problem] = unreadable.read_errors
    assert problem.field == "pack_no" and "PackNo" in problem.message_zh and "whole number" in problem.message_en
    # And the third reads cleanly but validation refuses its transport mode
    assert rejected.read_errors == []
    assert [p.field for p in parse_content(rejected.raw)[1]] == ["transport_mode"]
    # And the headless one says so
    assert [p.field for p in no_head.read_errors] == ["DecHead"]
    assert no_head.source == "DecMessage 4"

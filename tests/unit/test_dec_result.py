"""Receipt reader: DEC_RESULT and DecImportResponse in every shape real senders use, read safely."""

from __future__ import annotations

import base64
import codecs
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.errors import DomainError
from chalicelib.formats.dec_result import CHINA_TIME, ReceiptUnreadable, china_time, read_receipts
from infra.customs_simulator.server import StoredDeclaration, _dec_result, _import_response

DEC_NS = "http://www.chinaport.gov.cn/dec"
DXP_NS = "http://www.chinaport.gov.cn/dxp"
SEQ = "I20240000000000001"
ENTRY = "010120241000000001"
UTF8_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'


def dec_result(
    channel: str = "L", *, notice: str = "2024-03-20T10:20:30", note: str = "海关入库成功", extra: str = ""
) -> str:
    """A DEC_RESULT as customs writes it: no CLIENT_SEQ_NO, some elements empty."""
    return (
        f"<DEC_RESULT><CUS_CIQ_NO>{SEQ}</CUS_CIQ_NO><ENTRY_ID>{ENTRY}</ENTRY_ID>"
        f"<NOTICE_DATE>{notice}</NOTICE_DATE><CHANNEL>{channel}</CHANNEL><NOTE>{note}</NOTE>"
        f"<CUSTOM_MASTER>0101</CUSTOM_MASTER><I_E_DATE/><D_DATE>2024-03-20T09:00:00</D_DATE>{extra}"
        f"</DEC_RESULT>"
    )


def dxp_msg(inner: bytes, *, line: int = 76, indent: str = "\n      ") -> bytes:
    """The exchange envelope with `inner` in base64 over several indented lines."""
    encoded = base64.b64encode(inner).decode("ascii")
    wrapped = indent.join(encoded[i : i + line] for i in range(0, len(encoded), line))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<DxpMsg xmlns="{DXP_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ver="1.0">\n'
        f"  <TransInfo>\n    <CopMsgId>8f1c2d3e-0001</CopMsgId>\n    <SenderId>DXPEDCDEC0000001</SenderId>\n"
        f"    <ReceiverIds><ReceiverId>DXPENT0000012345</ReceiverId></ReceiverIds>\n"
        f"    <CreatTime>2024-03-20T10:20:31</CreatTime>\n    <MsgType>DEC_RESULT</MsgType>\n  </TransInfo>\n"
        f"  <Data>{indent}{wrapped}\n  </Data>\n  <AddInfo><FileName>receipt.xml</FileName></AddInfo>\n"
        f"</DxpMsg>"
    ).encode()


def read_one(data: bytes):
    receipts = read_receipts(data)
    assert len(receipts) == 1
    return receipts[0]


def refused(data: bytes) -> ReceiptUnreadable:
    with pytest.raises(ReceiptUnreadable) as caught:
        read_receipts(data)
    return caught.value


# ---- DEC_RESULT ---------------------------------------------------------------------------


def test_bare_dec_result_reads_every_field():
    # Given a business receipt as customs writes it (no CLIENT_SEQ_NO)
    read = read_one((UTF8_DECL + dec_result("P", note="已放行")).encode("utf-8"))
    # Then every field is read, dates in China time
    assert read.kind == "dec_result"
    assert (read.cus_ciq_no, read.entry_id, read.channel, read.note) == (SEQ, ENTRY, "P", "已放行")
    assert read.client_seq_no is None
    assert read.custom_master == "0101"
    assert read.notice_at == datetime(2024, 3, 20, 10, 20, 30, tzinfo=CHINA_TIME)
    assert read.notice_at.utcoffset() == timedelta(hours=8)
    assert read.d_date == datetime(2024, 3, 20, 9, 0, tzinfo=CHINA_TIME)
    assert read.i_e_date is None
    assert read.response_code is None and read.accepted is None
    assert read.cop_msg_id is None and read.msg_type is None and read.sender_id is None


def test_simulator_dec_result_reads_with_its_client_seq_no():
    # Given the receipt our customs simulator sends
    stored = StoredDeclaration(
        "E20240320000000042",
        True,
        b"",
        "accept",
        "0101",
        "E",
        "E20249000000000000001",
        "010120240000000001",
        datetime(2024, 3, 20, 9, 0, tzinfo=CHINA_TIME),
    )
    body = _dec_result(stored, "L", datetime(2024, 3, 20, 10, 0, 5, tzinfo=CHINA_TIME))
    # When read
    read = read_one(body)
    # Then customs' number, ours and the entry id are all there
    assert read.client_seq_no == "E20240320000000042"
    assert read.cus_ciq_no == "E20249000000000000001"
    assert read.entry_id == "010120240000000001"
    assert read.channel == "L" and read.note == "海关入库成功"
    assert read.notice_at == datetime(2024, 3, 20, 10, 0, 5, tzinfo=CHINA_TIME)
    assert read.i_e_date is None


def test_declared_receipt_with_every_optional_element_empty_reads():
    # Given the "7 申报成功" receipt of a public sample: ENTRY_ID and the dates still empty
    body = (
        '<?xml version="1.0" encoding="UTF-8" standalone ="yes" ?>\n<DEC_RESULT>\n'
        f"  <CUS_CIQ_NO>{SEQ}</CUS_CIQ_NO>\n  <ENTRY_ID></ENTRY_ID>\n"
        "  <NOTICE_DATE>2018-12-12T14:40:43</NOTICE_DATE>\n  <CHANNEL>7</CHANNEL>\n"
        f"  <NOTE>{SEQ},{SEQ}直接申报成功</NOTE>\n  <CUSTOM_MASTER></CUSTOM_MASTER>\n"
        "  <I_E_DATE></I_E_DATE>\n  <D_DATE></D_DATE>\n</DEC_RESULT>"
    )
    read = read_one(body.encode("utf-8"))
    assert read.channel == "7" and read.cus_ciq_no == SEQ
    assert read.entry_id is None and read.custom_master is None and read.d_date is None


@pytest.mark.parametrize("empty", ["<ENTRY_ID/>", "<ENTRY_ID />", "<ENTRY_ID></ENTRY_ID>", "<ENTRY_ID>  </ENTRY_ID>"])
def test_every_empty_element_form_reads_as_absent(empty):
    body = f"<DEC_RESULT><CUS_CIQ_NO>{SEQ}</CUS_CIQ_NO>{empty}<CHANNEL>7</CHANNEL></DEC_RESULT>"
    assert read_one(body.encode("utf-8")).entry_id is None


def test_unknown_elements_and_attributes_are_ignored():
    # Given a receipt with extra elements (other tools add DECL_PORT, BILL_NO, nested blocks…)
    body = dec_result(
        "L", extra='<DECL_PORT>0101</DECL_PORT><BILL_NO>99912345670</BILL_NO><EXTRA a="1"><INNER>x</INNER></EXTRA>'
    )
    read = read_one(body.replace("<DEC_RESULT>", '<DEC_RESULT version="2">').encode("utf-8"))
    # Then the known fields are read as usual
    assert (read.channel, read.entry_id, read.cus_ciq_no) == ("L", ENTRY, SEQ)


def test_values_are_stripped_of_surrounding_whitespace():
    body = f"<DEC_RESULT>\n <CUS_CIQ_NO>\n   {SEQ}\n </CUS_CIQ_NO>\n <CHANNEL> P </CHANNEL></DEC_RESULT>"
    read = read_one(body.encode("utf-8"))
    assert (read.cus_ciq_no, read.channel) == (SEQ, "P")


def test_raw_is_the_receipt_text_without_the_xml_declaration():
    text = dec_result("L")
    read = read_one(codecs.BOM_UTF8 + (UTF8_DECL + text).encode("utf-8"))
    assert read.raw == text


# ---- DecImportResponse --------------------------------------------------------------------


def test_namespaced_import_response_accepted_reads_seq_no_and_message():
    body = (
        f"<?xml version='1.0' encoding='utf-8'?>\n<DecImportResponse xmlns=\"{DEC_NS}\" "
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<ResponseCode>0</ResponseCode><ErrorMessage>暂存成功</ErrorMessage>"
        f"<ClientSeqNo>202403200001</ClientSeqNo><SeqNo>{SEQ}</SeqNo></DecImportResponse>"
    )
    read = read_one(body.encode("utf-8"))
    assert read.kind == "import_response"
    assert (read.response_code, read.error_message) == ("0", "暂存成功")
    assert (read.client_seq_no, read.cus_ciq_no) == ("202403200001", SEQ)
    assert read.accepted is True
    assert read.channel is None and read.notice_at is None


def test_ns2_prefixed_import_response_refused_reads_error_without_seq_no():
    error = "报关单表体第1项商品编号[8471300000]对应的法定第一计量单位与申报不一致，请核实后重新申报"
    body = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<ns2:DecImportResponse xmlns:ns2="{DEC_NS}">'
        f"<ns2:ResponseCode>1</ns2:ResponseCode><ns2:ErrorMessage>{error}</ns2:ErrorMessage>"
        "<ns2:ClientSeqNo>202403200002</ns2:ClientSeqNo><ns2:SeqNo/></ns2:DecImportResponse>"
    )
    read = read_one(body.encode("utf-8"))
    assert read.kind == "import_response"
    assert (read.response_code, read.error_message, read.client_seq_no) == ("1", error, "202403200002")
    assert read.cus_ciq_no is None and read.accepted is False


def test_import_response_without_namespace_from_the_simulator_reads():
    read = read_one(_import_response("0", "申报成功", "I20240320000000007", SEQ))
    assert (read.kind, read.response_code, read.client_seq_no, read.cus_ciq_no) == (
        "import_response",
        "0",
        "I20240320000000007",
        SEQ,
    )


# ---- the DxpMsg envelope -------------------------------------------------------------------


def test_dxp_envelope_with_base64_over_indented_lines_reads_receipt_and_trans_info():
    # Given a DEC_RESULT in base64 wrapped at 76 characters, each line indented
    inner = (UTF8_DECL + dec_result("L")).encode("utf-8")
    body = dxp_msg(inner)
    assert body.count(b"\n      ") > 3  # really split over several lines
    # When read
    read = read_one(body)
    # Then the receipt and the envelope's TransInfo are read
    assert (read.channel, read.cus_ciq_no) == ("L", SEQ)
    assert (read.cop_msg_id, read.msg_type, read.sender_id) == ("8f1c2d3e-0001", "DEC_RESULT", "DXPEDCDEC0000001")
    assert read.raw == dec_result("L")


def test_gb2312_receipt_inside_dxp_envelope_reads_chinese_text():
    # Given an inner receipt encoded in GB2312 and declared so
    note = "退单：申报要素不规范，请核实后重新申报"
    inner = ('<?xml version="1.0" encoding="GB2312"?>\n' + dec_result("E", note=note)).encode("gb2312")
    # When read from inside the envelope
    read = read_one(dxp_msg(inner))
    # Then the Chinese text is intact
    assert read.note == note and read.channel == "E"
    assert note in read.raw


def test_gbk_receipt_without_declaration_inside_dxp_envelope_is_sniffed():
    inner = dec_result("L", note="海关入库成功").encode("gbk")
    assert read_one(dxp_msg(inner)).note == "海关入库成功"


def test_import_response_inside_dxp_envelope_reads():
    inner = (
        UTF8_DECL + f'<DecImportResponse xmlns="{DEC_NS}"><ResponseCode>0</ResponseCode>'
        f"<ErrorMessage>申报成功</ErrorMessage><ClientSeqNo>C1</ClientSeqNo><SeqNo>{SEQ}</SeqNo>"
        "</DecImportResponse>"
    ).encode("utf-8")
    read = read_one(dxp_msg(inner))
    assert (read.kind, read.cus_ciq_no, read.cop_msg_id) == ("import_response", SEQ, "8f1c2d3e-0001")


def test_dxp_data_without_padding_or_on_one_line_reads():
    inner = dec_result("R").encode("utf-8")
    encoded = base64.b64encode(inner).decode("ascii").rstrip("=")
    body = f'<DxpMsg xmlns="{DXP_NS}"><Data>{encoded}</Data></DxpMsg>'.encode()
    read = read_one(body)
    assert read.channel == "R" and read.cop_msg_id is None  # no TransInfo: nothing invented


def test_dxp_data_holding_xml_itself_reads():
    # Given senders that put the receipt in Data as elements, or as CDATA text
    as_elements = f'<DxpMsg xmlns="{DXP_NS}"><Data>{dec_result("P")}</Data></DxpMsg>'
    as_cdata = (
        f'<DxpMsg xmlns="{DXP_NS}"><Data><![CDATA[<?xml version="1.0" encoding="GB2312"?>'
        f"{dec_result('P', note='已放行')}]]></Data></DxpMsg>"
    )
    # Then both read
    assert read_one(as_elements.encode("utf-8")).channel == "P"
    assert read_one(as_cdata.encode("utf-8")).note == "已放行"


# ---- several receipts -----------------------------------------------------------------------


def test_several_receipts_under_a_wrapper_are_read_in_document_order():
    # Given a wrapper with receipts 7, L and P, one of them in an envelope, and an import response
    enveloped = dxp_msg(dec_result("L").encode("utf-8")).decode("utf-8").split("?>", 1)[1]
    body = (
        UTF8_DECL + f"<Receipts>{dec_result('7')}<Batch>{enveloped}</Batch>{dec_result('P')}"
        f'<ns2:DecImportResponse xmlns:ns2="{DEC_NS}"><ns2:ResponseCode>0</ns2:ResponseCode>'
        "</ns2:DecImportResponse><Other><CHANNEL>X</CHANNEL></Other></Receipts>"
    )
    receipts = read_receipts(body.encode("utf-8"))
    # Then every receipt is read, in order, the envelope's info only on the wrapped one
    assert [(r.kind, r.channel) for r in receipts] == [
        ("dec_result", "7"),
        ("dec_result", "L"),
        ("dec_result", "P"),
        ("import_response", None),
    ]
    assert [r.cop_msg_id for r in receipts] == [None, "8f1c2d3e-0001", None, None]


def test_each_receipt_of_a_wrapper_keeps_raw_text_that_reads_back_to_itself():
    body = f"<Receipts>{dec_result('7')}{dec_result('L')}</Receipts>".encode()
    for read in read_receipts(body):
        assert read.raw.startswith("<DEC_RESULT>")
        again = read_one(read.raw.encode("utf-8"))
        assert (again.channel, again.cus_ciq_no, again.notice_at) == (read.channel, read.cus_ciq_no, read.notice_at)


def test_a_receipt_inside_a_receipt_is_not_read_twice():
    body = "<DEC_RESULT><CHANNEL>L</CHANNEL><DEC_RESULT><CHANNEL>P</CHANNEL></DEC_RESULT></DEC_RESULT>"
    assert [r.channel for r in read_receipts(body.encode("utf-8"))] == ["L"]


# ---- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-20T10:20:30",  # the usual receipt form (no zone: China time)
        "2024-03-20 10:20:30",
        "20240320T10203045",  # the older yyyyMMddTHHmmssSS
        "20240320T102030",
        "20240320102030",  # yyyyMMddHHmmss
        "2024032010203045",  # … with SS
        "20240320 10:20:30",  # SignTime's form
        "2024-03-20T10:20:30.123",  # fractions dropped
        "2024-03-20T02:20:30Z",  # zoned: converted to China time
        "2024-03-20T10:20:30+08:00",
        "2024-03-20T03:20:30+0100",
        " 2024-03-20T10:20:30 ",
    ],
)
def test_every_receipt_date_form_reads_to_the_same_china_time(text):
    moment = china_time(text)
    assert moment == datetime(2024, 3, 20, 10, 20, 30, tzinfo=CHINA_TIME)
    assert moment.utcoffset() == timedelta(hours=8) and moment.microsecond == 0


@pytest.mark.parametrize("text", ["2024-03-20", "20240320"])
def test_date_only_forms_read_as_midnight_china_time(text):
    assert china_time(text) == datetime(2024, 3, 20, tzinfo=CHINA_TIME)


@pytest.mark.parametrize(
    "text", [None, "", "   ", "2024-13-01T00:00:00", "20240230", "yesterday", "2024/03/20x", "202403201020"]
)
def test_absent_or_unreadable_dates_read_as_none(text):
    assert china_time(text) is None


def test_receipt_with_an_unreadable_notice_date_is_kept_with_the_text():
    read = read_one(dec_result("P", notice="20-03-2024 10:20").encode("utf-8"))
    assert read.notice_at is None and read.notice_date_text == "20-03-2024 10:20"
    assert read.channel == "P"


def test_receipt_dates_in_all_fields_use_the_same_rules():
    body = (
        "<DEC_RESULT><CHANNEL>P</CHANNEL><NOTICE_DATE>20240320102030</NOTICE_DATE>"
        "<I_E_DATE>20240319</I_E_DATE><D_DATE>2024-03-18 08:00:00</D_DATE></DEC_RESULT>"
    )
    read = read_one(body.encode("utf-8"))
    assert read.notice_at == datetime(2024, 3, 20, 10, 20, 30, tzinfo=CHINA_TIME)
    assert read.i_e_date == datetime(2024, 3, 19, tzinfo=CHINA_TIME)
    assert read.d_date == datetime(2024, 3, 18, 8, tzinfo=CHINA_TIME)
    assert read.notice_at.astimezone(UTC).hour == 2


# ---- refused -------------------------------------------------------------------------------


def test_dtd_with_entities_is_refused():
    body = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n'
        "<DEC_RESULT><NOTE>&lol2;</NOTE><CHANNEL>L</CHANNEL></DEC_RESULT>"
    )
    err = refused(body.encode("utf-8"))
    assert "DTD" in err.message_en and "DTD" in err.message_zh


def test_external_entity_is_refused():
    body = (
        '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        "<DEC_RESULT><NOTE>&x;</NOTE></DEC_RESULT>"
    )
    refused(body.encode("utf-8"))


def test_dtd_inside_the_envelope_is_refused_too():
    inner = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]><DEC_RESULT><NOTE>&x;</NOTE></DEC_RESULT>'
    refused(dxp_msg(inner))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b"<DEC_RESULT><CHANNEL>L</CHANNEL>",  # not well-formed
        b"\xff\xfe\x00garbage\x00",
        b"<DecMessage><DecHead><SeqNo>1</SeqNo></DecHead></DecMessage>",  # XML, but no receipt
        b"<Receipts/>",
        f'<DxpMsg xmlns="{DXP_NS}"><TransInfo/></DxpMsg>'.encode(),  # envelope without Data
        f'<DxpMsg xmlns="{DXP_NS}"><Data>   </Data></DxpMsg>'.encode(),  # empty Data
        f'<DxpMsg xmlns="{DXP_NS}"><Data>@@not base64@@</Data></DxpMsg>'.encode(),
        f'<DxpMsg xmlns="{DXP_NS}"><Data>{base64.b64encode(b"plain text").decode()}</Data></DxpMsg>'.encode(),
    ],
)
def test_bodies_without_a_readable_receipt_are_refused_in_both_languages(body):
    err = refused(body)
    assert err.code == "receipt_unreadable" and err.kind == "bad_request"
    assert err.message_zh.startswith("回执无法读取：") and err.message_en.startswith("The receipt cannot be read: ")
    assert "文件" not in err.message_zh


def test_envelopes_nested_too_deep_are_refused():
    body = dec_result("L").encode("utf-8")
    for _ in range(4):
        body = dxp_msg(body)
    assert "too deep" in refused(body).message_en


def test_three_nested_envelopes_still_read():
    body = dec_result("L").encode("utf-8")
    for _ in range(3):
        body = dxp_msg(body)
    assert read_one(body).channel == "L"


def test_unreadable_receipt_is_a_domain_error_for_the_api():
    assert isinstance(refused(b"<x/>"), DomainError)
    assert ReceiptUnreadable("中", "en").as_dict()["code"] == "receipt_unreadable"

"""Every file the Single Window client writes into InBox is read (formats/exchange_files.py): by its
content, with what only its name says (the message it answers, the try)."""

from __future__ import annotations

import base64

import pytest

from chalicelib.formats.exchange_files import ExchangeFileUnreadable, FileName, read_inbox_file
from tests.exchange_files import (
    CUSTOMS_SEQ_NO,
    ENTRY_ID,
    agreement,
    card_failure,
    dec_result,
    failed,
    successed,
    unknown,
)

SEQ_NO = "I20240000000000007"


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8"])
def test_a_successed_file_is_an_accepted_answer_with_customs_seq_no_and_the_try_of_its_name(encoding):
    name, data = successed(SEQ_NO, try_no=2, encoding=encoding)

    file = read_inbox_file(name, data)

    assert (file.kind, file.accepted, file.customs_seq_no) == ("import_response", True, CUSTOMS_SEQ_NO)
    assert (file.client_seq_no, file.try_no, file.error_message) == (SEQ_NO, 2, "申报成功")


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8"])
def test_a_failed_file_is_a_refusal_with_its_error_message(encoding):
    name, data = failed(SEQ_NO, message="表体商品编号不存在", encoding=encoding)

    file = read_inbox_file(name, data)

    assert (file.kind, file.accepted, file.response_code) == ("import_response", False, "1")
    assert file.error_message == "表体商品编号不存在" and file.customs_seq_no is None


def test_a_failed_file_with_a_fail_code_is_a_card_failure():
    file = read_inbox_file(*card_failure(SEQ_NO, code="C134"))

    assert (file.kind, file.fail_code, file.fail_info) == ("card_failure", "C134", "读卡器未连接")


def test_what_the_content_says_wins_over_the_name():
    name, data = successed(SEQ_NO)

    file = read_inbox_file(name.replace("Successed_", "Failed_"), data)

    assert file.accepted and file.name.prefix == "Failed"


def test_a_dec_result_file_holds_customs_receipt():
    file = read_inbox_file(*dec_result(None, "P", encoding="gb18030"))

    [receipt] = file.receipts
    assert (file.kind, receipt.channel, receipt.cus_ciq_no, receipt.entry_id) == (
        "dec_result",
        "P",
        CUSTOMS_SEQ_NO,
        ENTRY_ID,
    )
    assert file.client_seq_no is None


def test_an_older_clients_dec_data_is_a_business_receipt_too():
    xml = (
        "<DEC_DATA><DEC_RESULT><SEQ_NO>I20249000000000001</SEQ_NO><ENTRY_ID>010120241000000042</ENTRY_ID>"
        "<CHANNEL>L</CHANNEL><NOTICE_DATE>20240321T11072100</NOTICE_DATE></DEC_RESULT>"
        "<RESULT_INFO>入库成功</RESULT_INFO></DEC_DATA>"
    )
    file = read_inbox_file("DEC_DATA_1.xml", xml.encode())

    assert file.kind == "dec_result" and file.receipts[0].note == "入库成功"


def test_an_answer_inside_a_dxp_envelope_is_read_through_it():
    _, inner = successed(SEQ_NO, encoding="utf-8")
    envelope = (
        '<DxpMsg xmlns="http://www.chinaport.gov.cn/dxp"><TransInfo><CopMsgId>m1</CopMsgId></TransInfo>'
        f"<Data>{base64.b64encode(inner).decode()}</Data></DxpMsg>"
    ).encode()

    file = read_inbox_file("Successed_x", envelope)

    assert file.accepted and file.client_seq_no == SEQ_NO


def test_an_agency_agreement_answer_is_read_with_its_consignment_number():
    file = read_inbox_file(*agreement(SEQ_NO))

    assert (file.kind, file.response_code, file.consign_no, file.client_seq_no) == (
        "agreement",
        "0",
        "195200016172325",
        SEQ_NO,
    )


def test_an_unknown_readable_file_is_kept_with_its_text():
    file = read_inbox_file(*unknown())

    assert (file.kind, file.root) == ("unknown", "SomethingNew") and "世界" in file.raw


@pytest.mark.parametrize(
    "data",
    [b"not xml at all", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', b"<DEC_RESULT>"],
)
def test_a_file_that_is_not_readable_xml_is_refused_for_quarantine(data):
    with pytest.raises(ExchangeFileUnreadable) as refused:
        read_inbox_file("Receipt_x.xml", data)
    assert (refused.value.code, refused.value.kind) == ("unreadable_file", "unprocessable")


@pytest.mark.parametrize("name", ["", "../etc/passwd", "a\\b", "x" * 256])
def test_a_name_that_is_no_file_name_is_refused(name):
    with pytest.raises(ExchangeFileUnreadable):
        read_inbox_file(name, b"<x/>")


def test_a_name_says_the_message_it_answers():
    said = FileName.parse("Failed_E_E20240000000000009_t-3_20240321110721123")

    assert (said.prefix, said.client_seq_no, said.try_no) == ("Failed", "E20240000000000009", 3)
    assert FileName.parse("Receipt_I20249000000000001_L_1.xml").try_no is None

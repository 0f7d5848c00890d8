"""Receipts as every client writes them (#13 item 5): today's DEC_RESULT and older DXP clients'
DEC_DATA; and a receipt id never built from an empty key."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest

from chalicelib.domain.receipts import Receipt, receipt_id
from chalicelib.formats.dec_result import CHINA_TIME, ReceiptUnreadable, read_receipts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOTICE = datetime(2024, 3, 21, 11, 7, 21, tzinfo=CHINA_TIME)


def _old_client_receipt(
    seq_no: str = "", channel: str = "L", notice: str = "20240321T11072100", port: str = "2201", note: str = ""
) -> bytes:
    return (
        "<DEC_DATA><DEC_RESULT>"
        f"<SEQ_NO>{seq_no}</SEQ_NO><ENTRY_ID/><NOTICE_DATE>{notice}</NOTICE_DATE><CHANNEL>{channel}</CHANNEL>"
        f"<NOTE>{note}</NOTE><DECL_PORT>{port}</DECL_PORT></DEC_RESULT>"
        "<RESULT_INFO>海关入库成功</RESULT_INFO></DEC_DATA>"
    ).encode()


# ---- both shapes read to the same fields -----------------------------------------------------


def test_todays_dec_result_fixture_reads_customs_number_office_and_times():
    [read] = read_receipts((FIXTURES / "receipt_dec_result.xml").read_bytes())
    assert (read.kind, read.cus_ciq_no, read.entry_id, read.channel) == (
        "dec_result",
        "I20249000000000101",
        "010120241000000101",
        "L",
    )
    assert (read.custom_master, read.note, read.notice_at) == ("0101", "海关入库成功", NOTICE)


def test_old_dxp_client_dec_data_reads_seq_no_decl_port_and_compact_times():
    # Given a GB2312 DEC_DATA receipt: SEQ_NO, DECL_PORT, yyyyMMddTHHmmssSS, an empty NOTE
    data = (FIXTURES / "receipt_dec_data_gb2312.xml").read_bytes()

    # When read
    [read] = read_receipts(data)

    # Then it reads like today's shape: customs number, office, China times, RESULT_INFO as note
    assert (read.kind, read.cus_ciq_no, read.entry_id, read.channel) == (
        "dec_result",
        "I20249000000000102",
        "220120241000000102",
        "L",
    )
    assert read.custom_master == "2201"
    assert read.note == "海关入库成功"
    assert read.notice_at == NOTICE and read.notice_date_text == "20240321T11072100"
    assert read.d_date == datetime(2024, 3, 21, 9, 0, 0, tzinfo=CHINA_TIME)
    assert read.i_e_date == datetime(2024, 3, 20, tzinfo=CHINA_TIME)
    # and its raw text is the whole DEC_DATA, RESULT_INFO included
    assert read.raw.startswith("<DEC_DATA>") and "<RESULT_INFO>" in read.raw


def test_one_receipt_in_both_shapes_has_one_id():
    # Given the same notice written by today's customs and by an older client
    today = read_receipts(
        b"<DEC_RESULT><CUS_CIQ_NO>I20249000000000102</CUS_CIQ_NO><CHANNEL>L</CHANNEL>"
        b"<NOTICE_DATE>2024-03-21T11:07:21</NOTICE_DATE></DEC_RESULT>"
    )[0]
    older = read_receipts(_old_client_receipt("I20249000000000102"))[0]
    # Then delivered both ways it is recognised as one receipt
    assert receipt_id(today) == receipt_id(older)


def test_dec_data_inside_a_dxp_envelope_reads_with_the_envelope_id():
    inner = base64.b64encode(_old_client_receipt("I20249000000000102")).decode("ascii")
    body = (
        f'<DxpMsg xmlns="http://www.chinaport.gov.cn/dxp"><TransInfo><CopMsgId>m-1</CopMsgId></TransInfo>'
        f"<Data>{inner}</Data></DxpMsg>"
    ).encode("ascii")
    [read] = read_receipts(body)
    assert (read.cus_ciq_no, read.custom_master, read.cop_msg_id) == ("I20249000000000102", "2201", "m-1")


def test_a_dec_data_wrapper_without_dec_result_is_no_receipt():
    # RESULT_INFO alone names no declaration and no channel: nothing to keep
    with pytest.raises(ReceiptUnreadable):
        read_receipts(b"<DEC_DATA><RESULT_INFO>x</RESULT_INFO></DEC_DATA>")


# ---- a receipt id never built from an empty key ----------------------------------------------


def test_keyless_receipts_of_two_declarations_with_the_same_channel_and_second_get_two_ids():
    # Given two receipts without any number (no SEQ_NO, CLIENT_SEQ_NO or ENTRY_ID), same channel
    # and second, from two declarations (they differ elsewhere: the office)
    first = read_receipts(_old_client_receipt(port="2201"))[0]
    second = read_receipts(_old_client_receipt(port="5100"))[0]
    assert not (first.cus_ciq_no or first.client_seq_no or first.entry_id)

    # Then neither is taken for a duplicate of the other
    assert receipt_id(first) != receipt_id(second)


def test_a_keyless_receipt_sent_again_is_recognised_as_the_same_one():
    body = _old_client_receipt()
    assert receipt_id(read_receipts(body)[0]) == receipt_id(read_receipts(body)[0])


def test_a_keyless_receipt_is_kept_unmatched_and_its_id_is_not_the_empty_keys():
    read = read_receipts(_old_client_receipt())[0]
    receipt = Receipt.from_read(read, received_at=NOTICE)
    assert (receipt.matched, receipt.seq_no) == (False, None)
    assert len(receipt.receipt_id) == 64
    # the id the empty key used to give, for any keyless L receipt at that second
    empty_key = hashlib.sha256(json.dumps(["", "L", NOTICE.isoformat(), "dec_result"]).encode()).hexdigest()
    assert receipt.receipt_id != empty_key

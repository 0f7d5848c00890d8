"""Receipts in the domain: channel table, order-independent status, idempotency keys, signatures, texts."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import random
from dataclasses import replace
from datetime import UTC, datetime
from functools import reduce

import pytest

from chalicelib.domain.declaration import STATUS_LABELS
from chalicelib.domain.declaration import DeclarationStatus as S
from chalicelib.domain.receipts import (
    CHANNELS,
    RANK,
    SMS_MAX_CHARS,
    ChannelInfo,
    Receipt,
    channel_info,
    describe,
    is_known_channel,
    receipt_id,
    status_after,
    verify_signature,
)
from chalicelib.formats.dec_result import CHINA_TIME, ReceiptRead, read_receipts

SEQ = "I20240000000000001"
OURS = "I20240320000000042"
ENTRY = "010120241000000001"
NOTICE = datetime(2024, 3, 20, 10, 20, 30, tzinfo=CHINA_TIME)
RECEIVED = datetime(2024, 3, 20, 2, 20, 31, 123000, tzinfo=UTC)
SECRET = "receipt-secret"


def read(channel: str | None = "L", **changes) -> ReceiptRead:
    base = ReceiptRead(
        kind="dec_result",
        raw=f"<DEC_RESULT><CHANNEL>{channel}</CHANNEL></DEC_RESULT>",
        cus_ciq_no=SEQ,
        entry_id=ENTRY,
        channel=channel,
        note="海关入库成功",
        custom_master="0101",
        notice_at=NOTICE,
        notice_date_text="2024-03-20T10:20:30",
    )
    return replace(base, **changes)


def import_response(code: str = "0", message: str = "申报成功", seq_no: str | None = SEQ) -> ReceiptRead:
    return ReceiptRead(
        kind="import_response",
        raw="<DecImportResponse/>",
        client_seq_no=OURS,
        cus_ciq_no=seq_no,
        response_code=code,
        error_message=message,
    )


def apply(channels, start: S = S.DECLARED) -> S:
    return reduce(status_after, channels, start)


def sign(body: bytes, secret: str = SECRET) -> str:
    # exactly as infra/customs_simulator/server.py signs a receipt
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


# ---- the channel table ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, label_zh, status, is_final",
    [
        ("L", "海关入库成功", S.ACCEPTED, False),
        ("G", "接单交单", S.ACCEPTED, False),
        ("J", "审单中心确定办理税费及证件手续", S.ACCEPTED, False),
        ("C", "查验通知", None, False),
        ("H", "挂起(需手工申报)", None, False),
        ("P", "已放行", S.RELEASED, False),
        ("R", "已结关", S.CLOSED, True),
        ("E", "退单/不受理", S.REJECTED, True),
        ("7", "申报成功", S.DECLARED, False),
        ("8", "申报失败(无申报权限)", S.REJECTED, True),
        ("K", "通关无纸化担保放行", S.RELEASED, False),  # both public listings: release under guarantee
    ],
)
def test_channel_table_maps_the_documented_codes(code, label_zh, status, is_final):
    info = CHANNELS[code]
    assert (info.label_zh, info.status, info.is_final) == (label_zh, status, is_final)
    assert info == channel_info(code) and is_known_channel(code)


@pytest.mark.parametrize("code", sorted(CHANNELS))
def test_every_channel_row_is_complete(code):
    info = CHANNELS[code]
    assert isinstance(info, ChannelInfo) and len(info) == 5
    assert info.label_zh and info.label_en and info.label_en.isascii()
    assert info.status is None or info.status in RANK
    assert info.severity in ("info", "warning", "error")
    # a rejection or failure always asks someone to act
    if info.status is S.REJECTED:
        assert info.severity == "error" and info.is_final


def test_rejections_and_actions_are_flagged_and_progress_is_not():
    assert {code for code, info in CHANNELS.items() if info.severity == "error"} >= {"E", "8", "Y", "A", "D"}
    assert {CHANNELS[c].severity for c in ("C", "H", "J")} == {"warning"}
    assert {CHANNELS[c].severity for c in ("7", "L", "P", "R")} == {"info"}


@pytest.mark.parametrize("code", ["Z", "l", "p", "", None, "LL", "99"])
def test_unknown_channel_is_flagged_and_changes_no_status(code):
    assert not is_known_channel(code)
    info = channel_info(code)
    assert info.status is None and info.severity == "warning" and not info.is_final
    assert info.label_zh.startswith("未知回执")
    for current in S:
        assert status_after(current, code) is current


def test_channel_codes_are_matched_after_trimming_but_case_sensitively():
    assert channel_info(" P ") == CHANNELS["P"]
    assert not is_known_channel("c")  # lower-case c is 检验检疫撤单 in one tool, not 查验通知


# ---- status_after: order and repetition do not matter ---------------------------------------


@pytest.mark.parametrize("start", [S.TEMP_SAVED, S.DECLARED])
def test_every_order_of_declared_accepted_released_closed_ends_closed(start):
    for order in itertools.permutations(["7", "L", "P", "R"]):
        assert apply(order, start) is S.CLOSED, order


def test_in_order_receipts_walk_the_whole_progression():
    states = list(itertools.accumulate(["7", "L", "P", "R"], status_after, initial=S.TEMP_SAVED))
    assert states == [S.TEMP_SAVED, S.DECLARED, S.ACCEPTED, S.RELEASED, S.CLOSED]


@pytest.mark.parametrize("order", [["L", "E"], ["E", "L"], ["7", "L", "E"], ["E", "7", "L"], ["L", "E", "L", "G"]])
def test_a_late_acceptance_never_undoes_a_rejection(order):
    assert apply(order) is S.REJECTED


@pytest.mark.parametrize("order", [["E", "P"], ["P", "E"], ["L", "E", "P"], ["R", "E"]])
def test_release_or_closing_wins_over_a_stale_rejection(order):
    assert apply(order) in (S.RELEASED, S.CLOSED)
    assert apply(order) is apply(list(reversed(order)))


@pytest.mark.parametrize("code", ["8", "Y", "9", "4"])
def test_declaring_failure_rejects_an_unaccepted_declaration(code):
    assert status_after(S.TEMP_SAVED, code) is S.REJECTED
    assert status_after(S.DECLARED, code) is S.REJECTED


@pytest.mark.parametrize("code", ["C", "H", "M", "T", "X", "3"])
def test_notices_keep_the_status(code):
    for current in S:
        assert status_after(current, code) is current


def test_receipts_never_move_a_declaration_backwards():
    for current, code in itertools.product(S, [*CHANNELS, "Z"]):
        assert RANK[status_after(current, code)] >= RANK[current]


def test_status_after_is_order_independent_and_idempotent_for_every_pair():
    # pairwise commutativity and idempotence for every status and code ⇒ any order, any repetition
    codes = [*CHANNELS, "Z", None]
    for current in S:
        for a in codes:
            once = status_after(current, a)
            assert status_after(once, a) is once
            for b in codes:
                assert status_after(status_after(current, a), b) is status_after(status_after(current, b), a)


def test_shuffled_sequences_with_duplicates_end_where_the_ordered_one_ends():
    rng = random.Random(20240320)
    codes = [*CHANNELS, "Z"]
    for _ in range(300):
        sequence = [rng.choice(codes) for _ in range(rng.randint(1, 8))]
        expected = apply(sequence, S.TEMP_SAVED)
        shuffled = sequence + rng.sample(sequence, k=len(sequence))  # every receipt again, in another order
        rng.shuffle(shuffled)
        assert apply(shuffled, S.TEMP_SAVED) is expected


# ---- receipt_id ------------------------------------------------------------------------------


def test_receipt_id_is_a_stable_sha256_hex():
    first, again = receipt_id(read("P")), receipt_id(read("P"))
    assert first == again and len(first) == 64 and int(first, 16) >= 0


def test_the_same_receipt_delivered_twice_has_one_id():
    body = (
        f"<DEC_RESULT><CUS_CIQ_NO>{SEQ}</CUS_CIQ_NO><NOTICE_DATE>2024-03-20T10:20:30</NOTICE_DATE>"
        "<CHANNEL>P</CHANNEL></DEC_RESULT>"
    ).encode()
    assert receipt_id(read_receipts(body)[0]) == receipt_id(read_receipts(body)[0])


def test_one_receipt_written_in_two_date_forms_has_one_id():
    a = read_receipts(
        b"<DEC_RESULT><CUS_CIQ_NO>S</CUS_CIQ_NO><NOTICE_DATE>2024-03-20T10:20:30</NOTICE_DATE>"
        b"<CHANNEL>L</CHANNEL><NOTE>a</NOTE></DEC_RESULT>"
    )[0]
    b = read_receipts(
        b"<DEC_RESULT><CUS_CIQ_NO>S</CUS_CIQ_NO><NOTICE_DATE>20240320T10203000</NOTICE_DATE>"
        b"<CHANNEL>L</CHANNEL><NOTE>b</NOTE></DEC_RESULT>"
    )[0]
    assert receipt_id(a) == receipt_id(b)


@pytest.mark.parametrize(
    "other",
    [
        read("E"),  # another channel
        read(notice_at=NOTICE.replace(second=31)),  # another notice time
        read(cus_ciq_no="I20240000000000002"),  # another declaration
        read(notice_at=None),  # the time text stands in
        read(notice_at=None, notice_date_text=None),
        replace(read(), kind="import_response"),
    ],
)
def test_different_receipts_have_different_ids(other):
    assert receipt_id(other) != receipt_id(read("L"))


def test_id_falls_back_from_customs_number_to_ours_to_the_entry_id():
    by_client = read(cus_ciq_no=None, client_seq_no=OURS)
    by_entry = read(cus_ciq_no=None, client_seq_no=None)
    assert len({receipt_id(read()), receipt_id(by_client), receipt_id(by_entry)}) == 3
    assert receipt_id(by_entry) == receipt_id(read(cus_ciq_no=None, client_seq_no=None, note="other"))


def test_import_responses_differ_by_outcome_and_reason():
    ids = {
        receipt_id(import_response("0", "申报成功")),
        receipt_id(import_response("1", "商品编号不存在", None)),
        receipt_id(import_response("1", "缺少代理报关委托协议", None)),
    }
    assert len(ids) == 3
    assert receipt_id(import_response()) == receipt_id(import_response())


# ---- verify_signature ------------------------------------------------------------------------

BODY = b'<?xml version="1.0" encoding="UTF-8"?>\n<DEC_RESULT><CHANNEL>P</CHANNEL></DEC_RESULT>'


def test_signature_made_like_the_simulator_verifies():
    assert verify_signature(BODY, sign(BODY), SECRET)
    assert verify_signature(bytearray(BODY), "  " + sign(BODY).upper().replace("SHA256=", "sha256=") + " ", SECRET)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha256=zz",
        "sha256=" + "0" * 64,
        sign(BODY)[7:],
        "sha1=" + sign(BODY)[7:],
        "SHA256:" + sign(BODY)[7:],
        sign(BODY) + "00",
        sign(BODY)[:-1],
        "sha256=" + "é" * 64,
        sign(BODY, "other"),
    ],
)
def test_missing_malformed_or_wrong_signatures_fail(header):
    assert verify_signature(BODY, header, SECRET) is False


def test_tampered_body_fails_the_signature():
    assert not verify_signature(BODY.replace(b">P<", b">E<"), sign(BODY), SECRET)


def test_empty_secret_verifies_nothing():
    assert not verify_signature(BODY, sign(BODY, ""), "")


# ---- the stored receipt -------------------------------------------------------------------------


def test_stored_receipt_from_a_read_carries_labels_and_id():
    receipt = Receipt.from_read(read("P"), received_at=RECEIVED)
    assert receipt.receipt_id == receipt_id(read("P"))
    assert (receipt.channel_label_zh, receipt.channel_label_en) == ("已放行", "Released")
    assert receipt.matched is False and receipt.seq_no is None
    matched = receipt.matched_to(OURS)
    assert matched.matched and matched.seq_no == OURS and matched.receipt_id == receipt.receipt_id


def test_stored_receipt_as_json_and_back():
    receipt = Receipt.from_read(read("E", note="退单：商品编号有误"), received_at=RECEIVED, seq_no=OURS)
    body = receipt.as_json()
    assert body["notice_at"] == "2024-03-20T10:20:30.000+08:00" and body["received_at"] == "2024-03-20T02:20:31.123Z"
    assert (body["status"], body["is_final"], body["severity"], body["known_channel"]) == (
        "rejected",
        True,
        "error",
        True,
    )
    assert body["matched"] is True and body["seq_no"] == OURS and body["channel_label_zh"] == "退单/不受理"
    assert Receipt.from_json(body) == receipt


def test_stored_receipt_of_an_unknown_channel_is_flagged():
    body = Receipt.from_read(read("Z"), received_at=RECEIVED).as_json()
    assert body["known_channel"] is False and body["status"] is None and body["severity"] == "warning"


def test_stored_import_response_is_labelled_by_its_code():
    accepted = Receipt.from_read(import_response(), received_at=RECEIVED)
    refused = Receipt.from_read(import_response("1", "缺少代理报关委托协议", None), received_at=RECEIVED)
    assert accepted.channel_label_zh == "申报报文已接收" and accepted.severity == "info" and accepted.known_channel
    assert refused.channel_label_zh == "申报报文被拒绝" and refused.severity == "error"
    assert refused.as_json()["error_message"] == "缺少代理报关委托协议" and refused.as_json()["status"] is None


# ---- describe ----------------------------------------------------------------------------------


def test_description_names_declaration_entry_and_event():
    zh, en = describe(Receipt.from_read(read("P", note="放行"), received_at=RECEIVED, seq_no=OURS))
    assert zh == f"报关单 {OURS} 海关编号 {ENTRY} 已放行"
    assert en == f"Declaration {OURS} (entry {ENTRY}): Released"


def test_unmatched_receipt_is_described_by_customs_number():
    zh, _ = describe(Receipt.from_read(read("7", entry_id=None), received_at=RECEIVED))
    assert zh == f"报关单 {SEQ} 申报成功"


def test_description_without_any_number_still_reads():
    zh, en = describe(Receipt.from_read(read("L", cus_ciq_no=None, entry_id=None), received_at=RECEIVED))
    assert (zh, en) == ("报关单 海关入库成功", "Declaration: Entered by customs")


@pytest.mark.parametrize("code", [*sorted(CHANNELS), "Z"])
def test_every_channel_fits_one_sms_with_full_numbers(code):
    receipt = Receipt.from_read(read(code, note="退单：申报要素不规范，请核实"), received_at=RECEIVED, seq_no=OURS)
    zh, en = describe(receipt)
    assert len(zh) <= SMS_MAX_CHARS, zh
    assert OURS in zh and ENTRY in zh and CHANNELS.get(code, channel_info(code)).label_zh in zh
    assert en.isascii() or "退单" in en


def test_rejection_reason_is_told_and_cut_to_one_sms():
    short = describe(Receipt.from_read(read("E", note="商品编号有误"), received_at=RECEIVED, seq_no=OURS))
    assert short[0].endswith("退单/不受理：商品编号有误") and short[1].endswith("(商品编号有误)")
    long_note = "退单：" + "报关单表体商品申报要素不规范" * 10
    zh, en = describe(Receipt.from_read(read("E", note=long_note), received_at=RECEIVED, seq_no=OURS))
    assert len(zh) == SMS_MAX_CHARS and zh.endswith("…") and long_note in en


def test_refused_import_response_tells_its_reason_within_one_sms():
    message = "报关单表体第1项商品编号[8471300000]对应的法定第一计量单位与申报不一致，请核实后重新申报"
    zh, en = describe(Receipt.from_read(import_response("1", message, None), received_at=RECEIVED, seq_no=OURS))
    assert zh.startswith(f"报关单 {OURS} 申报报文被拒绝：") and len(zh) <= SMS_MAX_CHARS
    assert message in en


def test_status_labels_exist_for_every_status_a_channel_leads_to():
    assert {info.status.value for info in CHANNELS.values() if info.status} <= set(STATUS_LABELS)

"""The push catalogue: messages people can act on, in both languages, from one place."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.domain import gates, messages, sms
from chalicelib.domain.events import WAITING_LABELS, Event

AT = datetime(2024, 3, 21, 2, 15, 30, tzinfo=UTC)
SEQ_NO = "I20240001031824871"
NAMES = {
    "bill_no": "MSKU1234567",
    "consignee_name": "大恒企业",
    "config_name": "大恒企业进口",
    "goods_name": "便携式自动数据处理设备",
    "config_id": "cfg1",
}
CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")


def event(event_type="smart_status_changed", **data) -> Event:
    return Event.make(
        event_type,
        seq_no=SEQ_NO,
        ie_flag="I",
        ent_codes=["1108919038"],
        occurred_at=AT,
        data={**NAMES, **data},
        key="k",
    )


FAILED = event(
    smart_status="failed",
    reason_zh="缺少代理报关委托协议，且未配置自动生成",
    reason_en="agency agreement missing and auto-generation is off",
)
EVERY_KIND = {
    "declared": event(smart_status="succeeded", entry_id="010120241000012345"),
    "failed": FAILED,
    "waiting": event(smart_status="pending", waiting_reason="tax"),
    "progress": event(smart_status="in_progress", batch_no="P2024032100000093019"),
    "receipt": event("customs_receipt", channel="P", channel_label="放行", note="放行", smart_status="succeeded"),
    "overdue": event("receipt_overdue", overdue_hours=26, smart_status="succeeded"),
}


def test_a_failure_says_what_to_do_next_in_both_languages():
    text = FAILED.email_text()

    zh, en = text.split("\n----\n")
    assert "下一步：开启自动生成代理报关委托协议后点击继续" in zh
    assert "Next step: turn on automatic agency agreements in the config, then press Continue" in en


def test_the_catalogued_failure_reasons_are_the_ones_the_gates_write():
    source = Path(gates.__file__).read_text(encoding="utf-8")

    for start, _, _ in messages.FAILURE_STEPS:
        assert f'"{start}' in source, f"gates.py no longer writes a reason starting {start!r}"


def test_every_waiting_reason_has_a_next_step():
    assert set(messages.WAITING_STEPS) == set(WAITING_LABELS)


@pytest.mark.parametrize("kind", messages.SMS_KINDS)
def test_every_message_names_the_declaration_as_the_enterprise_knows_it(kind):
    zh, en = EVERY_KIND[kind].email_text("https://smartdecl.example.cn").split("\n----\n")

    for value in ("MSKU1234567", "大恒企业", "大恒企业进口", "便携式自动数据处理设备", SEQ_NO):
        assert value in zh
    assert f"https://smartdecl.example.cn/console/#/declarations/{SEQ_NO}" in zh and "Bill of lading: MSKU1234567" in en


@pytest.mark.parametrize("kind", messages.SMS_KINDS)
def test_the_english_half_is_fully_english(kind):
    _, en = EVERY_KIND[kind].email_text("https://smartdecl.example.cn").split("\n----\n")

    assert not CJK.search(en), en
    assert "in_progress" not in en and "customs receipt P" not in en
    assert not CJK.search(EVERY_KIND[kind].sns_subject())


def test_a_receipt_is_named_in_words_not_by_its_channel_code():
    receipt = EVERY_KIND["receipt"]

    assert "State: customs receipt: released" in receipt.email_text()
    assert (
        receipt.email_subject()
        == "【智能申报】提单MSKU1234567海关回执：放行 / bill MSKU1234567: customs receipt: released"
    )


@pytest.mark.parametrize("kind", messages.SMS_KINDS)
def test_every_sms_kind_fills_its_template_within_the_provider_limits(kind):
    e = EVERY_KIND[kind]

    parameters = sms.fit_parameters(messages.kind_of(e), messages.sms_values(e))

    assert messages.kind_of(e) == kind and set(parameters) == set(messages.SMS_VARIABLES[kind])
    for name, value in parameters.items():
        rule = sms.VARIABLE_RULES[messages.SMS_VARIABLES[kind][name]]
        assert 0 < len(value) <= rule.max_chars and not set(value) & set("【】[]")
    assert e.sms_text("https://api.example.cn").endswith(
        f"详情：https://api.example.cn/s/{messages.short_code(SEQ_NO)}"
    )


def test_the_sms_of_a_failure_names_the_bill_the_goods_and_the_next_step():
    assert FAILED.sms_text("https://api.example.cn") == (
        "【智能申报】报关单（提单MSKU1234567，便携式自动数据处理设备）申报失败：缺少代理报关委托协议，且未配置自动生成。"
        f"请开启自动生成代理报关委托协议后点击继续。详情：https://api.example.cn/s/{messages.short_code(SEQ_NO)}"
    )


def test_an_sms_without_a_bill_names_the_seq_no_and_never_a_cut_bill():
    long_bill = event(smart_status="succeeded", bill_no="B" * 40, entry_id="010120241000012345")

    assert messages.sms_values(long_bill)["ref"] == SEQ_NO


@pytest.mark.parametrize("seq_no", [SEQ_NO, "E20249999999999999", "I00000000000000000"])
def test_a_short_link_code_leads_back_to_its_declaration(seq_no):
    code = messages.short_code(seq_no)

    assert len(code) == 10 and messages.seq_no_of(code) == seq_no


@pytest.mark.parametrize("code", ["", "abc", "zzzzzzzzzz", "../etc/pwd", "0000000000!"])
def test_a_short_link_code_that_is_not_ours_leads_nowhere(code):
    assert messages.seq_no_of(code) is None


def test_the_state_vocabulary_splits_waiting_from_pending_and_names_receipts_by_meaning():
    assert messages.state_of(event(smart_status="pending")) == "pending"
    assert messages.state_of(event(smart_status="pending", waiting_reason="manifest")) == "waiting"
    assert messages.state_of(event("customs_receipt", channel="P")) == "released"
    assert messages.state_of(event("customs_receipt", channel="E")) == "rejected"
    assert messages.state_of(event("customs_receipt", channel="Z")) == "receipt"


def test_a_digest_lists_every_change_of_its_window_in_time_order_in_china_time():
    later = Event.make(
        "customs_receipt",
        seq_no=SEQ_NO,
        ie_flag="I",
        ent_codes=["1108919038"],
        occurred_at=AT + timedelta(minutes=30),
        data={**NAMES, "channel": "P"},
        key="p",
    )

    subject, body = messages.digest_text(
        [later, FAILED],
        "2024-03-21 10:00–11:00",
        "2024-03-21 10:00-11:00",
        unsubscribe_url="https://api.example.cn/unsubscribe/t",
    )

    zh, en = body.split("\n----\n")
    assert subject == "SmartDecl digest 2024-03-21 10:00-11:00: 2 changes"
    assert zh.index("03-21 10:15") < zh.index("03-21 10:45") and "申报失败" in zh and "海关回执：放行" in zh
    assert "Unsubscribe from this digest: https://api.example.cn/unsubscribe/t" in en and not CJK.search(en)


@pytest.mark.parametrize("note", ["报关单位名称与备案不符", "", None])
def test_a_customs_refusal_says_why_in_both_halves_even_without_a_note(note):
    refused = event("customs_receipt", channel="E", channel_label="退单", note=note, smart_status="succeeded")

    zh, en = refused.email_text().split("\n----\n")
    assert "原因：" in zh and "Reason: " in en
    assert ("Reason: customs' note is in the Chinese part" if note else "Reason: customs gave no reason") in en


def test_a_failure_whose_english_reason_names_chinese_goods_keeps_the_rest_in_english():
    failed = event(
        smart_status="failed",
        reason_zh="第1项商品便携式电脑规格型号不符",
        reason_en="Item 1 (便携式电脑): model does not match",
    )

    _, en = failed.email_text().split("\n----\n")
    assert "Reason: Item 1 …: model does not match" in en and not CJK.search(en)


def test_a_failure_with_only_a_chinese_reason_points_to_it_in_english():
    failed = event(smart_status="failed", reason_zh="未通过直属海关特色校验", reason_en=None)

    assert f"Reason: {messages.IN_CHINESE}" in failed.email_text()


def test_the_declared_sms_names_the_entry_number_once_known_or_says_it_will_come():
    known = event(smart_status="succeeded", entry_id="010120241000012345")
    unknown = event(smart_status="succeeded")

    assert "已申报成功，海关编号010120241000012345。" in known.sms_text()
    assert "已申报成功，海关编号将随海关回执告知。" in unknown.sms_text()
    accepted = event("customs_receipt", channel="L", channel_label="海关入库成功", entry_id="010120241000012345")
    assert "海关回执：海关入库成功，海关编号010120241000012345，" in accepted.sms_text()

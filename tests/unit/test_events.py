"""Events: stable ids, the enterprises that may see them, and texts people read (SMS ≤ 70 chars)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.declaration import Declaration, DeclarationContent
from chalicelib.domain.events import (SMS_MAX_CHARS, Event, customs_receipt, receipt_overdue,
                                      smart_status_changed)
from tests.factories import ENT_A, ENT_B, make_declaration_body

AT = datetime(2024, 3, 21, 2, 15, 30, tzinfo=timezone.utc)
SEQ_NO = "I20240001031824871"
ENTRY_ID = "010120241000012345"
BATCH_NO = "P2024032100000093019"


def make_declaration(agent=ENT_A, consignee=ENT_B, **changes) -> Declaration:
    content = DeclarationContent.model_validate(make_declaration_body(seq_no=SEQ_NO, agent=dict(agent),
                                                                      consignee=dict(consignee)))
    record = Declaration(content=content, seq_no=SEQ_NO, owner_ent=agent["code"], created_by="8911020000108",
                         created_at=AT, updated_at=AT, smart_mark=True)
    return record.with_changes(**changes)


def status_event(**data) -> Event:
    return Event.make("smart_status_changed", seq_no=SEQ_NO, ie_flag="I", ent_codes=[ENT_A["code"]],
                      occurred_at=AT, data=data, key="k")


# ---- identity and addressing --------------------------------------------------------------------

def test_the_same_fact_built_twice_gets_the_same_event_id():
    decl = make_declaration(smart_status="succeeded", version=4)

    assert smart_status_changed(decl, AT).event_id == smart_status_changed(decl, AT + timedelta(seconds=5)).event_id


def test_another_state_of_the_same_declaration_gets_another_event_id():
    first = smart_status_changed(make_declaration(smart_status="in_progress", version=3), AT)
    then = smart_status_changed(make_declaration(smart_status="succeeded", version=4), AT)

    assert first.event_id != then.event_id and len(first.event_id) == 32


def test_an_event_without_a_key_gets_a_random_id():
    one, two = (Event.make("receipt_overdue", seq_no=SEQ_NO, ie_flag="I", ent_codes=["1108919038"],
                           occurred_at=AT) for _ in range(2))

    assert one.event_id != two.event_id


def test_an_event_concerns_only_the_enterprise_that_imported_the_declaration():
    # the consignee B named on A's declaration is data: it gets no push about it (issue #9)
    assert smart_status_changed(make_declaration(), AT).ent_codes == (ENT_A["code"],)
    assert smart_status_changed(make_declaration(consignee=ENT_A), AT).ent_codes == (ENT_A["code"],)


def test_for_enterprise_addresses_one_of_the_event_enterprises():
    event = Event.make("smart_status_changed", seq_no=SEQ_NO, ie_flag="I", ent_codes=[ENT_A["code"], ENT_B["code"]],
                       occurred_at=AT, key="k")

    addressed = event.for_enterprise(ENT_B["code"])

    assert addressed.ent_codes == (ENT_B["code"],) and addressed.event_id == event.event_id
    with pytest.raises(ValueError):
        event.for_enterprise("9999999999")


@pytest.mark.parametrize("changes", [{"event_type": "declared"}, {"ie_flag": "X"}, {"ent_codes": ()},
                                     {"occurred_at": datetime(2024, 3, 21)}])
def test_an_event_refuses_impossible_values(changes):
    base = {"event_id": "e", "event_type": "customs_receipt", "ent_codes": ("1108919038",), "ie_flag": "I",
            "seq_no": SEQ_NO, "occurred_at": AT}

    with pytest.raises(ValueError):
        Event(**{**base, **changes})


# ---- the webhook body -----------------------------------------------------------------------------

def test_the_webhook_body_has_the_documented_fields_and_no_enterprise_codes():
    event = smart_status_changed(make_declaration(smart_status="failed", batch_no=BATCH_NO, reason_zh="缺少代理报关委托协议",
                                                  reason_en="agency agreement missing", version=5), AT)

    body = event.as_json()

    assert set(body) == {"event_id", "event_type", "occurred_at", "seq_no", "ie_flag", "data"}
    assert body["occurred_at"] == "2024-03-21T02:15:30.000Z" and body["seq_no"] == SEQ_NO
    assert body["data"]["smart_status"] == "failed" and body["data"]["batch_no"] == BATCH_NO
    assert body["data"]["reason_zh"] == "缺少代理报关委托协议"


def test_an_event_comes_back_from_its_body_and_enterprise():
    event = customs_receipt(make_declaration(), channel="L", entry_id=ENTRY_ID, occurred_at=AT,
                            notice_date="2024-03-21T10:20:00").for_enterprise(ENT_A["code"])

    assert Event.from_json(event.as_json(), ENT_A["code"]) == event


# ---- SMS ------------------------------------------------------------------------------------------

def test_sms_of_a_success_names_the_declaration_and_its_entry_id():
    text = smart_status_changed(make_declaration(smart_status="succeeded", entry_id=ENTRY_ID), AT).sms_text()

    assert text == f"【智能申报】报关单{SEQ_NO}申报成功，海关编号{ENTRY_ID}"
    assert len(text) <= SMS_MAX_CHARS


def test_sms_of_a_failure_gives_the_reason_and_shortens_a_long_one():
    long_reason = "比对不一致：件数 舱单10 报关单12；毛重 舱单1250.5 报关单1300；运输工具名称 舱单CA986 报关单CA985"
    text = smart_status_changed(make_declaration(smart_status="failed", reason_zh=long_reason), AT).sms_text()

    assert text.startswith(f"【智能申报】报关单{SEQ_NO}申报失败，比对不一致")
    assert len(text) == SMS_MAX_CHARS and text.endswith("…")


def test_sms_of_a_waiting_declaration_says_what_it_waits_for():
    text = smart_status_changed(make_declaration(smart_status="pending", waiting_reason="arrival"), AT).sms_text()

    assert text == f"【智能申报】报关单{SEQ_NO}待申报，等待运抵报告"


@pytest.mark.parametrize("channel,label", [("L", "海关入库成功"), ("P", "放行"), ("R", "结关"),
                                           ("J", "审单中心确定办理税费及证件手续"), ("C", "查验通知")])
def test_sms_of_a_receipt_fits_one_message_with_the_entry_id(channel, label):
    text = customs_receipt(make_declaration(), channel=channel, entry_id=ENTRY_ID, occurred_at=AT).sms_text()

    assert text == f"【智能申报】报关单{SEQ_NO}海关回执：{label}，海关编号{ENTRY_ID}"
    assert len(text) <= SMS_MAX_CHARS


def test_sms_of_a_rejection_receipt_gives_the_customs_note():
    text = customs_receipt(make_declaration(), channel="E", note="退单：商品编号与申报要素不符", occurred_at=AT).sms_text()

    assert text == f"【智能申报】报关单{SEQ_NO}海关回执：退单，退单：商品编号与申报要素不符"


def test_sms_never_cuts_an_entry_id_it_cannot_fit():
    event = customs_receipt(make_declaration(), channel="Z9", entry_id=ENTRY_ID, occurred_at=AT)
    event = Event(**{**event.__dict__, "data": {**event.data, "channel_label": "一个非常非常非常非常非常长的回执说明文字"}})

    text = event.sms_text()

    assert ENTRY_ID[:5] not in text and len(text) <= SMS_MAX_CHARS


def test_sms_of_an_overdue_receipt_asks_for_a_check():
    declared = AT - timedelta(hours=5)

    text = receipt_overdue(make_declaration(smart_status="succeeded"), declared_at=declared, occurred_at=AT).sms_text()

    assert text == f"【智能申报】报关单{SEQ_NO}已申报5小时未收到海关回执，请核查"


def test_sms_of_an_in_progress_declaration_names_its_batch():
    assert status_event(smart_status="in_progress", batch_no=BATCH_NO).sms_text() == \
        f"【智能申报】报关单{SEQ_NO}申报中，批次{BATCH_NO}"


# ---- e-mail ---------------------------------------------------------------------------------------

def test_email_reads_chinese_first_then_english():
    event = smart_status_changed(make_declaration(smart_status="failed", batch_no=BATCH_NO, reason_zh="缺少舱单",
                                                  reason_en="no manifest"), AT)

    text = event.email_text()

    zh, en = text.split("\n----\n")
    assert zh.startswith(f"【智能申报】报关单{SEQ_NO}申报失败") and "原因：缺少舱单" in zh
    assert "发生时间：2024-03-21 10:15:30（北京时间）" in zh and f"批次号：{BATCH_NO}" in zh
    assert "Reason: no manifest" in en and "Occurred at: 2024-03-21T02:15:30.000Z" in en
    assert event.email_subject().startswith(f"【智能申报】报关单{SEQ_NO}申报失败 / ")


def test_the_sns_subject_is_ascii_and_short():
    subject = customs_receipt(make_declaration(), channel="L", entry_id=ENTRY_ID, occurred_at=AT).sns_subject()

    assert subject.isascii() and len(subject) < 100 and SEQ_NO in subject

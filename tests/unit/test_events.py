"""Events: stable ids, the enterprises that may see them, and texts people read (SMS ≤ 70 chars)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.declaration import Declaration, DeclarationContent
from chalicelib.domain.events import Event, customs_receipt, receipt_overdue, smart_status_changed
from tests.factories import ENT_A, ENT_B, make_declaration_body

AT = datetime(2024, 3, 21, 2, 15, 30, tzinfo=UTC)
SEQ_NO = "I20240001031824871"
ENTRY_ID = "010120241000012345"
BATCH_NO = "P2024032100000093019"


def make_declaration(agent=ENT_A, consignee=ENT_B, **changes) -> Declaration:
    content = DeclarationContent.model_validate(
        make_declaration_body(seq_no=SEQ_NO, agent=dict(agent), consignee=dict(consignee))
    )
    record = Declaration(
        content=content,
        seq_no=SEQ_NO,
        owner_ent=agent["code"],
        created_by="8911020000108",
        created_at=AT,
        updated_at=AT,
        smart_mark=True,
    )
    return record.with_changes(**changes)


def status_event(**data) -> Event:
    return Event.make(
        "smart_status_changed",
        seq_no=SEQ_NO,
        ie_flag="I",
        ent_codes=[ENT_A["code"]],
        occurred_at=AT,
        data=data,
        key="k",
    )


# ---- identity and addressing --------------------------------------------------------------------


def test_the_same_fact_built_twice_gets_the_same_event_id():
    decl = make_declaration(smart_status="succeeded", version=4)

    assert smart_status_changed(decl, AT).event_id == smart_status_changed(decl, AT + timedelta(seconds=5)).event_id


def test_another_state_of_the_same_declaration_gets_another_event_id():
    first = smart_status_changed(make_declaration(smart_status="in_progress", version=3), AT)
    then = smart_status_changed(make_declaration(smart_status="succeeded", version=4), AT)

    assert first.event_id != then.event_id and len(first.event_id) == 32


def test_an_event_without_a_key_gets_a_random_id():
    one, two = (
        Event.make("receipt_overdue", seq_no=SEQ_NO, ie_flag="I", ent_codes=["1108919038"], occurred_at=AT)
        for _ in range(2)
    )

    assert one.event_id != two.event_id


def test_an_event_concerns_only_the_enterprise_that_imported_the_declaration():
    # the consignee B named on A's declaration is data: it gets no push about it (issue #9)
    assert smart_status_changed(make_declaration(), AT).ent_codes == (ENT_A["code"],)
    assert smart_status_changed(make_declaration(consignee=ENT_A), AT).ent_codes == (ENT_A["code"],)


def test_for_enterprise_addresses_one_of_the_event_enterprises():
    event = Event.make(
        "smart_status_changed",
        seq_no=SEQ_NO,
        ie_flag="I",
        ent_codes=[ENT_A["code"], ENT_B["code"]],
        occurred_at=AT,
        key="k",
    )

    addressed = event.for_enterprise(ENT_B["code"])

    assert addressed.ent_codes == (ENT_B["code"],) and addressed.event_id == event.event_id
    with pytest.raises(ValueError):
        event.for_enterprise("9999999999")


@pytest.mark.parametrize(
    "changes", [{"event_type": "declared"}, {"ie_flag": "X"}, {"ent_codes": ()}, {"occurred_at": datetime(2024, 3, 21)}]
)
def test_an_event_refuses_impossible_values(changes):
    base = {
        "event_id": "e",
        "event_type": "customs_receipt",
        "ent_codes": ("1108919038",),
        "ie_flag": "I",
        "seq_no": SEQ_NO,
        "occurred_at": AT,
    }

    with pytest.raises(ValueError):
        Event(**{**base, **changes})


# ---- the webhook body -----------------------------------------------------------------------------


def test_the_webhook_body_has_the_documented_fields_and_no_enterprise_codes():
    event = smart_status_changed(
        make_declaration(
            smart_status="failed",
            batch_no=BATCH_NO,
            reason_zh="缺少代理报关委托协议",
            reason_en="agency agreement missing",
            version=5,
        ),
        AT,
    )

    body = event.as_json()

    assert set(body) == {"event_id", "event_type", "occurred_at", "seq_no", "ie_flag", "data"}
    assert body["occurred_at"] == "2024-03-21T02:15:30.000Z" and body["seq_no"] == SEQ_NO
    assert body["data"]["smart_status"] == "failed" and body["data"]["batch_no"] == BATCH_NO
    assert body["data"]["reason_zh"] == "缺少代理报关委托协议"


def test_an_event_comes_back_from_its_body_and_enterprise():
    event = customs_receipt(
        make_declaration(), channel="L", entry_id=ENTRY_ID, occurred_at=AT, notice_date="2024-03-21T10:20:00"
    ).for_enterprise(ENT_A["code"])

    assert Event.from_json(event.as_json(), ENT_A["code"]) == event


# ---- the payload names the declaration (push texts: tests/unit/test_messages.py) -----------------


def test_every_event_names_the_declaration_as_the_enterprise_knows_it():
    decl = make_declaration(smart_status="failed", config_id="cfg1", config_name="大恒企业进口")

    for event in (
        smart_status_changed(decl, AT),
        customs_receipt(decl, channel="P", occurred_at=AT),
        receipt_overdue(decl, declared_at=AT - timedelta(hours=30), occurred_at=AT),
    ):
        data = event.data
        assert data["bill_no"] == decl.content.bill_no and data["consignee_name"] == decl.content.consignee.name
        assert data["goods_name"] == decl.content.goods[0].g_name
        assert data["config_id"] == "cfg1" and data["config_name"] == "大恒企业进口"

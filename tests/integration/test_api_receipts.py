"""POST /customs/receipts: signed, idempotent, order-independent, unknown ones kept, pushed out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os

import boto3
import pytest

from tests.factories import ENT_A, ENT_B, RECEIPT_SECRET, make_declaration_body

ENTRY_ID = "010120241000000042"


def dec_result(
    client_seq_no: str | None,
    channel: str,
    at: str = "2024-03-21T11:07:21",
    entry_id: str = ENTRY_ID,
    cus_ciq_no: str = "I20249000000000001",
) -> bytes:
    client = f"<CLIENT_SEQ_NO>{client_seq_no}</CLIENT_SEQ_NO>" if client_seq_no else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><DEC_RESULT><CUS_CIQ_NO>{cus_ciq_no}</CUS_CIQ_NO>'
        f"<ENTRY_ID>{entry_id}</ENTRY_ID><NOTICE_DATE>{at}</NOTICE_DATE><CHANNEL>{channel}</CHANNEL>"
        f"<NOTE>回执</NOTE><CUSTOM_MASTER>0101</CUSTOM_MASTER><I_E_DATE/><D_DATE>{at}</D_DATE>{client}"
        "</DEC_RESULT>"
    ).encode()


def signed(body: bytes, secret: str = RECEIPT_SECRET) -> dict[str, str]:
    return {"X-Receipt-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def post(api, body: bytes, headers=None):
    return api.call(
        "POST",
        "/customs/receipts",
        raw=body,
        content_type="application/xml",
        token="",
        headers=signed(body) if headers is None else headers,
    )


@pytest.fixture
def declared(enabled_api, container):
    """A declaration customs accepted (status declared), as the engine leaves it."""
    [seq_no] = enabled_api.post("/declarations", {"declarations": [make_declaration_body()]}).json["accepted"]
    from chalicelib.adapters.declaration_repository import to_item

    decl = container.declarations.get(seq_no)
    to_item(
        decl.with_changes(
            status="declared",
            smart_status="succeeded",
            customs_seq_no="I20249000000000001",
            declared_at=decl.created_at,
            version=decl.version + 1,
        )
    ).save()
    return seq_no


def status(api, seq_no):
    return api.get(f"/declarations/{seq_no}").json


def test_receipts_move_the_declaration_status_and_set_the_entry_id(enabled_api, declared):
    result = post(enabled_api, dec_result(declared, "L")).json
    assert (result["received"], result["applied"]) == (1, 1)
    after = status(enabled_api, declared)
    assert (after["status"], after["entry_id"], after["receipt_channel"]) == ("accepted", ENTRY_ID, "L")
    post(enabled_api, dec_result(declared, "P", at="2024-03-21T15:00:00"))
    assert status(enabled_api, declared)["status"] == "released"


def test_the_same_receipt_twice_changes_nothing_the_second_time(enabled_api, declared):
    body = dec_result(declared, "L")
    post(enabled_api, body)
    version = status(enabled_api, declared)["updated_at"]
    again = post(enabled_api, body).json
    assert (again["applied"], again["duplicates"]) == (0, 1)
    assert status(enabled_api, declared)["updated_at"] == version
    log = enabled_api.get(f"/declarations/{declared}/log").json["items"]
    assert sum(1 for e in log if e["gate"] == "receipt") == 1


def test_receipts_out_of_order_end_in_the_same_status(enabled_api, declared):
    for channel, at in (("R", "2024-03-22T10:00:00"), ("L", "2024-03-21T11:00:00"), ("P", "2024-03-21T16:00:00")):
        post(enabled_api, dec_result(declared, channel, at=at))
    assert status(enabled_api, declared)["status"] == "closed"


def test_a_receipt_without_our_client_seq_no_matches_by_customs_seq_no(enabled_api, declared):
    post(enabled_api, dec_result(None, "L"))
    assert status(enabled_api, declared)["status"] == "accepted"


def test_a_receipt_inside_a_dxp_envelope_is_read(enabled_api, declared):
    data = base64.b64encode(dec_result(declared, "L")).decode()
    wrapped = (
        '<?xml version="1.0" encoding="UTF-8"?><DxpMsg xmlns="http://www.chinaport.gov.cn/dxp" ver="1.0">'
        "<TransInfo><CopMsgId>m1</CopMsgId><SenderId>DXPEDCCEB0000002</SenderId><MsgType>DEC_RESULT</MsgType>"
        f"</TransInfo><Data>\n    {data[:40]}\n    {data[40:]}\n  </Data></DxpMsg>"
    ).encode()
    assert post(enabled_api, wrapped).json["applied"] == 1
    assert status(enabled_api, declared)["status"] == "accepted"


@pytest.mark.parametrize(
    "headers", [{}, {"X-Receipt-Signature": "sha256=00"}, signed(b"other body"), signed(b"", secret="wrong")]
)
def test_unsigned_or_wrongly_signed_receipts_are_refused(enabled_api, declared, headers):
    response = post(enabled_api, dec_result(declared, "L"), headers=headers)
    assert response.status_code == 401 and response.json["code"] == "bad_signature"
    assert status(enabled_api, declared)["status"] == "declared"


def test_a_receipt_for_an_unknown_declaration_is_kept_and_answered_clearly(enabled_api, container):
    result = post(
        enabled_api,
        dec_result("I20249999999999999", "L", entry_id="999920241000000001", cus_ciq_no="I20249999999999998"),
    ).json
    assert result["applied"] == 0 and result["unmatched"][0]["client_seq_no"] == "I20249999999999999"
    assert "未找到" in result["unmatched"][0]["message_zh"]
    [kept] = container.receipts.unmatched()
    assert kept["channel"] == "L"


def test_a_receipt_whose_numbers_disagree_is_kept_as_a_conflict_logged_and_counted_for_the_alarm(
    enabled_api, declared, container, capsys
):
    # Given a second declaration that holds an entry_id
    post(enabled_api, dec_result(declared, "L"))
    [other] = enabled_api.post("/declarations", {"declarations": [make_declaration_body()]}).json["accepted"]
    from chalicelib.adapters.declaration_repository import to_item

    decl = container.declarations.get(other)
    to_item(decl.with_changes(status="declared", declared_at=decl.created_at, version=decl.version + 1)).save()
    capsys.readouterr()
    # When a receipt names the second one's seq_no with the first one's entry_id
    result = post(enabled_api, dec_result(other, "P", cus_ciq_no="I20249000000000777")).json
    # Then it is applied to neither, kept as a conflict, in both logs, and counted for the alarm
    assert result["applied"] == 0 and [c["seq_nos"] for c in result["conflicts"]] == [[other, declared]]
    assert status(enabled_api, declared)["receipt_channel"] == "L"
    assert status(enabled_api, other)["receipt_channel"] is None
    [kept] = container.receipts.conflicts()
    assert kept["conflict"]["disagreements"][0]["identifier"] == "entry_id"
    for seq_no in (declared, other):
        log = enabled_api.get(f"/declarations/{seq_no}/log").json["items"]
        assert [e["outcome"] for e in log if e["gate"] == "receipt"][-1] == "conflict"
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "ReceiptConflicts" in line]
    assert [m["ReceiptConflicts"] for m in metrics] == [[1.0]]  # EMF: the values of one metric line
    # in the namespace and with the dimension template.yaml's ReceiptConflictAlarm watches
    assert metrics[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == os.environ["POWERTOOLS_METRICS_NAMESPACE"]
    assert metrics[0]["service"] == "smartdecl"


def test_garbage_gets_400(enabled_api):
    assert post(enabled_api, b"<nothing/>").status_code == 400


def test_receipts_are_pushed_only_to_their_own_enterprise(enabled_api, declared, aws, runner):
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = aws["EventsTopic"]["Ref"]
    queues = {}
    for name, ent in (("a", ENT_A), ("b", ENT_B)):
        url = sqs.create_queue(QueueName=f"sub-{name}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"FilterPolicy": json.dumps({"ent_code": [ent["code"]]}), "RawMessageDelivery": "true"},
        )
        queues[name] = url
    post(enabled_api, dec_result(declared, "P"))
    runner.drain()  # the committed receipt's event leaves through the log's stream
    got_a = sqs.receive_message(QueueUrl=queues["a"], MaxNumberOfMessages=10).get("Messages", [])
    got_b = sqs.receive_message(QueueUrl=queues["b"], MaxNumberOfMessages=10).get("Messages", [])
    events = [json.loads(m["Body"]) for m in got_a]
    assert [e["event_type"] for e in events] == ["customs_receipt"] and events[0]["data"]["channel"] == "P"
    assert got_b == []

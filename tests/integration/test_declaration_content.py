"""A declaration's content is kept apart from its record (dynamo_models.DeclarationContentModel):
every engine step rewrites the record, and DynamoDB charges a write by the whole item, so the
record must not grow with the goods. Read together, written together, deleted together."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from chalicelib.adapters.declaration_repository import to_item
from chalicelib.adapters.dynamo_models import DeclarationContentModel, DeclarationModel
from chalicelib.adapters.packing import text_of
from chalicelib.domain import lifecycle
from chalicelib.domain.declaration_log import LogEntry
from chalicelib.services.import_declarations import ImportRecord, import_declarations
from chalicelib.services.ports import ConditionFailed
from tests.factories import FixedClock, make_declaration_body, make_identity


def _size(value) -> int:
    """DynamoDB's item size rules: names and values in UTF-8, 1 byte per boolean or null, 3 bytes
    plus one per element for a list or map."""
    ((kind, inner),) = value.items()
    if kind in ("S", "N", "B"):
        return len(inner.encode() if isinstance(inner, str) else inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _size(v) for k, v in inner.items())
    return sum(len(v.encode()) for v in inner)  # SS


def item_size(item: dict) -> int:
    return sum(len(name.encode()) + _size(value) for name, value in item.items())


def _raw(model, seq_no: str) -> dict | None:
    client = boto3.client("dynamodb", region_name="cn-north-1")
    return client.get_item(TableName=model.Meta.table_name, Key={"seq_no": {"S": seq_no}}, ConsistentRead=True).get(
        "Item"
    )


def _import(container, **overrides) -> str:
    [seq_no] = import_declarations(
        make_identity(),
        [ImportRecord(raw=make_declaration_body(**overrides))],
        True,
        container.declarations,
        container.seq_nos,
        FixedClock(),
    ).accepted
    return seq_no


def _many_goods(n: int) -> list[dict]:
    [first] = make_declaration_body()["goods"]
    return [{**first, "g_no": i} for i in range(1, n + 1)]


def test_a_record_stays_under_one_kilobyte_however_many_goods_it_declares(container):
    seq_no = _import(container, goods=_many_goods(20))

    record, content = _raw(DeclarationModel, seq_no), _raw(DeclarationContentModel, seq_no)

    assert item_size(record) < 1024, item_size(record)  # one WRU a step, not one per KB of goods
    assert "goods" not in record and len(json.loads(text_of(content["body"]))["goods"]) == 20
    assert [g.g_no for g in container.declarations.get(seq_no).content.goods] == list(range(1, 21))


def test_the_record_keeps_the_head_fields_the_lists_filter_on(container):
    seq_no = _import(container)

    record = _raw(DeclarationModel, seq_no)

    assert {"ie_flag", "declaration_type", "declare_customs", "consignee", "bill_no", "transport_mode"} <= set(record)
    assert not {"agent", "owner", "trade_mode", "documents"} & set(record)


def _claimed(container, seq_no):
    decl = container.declarations.get(seq_no)
    now = FixedClock()()
    change = lifecycle.claim(
        decl, now, batch_no="P1", execution_id="e1", config_id="c1", config_name="cfg", deadline=now + timedelta(1)
    )
    container.engine.uow.commit(change)
    return change.after


def test_a_step_that_fixes_the_content_writes_it_with_the_record_or_not_at_all(container):
    seq_no = _import(container)
    claimed = _claimed(container, seq_no)
    fixed = claimed.content.model_copy(update={"note": "代理报关委托协议已补"})
    entry = LogEntry(FixedClock()(), "agency_agreement", "pass", "已补", "fixed", batch_no="P1")
    change = lifecycle.pass_gates(claimed, FixedClock()(), [entry], fixed)

    # A stale copy of the same step (another writer moved the record first) writes nothing
    stale = lifecycle.pass_gates(claimed.with_changes(version=claimed.version - 1), FixedClock()(), [entry], fixed)
    with pytest.raises(ConditionFailed):
        container.engine.uow.commit(stale)
    assert container.declarations.get(seq_no).content.note != "代理报关委托协议已补"

    container.engine.uow.commit(change)

    stored = container.declarations.get(seq_no)
    assert stored.content.note == "代理报关委托协议已补" and stored.version == claimed.version + 1


def _without_empty(value):
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v is not None and v != []}
    return [_without_empty(v) for v in value] if isinstance(value, list) else value


def _as_stored_before_the_content_table(container, seq_no: str):
    """The record as it was stored before: the content's fields on it, no content item."""
    decl = container.declarations.get(seq_no)
    # the fields a record held then: none of those added since, no empty values
    body = {k: v for k, v in _without_empty(decl.content.as_json()).items() if k in DeclarationModel.get_attributes()}
    legacy = DeclarationModel(**body)
    for name, value in to_item(decl).attribute_values.items():
        setattr(legacy, name, value)
    legacy.save()
    DeclarationContentModel(seq_no=seq_no).delete()
    return decl


def test_a_record_written_before_the_content_table_is_still_read_whole(container):
    seq_no = _import(container)
    decl = _as_stored_before_the_content_table(container, seq_no)

    assert container.declarations.get(seq_no) == decl
    assert container.declarations.get_many([seq_no]) == {seq_no: decl}


def test_deleting_a_declaration_deletes_its_content(container):
    seq_no = _import(container)

    container.declarations.delete(container.declarations.get(seq_no))

    assert _raw(DeclarationModel, seq_no) is None and _raw(DeclarationContentModel, seq_no) is None
    assert container.declarations.get(seq_no) is None


def test_a_page_of_declarations_is_read_in_one_request_per_fifty(container, monkeypatch):
    seq_nos = [_import(container, bill_no=f"BL{n:04d}") for n in range(60)]
    from chalicelib.adapters import declaration_repository

    calls = []
    real = declaration_repository._batch_get
    monkeypatch.setattr(declaration_repository, "_batch_get", lambda keys: calls.append(len(keys)) or real(keys))

    found = container.declarations.get_many(seq_nos)

    assert set(found) == set(seq_nos) and calls == [50, 10]


def _tearing(monkeypatch, tear):
    """The first BatchGetItem answers as `tear` rewrites it (a write committing between the two
    halves of the read); later ones as DynamoDB does. Returns the list of calls made."""
    from chalicelib.adapters import declaration_repository

    client = declaration_repository._connection().client
    real = client.batch_get_item
    calls = []

    def batch_get_item(**kwargs):
        answer = real(**kwargs)
        calls.append(kwargs)
        return tear(answer) if len(calls) == 1 else answer

    monkeypatch.setattr(client, "batch_get_item", batch_get_item)
    return calls


def test_a_read_that_meets_an_edit_half_way_reads_again_and_never_mixes_two_versions(container, monkeypatch):
    seq_no = _import(container)
    before = container.declarations.get(seq_no)
    stale_content = _raw(DeclarationContentModel, seq_no)
    edited = before.with_changes(content=before.content.model_copy(update={"note": "改过"}), version=before.version + 1)
    container.declarations.replace(edited, expected_version=before.version)

    def old_content_new_record(answer):
        answer["Responses"][DeclarationContentModel.Meta.table_name] = [stale_content]
        return answer

    calls = _tearing(monkeypatch, old_content_new_record)

    read = container.declarations.get(seq_no)

    assert read.version == edited.version and read.content.note == "改过"
    assert len(calls) == 2


def test_a_record_read_before_its_content_landed_is_read_again(container, monkeypatch):
    seq_no = _import(container)

    def no_content_yet(answer):
        answer["Responses"][DeclarationContentModel.Meta.table_name] = []
        return answer

    calls = _tearing(monkeypatch, no_content_yet)

    assert container.declarations.get_many([seq_no])[seq_no].content.bill_no is not None
    assert len(calls) == 2


def test_the_customs_xml_on_a_log_line_is_stored_compressed_and_read_back_whole(container):
    from chalicelib.adapters.dynamo_models import LogModel
    from chalicelib.adapters.execution_repository import log_item

    xml = "<DecMessage>" + "".join(f"<DecList><GNo>{i}</GNo><GName>电子元件</GName></DecList>" for i in range(50))
    entry = LogEntry(
        FixedClock()(), "submit", "pass", "海关已接收申报", "accepted", batch_no="P1", details={"xml": xml}
    )
    log_item("I20260000000000001", [entry]).save()

    client = boto3.client("dynamodb", region_name="cn-north-1")
    [raw] = client.query(
        TableName=LogModel.Meta.table_name,
        KeyConditionExpression="seq_no = :s",
        ExpressionAttributeValues={":s": {"S": "I20260000000000001"}},
    )["Items"]
    assert set(raw["body"]) == {"B"} and len(raw["body"]["B"]) * 4 < len(xml.encode())
    assert container.engine.log.list("I20260000000000001")[0].details["xml"] == xml


def test_the_log_item_of_a_customs_receipt_with_its_event_is_under_one_kilobyte(container):
    # the change's log item goes in a transaction: 2 WRU under 1 KB, 4 above (Base85 text was 1.0–1.1 KB)
    from chalicelib.adapters.unit_of_work import _log_items

    claimed = _claimed(container, _import(container))
    now = FixedClock()()
    rid = "DEC_RESULT:000000000000000001:L:20240321030721"
    note = "报关单已入库，等待审核"
    details = {"receipt_id": rid, "channel": "L", "entry_id": "010120241000000001", "note": note}
    entry = LogEntry(now, "receipt", "L", "海关入库成功", "stored by customs (L)", "customs", "P1", details)
    event = {"channel": "L", "entry_id": details["entry_id"], "note": note, "notice_date": "2024-03-21"}
    event["receipt_id"] = rid
    change = lifecycle.receipt(claimed, now, entry, channel="L", status=None, entry_id=details["entry_id"], event=event)

    [item] = _log_items(change)

    assert change.events and item_size(item.serialize()) < 1024, item_size(item.serialize())


def test_a_record_from_before_the_content_table_takes_its_content_item_at_its_first_content_change(container):
    # Given a record as stored before the content table (its content on it, no content item), claimed
    seq_no = _import(container)
    _as_stored_before_the_content_table(container, seq_no)
    claimed = _claimed(container, seq_no)
    # When a step fixes its content up
    fixed = claimed.content.model_copy(update={"note": "已补代理报关委托协议"})
    entry = LogEntry(FixedClock()(), "agency_agreement", "pass", "已补", "fixed", batch_no="P1")
    container.engine.uow.commit(lifecycle.pass_gates(claimed, FixedClock()(), [entry], fixed))
    # Then the content item holds the fixed content, and the record names it
    record, content = _raw(DeclarationModel, seq_no), _raw(DeclarationContentModel, seq_no)
    assert record["content_version"] == content["version"] == {"N": str(claimed.version + 1)}
    assert container.declarations.get(seq_no).content.note == "已补代理报关委托协议"

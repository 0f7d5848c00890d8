"""DynamoUnitOfWork on moto: many changes in one TransactWriteItems, each still conditional on its version."""

from __future__ import annotations

from chalicelib.adapters.unit_of_work import DynamoUnitOfWork
from chalicelib.domain import lifecycle
from tests.factories import make_declaration_body


def _claims(container, decls, batch_no="B1"):
    now = container.clock()
    return [
        lifecycle.claim(d, now, batch_no=batch_no, execution_id="E1", config_id="C1", config_name="c", deadline=now)
        for d in decls
    ]


def test_claims_of_a_batch_go_in_one_request_and_the_one_taken_meanwhile_is_left_out(enabled_api, container):
    # Given three pooled declarations, one of which another batch claims after we read them
    seq_nos = enabled_api.post(
        "/declarations", {"declarations": [make_declaration_body() for _ in range(3)], "smart_mark": True}
    ).json["accepted"]
    decls = [container.declarations.get(s) for s in seq_nos]
    uow = DynamoUnitOfWork(container.settings.region)
    uow.commit(_claims(container, [decls[1]], batch_no="OTHER")[0])
    # When our batch commits its three claims together
    lost = uow.commit_many(_claims(container, decls))
    # Then the one taken meanwhile is reported lost and untouched; the other two are ours, with their log
    assert lost == {seq_nos[1]}
    after = {s: container.declarations.get(s) for s in seq_nos}
    assert after[seq_nos[1]].batch_no == "OTHER"
    assert [after[s].batch_no for s in (seq_nos[0], seq_nos[2])] == ["B1", "B1"]
    assert all(after[s].version == decls[0].version + 1 for s in seq_nos)
    for s in seq_nos:
        assert len([e for e in container.engine.log.list(s) if e.gate == "claim"]) == 1


def test_a_changes_log_lines_are_one_item_read_back_line_by_line(enabled_api, container):
    from chalicelib.adapters.dynamo_models import LogModel
    from chalicelib.domain.declaration_log import LogEntry

    # Given a claimed declaration
    [seq_no] = enabled_api.post("/declarations", {"declarations": [make_declaration_body()], "smart_mark": True}).json[
        "accepted"
    ]
    uow = DynamoUnitOfWork(container.settings.region)
    claim = _claims(container, [container.declarations.get(seq_no)])[0]
    uow.commit(claim)
    # When the validation passes three gates in one change
    now = container.clock()
    gates = [
        LogEntry(now, g, "pass", f"{g} 通过", f"{g} passed", batch_no="B1") for g in ("manifest", "arrival", "tax")
    ]
    wait = lifecycle.wait(claim.after, now, gates, "manifest", reason_zh="等待舱单", reason_en="waiting for manifest")
    uow.commit(wait)
    # Then the change wrote one log item, and the log reads its lines in order
    assert len(list(LogModel.query(seq_no))) == 2  # the claim's and the validation's
    assert [e.gate for e in container.engine.log.list(seq_no)] == ["claim", "manifest", "arrival", "tax"]
    # and the batch's console reads the line with the result, and only it
    assert [(s, e.gate, e.result) for s, e in container.engine.log.batch_results("B1")] == [
        (seq_no, "claim", "in_progress"),
        (seq_no, "tax", "waiting"),
    ]


def test_more_claims_than_one_request_holds_are_split(enabled_api, container):
    # Given 60 pooled declarations (a claim is 2 items, the record and its log item: 100 items hold 50 claims)
    seq_nos = enabled_api.post(
        "/declarations", {"declarations": [make_declaration_body() for _ in range(60)], "smart_mark": True}
    ).json["accepted"]
    decls = list(container.declarations.get_many(seq_nos).values())
    # When they are committed together
    lost = DynamoUnitOfWork(container.settings.region).commit_many(_claims(container, decls))
    # Then every one is claimed
    assert lost == set()
    assert {d.batch_no for d in container.declarations.get_many(seq_nos).values()} == {"B1"}


def test_a_cancelled_transaction_leaves_every_table_as_it_was(enabled_api, container):
    # infra/local_aws rolls moto's transactions back by putting back the items they named, instead of
    # swapping in table copies: the items written before the one whose condition failed must be undone
    import boto3
    import pytest
    from botocore.exceptions import ClientError

    [seq_no] = enabled_api.post("/declarations", {"declarations": [make_declaration_body()]}).json["accepted"]
    tables = container.settings.tables
    client = boto3.client("dynamodb", region_name=container.settings.region)

    def put(table, key, value, condition=None):
        item = {"Put": {"TableName": table, "Item": {**key, "note": {"S": value}}}}
        if condition:
            item["Put"]["ConditionExpression"] = condition
        return item

    log_key = {"seq_no": {"S": seq_no}, "sk": {"S": "9999#rollback"}}
    with pytest.raises(ClientError, match="TransactionCanceled"):
        client.transact_write_items(
            TransactItems=[
                put(tables.declaration_log, log_key, "first"),
                put(tables.declarations, {"seq_no": {"S": "I20240001031899999"}}, "second"),
                put(tables.declarations, {"seq_no": {"S": seq_no}}, "third", "attribute_not_exists(seq_no)"),
            ]
        )

    assert "Item" not in client.get_item(TableName=tables.declaration_log, Key=log_key)
    assert "Item" not in client.get_item(TableName=tables.declarations, Key={"seq_no": {"S": "I20240001031899999"}})
    assert container.declarations.get(seq_no).content.note != "third"


def test_a_stream_reader_never_sees_a_transaction_that_is_then_cancelled(enabled_api, container, monkeypatch):
    # Given a transaction paused just after moto wrote its log item, before the record's condition fails
    # (make demo published a receipt's event twice: once read from a cancelled transaction's log
    # item, once from the committed retry)
    import threading

    import boto3
    from botocore.exceptions import ClientError
    from moto.dynamodb.models import table as moto_table

    [seq_no] = enabled_api.post("/declarations", {"declarations": [make_declaration_body()]}).json["accepted"]
    tables = container.settings.tables
    region = container.settings.region
    client = boto3.client("dynamodb", region_name=region)
    phantom = {"seq_no": {"S": seq_no}, "sk": {"S": "9999#phantom"}}
    written, go = threading.Event(), threading.Event()
    put_item = moto_table.Table.put_item

    def pausing_put(self, item_attrs, *args, **kwargs):
        stored = put_item(self, item_attrs, *args, **kwargs)
        if item_attrs.get("sk") == phantom["sk"]:
            written.set()
            go.wait(10)
        return stored

    monkeypatch.setattr(moto_table.Table, "put_item", pausing_put)

    outcome: list[str] = []

    def cancelled_transaction():
        try:
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": tables.declaration_log, "Item": phantom}},
                    {
                        "Put": {
                            "TableName": tables.declarations,
                            "Item": {"seq_no": {"S": seq_no}},
                            "ConditionExpression": "attribute_not_exists(seq_no)",
                        }
                    },
                ]
            )
            outcome.append("committed")
        except ClientError as exc:
            outcome.append(exc.response["Error"]["Code"])

    seen: list[dict] = []

    def read_stream():
        streams = boto3.client("dynamodbstreams", region_name=region)
        arn = boto3.client("dynamodb", region_name=region).describe_table(TableName=tables.declaration_log)["Table"][
            "LatestStreamArn"
        ]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        seen.extend(streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"])

    writer = threading.Thread(target=cancelled_transaction)
    writer.start()
    assert written.wait(10)
    # When the stream is read while the transaction is in flight (a second for an unserialised moto
    # to show it; serialised, the read waits for the transaction)
    reader = threading.Thread(target=read_stream)
    reader.start()
    reader.join(1.0)
    go.set()
    writer.join(10)
    reader.join(10)
    # Then the reader saw committed records only, never the cancelled transaction's log item
    assert not writer.is_alive() and not reader.is_alive()
    assert outcome == ["TransactionCanceledException"]
    assert all(r["dynamodb"]["Keys"]["sk"] != phantom["sk"] for r in seen)


def test_a_shard_iterator_made_before_a_cancelled_transaction_reads_only_what_committed(enabled_api, container):
    # Given a stream iterator taken, then a transaction whose log item is written and rolled back
    # (the rollback must cut the shard the iterator already holds back, not replace it)
    import boto3
    from botocore.exceptions import ClientError

    [seq_no] = enabled_api.post("/declarations", {"declarations": [make_declaration_body()]}).json["accepted"]
    tables, region = container.settings.tables, container.settings.region
    client = boto3.client("dynamodb", region_name=region)
    streams = boto3.client("dynamodbstreams", region_name=region)
    arn = client.describe_table(TableName=tables.declaration_log)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]

    def log_item(sk):
        return {"Put": {"TableName": tables.declaration_log, "Item": {"seq_no": {"S": seq_no}, "sk": {"S": sk}}}}

    try:
        client.transact_write_items(
            TransactItems=[
                log_item("9999#phantom"),
                {
                    "Put": {
                        "TableName": tables.declarations,
                        "Item": {"seq_no": {"S": seq_no}},
                        "ConditionExpression": "attribute_not_exists(seq_no)",
                    }
                },
            ]
        )
        raise AssertionError("the transaction should have been cancelled")
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "TransactionCanceledException"
    client.transact_write_items(TransactItems=[log_item("9999#committed")])
    # When the iterator is read
    records = streams.get_records(ShardIterator=iterator)["Records"]
    # Then it holds the committed log item, and never the cancelled one
    assert [r["dynamodb"]["Keys"]["sk"]["S"] for r in records] == ["9999#committed"]

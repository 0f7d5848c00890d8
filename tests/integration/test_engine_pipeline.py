"""The engine end to end in-process: the API, moto's queues and tables (from template.yaml), the
same handler modules Lambda runs (driven by the local runner), and the customs simulator."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import boto3
import pytest
import requests

from chalicelib.domain.price_history import price_key
from chalicelib.services.batches import start_batch
from infra.customs_simulator import start_simulator
from tests.factories import ENT_A, ENT_B, RECEIPT_SECRET, make_config_body, make_declaration_body, token
from tests.polling import wait_until


@pytest.fixture(scope="module")
def simulator():
    server, url = start_simulator(port=0, receipt_delay_seconds=0.05)
    yield url
    server.shutdown()


@pytest.fixture
def customs_endpoint(simulator):
    requests.post(f"{simulator}/control/reset", timeout=5)
    return simulator


def sim(simulator, path, method="get", **kw):
    response = getattr(requests, method)(f"{simulator}{path}", timeout=5, **kw)
    return response.json() if response.content else None


def setup(api, n=3, config=None, **decl):
    ids = api.post(
        "/declarations",
        {"declarations": [make_declaration_body(self_pay=False, **decl) for _ in range(n)], "smart_mark": True},
    ).json["accepted"]
    config_id = api.post("/configs", config or make_config_body(require_manifest=False, compare_manifest=False)).json[
        "config_id"
    ]
    return ids, config_id


def start(api, *config_ids, enterprise_type="agent", **kw):
    response = api.post("/executions", {"enterprise_type": enterprise_type, "config_ids": list(config_ids)}, **kw)
    assert response.status_code == 201, response.json
    return response.json["execution_id"]


def test_a_started_execution_declares_every_matching_declaration_once(enabled_api, runner, simulator, container):
    seq_nos, config_id = setup(enabled_api, 3)
    execution_id = start(enabled_api, config_id)
    runner.drain()
    for seq_no in seq_nos:
        decl = enabled_api.get(f"/declarations/{seq_no}").json
        assert (decl["smart_status"], decl["status"], decl["smart_status_label"]) == (
            "succeeded",
            "declared",
            "申报成功(自动)",
        )
    view = enabled_api.get(f"/executions/{execution_id}").json
    assert (view["batch_index"], view["total_succeeded"], view["total_failed"]) == (1, 3, 0)
    assert view["countdown_seconds"] == 60 and view["customs_available"] is True
    stats = sim(simulator, "/control/stats")
    assert (stats["accepted"], stats["duplicates"]) == (3, 0)
    log = enabled_api.get(f"/declarations/{seq_nos[0]}/log").json["items"]
    assert [e["gate"] for e in log][:1] == ["claim"] and log[-1]["gate"] == "submit"
    assert len(log[-1]["details"]["sha256"]) == 64 and "<DecMessage" in log[-1]["details"]["xml"]
    # and the publish function, played from the log's stream, kept their unit prices for the price prompt
    decl = container.declarations.get(seq_nos[0])
    since = decl.declared_at - timedelta(seconds=1)
    recent = container.price_history.recent(decl.owner_ent, price_key(decl.content.goods[0]), since, 20)
    assert recent == [decl.content.goods[0].decl_price] * 3


def test_messages_delivered_again_send_nothing_twice(enabled_api, runner, simulator, aws):
    seq_nos, config_id = setup(enabled_api, 2)
    start(enabled_api, config_id)
    runner.drain()
    sqs = boto3.client("sqs")
    for queue in ("ValidationQueue", "SubmissionQueue"):  # every message of the run, delivered once more
        for seq_no in seq_nos:
            batch_no = enabled_api.get(f"/declarations/{seq_no}").json["batch_no"]
            sqs.send_message(
                QueueUrl=aws[queue]["Ref"],
                MessageBody=json.dumps({"seq_no": seq_no, "batch_no": batch_no, "ent_code": ENT_A["code"]}),
            )
    runner.drain()
    assert sim(simulator, "/control/stats")["duplicates"] == 0
    assert all(enabled_api.get(f"/declarations/{s}").json["smart_status"] == "succeeded" for s in seq_nos)


def test_a_validation_batch_whose_declaration_moved_meanwhile_sends_the_others_on_and_that_one_nowhere(
    enabled_api, container, aws, monkeypatch
):
    # Given three claimed declarations, their validation messages taken off the queue as Lambda would
    from functions import validate
    from infra.local_runner import LambdaContext

    seq_nos, config_id = setup(enabled_api, 3)
    execution_id = start(enabled_api, config_id)
    start_batch(container.engine, execution_id, 0)
    sqs = boto3.client("sqs")
    got = sqs.receive_message(QueueUrl=aws["ValidationQueue"]["Ref"], MaxNumberOfMessages=10)["Messages"]
    records = [
        {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"], "attributes": {}}
        for m in got
    ]
    # and one of them changed by another writer after the function read it, before it commits its steps
    moved, uow = seq_nos[1], container.engine.uow
    real = uow.commit_many

    def another_writer_first(changes):
        boto3.client("dynamodb").update_item(
            TableName=container.settings.tables.declarations,
            Key={"seq_no": {"S": moved}},
            UpdateExpression="ADD version :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        return real(changes)

    monkeypatch.setattr(uow, "commit_many", another_writer_first)
    # When the validation function handles the batch
    result = validate.handler({"Records": records}, LambdaContext("validation"))
    # Then no record fails, the other two go to submission, and the moved one is left as the other writer left it
    assert result == {"batchItemFailures": []}
    sent = sqs.receive_message(QueueUrl=aws["SubmissionQueue"]["Ref"], MaxNumberOfMessages=10)["Messages"]
    assert sorted(json.loads(m["Body"])["seq_no"] for m in sent) == sorted(s for s in seq_nos if s != moved)
    assert [e["gate"] for e in enabled_api.get(f"/declarations/{moved}/log").json["items"]] == ["claim"]


def test_customs_down_holds_declarations_back_and_they_go_once_it_is_up(enabled_api, runner, simulator, clock):
    seq_nos, config_id = setup(enabled_api, 2)
    sim(simulator, "/control/mode", "post", json={"mode": "down"})
    execution_id = start(enabled_api, config_id)
    runner.drain()
    assert {enabled_api.get(f"/declarations/{s}").json["waiting_reason"] for s in seq_nos} == {"customs_unavailable"}
    assert enabled_api.get(f"/executions/{execution_id}").json["customs_available"] is False
    sim(simulator, "/control/mode", "post", json={"mode": "normal"})
    clock.advance(seconds=301)  # their re-check interval (the config's default, 5 minutes)
    runner.tick()  # the schedule starts the due batch
    runner.drain()
    assert {enabled_api.get(f"/declarations/{s}").json["smart_status"] for s in seq_nos} == {"succeeded"}
    view = enabled_api.get(f"/executions/{execution_id}").json
    assert (view["total_failed"], view["customs_available"], view["batch_index"]) == (0, True, 2)


def test_a_wait_for_the_manifest_is_released_when_the_manifest_arrives(enabled_api, runner, simulator, clock):
    config = make_config_body(require_manifest=True, compare_manifest=True)
    [seq_no], config_id = setup(enabled_api, 1, config=config, bill_no="COSU6512", pack_no=10, gross_wt="1250.5")
    start(enabled_api, config_id)
    runner.drain()
    decl = enabled_api.get(f"/declarations/{seq_no}").json
    assert (decl["smart_status"], decl["waiting_reason"]) == ("pending", "manifest")
    requests.put(
        f"{simulator}/logistics/manifests/COSU6512",
        timeout=5,
        json={"pack_no": 10, "gross_wt": "1250.50", "traf_name": "CA986", "voyage_no": "20240320"},
    )
    clock.advance(seconds=61)
    runner.tick()  # the next batch does not even read it: it rests until its re-check time
    runner.drain()
    assert enabled_api.get(f"/declarations/{seq_no}").json["smart_status"] == "pending"
    log = enabled_api.get(f"/declarations/{seq_no}/log").json["items"]
    assert [e["gate"] for e in log].count("claim") == 1
    clock.advance(seconds=240)  # five minutes after it began to wait
    runner.tick()
    runner.drain()
    assert enabled_api.get(f"/declarations/{seq_no}").json["smart_status"] == "succeeded"


def test_a_refused_declaration_fails_with_the_customs_message(enabled_api, runner):
    [seq_no], config_id = setup(enabled_api, 1, note="SANDBOX:REJECT")
    start(enabled_api, config_id)
    runner.drain()
    decl = enabled_api.get(f"/declarations/{seq_no}").json
    assert decl["smart_status"] == "failed" and decl["reason_zh"].startswith("海关退回")


def test_an_agency_declaration_gets_its_agreement_generated_and_attached(enabled_api, runner, simulator):
    consignee = {"code": "1105910159", "uscc": "91110000100011743X", "name": "中国山货花卉进出口公司"}
    config = make_config_body(consignee=consignee, require_manifest=False, compare_manifest=False)
    [seq_no], config_id = setup(enabled_api, 1, config=config, consignee=consignee, owner=None)
    start(enabled_api, config_id)
    runner.drain()
    decl = enabled_api.get(f"/declarations/{seq_no}").json
    assert decl["smart_status"] == "succeeded"
    [agreement] = [d for d in decl["documents"] if d["edoc_code"] == "10000001"]
    assert len(agreement["edoc_no"]) == 17


@pytest.mark.parametrize("pause_at, when", [(1, "before"), (4, "before"), (3, "after")])
def test_two_batch_starts_at_once_never_take_the_same_declaration(enabled_api, container, monkeypatch, pause_at, when):
    # Given A (declaring unit) and B (consignee) whose executions see the same six declarations
    body = make_declaration_body(self_pay=False, consignee=dict(ENT_B), owner=None)
    seq_nos = enabled_api.post("/declarations", {"declarations": [body] * 6, "smart_mark": True}).json["accepted"]
    config_a = enabled_api.post("/configs", make_config_body(consignee=dict(ENT_B), require_manifest=False)).json
    config_b = enabled_api.post(
        "/configs",
        make_config_body(agent=dict(ENT_A), consignee=dict(ENT_B), require_manifest=False),
        token=token(ENT_B),
    ).json
    exec_a = start(enabled_api, config_a["config_id"])
    exec_b = start(enabled_api, config_b["config_id"], enterprise_type="consignee", token=token(ENT_B))
    # When A's batch, having read its pool, pauses at its n-th claim write and B's whole batch runs meanwhile
    # (a deterministic interleaving: the conditional write, not thread timing, must keep them apart)
    uow, batches, writes = container.engine.uow, {}, []
    real = uow.commit

    def interleave(change, receipt=None):
        if change.after.execution_id == exec_a:
            writes.append(change.seq_no)
            if len(writes) == pause_at and when == "before":
                batches[exec_b] = start_batch(container.engine, exec_b, 0)
            real(change, receipt=receipt)
            if len(writes) == pause_at and when == "after":
                batches[exec_b] = start_batch(container.engine, exec_b, 0)
            return
        real(change, receipt=receipt)

    monkeypatch.setattr(uow, "commit", interleave)
    batches[exec_a] = start_batch(container.engine, exec_a, 0)
    # Then every declaration is claimed once, by one of the two batches, and logged once as claimed
    assert sum(b.claimed for b in batches.values()) == 6
    owners = [enabled_api.get(f"/declarations/{s}").json["batch_no"] for s in seq_nos]
    assert all(owners) and set(owners) <= {b.batch_no for b in batches.values()}
    claims = [
        [e["gate"] for e in enabled_api.get(f"/declarations/{s}/log").json["items"]].count("claim") for s in seq_nos
    ]
    assert claims == [1] * 6


def test_stop_ends_the_execution_and_frees_its_configs(enabled_api, runner):
    _, config_id = setup(enabled_api, 1)
    execution_id = start(enabled_api, config_id)
    again = enabled_api.post("/executions", {"enterprise_type": "agent", "config_ids": [config_id]})
    assert again.status_code == 409
    stopped = enabled_api.post(f"/executions/{execution_id}/stop").json
    assert stopped["status"] == "stopped" and stopped["next_batch_at"] is None
    runner.drain()  # the first trigger arrives after the stop: no batch starts
    assert enabled_api.get(f"/executions/{execution_id}").json["batch_index"] == 0
    assert enabled_api.post("/executions", {"enterprise_type": "agent", "config_ids": [config_id]}).status_code == 201


def test_declared_by_hand_then_the_engine_skips_it(enabled_api, runner, simulator):
    [seq_no], config_id = setup(enabled_api, 1)
    declared = enabled_api.post(f"/declarations/{seq_no}/declare")
    assert declared.status_code == 200 and declared.json["status"] == "declared"
    start(enabled_api, config_id)
    runner.drain()
    assert sim(simulator, "/control/stats")["declarations"] == 1
    assert enabled_api.get(f"/declarations/{seq_no}").json["status"] == "declared"


def test_executions_of_another_enterprise_are_invisible(enabled_api):
    _, config_id = setup(enabled_api, 1)
    execution_id = start(enabled_api, config_id)
    other = token(ENT_B)
    assert enabled_api.get(f"/executions/{execution_id}", token=other).status_code == 404
    assert enabled_api.post(f"/executions/{execution_id}/stop", token=other).status_code == 404
    assert enabled_api.get("/executions", token=other).json["total"] == 0


@pytest.mark.parametrize(
    "body", [{}, {"enterprise_type": "x", "config_ids": ["a"]}, {"enterprise_type": "agent", "config_ids": []}]
)
def test_start_refuses_bad_bodies(enabled_api, body):
    assert enabled_api.post("/executions", body).status_code == 400


def test_start_refuses_a_config_of_another_enterprise(enabled_api):
    _, config_id = setup(enabled_api, 1)
    response = enabled_api.post(
        "/executions", {"enterprise_type": "agent", "config_ids": [config_id]}, token=token(ENT_B)
    )
    assert response.status_code == 404


def test_the_console_counts_equal_the_declarations_states(enabled_api, runner):
    ok = make_declaration_body(self_pay=False)
    refused = make_declaration_body(self_pay=False, note="SANDBOX:REJECT")
    taxed = make_declaration_body(self_pay=True)  # waits for its tax confirmation
    seq_nos = enabled_api.post("/declarations", {"declarations": [ok, refused, taxed], "smart_mark": True}).json[
        "accepted"
    ]
    config_id = enabled_api.post("/configs", make_config_body(require_manifest=False, compare_manifest=False)).json[
        "config_id"
    ]
    execution_id = start(enabled_api, config_id)
    runner.drain()
    batch_no = enabled_api.get(f"/executions/{execution_id}").json["current_batch_no"]
    console = enabled_api.get(f"/batches/{batch_no}").json
    assert (console["claimed"], console["succeeded"], console["failed"], console["waiting"]) == (3, 1, 1, 1)
    assert {r["seq_no"]: r["result"] for r in console["declarations"]} == dict(
        zip(seq_nos, ["succeeded", "failed", "waiting"], strict=False)
    )
    states = [enabled_api.get(f"/declarations/{s}").json["smart_status"] for s in seq_nos]
    assert states == ["succeeded", "failed", "pending"]
    assert enabled_api.get(f"/declarations?batch_no={batch_no}&smart_status=failed").json["total"] == 1
    assert enabled_api.get(f"/batches/{batch_no}", token=token(ENT_B)).status_code == 404


def test_a_failed_declaration_fixed_and_continued_is_declared_next_batch(enabled_api, runner, clock):
    body = make_declaration_body(self_pay=False, note="SANDBOX:REJECT")
    [seq_no] = enabled_api.post("/declarations", {"declarations": [body], "smart_mark": True}).json["accepted"]
    config_id = enabled_api.post("/configs", make_config_body(require_manifest=False, compare_manifest=False)).json[
        "config_id"
    ]
    start(enabled_api, config_id)
    runner.drain()
    assert enabled_api.get(f"/declarations/{seq_no}").json["smart_status"] == "failed"
    refused = enabled_api.post("/declarations/continue", {"seq_nos": ["I20249999999999999"]}).json
    assert refused["continued"] == 0 and refused["refused"][0]["reason"] == "not_found"
    assert enabled_api.put(f"/declarations/{seq_no}", {**body, "note": "fixed"}).status_code == 200
    result = enabled_api.post("/declarations/continue", {"seq_nos": [seq_no]}).json
    assert result["continued"] == 1 and "1 条" in result["message_zh"]
    clock.advance(seconds=61)
    runner.tick()
    runner.drain()
    assert enabled_api.get(f"/declarations/{seq_no}").json["smart_status"] == "succeeded"
    gates = [(e["gate"], e["outcome"]) for e in enabled_api.get(f"/declarations/{seq_no}/log").json["items"]]
    assert gates.index(("submit", "fail")) < gates.index(("continue", "pending")) < gates.index(("submit", "pass"))


def test_continue_refuses_what_did_not_fail(enabled_api):
    [seq_no] = enabled_api.post("/declarations", {"declarations": [make_declaration_body()]}).json["accepted"]
    result = enabled_api.post("/declarations/continue", {"seq_nos": [seq_no]}).json
    assert result["continued"] == 0 and result["refused"][0]["reason"] == "not_failed"


def test_a_crash_after_customs_answered_does_not_send_twice(enabled_api, runner, simulator, container, monkeypatch):
    [seq_no], config_id = setup(enabled_api, 1)
    start(enabled_api, config_id)
    uow = container.engine.uow
    real, crashed = uow.commit, []

    def crash_on_success(change, receipt=None):
        if change.after.smart_status == "succeeded" and not crashed:
            crashed.append(change.seq_no)
            raise RuntimeError("the submission Lambda died after customs answered")
        return real(change, receipt=receipt)

    monkeypatch.setattr(uow, "commit", crash_on_success)
    runner.drain()  # the failed message stays in flight until its visibility timeout …
    assert crashed == [seq_no]
    decl = enabled_api.get(f"/declarations/{seq_no}").json
    container.clock.advance(seconds=720)  # the queue's visibility timeout: the dead holder's lease has ended
    boto3.client("sqs").send_message(  # … then SQS delivers the same body again
        QueueUrl=container.settings.queues.submission,
        MessageBody=json.dumps(
            {
                "seq_no": seq_no,
                "batch_no": decl["batch_no"],
                "execution_id": decl.get("execution_id"),
                "ent_code": ENT_A["code"],
            }
        ),
    )
    runner.drain()
    assert enabled_api.get(f"/declarations/{seq_no}").json["smart_status"] == "succeeded"
    stats = sim(simulator, "/control/stats")
    assert (stats["accepted"], stats["duplicates"]) == (1, 0)
    log = enabled_api.get(f"/declarations/{seq_no}/log").json["items"]
    assert log[-1]["details"]["found_at_customs"] is True


def test_the_batch_index_holds_only_the_log_lines_that_say_how_a_declaration_went(enabled_api, runner, container):
    # Given a declaration taken by a batch and declared (claim, gates, submission: many log lines)
    [seq_no], config_id = setup(enabled_api, 1)
    execution_id = start(enabled_api, config_id)
    runner.drain()
    batch_no = enabled_api.get(f"/executions/{execution_id}").json["current_batch_no"]
    lines = container.engine.log.list(seq_no)
    # When the batch's console reads the sparse by_batch index
    indexed = container.engine.log.batch_results(batch_no)
    # Then it finds the lines with a result only (in progress, then succeeded), and every other line
    # of the batch is still in the declaration's log
    assert [(s, e.result) for s, e in indexed] == [(seq_no, "in_progress"), (seq_no, "succeeded")]
    assert len([e for e in lines if e.batch_no == batch_no]) > len(indexed)
    [row] = enabled_api.get(f"/batches/{batch_no}").json["declarations"]
    assert row["result"] == "succeeded"


def test_the_batch_console_says_a_declaration_waits_for_its_advisory_prompts(enabled_api, runner):
    # Given a config that leaves advisory prompts to a person and a declaration raising one (net > gross)
    config = make_config_body(require_manifest=False, compare_manifest=False, auxiliary_confirm=False)
    [seq_no], config_id = setup(enabled_api, 1, config=config, net_wt="1300")
    execution_id = start(enabled_api, config_id)
    runner.drain()
    batch_no = enabled_api.get(f"/executions/{execution_id}").json["current_batch_no"]
    # Then its row in the batch's console says what it waits for (the console links it to its log)
    [row] = enabled_api.get(f"/batches/{batch_no}").json["declarations"]
    assert (row["seq_no"], row["result"], row["waiting_reason"]) == (seq_no, "waiting", "advisory")


def test_the_console_shows_batch_results_even_after_receipts_arrive(enabled_api, runner, simulator):
    [seq_no], config_id = setup(enabled_api, 1)
    execution_id = start(enabled_api, config_id)
    runner.drain()
    batch_no = enabled_api.get(f"/executions/{execution_id}").json["current_batch_no"]
    # the simulator writes its receipts from a thread, a moment later
    wait_until(
        "the simulator's L and P receipts",
        lambda: {r["channel"] for r in sim(simulator, "/control/receipts")},
        lambda channels: channels >= {"L", "P"},
    )
    for channel in ("L", "P"):  # what the simulator sends (kept in memory here): post it as customs would
        receipt = next(r for r in sim(simulator, "/control/receipts") if r["channel"] == channel)
        body = receipt["xml"].encode()
        signature = "sha256=" + hmac.new(RECEIPT_SECRET.encode(), body, hashlib.sha256).hexdigest()
        response = enabled_api.call(
            "POST",
            "/customs/receipts",
            raw=body,
            content_type="application/xml",
            token="",
            headers={"X-Receipt-Signature": signature},
        )
        assert response.json["applied"] == 1
    assert enabled_api.get(f"/declarations/{seq_no}").json["status"] == "released"
    [row] = enabled_api.get(f"/batches/{batch_no}").json["declarations"]
    assert row["result"] == "succeeded"

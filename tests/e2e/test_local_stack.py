"""End to end: `make run`'s stack as a subprocess, driven over HTTP only, as a person with curl would.
This module's stack declares over the HTTP channel (customs' modes: down, slow); the exchange channel,
through the agent and the simulated Single Window client, is tests/e2e/test_exchange_stack.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests

from chalicelib.adapters.webhook_sender import verify
from infra.stack_process import StackDidNotStart, start_stack
from tests.factories import ENT_B, ROOT, make_config_body, make_declaration_body
from tests.polling import STACK_SECONDS, wait_until
from tests.webhook_receiver import WebhookReceiver

SECRET = "end-to-end-test-secret-of-32-bytes-or-more"


@pytest.fixture(scope="module")
def outbox(tmp_path_factory):
    return tmp_path_factory.mktemp("local-stack") / "outbox"  # its agents' folders beside it, its own


@pytest.fixture(scope="module")
def stack_process(outbox):
    log = outbox.parent / f"{outbox.name}-stack.log"
    with log.open("w") as out:
        try:
            started = start_stack(outbox, jwt_secret=SECRET, output=out, channel="http")
        except StackDidNotStart as exc:
            pytest.fail(f"{exc}:\n{log.read_text()}")
    yield started
    assert started.stop() == 0, "the stack must stop cleanly"


@pytest.fixture(scope="module")
def stack(stack_process):
    return stack_process.api, stack_process.customs


def bearer(role="legal", ent=("1108919038", "91110000600037341L")):
    out = subprocess.run(
        [sys.executable, "scripts/issue_token.py", "--ent-code", ent[0], "--uscc", ent[1], "--role", role],
        cwd=ROOT,
        env={**os.environ, "SMARTDECL_JWT_SECRET": SECRET},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return {"Authorization": f"Bearer {out}"}


def test_enable_configure_import_query_mark_and_unmark_over_http(stack):
    stack, _ = stack
    legal, operator, other = bearer(), bearer("operator"), bearer(ent=(ENT_B["code"], ENT_B["uscc"]))
    assert requests.post(f"{stack}/enablement", json={"accept_notice": True}, headers=legal).status_code == 200

    assert requests.post(f"{stack}/configs", json=make_config_body(), headers=legal).status_code == 201
    clash = requests.post(f"{stack}/configs", json=make_config_body(name="again"), headers=legal)
    assert clash.status_code == 409 and "相同进出口标志" in clash.json()["message_zh"]
    assert requests.post(f"{stack}/configs", json=make_config_body(ie_flag="E"), headers=operator).status_code == 403

    body = json.loads((ROOT / "examples" / "declarations.json").read_text(encoding="utf-8"))
    imported = requests.post(f"{stack}/declarations", json=body, headers=legal).json()
    assert imported["rejected"] == [] and len(imported["accepted"]) == len(body["declarations"])
    for name, media in (
        ("declarations.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("dec_message.xml", "application/xml"),
    ):
        result = requests.post(
            f"{stack}/declarations/import?smart_mark=false",
            headers={**legal, "Content-Type": media},
            data=(ROOT / "examples" / name).read_bytes(),
        ).json()
        assert result["rejected"] == [] and result["accepted"], (name, result)

    unmarked = requests.get(
        f"{stack}/declarations", params={"smart_mark": "false", "page_size": 2}, headers=legal
    ).json()
    assert len(unmarked["items"]) == 2 and unmarked["next_cursor"]
    seq_nos = [d["seq_no"] for d in unmarked["items"]]
    assert (
        requests.post(f"{stack}/declarations/mark", json={"seq_nos": seq_nos}, headers=operator).json()["marked"] == 2
    )
    result = requests.post(f"{stack}/declarations/unmark", json={"seq_nos": seq_nos}, headers=operator).json()
    assert result["message_zh"] == "本次成功取消标记 2 条"

    assert requests.get(f"{stack}/declarations", headers=other).status_code == 403  # B has not enabled
    requests.post(f"{stack}/enablement", json={"accept_notice": True}, headers=other)
    assert requests.get(f"{stack}/declarations", headers=other).json()["total"] == 0
    assert requests.get(f"{stack}/declarations/{seq_nos[0]}", headers=other).status_code == 404


def test_a_webhook_to_any_of_the_stacks_own_ports_is_refused_and_the_stack_keeps_its_data(stack_process):
    # Given an enabled enterprise with its data (what the probe's reset wiped)
    api, legal = stack_process.api, bearer()
    requests.post(f"{api}/enablement", json={"accept_notice": True}, headers=legal)
    before = requests.get(f"{api}/configs", headers=legal).json()
    # When it subscribes webhooks to the API, moto's reset route and the simulator's control route
    for target in (f"{api}/health", f"{stack_process.moto}/moto-api/reset", f"{stack_process.customs}/control/reset"):
        response = requests.post(
            f"{api}/subscriptions", json={"protocol": "webhook", "endpoint": target}, headers=legal
        )
        # Then each is refused, naming the reason
        assert response.status_code == 400 and response.json()["code"] == "invalid_request", (target, response.text)
        assert "本地服务自身" in response.text and "local stack" in response.text
    # And a port nothing of the stack listens on is still allowed
    receiver = WebhookReceiver()
    try:
        ok = requests.post(
            f"{api}/subscriptions", json={"protocol": "webhook", "endpoint": receiver.url}, headers=legal
        )
        assert ok.status_code == 201, ok.text
        requests.delete(f"{api}/subscriptions/{ok.json()['subscription_id']}", headers=legal)
    finally:
        receiver.close()
    assert requests.get(f"{api}/configs", headers=legal).json() == before
    assert requests.get(f"{api}/enablement", headers=legal).json()["enabled"] is True


def test_openapi_document_is_served(stack):
    assert requests.get(f"{stack[0]}/openapi.json").json()["openapi"] == "3.1.0"


def test_press_start_once_and_the_marked_declarations_declare_themselves(stack, outbox):
    api, customs = stack
    legal = bearer()
    requests.post(f"{api}/enablement", json={"accept_notice": True}, headers=legal)
    hooks = WebhookReceiver()
    hook = requests.post(
        f"{api}/subscriptions", json={"protocol": "webhook", "endpoint": hooks.url}, headers=legal
    ).json()
    for protocol, endpoint in (("email", "ops@example.com"), ("sms", "+8613800138000")):
        assert (
            requests.post(
                f"{api}/subscriptions", json={"protocol": protocol, "endpoint": endpoint}, headers=legal
            ).status_code
            == 201
        )
    # waits re-checked every 5 s (default 300): manifests and arrivals are looked up, not announced
    config = make_config_body(
        name="出口自动",
        ie_flag="E",
        require_manifest=True,
        compare_manifest=True,
        require_arrival=True,
        batch_wait_seconds=5,
        recheck_seconds=5,
    )
    config_id = requests.post(f"{api}/configs", json=config, headers=legal).json()["config_id"]
    plan = [
        make_declaration_body(ie_flag="E", self_pay=(i == 4), bill_no=f"E2E{i}", pack_no=10, gross_wt="1250.5")
        for i in range(5)
    ]
    seq_nos = requests.post(
        f"{api}/declarations", json={"declarations": plan, "smart_mark": True}, headers=legal
    ).json()["accepted"]
    for i in range(5):
        if i != 3:  # the fourth bill has no manifest yet: it waits for it
            load_manifest(customs, f"E2E{i}")
        if i != 2:  # the third has not arrived yet: it waits for the arrival report
            requests.put(f"{customs}/logistics/arrivals/E2E{i}", timeout=5, json={"arrived": True})
    started = requests.post(
        f"{api}/executions", json={"enterprise_type": "agent", "config_ids": [config_id]}, headers=legal
    )
    assert started.status_code == 201
    execution = started.json()["execution_id"]

    def declarations():
        return [requests.get(f"{api}/declarations/{s}", headers=legal).json() for s in seq_nos]

    expected = [
        ("succeeded", None),
        ("succeeded", None),
        ("pending", "arrival"),
        ("pending", "manifest"),
        ("pending", "tax"),
    ]
    until(
        "two declared, three waiting for arrival, manifest and tax",
        lambda: [(d["smart_status"], d["waiting_reason"]) for d in declarations()],
        lambda seen: seen == expected,
    )

    # each wait is released by what it waits for: the arrival report, the manifest, the tax confirmation
    requests.put(f"{customs}/logistics/arrivals/E2E2", timeout=5, json={"arrived": True})
    load_manifest(customs, "E2E3")
    tax = requests.get(f"{api}/declarations/{seq_nos[4]}/tax", headers=legal).json()
    assert tax["tax_status"] == "unconfirmed"
    confirmed = requests.post(f"{api}/declarations/{seq_nos[4]}/tax/confirm", headers=legal).json()
    assert confirmed["tax_status"] == "confirmed"
    until(
        "all five declared", lambda: [d["smart_status"] for d in declarations()], lambda seen: seen == ["succeeded"] * 5
    )
    # the batch counts follow each declaration's own write a moment later
    until(
        "the execution to count five successes",
        lambda: requests.get(f"{api}/executions/{execution}", headers=legal).json()["total_succeeded"],
        lambda seen: seen == 5,
    )
    view = requests.get(f"{api}/executions/{execution}", headers=legal).json()
    assert view["total_succeeded"] == 5 and view["total_failed"] == 0 and view["batch_index"] >= 2
    console = requests.get(f"{api}/batches/{declarations()[0]['batch_no']}", headers=legal).json()
    assert console["succeeded"] >= 2 and console["declarations"]
    assert requests.get(f"{customs}/control/stats", timeout=5).json()["duplicates"] == 0
    stopped = requests.post(f"{api}/executions/{execution}/stop", headers=legal).json()
    assert stopped["status"] == "stopped"

    # customs' receipts (L, then P) come back signed to /customs/receipts and are pushed out
    until(
        "customs to release all five",
        lambda: [d["status"] for d in declarations()],
        lambda seen: seen == ["released"] * 5,
    )
    assert all(requests.get(f"{api}/declarations/{s}", headers=legal).json()["entry_id"] for s in seq_nos)
    until(
        "ten receipt webhooks (L and P of five)",
        lambda: len([e for e in hooks.events() if e["event_type"] == "customs_receipt"]),
        lambda seen: seen >= 10,
    )
    assert {e["data"]["channel"] for e in hooks.events() if e["event_type"] == "customs_receipt"} == {"L", "P"}
    assert all(verify(hook["secret"], headers, body) for headers, body in hooks.received)
    # e-mail as SNS would mail it; SMS as the mainland provider stand-in's SendSms calls (cn-north-1)
    until("an SMS in the outbox", lambda: (outbox / "sms").is_dir() and any((outbox / "sms").glob("*.json")))
    mail = next((outbox / "email").iterdir()).read_text(encoding="utf-8")
    assert "提运单号：E2E" in mail and "/console/#/declarations/" in mail
    call = json.loads(next((outbox / "sms").glob("*.json")).read_text(encoding="utf-8"))
    assert call["PhoneNumbers"] == "13800138000" and call["TemplateCode"].startswith("SMS_LOCAL_")
    assert json.loads(call["TemplateParam"])["ref"].startswith("提单E2E")
    hooks.close()


def test_customs_down_for_a_while_nothing_fails_nothing_is_lost(stack):
    api, customs = stack
    other = bearer(ent=(ENT_B["code"], ENT_B["uscc"]))
    requests.post(f"{api}/enablement", json={"accept_notice": True}, headers=other)
    config = make_config_body(
        name="B进口",
        agent=dict(ENT_B),
        consignee=dict(ENT_B),
        require_manifest=False,
        compare_manifest=False,
        batch_wait_seconds=5,
        recheck_seconds=5,
    )
    config_id = requests.post(f"{api}/configs", json=config, headers=other).json()["config_id"]
    plan = [
        make_declaration_body(self_pay=False, agent=dict(ENT_B), consignee=dict(ENT_B), owner=None) for _ in range(3)
    ]
    seq_nos = requests.post(
        f"{api}/declarations", json={"declarations": plan, "smart_mark": True}, headers=other
    ).json()["accepted"]
    before = requests.get(f"{customs}/control/stats", timeout=5).json()["accepted"]
    requests.post(f"{customs}/control/mode", json={"mode": "down"}, timeout=5)
    execution = requests.post(
        f"{api}/executions", json={"enterprise_type": "agent", "config_ids": [config_id]}, headers=other
    ).json()["execution_id"]

    def states():
        return [requests.get(f"{api}/declarations/{s}", headers=other).json() for s in seq_nos]

    until(
        "all three waiting for customs",
        lambda: [d["waiting_reason"] for d in states()],
        lambda seen: seen == ["customs_unavailable"] * 3,
    )
    assert requests.get(f"{api}/executions/{execution}", headers=other).json()["customs_available"] is False
    requests.post(f"{customs}/control/mode", json={"mode": "normal"}, timeout=5)
    until(
        "all three declared once customs is back",
        lambda: [d["smart_status"] for d in states()],
        lambda seen: seen == ["succeeded"] * 3,
    )
    until(
        "the execution to count three successes",
        lambda: requests.get(f"{api}/executions/{execution}", headers=other).json()["total_succeeded"],
        lambda seen: seen == 3,
    )
    view = requests.get(f"{api}/executions/{execution}", headers=other).json()
    assert (view["total_succeeded"], view["total_failed"], view["customs_available"]) == (3, 0, True)
    stats = requests.get(f"{customs}/control/stats", timeout=5).json()
    assert stats["accepted"] - before == 3 and stats["duplicates"] == 0
    requests.post(f"{api}/executions/{execution}/stop", headers=other)


def load_manifest(customs: str, bill_no: str) -> None:
    requests.put(
        f"{customs}/logistics/manifests/{bill_no}",
        timeout=5,
        json={"pack_no": 10, "gross_wt": "1250.5", "traf_name": "CA986", "voyage_no": "20240320"},
    )


def until(what, probe, condition=bool):
    return wait_until(what, probe, condition, timeout=STACK_SECONDS, interval=0.3)

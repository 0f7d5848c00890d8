"""Push over HTTP: subscribe, receive signed webhooks for our own events only, the delivery log,
retries and replay."""

from __future__ import annotations

import json

import pytest

from chalicelib.adapters.webhook_sender import verify
from tests.factories import ENT_A, ENT_B, make_config_body, make_declaration_body, token
from tests.webhook_receiver import WebhookReceiver


@pytest.fixture
def customs_endpoint(simulator_url):
    return simulator_url


@pytest.fixture
def receiver():
    r = WebhookReceiver()
    yield r
    r.close()


def subscribe(api, url, tok=None, **kw):
    response = api.post("/subscriptions", {"protocol": "webhook", "endpoint": url, **kw}, token=tok)
    assert response.status_code == 201, response.json
    return response.json


def run_one(api, runner, **decl):
    [seq_no] = api.post(
        "/declarations", {"declarations": [make_declaration_body(self_pay=False, **decl)], "smart_mark": True}
    ).json["accepted"]
    config_id = api.post("/configs", make_config_body(require_manifest=False, compare_manifest=False)).json["config_id"]
    api.post("/executions", {"enterprise_type": "agent", "config_ids": [config_id]})
    runner.drain()
    return seq_no


def test_a_webhook_gets_each_real_change_of_state_signed_and_not_the_claim(enabled_api, runner, receiver):
    subscription = subscribe(enabled_api, receiver.url)
    assert len(subscription["secret"]) == 64
    seq_no = run_one(enabled_api, runner)
    statuses = [e["data"]["smart_status"] for e in receiver.events() if e["seq_no"] == seq_no]
    assert statuses == ["succeeded"]  # being claimed (申报中) is not news to a subscriber
    for headers, body in receiver.received:
        assert verify(subscription["secret"], headers, body)
        assert headers["X-Smartdecl-Event-Id"] == json.loads(body)["event_id"]
    assert "secret" not in enabled_api.get(f"/subscriptions/{subscription['subscription_id']}").json


def test_an_enterprise_never_receives_another_enterprises_events(enabled_api, runner, receiver):
    other = WebhookReceiver()
    try:
        subscribe(enabled_api, other.url, tok=token(ENT_B))
        subscribe(enabled_api, receiver.url)
        run_one(enabled_api, runner)
        assert receiver.received and other.received == []
    finally:
        other.close()


def test_event_types_narrow_what_is_pushed(enabled_api, runner, receiver):
    subscribe(enabled_api, receiver.url, event_types=["customs_receipt"])
    run_one(enabled_api, runner)
    assert receiver.received == []


def test_failed_deliveries_are_recorded_and_retried(enabled_api, runner, receiver):
    subscription = subscribe(enabled_api, receiver.url)
    receiver.fail = True
    run_one(enabled_api, runner)
    log = enabled_api.get(f"/subscriptions/{subscription['subscription_id']}/deliveries").json["items"]
    assert log and {d["status"] for d in log} == {"pending"}
    assert all(d["attempts"][0]["status_code"] == 500 for d in log)


def test_replay_sends_a_window_again_with_the_same_event_ids(enabled_api, runner, receiver):
    subscription = subscribe(enabled_api, receiver.url)
    run_one(enabled_api, runner)
    first = [e["event_id"] for e in receiver.events()]
    result = enabled_api.post(
        f"/subscriptions/{subscription['subscription_id']}/replay",
        {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"},
    ).json
    runner.drain()
    assert result["replayed"] == len(first)
    assert sorted(e["event_id"] for e in receiver.events()) == sorted(first * 2)


@pytest.mark.parametrize(
    "endpoint", ["http://example.com/hook", "https://10.0.0.5/hook", "https://169.254.169.254/latest/meta-data"]
)
def test_webhooks_to_plain_http_or_private_addresses_are_refused(enabled_api, endpoint):
    response = enabled_api.post("/subscriptions", {"protocol": "webhook", "endpoint": endpoint})
    assert response.status_code == 400 and response.json["details"][0]["field"] == "endpoint"


def test_email_and_sms_subscriptions_filter_on_the_enterprise(enabled_api, aws):
    import boto3

    email = enabled_api.post("/subscriptions", {"protocol": "email", "endpoint": "ops@example.com"}).json
    sms = enabled_api.post("/subscriptions", {"protocol": "sms", "endpoint": "13800138000"}).json
    assert sms["endpoint"] == "+8613800138000"
    sns = boto3.client("sns")
    subs = sns.list_subscriptions_by_topic(TopicArn=aws["EventsTopic"]["Ref"])["Subscriptions"]
    policies = [
        json.loads(
            sns.get_subscription_attributes(SubscriptionArn=s["SubscriptionArn"])["Attributes"].get(
                "FilterPolicy", "{}"
            )
        )
        for s in subs
        if s["Protocol"] in ("email", "sms")
    ]
    assert len(policies) == 2 and all(p["ent_code"] == [ENT_A["code"]] for p in policies)
    assert enabled_api.delete(f"/subscriptions/{email['subscription_id']}").status_code == 204


def test_only_the_legal_person_card_subscribes(enabled_api, receiver):
    response = enabled_api.post(
        "/subscriptions", {"protocol": "webhook", "endpoint": receiver.url}, token=token(role="operator")
    )
    assert response.status_code == 403


def test_another_enterprise_cannot_see_our_subscription(enabled_api, receiver):
    subscription = subscribe(enabled_api, receiver.url)
    other = token(ENT_B)
    assert enabled_api.get(f"/subscriptions/{subscription['subscription_id']}", token=other).status_code == 404
    assert enabled_api.get("/subscriptions", token=other).json["total"] == 0

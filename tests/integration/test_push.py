"""Push on local AWS: the push table's conditions, mainland SMS end to end through the template's
queues and functions (the provider stand-in writes the exact SendSms call), digests by the hour,
the Alibaba Cloud adapter against the stand-in's request, keys from SSM."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import boto3
import pytest

from chalicelib.adapters import sms_provider
from chalicelib.adapters.push_store import DynamoPushStore
from chalicelib.domain import messages
from chalicelib.domain.events import Event
from chalicelib.domain.sms import RateLimits, SmsRequest
from infra import local_aws
from infra import template as cfn
from tests.factories import JWT_SECRET, RECEIPT_SECRET, make_identity

NOW = datetime(2024, 3, 21, 2, 0, tzinfo=UTC)
CN = timezone(timedelta(hours=8))
SEQ_NO = "I20240001031824871"
ENT = "1108919038"


@pytest.fixture
def push(aws, clock, tmp_path):
    """The wiring with SmsProvider=aliyun and the provider stand-in writing to tmp_path."""
    from chalicelib.config import Settings
    from chalicelib.container import Container, use_container
    from infra.local_runner import LocalRunner

    env = local_aws.environment(
        cfn.load(),
        aws,
        {
            "SMARTDECL_SMS_PROVIDER": "aliyun",
            "SMARTDECL_SMS_TEMPLATE_FAILED": "SMS_400000001",
            "SMARTDECL_SMS_TEMPLATE_RECEIPT": "SMS_400000002",
            "SMARTDECL_SHORT_LINK_BASE": "https://api.example.cn",
            "SMARTDECL_CONSOLE_URL": "https://smartdecl.example.cn",
        },
    )
    ctx = Container(
        Settings.from_env(
            {
                **env,
                "SMARTDECL_JWT_SECRET": JWT_SECRET,
                "AWS_REGION": local_aws.LOCAL_REGION,
                "SMARTDECL_RECEIPT_SECRET": RECEIPT_SECRET,
                "SMARTDECL_LOCAL_MODE": "true",
                "SMARTDECL_SUBSCRIPTION_CACHE_SECONDS": "0",
                "SMARTDECL_SMS_STANDIN_DIR": str(tmp_path),
            }
        ),
        clock=clock,
    )
    use_container(ctx)
    yield SimpleNamespace(
        ctx=ctx, runner=LocalRunner(cfn.load(), aws, region=local_aws.LOCAL_REGION), outbox=tmp_path / "sms"
    )
    use_container(None)


def failed_event(event_id_key="v5", seq_no=SEQ_NO) -> Event:
    return Event.make(
        "smart_status_changed",
        seq_no=seq_no,
        ie_flag="I",
        ent_codes=[ENT],
        occurred_at=NOW,
        key=event_id_key,
        data={
            "smart_status": "failed",
            "reason_zh": "缺少代理报关委托协议，且未配置自动生成",
            "reason_en": "agency agreement missing",
            "bill_no": "MSKU1234567",
            "goods_name": "便携式自动数据处理设备",
            "config_id": "cfg1",
        },
    )


def subscribe(ctx, body):
    from chalicelib.services.subscriptions import create_subscription

    return create_subscription(make_identity(), body, ctx.subscriptions, ctx.subscriber, ctx.clock)


# ---- mainland SMS end to end ------------------------------------------------------------------------


def test_an_sms_subscriber_of_a_china_deployment_gets_the_provider_template(push, clock):
    clock.now = NOW
    sub = subscribe(push.ctx, {"protocol": "sms", "endpoint": "13800138000", "states": ["failed"]})

    push.ctx.publisher.publish([failed_event()])
    push.runner.drain()

    [written] = sorted(push.outbox.glob("*.json"))
    call = json.loads(written.read_text(encoding="utf-8"))
    assert call["PhoneNumbers"] == "13800138000" and call["TemplateCode"] == "SMS_400000001"
    assert json.loads(call["TemplateParam"])["step"] == "开启自动生成代理报关委托协议后点击继续"
    sns = boto3.client("sns")
    assert not [s for s in sns.list_subscriptions()["Subscriptions"] if s["Protocol"] == "sms"]  # not SNS's
    [delivery] = push.ctx.deliveries.list(sub["subscription_id"])
    assert delivery["status"] == "delivered" and delivery["attempts"][0]["template_code"] == "SMS_400000001"


def test_the_same_event_published_twice_texts_once(push, clock):
    clock.now = NOW
    subscribe(push.ctx, {"protocol": "sms", "endpoint": "13800138000"})

    push.ctx.publisher.publish([failed_event()])
    push.ctx.publisher.publish([failed_event()])
    push.runner.drain()

    assert len(list(push.outbox.glob("*.json"))) == 1


def test_an_sms_subscriber_who_chose_other_states_gets_nothing(push, clock):
    clock.now = NOW
    subscribe(push.ctx, {"protocol": "sms", "endpoint": "13800138000", "states": ["released"]})

    push.ctx.publisher.publish([failed_event()])
    push.runner.drain()

    assert not push.outbox.exists() or not list(push.outbox.glob("*.json"))


def test_an_hourly_digest_is_one_mail_on_the_digest_topic_filtered_to_its_subscription(push, clock):
    clock.now = NOW
    sub = subscribe(push.ctx, {"protocol": "email", "endpoint": "ops@example.com", "digest": "hourly"})
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    url = sqs.create_queue(QueueName="digest-watch")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=push.ctx.settings.digest_topic_arn,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    email_subs = [s for s in sns.list_subscriptions()["Subscriptions"] if s["Protocol"] == "email"]
    policy = json.loads(
        sns.get_subscription_attributes(SubscriptionArn=email_subs[0]["SubscriptionArn"])["Attributes"]["FilterPolicy"]
    )

    push.ctx.publisher.publish([failed_event("a"), failed_event("b", seq_no="I20240001031824872")])
    push.runner.drain()
    clock.now = datetime(2024, 3, 21, 11, 2, tzinfo=CN)
    push.runner.tick()

    assert email_subs[0]["TopicArn"] == push.ctx.settings.digest_topic_arn
    assert policy == {"subscription_id": [sub["subscription_id"]]}
    [mail] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert (
        mail["Body"].count("申报失败") == 2 and "https://smartdecl.example.cn/console/#/declarations/" in mail["Body"]
    )


# ---- the push table's conditions -----------------------------------------------------------------------


def test_an_sms_claim_is_taken_once_but_may_be_retaken_by_its_own_unsent_event(container):
    store = DynamoPushStore()

    assert store.claim_sms("sms#s#x#failed", "e1", NOW)
    assert not store.claim_sms("sms#s#x#failed", "e2", NOW)
    assert store.claim_sms("sms#s#x#failed", "e1", NOW)  # its own crashed try
    store.sms_sent("sms#s#x#failed")
    assert not store.claim_sms("sms#s#x#failed", "e1", NOW)


def test_a_subscribers_order_for_a_declaration_never_goes_back_in_time_or_status(container):
    store = DynamoPushStore()

    assert store.claim_order("s1", "I1", "2024-03-21T10:05:00.000000+08:00", 4, NOW)  # 放行
    assert store.claim_order("s1", "I1", "2024-03-21T10:05:00.000000+08:00", 4, NOW)  # its own retry
    assert not store.claim_order("s1", "I1", "2024-03-21T10:10:00.000000+08:00", 2, NOW)  # 入库成功, applied late
    assert not store.claim_order("s1", "I1", "2024-03-21T10:01:00.000000+08:00", None, NOW)  # older
    assert store.claim_order("s1", "I1", "2024-03-21T10:12:00.000000+08:00", None, NOW)  # 查验通知: no status
    assert store.claim_order("s2", "I1", "2024-03-21T10:01:00.000000+08:00", 1, NOW)  # another subscriber


def test_the_rate_windows_stop_at_their_limit_and_name_when_to_try_again(container):
    store, limits = DynamoPushStore(), RateLimits(2, 5, 10)

    assert store.take_rate("13800138000", limits, NOW) is None
    assert store.take_rate("13800138000", limits, NOW) is None
    assert store.take_rate("13800138000", limits, NOW) == NOW + timedelta(minutes=1)
    assert store.take_rate("13900139000", limits, NOW) is None  # another number


def test_a_digest_is_claimed_by_one_run_only(container):
    store = DynamoPushStore()
    store.add_to_digest("d1", ENT, "2024032110", "2024032111", failed_event().as_json(), NOW)

    assert store.due_digests("2024032111") == [("d1", "2024032110", ENT)]
    assert store.claim_digest("2024032111", "d1", "2024032110")
    assert not store.claim_digest("2024032111", "d1", "2024032110")
    assert store.due_digests("2024032111") == []


# ---- the Alibaba Cloud adapter and its keys ----------------------------------------------------------


class FakeSdk:
    def __init__(self, code="OK"):
        self.requests, self.code = [], code

    def send_sms_with_options(self, request, runtime):
        self.requests.append(request)
        return SimpleNamespace(body=SimpleNamespace(code=self.code, message="OK", biz_id="900619746936498440^0"))


def test_the_aliyun_adapter_sends_what_the_stand_in_writes(tmp_path):
    request = SmsRequest("13800138000", "智能申报", "SMS_400000001", {"ref": "提单MSKU1234567", "link": "2ZoJ8tNacS"})
    sdk = FakeSdk()

    result = sms_provider.AliyunSmsSender("LTAI5tExampleKey", "secretsecretsecret", client=sdk).send(request)
    sms_provider.StandInSmsSender(tmp_path).send(request)

    [sent] = sdk.requests
    written = json.loads(next((tmp_path / "sms").iterdir()).read_text(encoding="utf-8"))
    assert {
        "PhoneNumbers": sent.phone_numbers,
        "SignName": sent.sign_name,
        "TemplateCode": sent.template_code,
        "TemplateParam": sent.template_param,
    } == {k: written[k] for k in ("PhoneNumbers", "SignName", "TemplateCode", "TemplateParam")}
    assert result.ok and result.biz_id.startswith("9006")


def test_a_provider_throttle_answer_is_recognised(tmp_path):
    request = SmsRequest("13800138000", "智能申报", "SMS_400000001", {})

    result = sms_provider.AliyunSmsSender(
        "LTAI5tExampleKey", "secretsecretsecret", client=FakeSdk("isv.BUSINESS_LIMIT_CONTROL")
    ).send(request)

    assert result.throttled and not result.ok and not result.refused


def test_the_provider_keys_come_from_an_ssm_secure_string_and_are_checked(aws):
    ssm = boto3.client("ssm")
    ssm.put_parameter(
        Name="/smartdecl/sms-credentials",
        Type="SecureString",
        Overwrite=True,
        Value=json.dumps({"access_key_id": "LTAI5tExampleKey", "access_key_secret": "s" * 30}),
    )
    ssm.put_parameter(
        Name="/smartdecl/sms-bad",
        Type="SecureString",
        Overwrite=True,
        Value=json.dumps({"access_key_id": "LTAI5tExampleKey"}),
    )

    assert sms_provider.read_credentials(ssm, "/smartdecl/sms-credentials") == ("LTAI5tExampleKey", "s" * 30)
    with pytest.raises(sms_provider.SmsCredentialsInvalid):
        sms_provider.read_credentials(ssm, "/smartdecl/sms-bad")
    with pytest.raises(sms_provider.SmsCredentialsInvalid):
        sms_provider.read_credentials(ssm, "/smartdecl/missing")


def test_the_short_link_of_an_sms_is_the_declarations_code():
    assert messages.seq_no_of(messages.short_code(SEQ_NO)) == SEQ_NO


# ---- GET /s/{code} ------------------------------------------------------------------------------------


def test_an_sms_short_link_redirects_to_the_declaration_in_the_console(api, container):
    container.settings.console_url = "https://smartdecl.example.cn"

    response = api.get(f"/s/{messages.short_code(SEQ_NO)}", token="")

    assert response.status_code == 302
    assert response.headers["Location"] == f"https://smartdecl.example.cn/console/#/declarations/{SEQ_NO}"


@pytest.mark.parametrize("code", ["zzzzzzzzzz", "nope"])
def test_a_short_link_that_is_not_ours_is_not_found(api, container, code):
    container.settings.console_url = "https://smartdecl.example.cn"

    assert api.get(f"/s/{code}", token="").status_code == 404

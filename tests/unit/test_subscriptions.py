"""Subscriptions: e-mail and SMS forms, webhook URLs refused when they could reach our network, and
filter policies that always name the enterprise. DNS is an injected resolver: no socket is opened."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.events import Event
from chalicelib.domain.subscription_content import parse_subscription
from chalicelib.domain.subscriptions import (
    LoopbackPorts,
    Subscription,
    WebhookTargetRefused,
    check_delivery_target,
    filter_policy,
)
from tests.factories import ENT_A, ENT_B, shared_example

NOW = datetime(2024, 3, 21, 2, 0, tzinfo=UTC)
PUBLIC = "93.184.216.34"


def resolver(table: dict[str, list[str]] | None = None):
    """DNS as a dict; unknown names resolve to a public address."""
    table = table or {}

    def resolve(host: str) -> list[str]:
        if host in table and not table[host]:
            raise OSError("Name or service not known")
        return table.get(host, [PUBLIC])

    return resolve


def webhook(url: str, dns: dict[str, list[str]] | None = None, local_mode: bool = False):
    return parse_subscription({"protocol": "webhook", "endpoint": url}, resolver=resolver(dns), local_mode=local_mode)


def refused_code(url: str, dns: dict[str, list[str]] | None = None, local_mode: bool = False) -> str:
    with pytest.raises(WebhookTargetRefused) as info:
        check_delivery_target(url, resolver(dns), local_mode)
    return info.value.code


# ---- the contract ----------------------------------------------------------------------------------


def test_the_shared_example_is_a_valid_subscription():
    content, errors = parse_subscription(shared_example("subscription.json"), resolver=resolver())

    assert errors == []
    assert content.protocol == "webhook" and content.event_types == ["smart_status_changed", "customs_receipt"]


def test_unknown_fields_protocols_and_event_types_are_refused_in_both_languages():
    content, errors = parse_subscription(
        {"protocol": "fax", "endpoint": "x", "event_types": ["declared"], "secret": "mine"}, resolver=resolver()
    )

    assert content is None
    assert {e.field for e in errors} == {"protocol", "event_types[0]", "secret"}
    assert all(e.message_zh and e.message_en for e in errors)
    assert any("推送方式" in e.message_zh for e in errors)


def test_event_types_may_be_empty_meaning_all_and_repeats_are_dropped():
    everything, _ = parse_subscription({"protocol": "email", "endpoint": "ops@example.com"})
    narrowed, _ = parse_subscription(
        {"protocol": "email", "endpoint": "ops@example.com", "event_types": ["customs_receipt", "customs_receipt"]}
    )

    assert everything.event_types == [] and narrowed.event_types == ["customs_receipt"]


# ---- e-mail and SMS -----------------------------------------------------------------------------


def test_an_email_address_is_kept_with_its_domain_in_lower_case():
    content, errors = parse_subscription({"protocol": "email", "endpoint": " Customs.Ops@Example.COM "})

    assert errors == [] and content.endpoint == "Customs.Ops@example.com"


@pytest.mark.parametrize(
    "address",
    [
        "ops",
        "ops@",
        "@example.com",
        "ops@example",
        "ops@@example.com",
        "o ps@example.com",
        "ops@example.com\nBcc:x@y.com",
        ".ops@example.com",
        "ops@-example.com",
    ],
)
def test_a_malformed_email_address_is_refused(address):
    content, errors = parse_subscription({"protocol": "email", "endpoint": address})

    assert content is None and errors[0].field == "endpoint" and "电子邮件" in errors[0].message_zh


@pytest.mark.parametrize(
    "number",
    ["13800138000", "+8613800138000", "+86 138 0013 8000", "8613800138000", "0086-138-0013-8000", "199 1234 5678"],
)
def test_a_mainland_mobile_number_is_stored_in_e164(number):
    content, errors = parse_subscription({"protocol": "sms", "endpoint": number})

    assert errors == [] and content.endpoint == "+86" + "".join(ch for ch in number if ch.isdigit())[-11:]


@pytest.mark.parametrize(
    "number",
    [
        "1380013800",
        "138001380001",
        "23800138000",
        "12800138000",
        "+85291234567",
        "+1 415 555 0100",
        "010-12345678",
        "+86 138 0013 800a",
    ],
)
def test_anything_but_a_mainland_mobile_number_is_refused_for_sms(number):
    content, errors = parse_subscription({"protocol": "sms", "endpoint": number})

    assert content is None and errors[0].field == "endpoint" and "手机号码" in errors[0].message_zh


# ---- webhooks: the URL --------------------------------------------------------------------------


def test_an_https_webhook_to_a_public_host_is_accepted_with_any_port():
    content, errors = webhook("https://erp.example.com:8443/customs/events?tenant=1")

    assert errors == [] and content.endpoint == "https://erp.example.com:8443/customs/events?tenant=1"


@pytest.mark.parametrize(
    "url,code",
    [
        ("http://erp.example.com/hook", "scheme"),
        ("ftp://erp.example.com/hook", "scheme"),
        ("erp.example.com/hook", "scheme"),
        ("https://user:pass@erp.example.com/hook", "credentials"),
        ("https://token@erp.example.com/hook", "credentials"),
        ("https://erp.example.com\\@169.254.169.254/", "credentials"),
        ("https://erp.example.com/hook#frag", "fragment"),
        ("https://erp.example.com:0/hook", "port"),
        ("https://erp.example.com:99999/hook", "port"),
        ("https:///hook", "host"),
        ("https://erp_example.com/hook", "host"),
        ("https://erp.example.com /hook", "url"),
        ("https://" + "a" * 2100 + ".com/", "url"),
    ],
)
def test_a_webhook_url_of_the_wrong_form_is_refused(url, code):
    assert refused_code(url) == code


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "0177.0.0.1", "0x7f.0.0.1"])
def test_numeric_hosts_that_are_ipv4_in_disguise_are_refused_without_asking_dns(host):
    # the resolver says "public" for everything: the refusal must not depend on it
    assert refused_code(f"https://{host}/hook") == "host"


def test_a_webhook_host_that_does_not_resolve_is_refused():
    assert refused_code("https://nowhere.example.com/", {"nowhere.example.com": []}) == "unresolvable"


# ---- webhooks: where the host points --------------------------------------------------------------


@pytest.mark.parametrize(
    "address,code",
    [
        ("10.0.0.5", "private"),
        ("172.16.3.4", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.10", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("fec0::1", "private"),
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("169.254.10.1", "link_local"),
        ("fe80::1", "link_local"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("100.64.0.1", "cgnat"),
        ("100.127.255.254", "cgnat"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.10", "private"),
        ("2001:db8::1", "private"),
        ("::ffff:10.0.0.5", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "metadata"),
        ("64:ff9b::a9fe:a9fe", "metadata"),
        ("2002:a00:1::", "private"),
    ],
)
def test_a_webhook_host_resolving_to_a_non_public_address_is_refused(address, code):
    content, errors = webhook("https://hooks.example.com/in", {"hooks.example.com": [address]})

    assert content is None and errors[0].field == "endpoint"
    assert address in errors[0].message_en and address in errors[0].message_zh
    assert refused_code("https://hooks.example.com/in", {"hooks.example.com": [address]}) == code


@pytest.mark.parametrize(
    "literal,code",
    [
        ("https://127.0.0.1/", "loopback"),
        ("https://[::1]/", "loopback"),
        ("https://169.254.169.254/latest/meta-data/", "metadata"),
        ("https://[::ffff:a9fe:a9fe]/", "metadata"),
        ("https://10.1.1.1/", "private"),
    ],
)
def test_a_webhook_to_a_non_public_ip_literal_is_refused(literal, code):
    assert refused_code(literal) == code


def test_one_private_address_among_public_ones_is_enough_to_refuse():
    assert refused_code("https://hooks.example.com/", {"hooks.example.com": [PUBLIC, "10.0.0.7"]}) == "private"


def test_the_metadata_refusal_reads_well_in_chinese():
    _, errors = webhook("https://hooks.example.com/", {"hooks.example.com": ["169.254.169.254"]})

    assert (
        errors[0].message_zh
        == "Webhook地址的主机“hooks.example.com”解析到169.254.169.254，属于云服务器元数据地址，不允许推送"
    )


def test_a_public_ipv6_address_is_accepted():
    target = check_delivery_target("https://hooks.example.com/in", resolver({"hooks.example.com": ["2606:4700::1111"]}))

    assert target.pinned_url() == "https://[2606:4700::1111]:443/in" and target.host_header == "hooks.example.com"


# ---- webhooks: local mode -------------------------------------------------------------------------


def test_plain_http_to_loopback_is_allowed_only_in_local_mode():
    assert webhook("http://127.0.0.1:8080/hook", local_mode=True)[1] == []
    assert webhook("http://localhost:8080/hook", {"localhost": ["127.0.0.1", "::1"]}, local_mode=True)[1] == []
    assert refused_code("http://127.0.0.1:8080/hook") == "scheme"
    assert refused_code("https://127.0.0.1:8080/hook") == "loopback"


def test_local_mode_still_refuses_http_to_public_hosts_and_private_addresses():
    assert refused_code("http://erp.example.com/hook", local_mode=True) == "scheme"
    assert refused_code("https://hooks.local/", {"hooks.local": ["192.168.0.2"]}, local_mode=True) == "private"
    assert refused_code("http://169.254.169.254/", local_mode=True) == "metadata"


STACK = LoopbackPorts(stack=frozenset({8000, 5000, 9001}))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5000/moto-api/reset",  # local AWS: the probe's reset of every table
        "http://127.0.0.1:9001/control/reset",  # the customs simulator's control route
        "http://localhost:8000/health",  # the API itself
        "http://[::1]:8000/declarations",
    ],
)
def test_a_webhook_to_a_port_of_the_local_stack_itself_is_refused(url):
    dns = {"localhost": ["127.0.0.1"]}
    with pytest.raises(WebhookTargetRefused) as refused:
        check_delivery_target(url, resolver(dns), local_mode=True, loopback=STACK)
    assert refused.value.code == "stack_port" and "本地服务自身" in refused.value.message_zh
    _, problems = parse_subscription(
        {"protocol": "webhook", "endpoint": url}, resolver=resolver(dns), local_mode=True, loopback=STACK
    )
    assert problems and "本地服务自身" in problems[0].message_zh


def test_a_webhook_to_a_free_loopback_port_is_allowed_and_an_allow_list_narrows_it():
    assert check_delivery_target("http://127.0.0.1:9100/hook", local_mode=True, loopback=STACK).port == 9100
    only = LoopbackPorts(stack=frozenset({8000}), allowed=frozenset({9100}))
    assert check_delivery_target("http://127.0.0.1:9100/hook", local_mode=True, loopback=only).port == 9100
    with pytest.raises(WebhookTargetRefused) as refused:
        check_delivery_target("http://127.0.0.1:9200/hook", local_mode=True, loopback=only)
    assert refused.value.code == "stack_port" and "9100" in refused.value.message_en


def test_an_implicit_port_is_judged_as_the_scheme_gives_it():
    with pytest.raises(WebhookTargetRefused):
        check_delivery_target("http://127.0.0.1/hook", local_mode=True, loopback=LoopbackPorts(frozenset({80})))


def test_a_checked_target_keeps_its_addresses_for_the_delivery_to_pin():
    target = check_delivery_target(
        "http://hooks.local:9000/a?b=1", resolver({"hooks.local": ["127.0.0.1"]}), local_mode=True
    )

    assert target.addresses == ("127.0.0.1",)
    assert target.pinned_url() == "http://127.0.0.1:9000/a?b=1" and target.host_header == "hooks.local:9000"


# ---- the stored subscription and its filter policy ---------------------------------------------------


def content(protocol="email", endpoint="ops@example.com", event_types=()):
    parsed, errors = parse_subscription(
        {"protocol": protocol, "endpoint": endpoint, "event_types": list(event_types)}, resolver=resolver()
    )
    assert errors == []
    return parsed


def test_only_a_webhook_subscription_gets_a_signing_secret():
    hook = Subscription.new(ENT_A["code"], content("webhook", "https://erp.example.com/in"), "8911020000108", NOW)
    mail = Subscription.new(ENT_A["code"], content(), "8911020000108", NOW)

    assert len(hook.secret) == 64 and mail.secret is None
    assert hook.subscription_id != mail.subscription_id


def test_the_secret_is_shown_only_when_asked_for():
    hook = Subscription.new(ENT_A["code"], content("webhook", "https://erp.example.com/in"), "8911020000108", NOW)

    assert "secret" not in hook.as_json()
    assert hook.as_json(include_secret=True)["secret"] == hook.secret
    assert hook.as_json()["created_at"] == "2024-03-21T02:00:00.000Z" and hook.as_json()["protocol"] == "webhook"


def test_the_filter_policy_always_names_the_enterprise():
    everything = Subscription.new(ENT_A["code"], content(), "c", NOW)
    narrowed = Subscription.new(ENT_B["code"], content("sms", "13800138000", ["customs_receipt"]), "c", NOW)

    assert filter_policy(everything) == {"ent_code": [ENT_A["code"]]}
    assert filter_policy(narrowed) == {"ent_code": [ENT_B["code"]], "event_type": ["customs_receipt"]}


def test_a_subscription_wants_only_its_enterprise_events_of_its_types():
    sub = Subscription.new(ENT_A["code"], content(event_types=["customs_receipt"]), "c", NOW)

    def event(event_type, ents):
        return Event.make(event_type, seq_no="I20240001031824871", ie_flag="I", ent_codes=ents, occurred_at=NOW)

    assert sub.wants(event("customs_receipt", [ENT_B["code"], ENT_A["code"]]))
    assert not sub.wants(event("customs_receipt", [ENT_B["code"]]))
    assert not sub.wants(event("smart_status_changed", [ENT_A["code"]]))


def test_a_subscription_without_an_enterprise_cannot_exist():
    with pytest.raises(ValueError):
        Subscription.new("", content(), "c", NOW)


# ---- subscriber choices (issue #14) -------------------------------------------------------------------


def test_a_subscriber_may_choose_states_configs_a_digest_and_quiet_hours():
    mail, errors = parse_subscription(
        {
            "protocol": "email",
            "endpoint": "ops@example.com",
            "digest": "daily",
            "states": ["failed", "released", "failed"],
            "config_ids": ["cfg1"],
        }
    )
    text, more = parse_subscription(
        {"protocol": "sms", "endpoint": "13800138000", "quiet_hours": {"start": "22:00", "end": "08:00"}}
    )

    assert errors == more == []
    assert mail.states == ["failed", "released"] and mail.digest == "daily" and mail.config_ids == ["cfg1"]
    assert text.quiet_hours.start == "22:00" and text.as_json()["quiet_hours"] == {"start": "22:00", "end": "08:00"}


@pytest.mark.parametrize(
    "body,field,zh",
    [
        ({"protocol": "sms", "endpoint": "13800138000", "digest": "daily"}, "(record)", "汇总仅适用于电子邮件订阅"),
        (
            {"protocol": "email", "endpoint": "a@b.cn", "quiet_hours": {"start": "22:00", "end": "08:00"}},
            "(record)",
            "免打扰时段仅适用于短信订阅",
        ),
        (
            {"protocol": "sms", "endpoint": "13800138000", "quiet_hours": {"start": "25:00", "end": "08:00"}},
            "quiet_hours.start",
            "HH:MM",
        ),
        ({"protocol": "email", "endpoint": "a@b.cn", "states": ["declared"]}, "states[0]", "取值须为"),
        ({"protocol": "email", "endpoint": "a@b.cn", "config_ids": ["../x"]}, "config_ids", "智能申报配置"),
        ({"protocol": "email", "endpoint": "a@b.cn", "digest": "weekly"}, "digest", "取值须为"),
        (
            {"protocol": "email", "endpoint": "a@b.cn", "config_ids": [f"c{i}" for i in range(6)]},
            "config_ids",
            "项数过多",
        ),
    ],
)
def test_choices_that_cannot_be_honoured_are_refused_in_both_languages(body, field, zh):
    content, errors = parse_subscription(body)

    assert content is None
    [error] = errors
    assert error.field == field and zh in error.message_zh and error.message_en.isascii()


def test_the_filter_policy_carries_the_chosen_states_and_configs():
    chosen, _ = parse_subscription(
        {"protocol": "email", "endpoint": "ops@example.com", "states": ["failed", "released"], "config_ids": ["cfg1"]}
    )

    policy = filter_policy(Subscription.new(ENT_A["code"], chosen, "c", NOW))

    assert policy == {"ent_code": [ENT_A["code"]], "state": ["failed", "released"], "config_id": ["cfg1"]}


def test_a_digest_subscription_filters_on_its_own_id_on_the_digest_topic():
    from chalicelib.domain.subscriptions import digest_filter_policy

    chosen, _ = parse_subscription({"protocol": "email", "endpoint": "ops@example.com", "digest": "hourly"})
    sub = Subscription.new(ENT_A["code"], chosen, "c", NOW)

    assert digest_filter_policy(sub) == {"subscription_id": [sub.subscription_id]}


def test_a_subscription_wants_only_the_states_and_configs_it_chose():
    chosen, _ = parse_subscription(
        {"protocol": "sms", "endpoint": "13800138000", "states": ["released"], "config_ids": ["cfg1"]}
    )
    sub = Subscription.new(ENT_A["code"], chosen, "c", NOW)

    def receipt(channel, config_id="cfg1"):
        return Event.make(
            "customs_receipt",
            seq_no="I20240001031824871",
            ie_flag="I",
            ent_codes=[ENT_A["code"]],
            occurred_at=NOW,
            data={"channel": channel, "config_id": config_id},
        )

    assert sub.wants(receipt("P"))
    assert not sub.wants(receipt("L")) and not sub.wants(receipt("P", "cfg2"))


def test_a_stored_subscription_answers_exactly_what_was_subscribed():
    # the push functions rebuild subscriptions from the stored JSON without pydantic: nothing may drift
    body = {
        "protocol": "sms",
        "endpoint": "13800138000",
        "states": ["failed", "released"],
        "config_ids": ["cfg-1"],
        "quiet_hours": {"start": "22:00", "end": "08:00"},
    }
    parsed, errors = parse_subscription(body)
    assert errors == [] and parsed is not None
    sub = Subscription.new(ENT_A["code"], parsed, "c", NOW)

    stored = Subscription.stored(sub.subscription_id, sub.ent_code, sub.content_json(), None, NOW, "c")

    assert stored == sub
    assert stored.content_json() == parsed.as_json()
    assert stored.quiet_hours is not None and f"{stored.quiet_hours.start:%H:%M}" == "22:00"

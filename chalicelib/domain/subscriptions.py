"""Subscriptions (推送订阅): an enterprise asks for its events by e-mail, SMS or HTTPS webhook.

A webhook URL is a request we make on the enterprise's behalf from inside our network, so it is
checked twice against server-side request forgery: when it is subscribed, and again right before
each delivery (`check_delivery_target`), because DNS may answer differently later (rebinding).
The delivery then connects to the very address that was checked (adapters/webhook_sender.py).
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from .declaration import SchemaHint, _iso, field_path
from .errors import FieldError
from .events import Event, EventType
from .messages import STATES, state_of
from .sms import QuietHours

Resolver = Callable[[str], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2048
_CGNAT = ipaddress.ip_network("100.64.0.0/10")  # also holds Alibaba Cloud's metadata 100.100.100.200
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Instance metadata services: AWS (v4 and the Nitro v6 one), Alibaba Cloud, Tencent Cloud.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "169.254.0.23")
)
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)
_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9][0-9]{9})")  # mainland mobiles: 13x–19x, 11 digits


def system_resolver(host: str) -> list[str]:
    """Every address the system resolver gives for `host`, in its order."""
    return list(dict.fromkeys(str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)))


class WebhookTargetRefused(ValueError):
    """A webhook URL we will not call, with the reason in both languages."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code, self.message_zh, self.message_en = code, message_zh, message_en

    def field_error(self, field: str = "endpoint") -> FieldError:
        return FieldError(field, self.message_zh, self.message_en)


@dataclass(frozen=True)
class DeliveryTarget:
    """A checked webhook URL and the addresses it resolved to (connect to these, not to a new answer)."""

    url: str
    scheme: str
    host: str  # lower-case, IPv6 without brackets
    port: int
    path: str  # path and query, never empty
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    def pinned_url(self) -> str:
        """The URL with the host replaced by the first checked address."""
        address = self.addresses[0]
        literal = f"[{address}]" if ":" in address else address
        return f"{self.scheme}://{literal}:{self.port}{self.path}"


def _refuse(code: str, zh: str, en: str) -> WebhookTargetRefused:
    return WebhookTargetRefused(code, f"Webhook地址{zh}", f"the webhook URL {en}")


_BLOCKED_WORDS = {
    "metadata": ("云服务器元数据地址", "a cloud instance-metadata address"),
    "unspecified": ("未指定地址", "an unspecified address"),
    "loopback": ("本机回环地址", "a loopback address"),
    "link_local": ("链路本地地址", "a link-local address"),
    "multicast": ("组播地址", "a multicast address"),
    "cgnat": ("运营商级NAT共享地址(100.64.0.0/10)", "a carrier-grade NAT shared address (100.64.0.0/10)"),
    "private": ("内网地址", "a private network address"),
    "reserved": ("保留地址", "a reserved address"),
    "not_global": ("非公网地址", "an address that is not publicly routable"),
}


def blocked_reason(ip: IPAddress) -> str | None:
    """Why a webhook may not go to this address, or None for a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv4 carried inside IPv6 (mapped, NAT64, 6to4) is judged as that IPv4 address.
        embedded = (
            ip.ipv4_mapped or ip.sixtofour or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        )
        if embedded is not None:
            return blocked_reason(embedded)
    checks = (
        ("metadata", ip in METADATA_ADDRESSES),
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link_local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("cgnat", isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)),
        ("not_global", not ip.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def check_delivery_target(url: str, resolver: Resolver | None = None, local_mode: bool = False) -> DeliveryTarget:
    """Check a webhook URL and resolve it; raise WebhookTargetRefused if we must not call it.

    https only (plain http only to loopback, in local mode); no credentials, no fragment; every
    address the host resolves to must be public unicast (loopback allowed in local mode only).
    """
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise _refuse(
            "url", f"须为不超过{MAX_URL_LENGTH}个字符的URL", f"must be a URL of at most {MAX_URL_LENGTH} characters"
        )
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise _refuse("url", "不能包含空白或控制字符", "must not contain blanks or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse("port", "格式不正确(端口号或主机名无效)", "is malformed (bad port or host)") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or (scheme == "http" and not local_mode):
        raise _refuse("scheme", "须以 https:// 开头", "must start with https://")
    if "@" in parts.netloc:
        raise _refuse("credentials", "不能包含用户名或密码", "must not contain a user name or password")
    if "#" in url:
        raise _refuse("fragment", "不能包含 # 片段", "must not contain a #fragment")
    if port == 0:
        raise _refuse("port", "端口号不正确", "has an invalid port")
    host = (parts.hostname or "").rstrip(".")
    addresses = _resolve(_checked_host(host), resolver or system_resolver)
    loopback_only = _check_addresses(host, addresses, local_mode)
    if scheme == "http" and not loopback_only:
        raise _refuse(
            "scheme",
            "须以 https:// 开头(http 仅限本地模式下的本机地址)",
            "must start with https:// (http only to loopback in local mode)",
        )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return DeliveryTarget(
        url=url,
        scheme=scheme,
        host=host,
        port=port or (443 if scheme == "https" else 80),
        path=path,
        addresses=tuple(addresses),
    )


def _check_addresses(host: str, addresses: list[str], local_mode: bool) -> bool:
    """Refuse any address that is not public unicast (loopback passes in local mode); True when all are loopback."""
    loopback_only = True
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            raise _refuse(
                "unresolvable", f"的主机名“{host}”解析结果无效", f"host '{host}' resolved to an invalid address"
            ) from None
        reason = blocked_reason(ip)
        if reason == "loopback" and local_mode:
            continue
        loopback_only = False
        if reason is not None:
            zh, en = _BLOCKED_WORDS[reason]
            raise _refuse(
                reason,
                f"的主机“{host}”解析到{address}，属于{zh}，不允许推送",
                f"host '{host}' resolves to {address}, {en}; refused",
            )
    return loopback_only


def _checked_host(host: str) -> str:
    if not host or "%" in host:
        raise _refuse("host", "缺少主机名或主机名不正确", "has no valid host")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise _refuse("host", f"的主机名“{host}”不正确", f"host '{host}' is not a valid name") from None
    labels = ascii_host.split(".")
    # A real top-level domain is never numeric: "2130706433", "127.1", "0x7f.1" are IPv4 in disguise.
    if not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit() or labels[-1].startswith("0x"):
        raise _refuse("host", f"的主机名“{host}”不正确", f"host '{host}' is not a valid name")
    return ascii_host


def _resolve(host: str, resolver: Resolver) -> list[str]:
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    try:
        addresses = list(dict.fromkeys(resolver(host)))
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
        raise _refuse("unresolvable", f"的主机名“{host}”无法解析", f"host '{host}' cannot be resolved") from exc
    if not addresses:
        raise _refuse("unresolvable", f"的主机名“{host}”无法解析", f"host '{host}' cannot be resolved")
    return addresses


# ---- the contract of POST /subscriptions ------------------------------------------------------------


def _email(value: str) -> str:
    match = _EMAIL.fullmatch(value)
    if not match or len(value) > 254 or len(match["local"]) > 64:
        raise PydanticCustomError("email_form", "must be an e-mail address")
    return f"{match['local']}@{match['domain'].lower()}"


def _mobile(value: str) -> str:
    match = _MOBILE.fullmatch(re.sub(r"[\s()-]", "", value))
    if not match:
        raise PydanticCustomError("mobile_form", "must be a mainland China mobile number")
    return f"+86{match[1]}"  # E.164, as SNS wants it


_CONFIG_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")  # [0-9]: \d takes any script's digits
State = Literal[STATES]  # type: ignore[valid-type]  # messages.STATES: the words subscribers filter on


# What the validators below check, told to the JSON schema (the OpenAPI document): per protocol,
# the endpoint's form (a subset of what they take; a webhook's host must also resolve to a public
# address, which no schema can say) and the options that protocol has.
_PER_PROTOCOL_SCHEMA: list[JsonValue] = [
    {
        "if": {"properties": {"protocol": {"const": "email"}}},
        "then": {
            "properties": {
                "endpoint": {
                    "pattern": r"^[A-Za-z0-9_+-]{1,32}@[A-Za-z0-9]{1,20}(\.[A-Za-z0-9]{1,20}){0,3}"
                    r"\.[A-Za-z]{2,10}$"
                }
            }
        },
        "else": {"properties": {"digest": {"type": "null"}}},
    },
    {
        "if": {"properties": {"protocol": {"const": "sms"}}},
        "then": {"properties": {"endpoint": {"pattern": r"^(\+86)?1[3-9][0-9]{9}$"}}},
        "else": {"properties": {"quiet_hours": {"type": "null"}}},
    },
    {
        "if": {"properties": {"protocol": {"const": "webhook"}}},
        # https; plain http only to the loopback address, in the local stack (check_delivery_target)
        "then": {"properties": {"endpoint": {"pattern": r"^(https://|http://127\.0\.0\.1[:/])", "format": "uri"}}},
    },
]


_HHMM_HINT = SchemaHint({"pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"})


class QuietHoursContent(BaseModel):
    """SMS held between `start` and `end` (China time, "HH:MM"; may span midnight), sent after."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    start: Annotated[str, _HHMM_HINT]
    end: Annotated[str, _HHMM_HINT]

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.fullmatch(value):
            raise PydanticCustomError("time_form", "must be a time of day as HH:MM")
        return value

    def rule(self) -> QuietHours:
        return QuietHours(time.fromisoformat(self.start), time.fromisoformat(self.end))


class SubscriptionContent(BaseModel):
    """What an enterprise asks for. Validate with `parse_subscription` (it passes the resolver).

    Choices (all optional, additive to the contract): `event_types`, `states` (messages.STATES, e.g.
    only "failed" and "released"), `config_ids`; e-mail `digest` ("hourly" | "daily", China time)
    instead of one mail per event; SMS `quiet_hours`. Empty lists mean "all".
    """

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, frozen=True, json_schema_extra={"allOf": _PER_PROTOCOL_SCHEMA}
    )

    protocol: Literal["email", "sms", "webhook"]
    endpoint: str = Field(min_length=1, max_length=MAX_URL_LENGTH)
    event_types: list[EventType] = Field(default_factory=list, max_length=10)  # empty: all
    # at most 10 states × 5 configs × 3 event types = 150 filter combinations, SNS's limit per policy
    states: list[State] = Field(default_factory=list, max_length=10)
    config_ids: list[Annotated[str, SchemaHint({"pattern": f"^{_CONFIG_ID.pattern}$"})]] = Field(
        default_factory=list, max_length=5
    )
    digest: Literal["hourly", "daily"] | None = None
    quiet_hours: QuietHoursContent | None = None

    @field_validator("event_types", "states")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @field_validator("config_ids")
    @classmethod
    def _config_ids(cls, value: list[str]) -> list[str]:
        if not all(_CONFIG_ID.fullmatch(v) for v in value):
            raise PydanticCustomError("config_id_form", "must be config ids")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _per_protocol(self) -> SubscriptionContent:
        if self.digest and self.protocol != "email":
            raise PydanticCustomError("digest_email_only", "only e-mail subscriptions can be digests")
        if self.quiet_hours and self.protocol != "sms":
            raise PydanticCustomError("quiet_hours_sms_only", "only SMS subscriptions have quiet hours")
        return self

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str, info: ValidationInfo) -> str:
        protocol = info.data.get("protocol")
        if protocol == "email":
            return _email(value)
        if protocol == "sms":
            return _mobile(value)
        if protocol == "webhook":
            context = info.context or {}
            try:
                check_delivery_target(value, context.get("resolver"), bool(context.get("local_mode", False)))
            except WebhookTargetRefused as exc:
                raise PydanticCustomError(
                    "webhook_target", "{en}", {"zh": exc.message_zh, "en": exc.message_en}
                ) from exc
        return value

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


_LABELS = {
    "protocol": "推送方式",
    "endpoint": "推送地址",
    "event_types": "事件类型",
    "states": "状态",
    "config_ids": "智能申报配置",
    "digest": "汇总方式",
    "quiet_hours": "免打扰时段",
}


def _reason(err: ErrorDetails) -> tuple[str, str]:
    t, ctx = err["type"], err.get("ctx") or {}
    if t == "webhook_target":
        return ctx["zh"], ctx["en"]
    fixed = {
        "missing": ("必填", "is required"),
        "extra_forbidden": ("不是可接受的字段", "is not a known field"),
        "email_form": ("须为有效的电子邮件地址", "must be an e-mail address"),
        "mobile_form": (
            "须为中国大陆11位手机号码(可带+86)",
            "must be a mainland China mobile number (11 digits, +86 optional)",
        ),
        "string_too_short": ("不能为空", "must not be empty"),
        "string_too_long": ("过长", "is too long"),
        "too_long": ("项数过多", "has too many items"),
        "list_type": ("须为数组", "must be a list"),
        "string_type": ("须为字符串", "must be a string"),
        "time_form": ("须为HH:MM格式的时间(北京时间)", "must be a time of day as HH:MM (China time)"),
        "config_id_form": ("须为智能申报配置的编号", "must be config ids"),
        "digest_email_only": ("汇总仅适用于电子邮件订阅", "only e-mail subscriptions can be digests"),
        "quiet_hours_sms_only": ("免打扰时段仅适用于短信订阅", "only SMS subscriptions have quiet hours"),
        "model_type": ("须为JSON对象", "must be a JSON object"),
    }
    if t in fixed:
        return fixed[t]
    if t == "literal_error":
        return f"取值须为 {ctx.get('expected')}", f"must be one of {ctx.get('expected')}"
    return err.get("msg", t), err.get("msg", t)


def parse_subscription(
    raw: Any, *, resolver: Resolver | None = None, local_mode: bool = False
) -> tuple[SubscriptionContent | None, list[FieldError]]:
    """Validate a POST /subscriptions body: the content, or every reason it was refused."""
    if not isinstance(raw, dict):
        return None, [FieldError("(record)", "请求内容须为JSON对象", "the body must be a JSON object")]
    try:
        return SubscriptionContent.model_validate(raw, context={"resolver": resolver, "local_mode": local_mode}), []
    except ValidationError as exc:
        out = []
        for err in exc.errors(include_url=False):
            path = field_path(err["loc"]) or "(record)"
            zh, en = _reason(err)
            if err["type"] == "webhook_target":
                out.append(FieldError(path, zh, en))
            else:
                top = str(err["loc"][0]) if err["loc"] else ""
                out.append(FieldError(path, f"{_LABELS.get(top, top)}({path}){zh}", f"{path} {en}"))
        return None, out


# ---- the stored subscription ------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    """A subscription of one enterprise. `secret` signs webhook deliveries (webhooks only)."""

    subscription_id: str
    ent_code: str
    content: SubscriptionContent
    secret: str | None
    created_at: datetime
    created_by: str  # the card that subscribed
    sns_subscription_arn: str | None = None  # e-mail and SMS: the SNS subscription, to unsubscribe

    def __post_init__(self) -> None:
        if not self.ent_code:
            raise ValueError("a subscription belongs to an enterprise")  # the filter policy depends on it

    @classmethod
    def new(cls, ent_code: str, content: SubscriptionContent, created_by: str, now: datetime) -> Subscription:
        secret = secrets.token_hex(32) if content.protocol == "webhook" else None
        return cls(uuid.uuid4().hex, ent_code, content, secret, now, created_by)

    @property
    def protocol(self) -> str:
        return self.content.protocol

    def wants(self, event: Event) -> bool:
        """Whether this subscription receives the event (what the SNS filter policy does for e-mail)."""
        c = self.content
        return (
            self.ent_code in event.ent_codes
            and (not c.event_types or event.event_type in c.event_types)
            and (not c.states or state_of(event) in c.states)
            and (not c.config_ids or event.data.get("config_id") in c.config_ids)
        )

    @property
    def fanned_out_by_us(self) -> bool:
        """Webhooks and e-mail digests always; SMS when a mainland provider sends them (not SNS)."""
        return self.protocol == "webhook" or bool(self.content.digest)

    def as_json(self, include_secret: bool = False) -> dict[str, Any]:
        body = {
            "subscription_id": self.subscription_id,
            **self.content.as_json(),
            "ent_code": self.ent_code,
            "created_at": _iso(self.created_at),
            "created_by": self.created_by,
        }
        if include_secret and self.secret:
            body["secret"] = self.secret  # shown once, in the answer to the subscribe request
        return body


def filter_policy(subscription: Subscription) -> dict[str, list[str]]:
    """The SNS filter policy (scope: message attributes): always the enterprise, then the choices.

    Attributes: `filter_attributes` below (the publisher sends them with every event)."""
    c = subscription.content
    policy = {"ent_code": [subscription.ent_code]}
    if c.event_types:
        policy["event_type"] = list(c.event_types)
    if c.states:
        policy["state"] = list(c.states)
    if c.config_ids:
        policy["config_id"] = list(c.config_ids)
    return policy


def digest_filter_policy(subscription: Subscription) -> dict[str, list[str]]:
    """A digest e-mail subscription sits on the digest topic and receives only its own digests."""
    return {"subscription_id": [subscription.subscription_id]}


def filter_attributes(event: Event) -> dict[str, str]:
    """The subscription-choice attributes of an event (SNS message attributes; empty ones left out)."""
    values = {"state": state_of(event), "config_id": event.data.get("config_id")}
    return {k: str(v) for k, v in values.items() if v}

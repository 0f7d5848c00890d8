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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import FieldError
from .events import Event
from .messages import state_of
from .sms import QuietHours
from .timestamps import iso

if TYPE_CHECKING:  # the request's model is the API's (pydantic); the push functions read stored ones
    from .subscription_content import SubscriptionContent

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


@dataclass(frozen=True)
class LoopbackPorts:
    """Local mode: which loopback ports a webhook may call. Never one the stack itself listens on
    (its API, moto's server with its /moto-api/reset, the customs simulator with its /control
    routes): a webhook to them would let any subscriber reset or steer everyone's local stack on a
    shared development host. `allowed`, when set, is the only ports a webhook may use."""

    stack: frozenset[int] = frozenset()
    allowed: frozenset[int] | None = None

    def refusal(self, port: int) -> tuple[str, str] | None:
        if port in self.stack:
            return (
                f"端口{port}属于本地服务自身(API、本地AWS或海关模拟器)",
                f"port {port}, which the local stack listens on",
            )
        if self.allowed is not None and port not in self.allowed:
            shown = ",".join(str(p) for p in sorted(self.allowed))
            return (
                f"端口{port}不在允许的本地推送端口({shown})中",
                f"port {port}, not among the allowed local ports ({shown})",
            )
        return None


def _uri_characters_only(url: str) -> None:
    """RFC 3986's characters only (the document's `format: uri`): no character a URI cannot hold
    unencoded (U+009B was taken, and then answered outside the schema)."""
    if any(not (33 <= ord(ch) <= 126) or ch in '"<>\\^`{|}' for ch in url):
        raise _refuse(
            "url",
            "不能包含空白、控制字符或URL中须编码的字符(如中文须经百分号编码)",
            "must not contain blanks, control characters or characters a URL must percent-encode",
        )


def check_delivery_target(
    url: str, resolver: Resolver | None = None, local_mode: bool = False, loopback: LoopbackPorts | None = None
) -> DeliveryTarget:
    """Check a webhook URL and resolve it; raise WebhookTargetRefused if we must not call it.

    https only (plain http only to loopback, in local mode); no credentials, no fragment; every
    address the host resolves to must be public unicast (loopback allowed in local mode only, and
    never to a port of the stack itself: `loopback`).
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
    _uri_characters_only(url)
    if port == 0:
        raise _refuse("port", "端口号不正确", "has an invalid port")
    host = (parts.hostname or "").rstrip(".")
    addresses = _resolve(_checked_host(host), resolver or system_resolver)
    loopback_only = _check_addresses(host, addresses, local_mode)
    port = port or (443 if scheme == "https" else 80)
    if loopback_only and (refusal := (loopback or LoopbackPorts()).refusal(port)):
        raise _refuse("stack_port", f"的{refusal[0]}，不允许推送", f"targets {refusal[1]}; refused")
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
        port=port,
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


# ---- the stored subscription ------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    """A subscription of one enterprise: what it asked for (`SubscriptionContent`, validated when it
    subscribed) as stored. `secret` signs webhook deliveries (webhooks only). Empty choices mean all."""

    subscription_id: str
    ent_code: str
    protocol: str  # email | sms | webhook
    endpoint: str
    secret: str | None
    created_at: datetime
    created_by: str  # the card that subscribed
    event_types: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    config_ids: tuple[str, ...] = ()
    digest: str | None = None  # e-mail: hourly | daily
    quiet_hours: QuietHours | None = None  # SMS
    sns_subscription_arn: str | None = None  # e-mail and SMS: the SNS subscription, to unsubscribe

    def __post_init__(self) -> None:
        if not self.ent_code:
            raise ValueError("a subscription belongs to an enterprise")  # the filter policy depends on it

    @classmethod
    def new(cls, ent_code: str, content: SubscriptionContent, created_by: str, now: datetime) -> Subscription:
        secret = secrets.token_hex(32) if content.protocol == "webhook" else None
        return cls.stored(uuid.uuid4().hex, ent_code, content.as_json(), secret, now, created_by)

    @classmethod
    def stored(
        cls,
        subscription_id: str,
        ent_code: str,
        content: dict[str, Any],
        secret: str | None,
        created_at: datetime,
        created_by: str,
        sns_subscription_arn: str | None = None,
    ) -> Subscription:
        """From the content's JSON (`SubscriptionContent.as_json()`), as subscribed and stored."""
        quiet = content.get("quiet_hours")
        rule = QuietHours(time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"])) if quiet else None
        return cls(
            subscription_id,
            ent_code,
            content["protocol"],
            content["endpoint"],
            secret,
            created_at,
            created_by,
            event_types=tuple(content.get("event_types") or ()),
            states=tuple(content.get("states") or ()),
            config_ids=tuple(content.get("config_ids") or ()),
            digest=content.get("digest"),
            quiet_hours=rule,
            sns_subscription_arn=sns_subscription_arn,
        )

    def content_json(self) -> dict[str, Any]:
        """What the enterprise asked for, as the contract spells it (`SubscriptionContent`)."""
        quiet = self.quiet_hours
        return {
            "protocol": self.protocol,
            "endpoint": self.endpoint,
            "event_types": list(self.event_types),
            "states": list(self.states),
            "config_ids": list(self.config_ids),
            "digest": self.digest,
            "quiet_hours": {"start": f"{quiet.start:%H:%M}", "end": f"{quiet.end:%H:%M}"} if quiet else None,
        }

    def wants(self, event: Event) -> bool:
        """Whether this subscription receives the event (what the SNS filter policy does for e-mail)."""
        return (
            self.ent_code in event.ent_codes
            and (not self.event_types or event.event_type in self.event_types)
            and (not self.states or state_of(event) in self.states)
            and (not self.config_ids or event.data.get("config_id") in self.config_ids)
        )

    @property
    def fanned_out_by_us(self) -> bool:
        """Webhooks and e-mail digests always; SMS when a mainland provider sends them (not SNS)."""
        return self.protocol == "webhook" or bool(self.digest)

    def as_json(self, include_secret: bool = False) -> dict[str, Any]:
        body = {
            "subscription_id": self.subscription_id,
            **self.content_json(),
            "ent_code": self.ent_code,
            "created_at": iso(self.created_at),
            "created_by": self.created_by,
        }
        if include_secret and self.secret:
            body["secret"] = self.secret  # shown once, in the answer to the subscribe request
        return body


def filter_policy(subscription: Subscription) -> dict[str, list[str]]:
    """The SNS filter policy (scope: message attributes): always the enterprise, then the choices.

    Attributes: `filter_attributes` below (the publisher sends them with every event)."""
    c = subscription
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

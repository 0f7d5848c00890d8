"""Settings: one validated model built from the environment at cold start, then passed inward.

Plain dataclasses, not pydantic: every function reads them at cold start, and most functions load
no other pydantic model (pydantic's import and the models' build were a third of their cold start).
The few checks a value needs are written out in `Settings.__post_init__`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal, cast, get_args
from urllib.parse import urlsplit

from chalicelib.domain.limits import RateLimit

if TYPE_CHECKING:
    from chalicelib.domain.subscriptions import LoopbackPorts

DEV_JWT_SECRET = "smartdecl-local-development-secret-change-me"  # local only
DEV_RECEIPT_SECRET = "smartdecl-local-receipt-hmac-secret-change-me"  # local only
# HMAC-SHA256 keys shorter than the hash's 32 bytes weaken it (RFC 2104 §3; RFC 7518 §3.2 requires it for HS256).
MIN_SECRET_BYTES = 32
AuthMode = Literal["hs256", "jwks"]
SmsProvider = Literal["sns", "aliyun"]
# How a declaration reaches customs (docs/customs-channel.md): the Single Window client's exchange
# folders through an agent on the broker's PC, or a vendor's HTTP gateway (and the tests' simulator).
CustomsChannel = Literal["exchange", "http"]
DecMessageVersion = Literal["4.8", "3.1"]  # 3.1: old QP clients
JWT_SECRET_VAR = "SMARTDECL_JWT_SECRET"
RECEIPT_SECRET_VAR = "SMARTDECL_RECEIPT_SECRET"


class ConfigurationError(ValueError):
    """The environment cannot run the service: raised at cold start, never inside a request."""


def check_secret(name: str, value: str | None) -> None:
    """A secret, when given, has at least MIN_SECRET_BYTES bytes; the message names it, never shows it."""
    if value is not None and len(value.encode("utf-8")) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"{name} is too short: {len(value.encode('utf-8'))} bytes, at least "
            f"{MIN_SECRET_BYTES} are required (e.g. `openssl rand -hex 32`)"
        )


@dataclass
class Tables:
    declarations: str = "smartdecl-declarations"
    declaration_content: str = "smartdecl-declaration_content"  # parties, goods...: apart from the record
    configs: str = "smartdecl-configs"
    enterprises: str = "smartdecl-enterprises"
    counters: str = "smartdecl-counters"
    idempotency: str = "smartdecl-idempotency"
    executions: str = "smartdecl-executions"
    batches: str = "smartdecl-batches"
    declaration_log: str = "smartdecl-declaration_log"
    receipts: str = "smartdecl-receipts"
    subscriptions: str = "smartdecl-subscriptions"
    deliveries: str = "smartdecl-deliveries"
    rate_limits: str = "smartdecl-rate_limits"
    push: str = "smartdecl-push"  # SMS once per state, SMS rate windows, e-mail digests (issue #14)
    events: str = "smartdecl-events"  # the pull feed (GET /events)
    exchange_outbox: str = "smartdecl-exchange_outbox"  # sends waiting for, or taken by, an enterprise's agent
    agents: str = "smartdecl-agents"  # agent credentials and each enterprise's customs channel
    parts: str = "smartdecl-parts"  # the parts library (归类): each enterprise's part numbers


@dataclass
class Queues:
    batch_trigger: str = ""
    validation: str = ""
    submission: str = ""
    notifications: str = ""
    webhook: str = ""
    sms: str = ""


@dataclass
class Settings:
    region: str = "cn-north-1"
    tables: Tables = field(default_factory=Tables)
    auth_mode: AuthMode = "hs256"
    jwt_secret: str | None = None
    jwt_secret_parameter: str | None = None  # deployed hs256: an SSM SecureString name
    jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    max_json_body: int = 1_048_576
    max_import_body: int = 5_242_880  # below API Gateway's 10 MB and Lambda's 6 MB payload
    max_import_records: int = 500
    idempotency_ttl_seconds: int = 86_400
    queues: Queues = field(default_factory=Queues)
    batch_size: int = 100
    customs_channel: CustomsChannel = "http"  # the template's default is exchange; local and tests say which
    dec_message_version: DecMessageVersion = "4.8"
    customs_endpoint: str | None = None
    customs_timeout_seconds: float = 5.0
    customs_retries: int = 3
    customs_backoff_seconds: float = 0.5
    receipt_secret: str | None = None  # HMAC key of incoming customs receipts (local, tests)
    receipt_secret_parameter: str | None = None  # deployed: an SSM SecureString name
    events_topic_arn: str | None = None  # SNS topic every event is published to
    local_mode: bool = False  # webhooks may then target http://127.0.0.1
    # local mode: the stack's own ports (never a webhook's) and, if set, the only ports webhooks may use
    local_stack_ports: frozenset[int] = frozenset()
    local_webhook_ports: frozenset[int] | None = None
    # The notify function's view of subscriptions may lag this much. Short: a subscription made just
    # before pressing start must get the first batch's events (a 30 s cache dropped them), and one
    # Query per enterprise per couple of seconds is what a batch of events shares anyway.
    subscription_cache_seconds: float = 2.0
    receipt_watchdog_hours: float = 24.0  # declared, and no customs receipt after this long: flagged
    handover_watchdog_minutes: float = 60.0  # taken by the agent, and no answer after this long: flagged
    agent_poll_seconds: int = 5  # how often an agent asks for its outbox (told in every heartbeat's answer)
    # per enterprise, on the expensive routes (chalicelib/domain/limits.py); a limit of 0 is off
    rate_limits: dict[str, RateLimit] = field(default_factory=lambda: _default_rate_limits())
    max_json_depth: int = 32  # deeper JSON is refused before it reaches a model (issue #9)

    # push (issue #14): SMS provider, its signature, template codes and keys; console and short links
    sms_provider: SmsProvider = "sns"
    sms_sign_name: str = "智能申报"
    sms_templates: dict[str, str] = field(default_factory=dict)  # message kind → provider template code
    sms_credentials_parameter: str | None = None  # SSM SecureString: {"access_key_id", "access_key_secret"}
    sms_rate_limits: str = "1,5,10"  # per number: per minute, hour, day (domain/sms.RateLimits)
    sms_standin_dir: str | None = None  # local: the provider stand-in writes each API call here
    console_url: str | None = None  # the console's URL (…/console/); links …/console/#/declarations/<seq_no>
    short_link_base: str = ""  # SMS links: <short_link_base>/s/<code> (the API's public base URL)
    digest_topic_arn: str | None = None

    def __post_init__(self) -> None:
        # what a typed model would refuse: a value outside its choices, and secrets too short
        for name, variable, choices in (
            ("auth_mode", "SMARTDECL_AUTH_MODE", get_args(AuthMode)),
            ("sms_provider", "SMARTDECL_SMS_PROVIDER", get_args(SmsProvider)),
            ("customs_channel", "SMARTDECL_CUSTOMS_CHANNEL", get_args(CustomsChannel)),
            ("dec_message_version", "SMARTDECL_DEC_MESSAGE_VERSION", get_args(DecMessageVersion)),
        ):
            if getattr(self, name) not in choices:
                allowed = " or ".join(repr(c) for c in choices)
                raise ConfigurationError(f"{variable} must be {allowed}, not {getattr(self, name)!r}")
        if self.auth_mode == "hs256":
            check_secret(JWT_SECRET_VAR, self.jwt_secret)
        check_secret(RECEIPT_SECRET_VAR, self.receipt_secret)

    @property
    def loopback_ports(self) -> LoopbackPorts:
        from chalicelib.domain.subscriptions import LoopbackPorts  # only the push path needs it

        return LoopbackPorts(self.local_stack_ports, self.local_webhook_ports)

    def require_api_secrets(self) -> None:
        """The API cannot verify tokens or receipts without these: refuse to start without them."""
        if self.auth_mode == "hs256" and not (self.jwt_secret or self.jwt_secret_parameter):
            raise ConfigurationError(
                f"{JWT_SECRET_VAR} (or SMARTDECL_JWT_SECRET_PARAMETER) must be set when SMARTDECL_AUTH_MODE is hs256"
            )
        if self.auth_mode == "jwks" and not self.jwks_url:
            raise ConfigurationError("SMARTDECL_JWKS_URL must be set when SMARTDECL_AUTH_MODE is jwks")
        if not (self.receipt_secret or self.receipt_secret_parameter):
            raise ConfigurationError(f"{RECEIPT_SECRET_VAR} (or SMARTDECL_RECEIPT_SECRET_PARAMETER) must be set")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings of this environment; ConfigurationError names what is wrong (never a secret's value)."""
        env = os.environ if env is None else env
        try:
            return cls._from_env(env)
        except ValueError as exc:  # a ConfigurationError of ours (a ValueError), or one from a helper
            raise ConfigurationError(f"invalid configuration: {exc}") from None

    @classmethod
    def _from_env(cls, env: Mapping[str, str]) -> Settings:
        prefix = env.get("SMARTDECL_TABLE_PREFIX", "smartdecl")
        tables = Tables(
            **{name: env.get(f"SMARTDECL_{name.upper()}_TABLE", f"{prefix}-{name}") for name in field_names(Tables)}
        )
        return cls(
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "cn-north-1",
            tables=tables,
            auth_mode=cast(AuthMode, env.get("SMARTDECL_AUTH_MODE", "hs256")),  # __post_init__ refuses others
            jwt_secret=env.get("SMARTDECL_JWT_SECRET") or None,
            jwt_secret_parameter=env.get("SMARTDECL_JWT_SECRET_PARAMETER") or None,
            jwks_url=env.get("SMARTDECL_JWKS_URL") or None,
            jwt_issuer=env.get("SMARTDECL_JWT_ISSUER") or None,
            jwt_audience=env.get("SMARTDECL_JWT_AUDIENCE") or None,
            queues=Queues(**{name: env.get(f"SMARTDECL_{name.upper()}_QUEUE_URL", "") for name in field_names(Queues)}),
            batch_size=_number(env, "SMARTDECL_BATCH_SIZE", int, "100"),
            customs_channel=cast(CustomsChannel, env.get("SMARTDECL_CUSTOMS_CHANNEL") or "http"),
            dec_message_version=cast(DecMessageVersion, env.get("SMARTDECL_DEC_MESSAGE_VERSION") or "4.8"),
            customs_endpoint=env.get("SMARTDECL_CUSTOMS_ENDPOINT") or None,
            receipt_secret=env.get("SMARTDECL_RECEIPT_SECRET") or None,
            receipt_secret_parameter=env.get("SMARTDECL_RECEIPT_SECRET_PARAMETER") or None,
            events_topic_arn=env.get("SMARTDECL_EVENTS_TOPIC_ARN") or None,
            local_mode=env.get("SMARTDECL_LOCAL_MODE", "").lower() in ("1", "true", "yes"),
            local_stack_ports=_stack_ports(env),
            local_webhook_ports=_ports(env, "SMARTDECL_LOCAL_WEBHOOK_PORTS"),
            receipt_watchdog_hours=_number(env, "SMARTDECL_RECEIPT_WATCHDOG_HOURS", float, "24"),
            handover_watchdog_minutes=_number(env, "SMARTDECL_HANDOVER_WATCHDOG_MINUTES", float, "60"),
            agent_poll_seconds=_number(env, "SMARTDECL_AGENT_POLL_SECONDS", int, "5"),
            subscription_cache_seconds=_number(env, "SMARTDECL_SUBSCRIPTION_CACHE_SECONDS", float, "2"),
            customs_timeout_seconds=_number(env, "SMARTDECL_CUSTOMS_TIMEOUT_SECONDS", float, "5"),
            customs_retries=_number(env, "SMARTDECL_CUSTOMS_RETRIES", int, "3"),
            customs_backoff_seconds=_number(env, "SMARTDECL_CUSTOMS_BACKOFF_SECONDS", float, "0.5"),
            rate_limits=_rate_limits(env),
            **_push_settings(env),
        )


LIMIT_VARS = {
    "imports": "SMARTDECL_LIMIT_IMPORTS",
    "executions": "SMARTDECL_LIMIT_EXECUTIONS",
    "replays": "SMARTDECL_LIMIT_REPLAYS",
}


def _default_rate_limits() -> dict[str, RateLimit]:
    return {"imports": RateLimit(30, 60), "executions": RateLimit(10, 60), "replays": RateLimit(5, 60)}


def _rate_limits(env: Mapping[str, str]) -> dict[str, RateLimit]:
    """`SMARTDECL_LIMIT_<ACTION>` = "<count>/<window seconds>", e.g. "30/60"; "0" turns it off."""
    limits = _default_rate_limits()
    for action, var in LIMIT_VARS.items():
        text = env.get(var, "").strip()
        if not text:
            continue
        count, _, seconds = text.partition("/")
        if (
            not count.isascii()
            or not count.isdigit()
            or (seconds and not (seconds.isascii() and seconds.isdigit()))
            or (seconds and int(seconds) < 1)
        ):
            raise ConfigurationError(f'{var} must read "<count>/<seconds>", e.g. "30/60"')
        limits[action] = RateLimit(int(count), int(seconds or 60))
    return limits


# The stack's own endpoints: a loopback port among them is never a webhook's (domain LoopbackPorts).
_ENDPOINT_VARS = ("SMARTDECL_CUSTOMS_ENDPOINT", "SMARTDECL_LOGISTICS_ENDPOINT", "AWS_ENDPOINT_URL")


def _ports(env: Mapping[str, str], variable: str) -> frozenset[int] | None:
    """A comma-separated list of TCP ports, or None when the variable is unset or empty."""
    text = env.get(variable, "").strip()
    if not text:
        return None
    try:
        ports = frozenset(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ConfigurationError(f"{variable} must be comma-separated port numbers, not {text!r}") from None
    if any(not 0 < port < 65536 for port in ports):
        raise ConfigurationError(f"{variable} must be port numbers from 1 to 65535, not {text!r}")
    return ports


def _stack_ports(env: Mapping[str, str]) -> frozenset[int]:
    """SMARTDECL_LOCAL_STACK_PORTS (the local stack names its API's port there), and the loopback
    port of every endpoint the stack talks to (local AWS, the customs simulator)."""
    ports = set(_ports(env, "SMARTDECL_LOCAL_STACK_PORTS") or ())
    names = [*_ENDPOINT_VARS, *(name for name in env if name.startswith("AWS_ENDPOINT_URL_"))]
    for name in names:
        parts = urlsplit(env.get(name) or "")
        try:
            port = parts.port
        except ValueError:
            continue
        if parts.hostname in ("127.0.0.1", "localhost", "::1") and port:
            ports.add(port)
    return frozenset(ports)


def _number(env: Mapping[str, str], variable: str, kind: type[int] | type[float], default: str) -> Any:
    text = env.get(variable, default)
    try:
        return kind(text)
    except ValueError:
        raise ConfigurationError(
            f"{variable} must be a{'n integer' if kind is int else ' number'}, not {text!r}"
        ) from None


def field_names(model: type) -> tuple[str, ...]:
    """The names of Tables' or Queues' fields: the environment variables Settings.from_env reads."""
    return tuple(f.name for f in fields(model))


def _push_settings(env: Mapping[str, str]) -> dict:
    kinds = ("declared", "failed", "waiting", "progress", "receipt", "overdue")  # domain.messages.SMS_KINDS
    return {
        "sms_provider": env.get("SMARTDECL_SMS_PROVIDER") or "sns",
        "sms_sign_name": env.get("SMARTDECL_SMS_SIGN_NAME") or "智能申报",
        "sms_templates": {
            k: env[f"SMARTDECL_SMS_TEMPLATE_{k.upper()}"]
            for k in kinds
            if env.get(f"SMARTDECL_SMS_TEMPLATE_{k.upper()}")
        },
        "sms_credentials_parameter": env.get("SMARTDECL_SMS_CREDENTIALS_PARAMETER") or None,
        "sms_rate_limits": env.get("SMARTDECL_SMS_RATE_LIMITS") or "1,5,10",
        "sms_standin_dir": env.get("SMARTDECL_SMS_STANDIN_DIR") or None,
        "console_url": env.get("SMARTDECL_CONSOLE_URL") or None,
        "short_link_base": env.get("SMARTDECL_SHORT_LINK_BASE") or "",
        "digest_topic_arn": env.get("SMARTDECL_DIGEST_TOPIC_ARN") or None,
    }

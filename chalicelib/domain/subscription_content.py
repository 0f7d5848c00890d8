"""The contract of POST /subscriptions: what an enterprise asks for, validated (pydantic).

Apart from subscriptions.py, which the push functions load: they read stored subscriptions
(`Subscription.stored`) and never validate a request, so they load no pydantic.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

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

from .declaration import SchemaHint, field_path
from .errors import FieldError
from .events import EventType
from .messages import STATES
from .subscriptions import MAX_URL_LENGTH, LoopbackPorts, Resolver, WebhookTargetRefused, check_delivery_target

_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)
_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9][0-9]{9})")  # mainland mobiles: 13x–19x, 11 digits


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
                check_delivery_target(
                    value, context.get("resolver"), bool(context.get("local_mode", False)), context.get("loopback")
                )
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
    raw: Any, *, resolver: Resolver | None = None, local_mode: bool = False, loopback: LoopbackPorts | None = None
) -> tuple[SubscriptionContent | None, list[FieldError]]:
    """Validate a POST /subscriptions body: the content, or every reason it was refused."""
    if not isinstance(raw, dict):
        return None, [FieldError("(record)", "请求内容须为JSON对象", "the body must be a JSON object")]
    try:
        context = {"resolver": resolver, "local_mode": local_mode, "loopback": loopback}
        return SubscriptionContent.model_validate(raw, context=context), []
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

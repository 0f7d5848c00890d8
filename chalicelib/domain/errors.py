"""Named business errors. Each knows its code and its Chinese and English message.

The API maps an error's `kind` to an HTTP status in one place (chalicelib/api/errors.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One reason a field was refused, in both languages."""

    field: str
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message_zh": self.message_zh, "message_en": self.message_en}


@dataclass
class DomainError(Exception):
    code: str
    message_zh: str
    message_en: str
    details: Any = None
    kind: str = field(default="bad_request")

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "details": self.details,
        }


def invalid_request(errors: list[FieldError]) -> DomainError:
    return DomainError(
        "invalid_request",
        "请求参数不正确",
        "The request is invalid",
        details=[e.as_dict() for e in errors],
        kind="bad_request",
    )


def unauthenticated(
    reason_zh: str = "令牌无效", reason_en: str = "The token is not valid", reason: str = "invalid"
) -> DomainError:
    # Say what the user can act on, never which library refused the token (issue #9).
    return DomainError("unauthenticated", reason_zh, reason_en, details={"reason": reason}, kind="unauthenticated")


def sign_in_required() -> DomainError:
    return unauthenticated(
        "请先登录：请求须携带 Authorization: Bearer <令牌>",
        "Sign in first: send 'Authorization: Bearer <token>'",
        "missing",
    )


def sign_in_expired() -> DomainError:
    return unauthenticated("登录已过期，请重新登录", "Your sign-in has expired, sign in again", "expired")


def token_invalid() -> DomainError:
    return unauthenticated("令牌无效", "The token is not valid", "invalid")


def enterprise_mismatch() -> DomainError:
    return DomainError(
        "enterprise_mismatch",
        "登录凭证中的海关编码与统一社会信用代码与本企业启用时登记的不一致，请联系管理员",
        "The customs code and credit code of your sign-in do not match the enterprise "
        "recorded at enablement; contact your administrator",
        kind="forbidden",
    )


def not_enabled() -> DomainError:
    return DomainError(
        "not_enabled",
        "本企业尚未启用智能辅助申报，请持法人卡确认用户须知后启用",
        "Smart declaration is not enabled for this enterprise: the legal-person card "
        "must accept the user notice first (POST /enablement)",
        kind="forbidden",
    )


def legal_card_required(action_zh: str, action_en: str) -> DomainError:
    # The FAQ: only the legal-person card may add, change or delete configs; both may read.
    return DomainError(
        "legal_card_required",
        f"只有法人卡可以进行{action_zh}操作，操作员卡仅可查询",
        f"Only the legal-person card may {action_en}; an operator card may only read",
        kind="forbidden",
    )


def not_found(what_zh: str, what_en: str, key: str) -> DomainError:
    # Another tenant's record is reported exactly like a missing one: never leak existence.
    key = key if len(key) <= 64 else f"{key[:64]}…"  # a 1 MB id is not echoed back whole
    return DomainError(
        "not_found", f"{what_zh}不存在：{key}", f"{what_en} not found: {key}", details={"key": key}, kind="not_found"
    )


def config_clash(details: Any = None, other: str | None = None) -> DomainError:
    """The seed's sentence, then the name of the config it clashes with (`other`), when known."""
    return DomainError(
        "config_clash",
        "该申报单位下存在相同的境内收发货人、相同进出口标志且启用状态的数据!"
        + (f"（预配置“{other}”）" if other else ""),
        "An enabled config for the same declaring unit, consignee and import/export flag already exists"
        + (f": “{other}”" if other else ""),
        details=details,
        kind="conflict",
    )


def state_conflict(message_zh: str, message_en: str, details: Any = None) -> DomainError:
    return DomainError("state_conflict", message_zh, message_en, details=details, kind="conflict")


def idempotency_key_reused() -> DomainError:
    return DomainError(
        "idempotency_key_reused",
        "该幂等键(Idempotency-Key)已用于内容不同的请求",
        "This Idempotency-Key was already used with a different request body",
        kind="unprocessable",
    )


def idempotency_in_progress() -> DomainError:
    return DomainError(
        "idempotency_in_progress",
        "相同幂等键的请求正在处理中，请稍后重试",
        "A request with this Idempotency-Key is still being processed; retry later",
        kind="conflict",
    )


def payload_too_large(limit: int) -> DomainError:
    return DomainError(
        "payload_too_large",
        f"请求内容超过上限 {limit} 字节",
        f"The request body exceeds the limit of {limit} bytes",
        details={"limit_bytes": limit},
        kind="too_large",
    )


def unsupported_media_type(got: str, allowed: list[str]) -> DomainError:
    return DomainError(
        "unsupported_media_type",
        f"不支持的内容类型：{got}",
        f"Unsupported Content-Type: {got}",
        details={"allowed": allowed},
        kind="unsupported_media",
    )


def unreadable_file(reason_zh: str, reason_en: str) -> DomainError:
    return DomainError(
        "unreadable_file", f"文件无法读取：{reason_zh}", f"The file cannot be read: {reason_en}", kind="bad_request"
    )


def rate_limited(action_zh: str, action_en: str, limit: int, window_seconds: int, retry_after: int) -> DomainError:
    return DomainError(
        "rate_limited",
        f"{action_zh}过于频繁：每{window_seconds}秒最多{limit}次，请{retry_after}秒后重试",
        f"Too many {action_en}: at most {limit} every {window_seconds} s; retry in {retry_after} s",
        details={"limit": limit, "window_seconds": window_seconds, "retry_after_seconds": retry_after},
        kind="too_many_requests",
    )


def too_large_to_store(what_zh: str, what_en: str, limit: int) -> DomainError:
    # Checked before writing: a DynamoDB item holds at most 400 KB, and an oversized field would
    # otherwise fail the write (500) or travel on into logs and pushed events.
    return DomainError(
        "too_large_to_store",
        f"{what_zh}超过{limit}字节，无法保存",
        f"The {what_en} exceeds {limit} bytes and cannot be stored",
        details={"limit_bytes": limit},
        kind="bad_request",
    )

"""The one mapping from errors to HTTP answers: {code, message_zh, message_en, details}."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Mapping
from typing import Any

from chalice import Response

from chalicelib.domain.errors import DomainError

STATUS = {
    "bad_request": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_large": 413,
    "unsupported_media": 415,
    "unprocessable": 422,
    "too_many_requests": 429,
    "unavailable": 503,
}

# Chalice's own errors (405, 415, invalid JSON…) arrive as {"Code", "Message"}: same shape for all.
_CHALICE = {
    "UnsupportedMediaType": ("unsupported_media_type", "不支持的内容类型", "Unsupported media type"),
    "MethodNotAllowedError": ("method_not_allowed", "不支持的请求方法", "Method not allowed"),
    "BadRequestError": ("invalid_request", "请求不正确", "Bad request"),
    "NotFoundError": ("not_found", "资源不存在", "Not found"),
    "InternalServerError": ("internal_error", "系统内部错误，请稍后重试", "Internal server error"),
}


# On every answer (docs/security.md "Headers"): no MIME sniffing, no referrer, never framed, HTTPS
# only (browsers ignore HSTS over plain http, so the local stack is unaffected).
SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000",
}
# Unless a route says otherwise (the console's files): an answer carries tenant data or a token, so
# no cache keeps it, and a JSON body opened in a browser runs nothing.
DEFAULT_HEADERS: dict[str, str] = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


def secured(response: Response) -> Response:
    """`response` with the security headers; a header the route set itself is kept."""
    present = {name.lower() for name in response.headers}
    for name, value in {**SECURITY_HEADERS, **DEFAULT_HEADERS}.items():
        if name.lower() not in present:
            response.headers[name] = value
    return response


def json_response(body: Any, status: int = 200, headers: Mapping[str, str | list[str]] | None = None) -> Response:
    all_headers: dict[str, str | list[str]] = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    return secured(Response(body=json.dumps(body, ensure_ascii=False), status_code=status, headers=all_headers))


def error_response(err: DomainError) -> Response:
    headers = None
    if err.kind == "unauthenticated":
        headers = {"WWW-Authenticate": "Bearer"}
    elif err.kind == "too_many_requests" and isinstance(err.details, dict):
        headers = {"Retry-After": str(err.details.get("retry_after_seconds", 60))}
    return json_response(err.as_dict(), STATUS.get(err.kind, 400), headers)


def internal_error(logger: Any, correlation_id: str | None = None, **log_keys: Any) -> Response:
    """Our 500 body with a correlation id; the log line (with the traceback, when called while
    handling an exception) carries the same id, so a caller's report finds it."""
    correlation_id = correlation_id or str(uuid.uuid4())
    log = logger.exception if sys.exc_info()[0] is not None else logger.error
    log("unhandled error", extra={"correlation_id": correlation_id, **log_keys})
    code, zh, en = _CHALICE["InternalServerError"]
    return json_response(
        {
            "code": code,
            "message_zh": f"{zh}（关联号 {correlation_id}）",
            "message_en": f"{en} (correlation id {correlation_id})",
            "details": {"correlation_id": correlation_id},
        },
        500,
    )


def not_found_route(method: str, path: str) -> dict[str, Any]:
    """The body for a path no route serves (API Gateway's own 403 "Missing Authentication Token")."""
    return {
        "code": "not_found",
        "message_zh": "请求的接口不存在",
        "message_en": "No such route",
        "details": {"method": method, "path": path[:200]},
    }


def reshape_chalice_error(response: Response) -> Response:
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or "Code" not in body:
        return response
    code, zh, en = _CHALICE.get(body["Code"], ("error", "请求失败", "Request failed"))
    if response.status_code >= 500:  # Chalice's own 500 (its message may be a library's): ours instead
        return internal_error(_logger())
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
    return json_response(
        {"code": code, "message_zh": zh, "message_en": en, "details": {"reason": body.get("Message")}},
        response.status_code,
        headers,
    )


def _logger():
    from chalicelib.observability import logger

    return logger

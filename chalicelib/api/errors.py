"""The one mapping from errors to HTTP answers: {code, message_zh, message_en, details}."""
from __future__ import annotations

import json
from typing import Any

from chalice import Response

from chalicelib.domain.errors import DomainError

STATUS = {"bad_request": 400, "unauthenticated": 401, "forbidden": 403, "not_found": 404,
          "conflict": 409, "too_large": 413, "unsupported_media": 415, "unprocessable": 422, "unavailable": 503}

# Chalice's own errors (405, 415, invalid JSON…) arrive as {"Code", "Message"}: same shape for all.
_CHALICE = {
    "UnsupportedMediaType": ("unsupported_media_type", "不支持的内容类型", "Unsupported media type"),
    "MethodNotAllowedError": ("method_not_allowed", "不支持的请求方法", "Method not allowed"),
    "BadRequestError": ("invalid_request", "请求不正确", "Bad request"),
    "NotFoundError": ("not_found", "资源不存在", "Not found"),
    "InternalServerError": ("internal_error", "系统内部错误，请稍后重试", "Internal server error"),
}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False),
                    status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def error_response(err: DomainError) -> Response:
    return json_response(err.as_dict(), STATUS.get(err.kind, 400),
                         {"WWW-Authenticate": "Bearer"} if err.kind == "unauthenticated" else None)


def internal_error() -> Response:
    code, zh, en = _CHALICE["InternalServerError"]
    return json_response({"code": code, "message_zh": zh, "message_en": en, "details": None}, 500)


def reshape_chalice_error(response: Response) -> Response:
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or "Code" not in body:
        return response
    code, zh, en = _CHALICE.get(body["Code"], ("error", "请求失败", "Request failed"))
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
    return json_response({"code": code, "message_zh": zh, "message_en": en,
                          "details": {"reason": body.get("Message")}}, response.status_code, headers)

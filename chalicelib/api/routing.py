"""`endpoint`: the one decorator every route uses.

It authenticates, checks enablement, hands the view a `Call`, and maps every error to the
common error body. Views stay a few lines: parse, one use case, shape.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.domain import errors
from chalicelib.domain.errors import DomainError, FieldError
from chalicelib.domain.identity import Identity
from chalicelib.observability import logger
from chalicelib.services.enablement import require_enabled

from chalicelib.container import Container, container
from .errors import error_response, internal_error, json_response

JSON = "application/json"


@dataclass
class Call:
    """What a view gets: the wiring, who asks, and the request."""

    ctx: Container
    identity: Identity
    request: Request
    params: dict[str, str]

    @property
    def query(self) -> dict[str, str]:
        return dict(self.request.query_params or {})

    def raw(self, limit: int) -> bytes:
        body = self.request.raw_body or b""
        if len(body) > limit:
            raise errors.payload_too_large(limit)
        return body

    def json(self) -> Any:
        body = self.raw(self.ctx.settings.max_json_body)
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise errors.invalid_request([FieldError("(body)", "请求体不是合法的JSON", f"the body is not valid JSON: {exc}")]) from exc

    @property
    def lambda_context(self) -> Any:
        return self.request.lambda_context


def endpoint(bp: Blueprint, path: str, methods: Sequence[str] = ("GET",), *, auth: bool = True,
             enabled: bool = True, content_types: Sequence[str] = (JSON,)) -> Callable:
    def register(view: Callable[[Call], Any]) -> Callable:
        @functools.wraps(view)
        def handler(**params: str) -> Response:
            request = bp.current_request
            try:
                ctx = container()
                identity = ctx.tokens.verify(request.headers.get("authorization")) if auth else None
                if identity is not None:
                    logger.append_keys(ent_code=identity.ent_code, card_no=identity.card_no)
                    if enabled:
                        require_enabled(identity, ctx.enterprises)
                result = view(Call(ctx, identity, request, params))  # type: ignore[arg-type]
                return result if isinstance(result, Response) else json_response(result)
            except DomainError as err:
                if err.kind not in ("bad_request", "not_found"):
                    logger.info("request refused", extra={"code": err.code, "path": path})
                return error_response(err)
            except Exception:  # the caller gets the common body; the log gets the trace
                logger.exception("unhandled error", extra={"path": path})
                return internal_error()

        bp.route(path, methods=list(methods), content_types=list(content_types))(handler)
        return handler
    return register

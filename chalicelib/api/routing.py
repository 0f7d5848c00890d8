"""`endpoint`: the one decorator every route uses.

It authenticates, checks enablement, hands the view a `Call`, and maps every error to the
common error body. Views stay a few lines: parse, one use case, shape.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.adapters.tokens import agent_key
from chalicelib.container import Container, container
from chalicelib.domain import errors
from chalicelib.domain.errors import DomainError, FieldError
from chalicelib.domain.identity import Identity
from chalicelib.formats import limits
from chalicelib.observability import logger
from chalicelib.services.enablement import require_enabled
from chalicelib.services.exchange_credentials import agent_credential_required, agent_forbidden
from chalicelib.services.limits import take_allowance

from .errors import error_response, internal_error, json_response

JSON = "application/json"
_SURROGATE = re.compile("[\ud800-\udfff]")  # only "\\ud800"-style escapes can put one in a str


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
        if isinstance(body, str):  # typed str | bytes by Chalice; bytes from API Gateway
            body = body.encode("utf-8")
        if len(body) > limit:
            raise errors.payload_too_large(limit)
        return body

    def json(self) -> Any:
        body = self.raw(self.ctx.settings.max_json_body)
        try:
            value = json.loads(body.decode("utf-8"))
        except RecursionError:
            raise _too_deep(self.ctx.settings.max_json_depth) from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise errors.invalid_request(
                [FieldError("(body)", "请求体不是合法的JSON", f"the body is not valid JSON: {exc}")]
            ) from exc
        check_json_shape(value, self.ctx.settings.max_json_depth)
        return value

    def json_object(self, fields: set[str]) -> dict[str, Any]:
        """A JSON object body holding only `fields` (the document says additionalProperties: false)."""
        body = self.json()
        if not isinstance(body, dict):
            raise errors.invalid_request([FieldError("(body)", "请求体须为JSON对象", "the body must be a JSON object")])
        unknown = sorted(set(body) - fields)
        if unknown:
            raise errors.invalid_request(
                [FieldError(name, f"{name}不是可接受的字段", f"{name} is not a known field") for name in unknown]
            )
        return body

    @property
    def lambda_context(self) -> Any:
        return self.request.lambda_context


def check_json_shape(value: Any, max_depth: int) -> None:
    """Refuse nesting deeper than `max_depth`, more values or longer strings than the import limits
    allow (formats/limits.py), and lone UTF-16 surrogates (which no UTF-8 answer or DynamoDB item
    can hold) anywhere in a parsed body, keys included. Iterative: no recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if isinstance(node, str):
            limits.check_json_text(node)
            if _SURROGATE.search(node):
                raise errors.invalid_request(
                    [
                        FieldError(
                            "(body)",
                            "请求体含有无效的Unicode字符(孤立代理项)",
                            "the body holds an invalid Unicode character (a lone surrogate)",
                        )
                    ]
                )
            continue
        if isinstance(node, (dict, list)):
            if depth > max_depth:
                raise _too_deep(max_depth)
            items = [*node.keys(), *node.values()] if isinstance(node, dict) else node
            limits.check_json_value_count(count + len(stack) + len(items))
            stack.extend((item, depth + 1) for item in items)


MAX_ID_LENGTH = 128  # every id in a path (seq_no, config_id, batch_no, …) is far shorter


def _check_path_params(params: dict[str, str]) -> None:
    # An id no record can have is answered like a missing record, before it reaches DynamoDB
    # (whose keys hold at most 2,048 bytes: a longer one is a ValidationException, i.e. a 500).
    for value in params.values():
        if len(value) > MAX_ID_LENGTH:
            raise errors.not_found("记录", "record", value)


def _too_deep(max_depth: int) -> errors.DomainError:
    return errors.invalid_request(
        [
            FieldError(
                "(body)",
                f"请求体JSON嵌套超过{max_depth}层",
                f"the body's JSON is nested deeper than {max_depth} levels",
            )
        ]
    )


def authenticate(ctx: Container, authorization: str | None, agent_route: bool) -> Identity:
    """Who asks: a person (a JWT) or an enterprise's agent (its credential, `Bearer sdag_…`). Each
    reaches only its own routes."""
    key = agent_key(authorization)
    if key is not None:
        identity = ctx.agent_keys.verify(key)
        if not agent_route:
            raise agent_forbidden()
        return identity
    identity = ctx.tokens.verify(authorization)
    if agent_route:
        raise agent_credential_required()
    return identity


@dataclass(frozen=True)
class Route:
    """What `endpoint` knows of a route: the OpenAPI document derives the statuses it can answer."""

    auth: bool
    enabled: bool
    content_types: tuple[str, ...]
    limit: str | None
    agent: bool = False  # an agent's route (/agent/…): agent credentials only, and they reach nothing else


ROUTES: dict[tuple[str, str], Route] = {}  # (path, METHOD) → Route, filled as the blueprints load


def endpoint(
    bp: Blueprint,
    path: str,
    methods: Sequence[str] = ("GET",),
    *,
    auth: bool = True,
    enabled: bool = True,
    content_types: Sequence[str] = (JSON,),
    limit: str | None = None,
    agent: bool = False,
) -> Callable:
    """`limit` names the per-enterprise allowance the route takes from (chalicelib/domain/limits.py).
    `agent`: a route of the enterprise's agent, signed in with an agent credential (sdag_…); every
    other route refuses one, and an agent's route refuses a person's token (403)."""
    for method in methods:
        ROUTES[(path, method.upper())] = Route(auth, enabled, tuple(content_types), limit, agent)

    def register(view: Callable[[Call], Any]) -> Callable:
        @functools.wraps(view)
        def handler(**params: str) -> Response:
            request = bp.current_request
            logger.remove_keys(
                ["ent_code", "card_no"]
            )  # a warm container must not tag this request with the last one's
            try:
                ctx = container()
                identity = authenticate(ctx, request.headers.get("authorization"), agent) if auth else None
                if identity is not None:
                    logger.append_keys(ent_code=identity.ent_code, card_no=identity.card_no)
                    if enabled:
                        require_enabled(identity, ctx.enterprises)
                    if limit:
                        take_allowance(
                            ctx.window_counter, identity.ent_code, limit, ctx.settings.rate_limits, ctx.clock()
                        )
                _check_path_params(params)
                result = view(Call(ctx, identity, request, params))  # type: ignore[arg-type]
                return result if isinstance(result, Response) else json_response(result)
            except DomainError as err:
                if err.kind not in ("bad_request", "not_found"):
                    logger.info("request refused", extra={"code": err.code, "path": path})
                return error_response(err)
            except Exception:  # noqa: BLE001 - the caller gets the common body and an id; the log gets the trace
                return internal_error(logger, (request.context or {}).get("requestId"), path=path)

        bp.route(path, methods=list(methods), content_types=list(content_types))(handler)
        return handler

    return register


def auth_before_media_type(request: Any, response: Response) -> Response:
    """Chalice refuses a body's media type (415) before a view runs, so before its token is looked
    at: without a valid token the answer is 401 (or the agent routes' 403, or 403 for an enterprise
    not enabled or a mixed pair), as on every route; who may not call a route learns nothing about
    what it takes."""
    if response.status_code != 415:
        return response
    context = getattr(request, "context", None) or {}
    route = ROUTES.get((context.get("resourcePath", ""), str(getattr(request, "method", "")).upper()))
    if route is None or not route.auth:
        return response
    try:  # the handler's own order: the token, then the enterprise (enabled, its code/credit-code pair)
        ctx = container()
        identity = authenticate(ctx, (getattr(request, "headers", None) or {}).get("authorization"), route.agent)
        if route.enabled:
            require_enabled(identity, ctx.enterprises)
    except DomainError as err:
        return error_response(err)
    return response

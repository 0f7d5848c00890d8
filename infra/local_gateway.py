"""The local API Gateway (Chalice's LocalGateway) answering unknown paths as the deployed API does.

Chalice's local gateway answers a path no route serves with API Gateway's default, 403
{"message": "Missing Authentication Token"}, before the app is reached. Deployed, template.yaml's
gateway response MISSING_AUTHENTICATION_TOKEN answers 404 in our error shape; this does the same
locally, for `make run` (RequestHandler) and for tests (not_found_client).
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from chalice import Chalice
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalGateway, LocalGatewayException, RouteMatcher

from chalicelib.api.errors import DEFAULT_HEADERS, SECURITY_HEADERS, not_found_route

QUIET_AGENTS = ("smartdecl-agent/", "smartdecl-local-stack")  # User-Agents left out of the request log


class RouteNotFound(LocalGatewayException):
    CODE = 404


class NotFoundGateway(LocalGateway):
    def __init__(self, app_object: Chalice, config: Config) -> None:
        super().__init__(app_object, config)
        self._routes = RouteMatcher(list(app_object.routes))

    def handle_request(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        try:
            self._routes.match_route(path)
        except ValueError:
            body_json = json.dumps(not_found_route(method, path.split("?", 1)[0]), ensure_ascii=False)
            raise RouteNotFound(
                {"Content-Type": "application/json; charset=utf-8", **SECURITY_HEADERS, **DEFAULT_HEADERS},
                body_json.encode("utf-8"),
            ) from None
        return super().handle_request(method, path, headers, body)


class RequestHandler(ChaliceRequestHandler):
    """LocalDevServer's handler with the NotFoundGateway (pass as handler_cls)."""

    def __init__(self, request: bytes, client_address: Any, server: Any, app_object: Chalice, config: Config) -> None:
        self.local_gateway = NotFoundGateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)  # type: ignore[arg-type]

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        # make run's own agents poll every second or two: their answered requests would bury the rest;
        # the stack's own (its agents' credentials) never show: it says itself when they fail
        agent = (self.headers.get("User-Agent") or "") if getattr(self, "headers", None) else ""
        quiet = agent.startswith("smartdecl-local-stack") or (str(code).isdigit() and int(code) < 400)
        if agent.startswith(QUIET_AGENTS) and quiet:
            return
        super().log_request(code, size)

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, …) goes to the gateway too, which answers 405 in our shape
        # as API Gateway would, instead of http.server's HTML 501.
        if name.startswith("do_"):
            return self._generic_handle
        raise AttributeError(name)


def use_not_found_gateway(client: Any) -> Any:
    """A chalice.test.Client whose HTTP calls go through the NotFoundGateway (returns the client)."""
    http = client.http
    http._local_gateway = NotFoundGateway(http._app, http._config)  # Chalice offers no hook for this
    return client

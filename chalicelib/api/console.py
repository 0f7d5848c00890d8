"""/console/…: the web console's files, served by the API itself; /dev/token: the local sign-in."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.adapters.tokens import issue_token
from chalicelib.services import console

from .errors import json_response
from .routing import Call, endpoint

bp = Blueprint(__name__)


def _sign_in(call: Call) -> console.SignInSettings:
    return console.SignInSettings.from_env(local_mode=call.ctx.settings.local_mode)


def _file(call: Call, name: str) -> Response:
    return static_file_response(call, name, console.asset(name), console.content_security_policy(_sign_in(call)))


def static_file_response(call: Call, name: str, found: console.Asset, policy: str) -> Response:
    """One of our static files, with its ETag, caching and the console's security headers."""
    headers: dict[str, str | list[str]] = {
        "Content-Type": found.content_type,
        "ETag": found.etag,
        # index.html is revalidated every time, so a deploy shows at once; the rest briefly cached
        "Cache-Control": "no-cache" if name == "index.html" else "public, max-age=300",
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }
    if call.request.headers.get("if-none-match") == found.etag:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=found.body, status_code=200, headers=headers)


@endpoint(bp, "/console", auth=False)
def index(call: Call) -> Response:
    path = (call.request.context or {}).get("path") or "/console"
    if not path.endswith("/"):  # relative links in index.html need the trailing slash
        return Response(body="", status_code=302, headers={"Location": path + "/"})
    return _file(call, "index.html")


@endpoint(bp, "/console/{name}", auth=False)
def static_file(call: Call) -> Response:
    if call.params["name"] == "config.json":
        return json_response(console.client_config(_sign_in(call)), headers={"Cache-Control": "no-store"})
    return _file(call, call.params["name"])


@endpoint(bp, "/dev/token", methods=["POST"], auth=False)
def dev_token(call: Call) -> dict:
    return console.issue_dev_token(_sign_in(call), call.ctx.settings.jwt_secret, call.json(), issue_token)

"""Security headers on every answer (issue #24, item 6): every route of the app, as Chalice lists
them, with and without a token, and Chalice's and the gateway's own answers (404, 405, 415).
Before the fix JSON answers (the dev token's among them) had neither `Cache-Control: no-store`
nor `X-Content-Type-Options: nosniff`."""

from __future__ import annotations

import re

import pytest

from app import app

EVERY_ANSWER = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
SAMPLE = {"name": "index.html"}  # a path parameter's value; others get a well-formed id that does not exist


def routes() -> list[tuple[str, str]]:
    return sorted((path, method) for path, entries in app.routes.items() for method in entries)


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), "I20240000000000001"), path)


def call(
    api, method: str, path: str, *, signed_in: bool = True, body: bytes = b"", content_type: str = "application/json"
):
    """The answer as sent (any content type), through the same client and gateway as `api`."""
    from tests.factories import token

    headers = {"Content-Type": content_type, **({"Authorization": f"Bearer {token()}"} if signed_in else {})}
    return getattr(api.client.http, method.lower())(path, headers=headers, body=body)


def lower(headers) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def assert_secured(response, where: str) -> None:
    headers = lower(response.headers)
    for name, value in EVERY_ANSWER.items():
        assert headers.get(name) == value, f"{where}: {name} is {headers.get(name)!r}"
    assert headers.get("cache-control"), f"{where}: no Cache-Control"
    if headers.get("content-type", "").startswith("application/json"):
        assert headers["cache-control"] == "no-store", f"{where}: JSON answer may be cached"
        assert "default-src 'none'" in headers.get("content-security-policy", ""), where


def test_the_app_has_the_routes_this_test_walks():
    assert len(routes()) > 40 and ("/dev/token", "POST") in routes()


@pytest.mark.parametrize("path,method", routes())
@pytest.mark.parametrize("signed_in", [True, False], ids=["token", "no-token"])
def test_every_route_answers_with_the_security_headers(enabled_api, path, method, signed_in):
    body = b"{}" if method in ("POST", "PUT") else b""
    response = call(enabled_api, method, concrete(path), signed_in=signed_in, body=body)
    assert_secured(response, f"{method} {path} -> {response.status_code}")


def test_the_dev_token_answer_is_never_stored(enabled_api):
    response = enabled_api.post(
        "/dev/token", {"ent_code": "1108919038", "uscc": "91110000600037341L", "role": "legal"}, token=""
    )
    assert_secured(response, "POST /dev/token")
    assert lower(response.headers)["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "method,path,content_type,status",
    [
        ("GET", "/no/such/route", "application/json", 404),  # the gateway's answer
        ("PATCH", "/configs", "application/json", 405),  # Chalice's own
        ("POST", "/configs", "text/plain", 415),  # Chalice's own
    ],
)
def test_answers_chalice_and_the_gateway_make_themselves_carry_them_too(
    enabled_api, method, path, content_type, status
):
    response = call(enabled_api, method, path, body=b"x", content_type=content_type)
    assert response.status_code == status
    assert_secured(response, f"{method} {path}")


def test_the_console_keeps_its_own_caching_and_policy(enabled_api):
    page = lower(call(enabled_api, "GET", "/console/", signed_in=False).headers)
    script = lower(call(enabled_api, "GET", "/console/app.js", signed_in=False).headers)
    assert page["cache-control"] == "no-cache" and script["cache-control"] == "public, max-age=300"
    assert "script-src" in page["content-security-policy"]

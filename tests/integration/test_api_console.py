"""The console's files and the local sign-in, through the Chalice app (as API Gateway would call it)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.adapters.tokens import TokenVerifier
from tests.factories import JWT_SECRET


def fetch(api, path, **headers):
    """A plain GET: the console's files are not JSON."""
    return api.client.http.get(path, headers=headers)


DEV_BODY = {"ent_code": "1108919038", "ent_uscc": "91110000600037341L", "role": "operator", "card_no": "1108919038O01"}


def test_console_page_is_served_with_a_strict_content_security_policy(api):
    response = fetch(api, "/console/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["Cache-Control"] == "no-cache"  # a deploy shows at once
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert b'<script type="module" src="app.js">' in response.body


def test_console_without_trailing_slash_redirects_so_relative_links_resolve(api):
    response = fetch(api, "/console")
    assert response.status_code == 302 and response.headers["Location"] == "/console/"


@pytest.mark.parametrize(
    "name,content_type",
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("i18n.js", "text/javascript; charset=utf-8"),
    ],
)
def test_console_files_carry_their_content_type_and_a_short_cache(api, name, content_type):
    response = fetch(api, f"/console/{name}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Cache-Control"] == "public, max-age=300"


def test_unchanged_console_file_answers_304_to_its_etag(api):
    first = fetch(api, "/console/app.js")
    again = api.client.http.get("/console/app.js", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.body


@pytest.mark.parametrize("name", ["..%2Fapp.py", "app.py", "missing.js", ".env", "index.HTML"])
def test_anything_but_the_consoles_own_files_is_not_found(api, name):
    response = api.get(f"/console/{name}", token="")
    assert response.status_code == 404 and response.json["code"] == "not_found"


def test_local_console_config_offers_the_development_sign_in(api):
    assert api.get("/console/config.json", token="").json == {"sign_in": "local", "dev_token_path": "../dev/token"}


def test_dev_token_on_the_local_stack_signs_in_as_the_chosen_enterprise_and_card(api):
    # Given the local stack / When a clerk picks an enterprise and card
    response = api.post("/dev/token", DEV_BODY, token="")
    # Then the token is one the API accepts, for exactly that card
    assert response.status_code == 200
    identity = TokenVerifier(secret=JWT_SECRET).verify("Bearer " + response.json["id_token"])
    assert (identity.ent_code, identity.role, identity.card_no) == ("1108919038", "operator", "1108919038O01")
    assert api.get("/enablement", token=response.json["id_token"]).status_code == 200


def test_dev_token_refuses_a_malformed_choice(api):
    response = api.post("/dev/token", {**DEV_BODY, "ent_code": "short", "role": "admin"}, token="")
    assert response.status_code == 400
    assert {d["field"] for d in response.json["details"]} == {"ent_code", "role"}


def test_dev_token_is_not_found_on_a_deployed_stack(api, container):
    # Given a deployed stack (no local mode), even one verifying HS256 tokens
    container.settings = replace(container.settings, local_mode=False)
    # When someone asks for a development token / Then the route does not exist for them
    response = api.post("/dev/token", DEV_BODY, token="")
    assert response.status_code == 404 and response.json["code"] == "not_found"
    assert "id_token" not in response.body.decode()


def test_deployed_console_config_names_the_hosted_login(api, container, monkeypatch):
    container.settings = replace(container.settings, local_mode=False)
    monkeypatch.setenv("SMARTDECL_OIDC_DOMAIN", "https://smartdecl-prod.auth.cn-north-1.amazoncognito.com")
    monkeypatch.setenv("SMARTDECL_OIDC_CLIENT_ID", "abc123")
    config = api.get("/console/config.json", token="").json
    assert config["sign_in"] == "oidc" and config["client_id"] == "abc123"
    assert config["token_url"] == "https://smartdecl-prod.auth.cn-north-1.amazoncognito.com/oauth2/token"
    # the token endpoint is the one other origin the page may call
    policy = fetch(api, "/console/").headers["Content-Security-Policy"]
    assert "connect-src 'self' https://smartdecl-prod.auth.cn-north-1.amazoncognito.com;" in policy


def test_console_config_names_the_clerks_manual_when_the_deployment_gives_one(api, monkeypatch):
    # the enablement screen links 《智能辅助申报用户手册》 to it; without one it is named, not linked
    assert "manual_url" not in api.get("/console/config.json", token="").json
    monkeypatch.setenv("SMARTDECL_MANUAL_URL", "https://docs.example.cn/console/")
    assert api.get("/console/config.json", token="").json["manual_url"] == "https://docs.example.cn/console/"

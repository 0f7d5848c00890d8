"""template.yaml's sign-in for the console: a Cognito user pool whose users cannot choose their enterprise."""

from __future__ import annotations

from typing import Any

import pytest

from infra.template import load

CUSTOM = {"ent_code", "ent_uscc", "role", "card_no"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load()


def props(template: dict[str, Any], name: str) -> dict[str, Any]:
    return template["Resources"][name]["Properties"]


def test_user_pool_carries_the_enterprise_claims_as_custom_attributes(template):
    pool = props(template, "ConsoleUserPool")
    assert {a["Name"] for a in pool["Schema"]} == CUSTOM
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True  # no self sign-up


def test_console_client_cannot_write_the_enterprise_attributes(template):
    # issue #9: a user who could write custom:ent_code could move into another enterprise
    client = props(template, "ConsoleClient")
    assert not [a for a in client["WriteAttributes"] if a.startswith("custom:")]
    assert {f"custom:{a}" for a in CUSTOM} <= set(client["ReadAttributes"])


def test_console_client_is_a_public_pkce_code_flow_client_calling_back_to_the_console(template):
    client = props(template, "ConsoleClient")
    assert client["GenerateSecret"] is False and client["AllowedOAuthFlows"] == ["code"]
    assert "openid" in client["AllowedOAuthScopes"]
    assert client["CallbackURLs"] == [
        {"Fn::If": ["HasConsoleUrl", {"Ref": "ConsoleUrl"}, "http://localhost:8000/console/"]}
    ]
    assert "ALLOW_REFRESH_TOKEN_AUTH" in client["ExplicitAuthFlows"]  # refreshed before expiry


def test_cognito_resources_exist_only_where_the_stack_signs_people_in_itself(template):
    for name in ("ConsoleUserPool", "ConsoleAuthDomain", "ConsoleClient"):
        assert template["Resources"][name]["Condition"] == "UseCognito"
    condition = template["Conditions"]["UseCognito"]["Fn::And"]
    assert {"Fn::Not": [{"Fn::Equals": [{"Ref": "AWS::Partition"}, "aws-cn"]}]} in condition  # not offered in China


def test_console_routes_are_declared_for_api_gateway(template):
    events = props(template, "ApiFunction")["Events"].values()
    routes = {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events if e["Type"] == "Api"}
    assert {("GET", "/console"), ("GET", "/console/{name}"), ("POST", "/dev/token")} <= routes

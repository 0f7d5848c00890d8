"""The OpenAPI document and app.py's routes must list the same paths and methods."""
from __future__ import annotations

from app import app
from chalicelib.api.openapi import document

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def test_every_route_is_documented_and_every_documented_route_exists():
    routes = {(path, method.lower()) for path, methods in app.routes.items() for method in methods}
    documented = {(path, method) for path, item in document()["paths"].items() for method in item
                  if method in HTTP_METHODS}
    assert routes - documented == set(), "routes missing from openapi.json"
    assert documented - routes == set(), "documented routes that app.py does not serve"


def test_the_document_is_valid_openapi_3_1():
    from openapi_spec_validator import validate
    validate(document())


def test_openapi_json_is_served_without_a_token(api):
    response = api.get("/openapi.json", token="")
    assert response.status_code == 200 and response.json["openapi"] == "3.1.0"

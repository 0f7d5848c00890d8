"""The document's shapes that generated clients need (issue #24, item 7), held without running the
generators (tests/security/test_generated_clients.py runs them): each failed before its fix."""

from __future__ import annotations

from collections import Counter

import pytest

from chalicelib.api.openapi import document
from tests.factories import ROOT

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def schemas() -> dict:
    return document()["components"]["schemas"]


def walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}/{i}")


def test_no_two_schemas_share_a_title():
    # openapi-python-client names a class by title: Container-Input and Container-Output were both "Container"
    titles = Counter(schema.get("title", name) for name, schema in schemas().items())
    assert [t for t, n in titles.items() if n > 1] == []


def test_no_field_is_typed_null_alone():
    # openapi-generator cannot declare a field of type "null" (the lists' next_cursor was one)
    alone = [path for path, node in walk(schemas()) if node.get("type") == "null" and "/anyOf/" not in path]
    assert [p for p in alone if "/then/" not in p and "/else/" not in p] == []


def test_cross_field_rules_are_not_a_model_level_all_of():
    # a model-level allOf reads as composition to openapi-generator, which then fails on its fields
    assert [name for name, schema in schemas().items() if "allOf" in schema] == []
    config = schemas()["ConfigContent"]
    assert config["if"] == {} and config["then"]["allOf"], "the rules are still there"


def test_a_boolean_that_must_be_true_is_not_a_const():
    # openapi-generator's Python client reads a boolean const as the string "true"
    consts = [path for path, node in walk(schemas()) if isinstance(node.get("const"), bool)]
    assert [p for p in consts if not p.endswith("/not")] == []  # "not false" is how it is said


def test_every_operation_has_a_name_of_its_own():
    ids = [op["operationId"] for item in document()["paths"].values() for k, op in item.items() if k != "parameters"]
    assert len(ids) == len(set(ids)) and all(ids)


@pytest.mark.parametrize("name", ["declarations.xlsx", "dec_message.xml"])
def test_a_file_sent_as_octet_stream_is_read_by_its_bytes(enabled_api, name):
    # what generated clients send a file as
    response = enabled_api.call(
        "POST",
        "/declarations/import",
        raw=(ROOT / "examples" / name).read_bytes(),
        content_type="application/octet-stream",
    )
    assert response.status_code == 200, response.json
    assert response.json["accepted"] and response.json["rejected"] == []

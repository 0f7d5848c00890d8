"""GET /declaration-fields and GET /code-tables/{name}: the data the declaration form is built from."""

from __future__ import annotations

from chalicelib.domain.declaration import leaf_paths
from tests.factories import token


def test_the_field_catalogue_lists_every_field_in_the_forms_order_with_its_group(enabled_api):
    # Given a signed-in operator card
    response = enabled_api.get("/declaration-fields", token=token(role="operator"))
    # Then every field comes, in the model's order, each in a known group
    assert response.status_code == 200
    body = response.json
    groups = {group["key"] for group in body["groups"]}
    assert [field["path"] for field in body["fields"]] == leaf_paths()
    assert {field["group"] for field in body["fields"]} <= groups
    code_ts = next(field for field in body["fields"] if field["path"] == "goods[].code_ts")
    assert code_ts == {
        "path": "goods[].code_ts",
        "tag": "CodeTS",
        "label_zh": "商品编号",
        "label_en": "HS code",
        "group": "goods",
        "code_table": None,
        "required": True,
    }


def test_a_code_table_comes_with_its_names_source_and_date(enabled_api):
    response = enabled_api.get("/code-tables/currency")
    assert response.status_code == 200
    table = response.json
    assert table["name"] == "currency" and table["label_zh"] == "币制"
    assert table["source"] and table["date"]
    assert {"code": "USD", "zh": "美元", "en": "US Dollar"} in table["codes"]


def test_an_unknown_code_table_is_not_found(enabled_api):
    for name in ("nope", "..%2Fcountry", "country.json"):
        assert enabled_api.get(f"/code-tables/{name}").status_code == 404


def test_the_reference_needs_a_token(api):
    assert api.get("/declaration-fields", token="").status_code == 401
    assert api.get("/code-tables/country", token="").status_code == 401

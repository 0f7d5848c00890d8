"""/column-mappings over HTTP on the local tables, and POST /declarations/import?mapping=<id>."""

from __future__ import annotations

from tests.factories import ENT_B, token
from tests.unit.test_column_mappings import MAPPING, goods_list

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OPERATOR = token(role="operator", card_no="2110050002046")


def test_a_mapping_is_saved_read_by_both_cards_changed_renamed_and_deleted(enabled_api):
    created = enabled_api.post("/column-mappings", MAPPING)
    assert created.status_code == 201, created.json
    mapping_id = created.json["mapping_id"]
    read = enabled_api.get(f"/column-mappings/{mapping_id}", token=OPERATOR).json
    assert [c["field"] for c in read["columns"]] == [c["field"] for c in MAPPING["columns"]]
    assert read["columns"][8] == {"field": "goods[].decl_total", "column": "I"}  # letters upper-cased
    assert enabled_api.post("/column-mappings", MAPPING | {"header_row": 2}, token=OPERATOR).status_code == 403
    assert enabled_api.post("/column-mappings", MAPPING).status_code == 409  # the name is taken
    renamed = enabled_api.put(f"/column-mappings/{mapping_id}", MAPPING | {"name": "新名称"})
    assert renamed.status_code == 200 and renamed.json["version"] == 2
    assert enabled_api.post("/column-mappings", MAPPING).status_code == 201  # the old name was freed
    assert enabled_api.get(f"/column-mappings/{mapping_id}", token=token(ENT_B)).status_code == 404
    assert enabled_api.delete(f"/column-mappings/{mapping_id}").status_code == 204
    assert [m["name"] for m in enabled_api.get("/column-mappings").json["items"]] == [MAPPING["name"]]


def test_a_goods_list_imports_through_the_mapping_named_in_the_query(enabled_api):
    mapping_id = enabled_api.post("/column-mappings", MAPPING).json["mapping_id"]
    response = enabled_api.call(
        "POST", f"/declarations/import?mapping={mapping_id}", raw=goods_list(), content_type=XLSX
    )
    assert response.status_code == 200 and response.json["rejected"] == [], response.json
    assert len(response.json["accepted"]) == 2
    # another enterprise's mapping is not found, like a missing one
    other = enabled_api.call(
        "POST", f"/declarations/import?mapping={mapping_id}", raw=goods_list(), content_type=XLSX, token=token(ENT_B)
    )
    assert other.status_code == 404 and other.json["code"] == "not_found"

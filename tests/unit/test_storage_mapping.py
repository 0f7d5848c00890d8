"""The declaration's fields are defined once (the domain's `DeclarationContent` and `Declaration`);
the storage mapping is derived from them. PynamoDB's model still names its attributes, and an
attribute it lacks would be set on the item but never written: these tests catch that."""

from __future__ import annotations

from chalicelib.adapters import declaration_repository as repo
from chalicelib.adapters.dynamo_models import EQUALITY_FILTERS, LIST_FILTER_ATTRIBUTES, DeclarationModel
from chalicelib.domain.declaration import DeclarationContent
from chalicelib.domain.queries import DeclarationQuery


def test_every_state_field_of_a_declaration_is_an_attribute_the_table_model_writes():
    attributes = set(DeclarationModel.get_attributes())

    missing = [name for name in repo._STATE_FIELDS if name not in attributes]

    assert missing == [], f"Declaration fields the storage model would silently drop: {missing}"


def test_every_field_of_the_contract_is_an_attribute_the_table_model_writes():
    attributes = set(DeclarationModel.get_attributes())
    names = [field.alias or name for name, field in DeclarationContent.model_fields.items()]

    missing = [name for name in names if name not in attributes]

    assert missing == [], f"contract fields the storage model would silently drop: {missing}"


def test_every_list_filter_of_the_query_is_carried_by_the_list_indexes():
    # Fields of the query that are not equality filters on an attribute of the same name.
    not_equality = {"enterprise_type", "from_", "to", "range", "page_size", "cursor", "consignee", "seq_no"}
    filters = {name for name in DeclarationQuery.model_fields if name not in not_equality}

    assert filters == set(EQUALITY_FILTERS)
    assert set(EQUALITY_FILTERS) | {"consignee", "updated_at", "owner_ent"} <= set(LIST_FILTER_ATTRIBUTES)

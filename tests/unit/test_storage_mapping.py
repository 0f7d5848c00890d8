"""The declaration's fields are defined once (the domain's `DeclarationContent` and `Declaration`);
the storage mapping is derived from them. PynamoDB's model still names its attributes, and an
attribute it lacks would be set on the item but never written: these tests catch that."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from chalicelib.adapters import declaration_repository as repo
from chalicelib.adapters.dynamo_models import EQUALITY_FILTERS, LIST_FILTER_ATTRIBUTES, DeclarationModel
from chalicelib.domain.declaration import Declaration, DeclarationContent
from chalicelib.domain.queries import DeclarationQuery
from tests.factories import make_declaration_body, make_full_declaration_body


def make_declaration(content: DeclarationContent | None = None) -> Declaration:
    content = content or DeclarationContent.model_validate(make_declaration_body(seq_no="I20240001031824871"))
    now = datetime(2024, 3, 20, tzinfo=UTC)
    return Declaration(
        content=content, seq_no="I20240001031824871", owner_ent="1108919038", created_by="8911020000108",
        created_at=now, updated_at=now, owner_side="both",
    )  # fmt: skip


def test_every_state_field_of_a_declaration_is_an_attribute_the_table_model_writes():
    attributes = set(DeclarationModel.get_attributes())

    missing = [name for name in repo._STATE_FIELDS if name not in attributes]

    assert missing == [], f"Declaration fields the storage model would silently drop: {missing}"


# The content fields a record held itself before the content table (DeclarationContentModel) stored
# the whole content as JSON: such a record is still read from them. Fields added since live in the
# content table only.
CONTENT_ON_OLD_RECORDS = (
    "seq_no", "source_seq_no", "ie_flag", "declaration_type", "two_step", "self_pay", "summarized_tax",
    "declare_customs", "ie_port", "ie_date", "agent", "consignee", "owner", "bill_no", "transport_mode", "traf_name",
    "voyage_no", "trade_mode", "cut_mode", "trans_mode", "trade_country", "depart_country", "freight", "insurance",
    "pack_no", "wrap_type", "gross_wt", "net_wt", "note", "goods", "containers", "documents",
)  # fmt: skip


def test_every_field_an_old_record_held_is_still_an_attribute_the_table_model_reads():
    attributes = set(DeclarationModel.get_attributes())

    missing = [name for name in CONTENT_ON_OLD_RECORDS if name not in attributes]

    assert missing == [], f"fields of records written before the content table that would no longer read: {missing}"


def test_every_field_of_the_contract_survives_the_content_table():
    # Given a declaration with every field of the content filled
    decl = make_declaration(content=DeclarationContent.model_validate(make_full_declaration_body()))
    # When its record and content item are written and read back
    item, content = repo.with_content(decl)
    back = repo.from_item(item, content)
    # Then the content is the same
    assert back.content.as_json() == decl.content.as_json()


def test_a_content_stored_before_the_new_fields_still_reads():
    # Given a content item as stored before the whole-declaration fields (today's shape, no new keys)
    decl = make_declaration()
    item, content = repo.with_content(decl)
    content.body = json.dumps(make_declaration_body(seq_no=decl.seq_no), ensure_ascii=False)
    assert "manual_no" not in content.body and "licences" not in content.body
    # When it is read, Then it reads with the new fields empty
    back = repo.from_item(item, content)
    assert back.content.manual_no is None and back.content.goods[0].licences == []
    assert back.content.decl_trn_rel == "0" and back.content.licence_documents == []


def test_every_list_filter_of_the_query_is_carried_by_the_list_indexes():
    # Fields of the query that are not equality filters on an attribute of the same name.
    not_equality = {"enterprise_type", "from_", "to", "range", "page_size", "cursor", "consignee", "seq_no"}
    filters = {name for name in DeclarationQuery.model_fields if name not in not_equality}

    assert filters == set(EQUALITY_FILTERS)
    assert set(EQUALITY_FILTERS) | {"consignee", "updated_at", "owner_ent"} <= set(LIST_FILTER_ATTRIBUTES)

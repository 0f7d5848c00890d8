"""The tenancy rule in the domain: a party is our enterprise only by both of its codes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.declaration import Declaration, parse_content
from chalicelib.domain.identity import PartyMatch
from chalicelib.domain.tenancy import bind_to_importer, party_mismatch
from tests.factories import ENT_A, ENT_B, make_declaration_body, make_identity

A = make_identity(ENT_A)
AT = datetime(2024, 3, 21, tzinfo=UTC)


def content(**overrides):
    parsed, errs = parse_content(make_declaration_body(**overrides))
    assert errs == []
    return parsed


@pytest.mark.parametrize(
    "code,uscc,expected",
    [
        (ENT_A["code"], ENT_A["uscc"], PartyMatch.OWN),
        (ENT_A["code"], None, PartyMatch.OWN),
        (None, ENT_A["uscc"], PartyMatch.OWN),
        (ENT_B["code"], ENT_B["uscc"], PartyMatch.OTHER),
        (ENT_B["code"], ENT_A["uscc"], PartyMatch.CONFLICT),
        (ENT_A["code"], ENT_B["uscc"], PartyMatch.CONFLICT),
    ],
)
def test_a_party_is_ours_only_when_nothing_it_names_is_someone_elses(code, uscc, expected):
    assert A.match_party(code, uscc) is expected


def test_binding_fills_our_side_and_names_it():
    bound, side, errs = bind_to_importer(A, content(agent=dict(ENT_B), consignee={"uscc": ENT_A["uscc"]}, owner=None))
    assert errs == [] and side == "consignee" and bound.consignee.code == ENT_A["code"]
    assert bound.agent.code == ENT_B["code"]  # the other party is data, kept as given


def test_binding_both_sides_when_we_declare_for_ourselves():
    assert bind_to_importer(A, content())[1] == "both"


def test_binding_refuses_a_side_mixing_two_enterprises_even_when_the_other_side_is_ours():
    bound, side, errs = bind_to_importer(A, content(agent={"code": ENT_B["code"], "uscc": ENT_A["uscc"]}))
    assert bound is None and side is None and [e.field for e in errs] == ["agent.code"]


def test_a_record_from_before_the_rule_is_keyed_by_the_side_carrying_the_owners_code():
    decl = Declaration(
        content=content(agent=dict(ENT_B), owner=None),
        seq_no="I20240000000000001",
        owner_ent=ENT_A["code"],
        created_by="c",
        created_at=AT,
        updated_at=AT,
    )
    assert decl.owner_side is None and decl.owner_sides == ("consignee",)
    assert party_mismatch(decl, ENT_A["code"], ENT_A["uscc"]) == []


def test_the_check_names_a_stored_side_mixing_two_enterprises():
    decl = Declaration(
        content=content(agent={"code": ENT_A["code"], "uscc": ENT_B["uscc"]}),
        seq_no="I20240000000000001",
        owner_ent=ENT_A["code"],
        created_by="c",
        created_at=AT,
        updated_at=AT,
    )
    assert any("agent mixes" in p for p in party_mismatch(decl, ENT_A["code"], ENT_A["uscc"]))

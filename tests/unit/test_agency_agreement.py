"""The e-agency agreement (代理报关委托协议): when it is needed, what it says, attaching it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.agency_agreement import (
    AGREEMENT_EDOC_CODE,
    AgencyAgreement,
    agreement_number,
    attach,
    generate_agreement,
    has_agreement,
    needs_agreement,
)
from chalicelib.domain.declaration import DeclarationContent
from chalicelib.domain.errors import DomainError
from tests.factories import ENT_A, ENT_B, make_declaration_body

TODAY = date(2024, 3, 21)
BROKER = ENT_B["code"]  # the enterprise declaring: the brokered declarations' declaring unit


def content(**overrides: Any) -> DeclarationContent:
    return DeclarationContent.model_validate(make_declaration_body(**overrides))


def brokered(**overrides: Any) -> DeclarationContent:
    """Enterprise B (a broker) declares for enterprise A."""
    return content(agent=dict(ENT_B), **overrides)


# ---- needs / has --------------------------------------------------------------------------


def test_agreement_is_not_needed_when_agent_is_the_consignee():
    assert needs_agreement(content()) is False


def test_agreement_is_needed_when_agent_declares_for_another_enterprise():
    assert needs_agreement(brokered()) is True


def test_parties_are_compared_on_uscc_when_a_code_is_missing():
    # Given the same enterprise, once with code and USCC, once with the USCC only
    same = content(consignee={"uscc": ENT_A["uscc"], "name": ENT_A["name"]})
    other = content(consignee={"uscc": ENT_B["uscc"], "name": ENT_B["name"]})
    # Then the USCCs decide
    assert needs_agreement(same) is False
    assert needs_agreement(other) is True


def test_parties_that_cannot_be_compared_need_an_agreement():
    # Given an agent known by code only and a consignee by USCC only: sameness cannot be shown
    c = content(agent={"code": ENT_A["code"]}, consignee={"uscc": ENT_A["uscc"]})
    assert needs_agreement(c) is True


def test_has_agreement_looks_for_document_10000001():
    assert has_agreement(brokered()) is False
    with_one = brokered(documents=[{"edoc_code": "10000001", "edoc_no": "DLXY20240402000123"}])
    assert has_agreement(with_one) is True


# ---- number -------------------------------------------------------------------------------


def test_agreement_number_is_year_and_thirteen_digit_sequence():
    number = agreement_number(TODAY, 123)
    assert number == "20240000000000123"
    assert len(number) == 17 and number.isdigit()
    assert agreement_number(TODAY, 10**13 - 1) == "20249999999999999"


@pytest.mark.parametrize("sequence", [-1, 10**13, True, "1"])
def test_agreement_number_refuses_a_sequence_that_does_not_fit(sequence):
    with pytest.raises(ValueError, match="sequence"):
        agreement_number(TODAY, sequence)


# ---- generate -----------------------------------------------------------------------------


def test_generated_agreement_states_parties_goods_and_validity():
    # Given a brokered declaration with one goods item
    c = brokered()
    # When the agreement is generated
    agreement = generate_agreement(c, 7, TODAY, declared_by=BROKER)
    # Then it names principal and agent, the goods and one year of validity
    assert agreement.agreement_no == "20240000000000007"
    assert agreement.principal == c.consignee and agreement.agent == c.agent
    assert (agreement.goods_name, agreement.code_ts) == ("便携式自动数据处理设备", "8471309000")
    assert agreement.total == Decimal("82000.00") and isinstance(agreement.total, Decimal)
    assert (agreement.currency, agreement.mixed_currency) == ("USD", False)
    assert (agreement.trade_mode, agreement.origin_country, agreement.ie_flag, agreement.bill_no) == (
        "0110",
        "USA",
        "I",
        "CS2024022501",
    )
    assert (agreement.valid_from, agreement.valid_to) == (date(2024, 3, 21), date(2025, 3, 21))
    assert agreement.created_at == datetime(2024, 3, 21, tzinfo=timezone(timedelta(hours=8)))


def test_several_goods_are_named_after_the_first_with_a_count_and_totals_add_up():
    # Given two goods items in different currencies
    first = make_declaration_body()["goods"][0]
    second = first | {
        "g_no": 2,
        "code_ts": "8443321000",
        "g_name": "激光打印机",
        "qty": "20",
        "decl_price": "156.5",
        "decl_total": "3130",
        "currency": "EUR",
        "origin_country": "DEU",
    }
    agreement = generate_agreement(brokered(goods=[first, second]), 1, TODAY, declared_by=BROKER)
    # Then the first item names the goods, totals add up, and the mixed currency is noted
    assert agreement.goods_name == "便携式自动数据处理设备等2项"
    assert agreement.code_ts == "8471309000" and agreement.origin_country == "USA"
    assert agreement.total == Decimal("85130.00")
    assert (agreement.currency, agreement.mixed_currency) == ("USD", True)


def test_agreement_of_29_february_is_valid_until_28_february():
    agreement = generate_agreement(brokered(), 1, date(2024, 2, 29), declared_by=BROKER)
    assert agreement.valid_to == date(2025, 2, 28)


def test_same_arguments_give_the_same_agreement():
    now = datetime(2024, 3, 21, 11, 7, tzinfo=UTC)
    first = generate_agreement(brokered(), 5, TODAY, declared_by=BROKER, now=now)
    assert generate_agreement(brokered(), 5, TODAY, declared_by=BROKER, now=now) == first
    assert first.created_at == now


def test_agreement_serialises_to_json():
    body = generate_agreement(brokered(), 5, TODAY, declared_by=BROKER).as_json()
    assert json.loads(json.dumps(body, ensure_ascii=False)) == body
    assert body["total"] == "82000.00" and body["valid_to"] == "2025-03-21"
    assert body["principal"]["code"] == ENT_A["code"] and body["agent"]["code"] == ENT_B["code"]


# ---- attach -------------------------------------------------------------------------------


def test_attaching_appends_the_agreement_document_to_a_copy():
    # Given a brokered declaration without agreement
    c = brokered()
    agreement = generate_agreement(c, 9, TODAY, declared_by=BROKER)
    # When the agreement is attached
    attached = attach(c, agreement)
    # Then the copy carries it after the existing documents, and the original is unchanged
    assert [(d.edoc_code, d.edoc_no) for d in attached.documents] == [
        ("00000001", "INV-2024-0320"),
        (AGREEMENT_EDOC_CODE, "20240000000000009"),
    ]
    assert has_agreement(attached) and not has_agreement(c)
    assert isinstance(attached, DeclarationContent)


def test_attaching_twice_adds_the_agreement_once():
    c = brokered()
    agreement = generate_agreement(c, 9, TODAY, declared_by=BROKER)
    once = attach(c, agreement)
    assert attach(once, agreement) == once
    assert [d.edoc_code for d in attach(once, agreement).documents].count(AGREEMENT_EDOC_CODE) == 1


def test_attaching_over_another_agreement_is_refused():
    # Given a declaration that already carries a different agreement
    c = brokered(documents=[{"edoc_code": "10000001", "edoc_no": "DLXY20240402000123"}])
    # When another is attached, Then it is refused rather than leaving two
    with pytest.raises(DomainError) as caught:
        attach(c, generate_agreement(c, 9, TODAY, declared_by=BROKER))
    assert caught.value.code == "state_conflict"


def test_agreement_type_is_frozen():
    agreement = generate_agreement(brokered(), 1, TODAY, declared_by=BROKER)
    assert isinstance(agreement, AgencyAgreement)
    with pytest.raises(AttributeError):
        agreement.agreement_no = "x"  # type: ignore[misc]

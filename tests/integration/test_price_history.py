"""The price history in DynamoDB (adapters/price_history.py): counted once per goods item, newest
first, per enterprise, and out of the parts library's listing that shares its table. Only the parts
table is created (not the whole stack): this module needs nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
import pytest

from chalicelib.adapters.dynamo_models import bind_tables
from chalicelib.adapters.parts_repository import DynamoPartsRepository
from chalicelib.adapters.price_history import DynamoPriceHistory
from chalicelib.config import Settings
from chalicelib.domain import parts
from chalicelib.domain.price_history import PriceKey, RecordedPrice
from infra import local_aws
from infra import template as cfn

ENT, OTHER = "1101910001", "3301960002"
LAPTOP = PriceKey("8471309000", "USD", "001")
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def history(moto_endpoint) -> DynamoPriceHistory:
    local_aws.reset_moto(moto_endpoint)
    settings = Settings.from_env({"AWS_REGION": local_aws.LOCAL_REGION})
    [table] = [t for t in cfn.tables(cfn.load(), local_aws.LOCAL_STACK) if t["TableName"] == settings.tables.parts]
    boto3.client("dynamodb", region_name=local_aws.LOCAL_REGION).create_table(**table)
    bind_tables(settings)
    return DynamoPriceHistory()


def price(n: int, amount: str, ent: str = ENT, key: PriceKey = LAPTOP, g_no: int = 1) -> RecordedPrice:
    return RecordedPrice(ent, key, Decimal(amount), T0 + timedelta(hours=n), f"I2026000000000000{n:02d}", g_no)


def test_a_declaration_recorded_twice_counts_once_and_the_newest_come_first(history):
    history.record([price(1, "10.00"), price(2, "11.5"), price(3, "9.8765")])
    history.record([price(3, "9.8765")])  # the stream record delivered again
    assert history.recent(ENT, LAPTOP, T0, limit=20) == [Decimal("9.8765"), Decimal("11.5"), Decimal("10.00")]
    assert history.recent(ENT, LAPTOP, T0, limit=2) == [Decimal("9.8765"), Decimal("11.5")]
    # prices declared before `since` count no more
    assert history.recent(ENT, LAPTOP, T0 + timedelta(hours=2), limit=20) == [Decimal("9.8765"), Decimal("11.5")]


def test_another_enterprise_s_currency_s_or_code_s_prices_are_not_seen(history):
    history.record(
        [
            price(1, "10"),
            price(2, "99", ent=OTHER),
            price(3, "88", key=LAPTOP._replace(currency="EUR")),
            price(4, "77", key=LAPTOP._replace(code_ts="8471300000")),
        ]
    )
    assert history.recent(ENT, LAPTOP, T0, limit=20) == [Decimal("10")]
    assert history.recent(OTHER, LAPTOP, T0, limit=20) == [Decimal("99")]


def test_the_parts_library_s_listing_never_shows_the_prices_in_its_table(history):
    repo = DynamoPartsRepository()
    values = {"code_ts": "8471309000", "g_name": "笔记本电脑", "g_model": "", "unit": "001"}
    repo.save(parts.propose(ENT, "A-1", values, "2110050002046", T0), None)
    history.record([price(1, "10")])
    assert [p.part_no for p in repo.page(ENT, None, None, 10)] == ["A-1"]
    assert [p.part_no for p in repo.page(ENT, None, "#", 10)] == ["A-1"]  # a cursor before the parts

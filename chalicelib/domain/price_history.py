"""The enterprise's recent unit prices, which the advisory ``price_outlier`` compares goods with
(domain/advisories.py): what counts, and how it is kept.

A recent price is a goods item's unit price (decl_price) of one of the enterprise's own
declarations customs accepted (declared by the service or by hand), kept by (HS code, currency, unit): a
price in USD says nothing about one in EUR, nor a price per 打 (dozen) about one per 个. Never
another enterprise's: the gate reads the history of the declaration's owner.

Free of the declaration's models (pydantic): the outbox consumer that records prices loads them
only when a declaration was declared."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .declaration import Declaration, GoodsItem

# The newest 20 prices give a median that one odd price cannot move, in one small Query page;
# half a year keeps the history to today's prices and exchange rates.
RECENT_PRICES = 20
RECENT_PRICE_DAYS = 180


class PriceKey(NamedTuple):
    """What recent unit prices are kept and compared by (with the enterprise)."""

    code_ts: str
    currency: str
    unit: str


def price_key(item: GoodsItem) -> PriceKey:
    return PriceKey(item.code_ts, item.currency, item.unit)


@dataclass(frozen=True)
class RecordedPrice:
    """One goods item's unit price of a declaration customs accepted: one sample of its key's history."""

    ent_code: str  # the declaration's owner
    key: PriceKey
    price: Decimal
    declared_at: datetime  # when customs accepted it: the history's order, and when it ages out
    seq_no: str
    g_no: int


def recorded_prices(declaration: Declaration) -> list[RecordedPrice]:
    """The samples a declared declaration adds to its enterprise's history: one per goods item with a
    positive price. None before customs accepted it (no declared_at). The same declaration always
    gives the same samples (declared_at is set once), so recording it again adds nothing."""
    d = declaration
    if d.declared_at is None:
        return []
    return [
        RecordedPrice(d.owner_ent, price_key(g), g.decl_price, d.declared_at, d.seq_no, g.g_no)
        for g in d.content.goods
        if g.decl_price > 0
    ]

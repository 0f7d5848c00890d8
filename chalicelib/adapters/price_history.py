"""DynamoPriceHistory: each enterprise's unit prices of declared goods (domain/advisories.py
`price_outlier`), in the parts table under "#price#" sort keys (dynamo_models.PriceModel).

One item per (enterprise, HS code, currency, unit, declared_at, seq_no, g_no), all of them in its key:
recording a declaration again (a stream record delivered twice, a later event about the same
declared record) writes the same items, so each goods item counts once. The newest prices of a key
are one Query, backwards between the oldest time that still counts and the key's end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from chalicelib.domain.price_history import RECENT_PRICE_DAYS, PriceKey, RecordedPrice
from chalicelib.services.ports import PriceHistory

from .dynamo_models import PriceModel as M

PREFIX = "#price#"
_LAST = "~"  # after every time stamp: the upper end of a key's range


def _at(moment: datetime) -> str:
    """Fixed-width UTC text, so the sort key orders by time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _key_prefix(key: PriceKey) -> str:
    return f"{PREFIX}{key.code_ts}#{key.currency}#{key.unit}#"


def sort_key(price: RecordedPrice) -> str:
    return f"{_key_prefix(price.key)}{_at(price.declared_at)}#{price.seq_no}#{price.g_no}"


def _item(price: RecordedPrice) -> M:
    expires = price.declared_at + timedelta(days=RECENT_PRICE_DAYS + 1)  # the Query's own bound goes first
    return M(price.ent_code, sort_key(price), price=str(price.price), expires_at=int(expires.timestamp()))


class DynamoPriceHistory(PriceHistory):
    def record(self, prices: Sequence[RecordedPrice]) -> None:
        if not prices:
            return
        with M.batch_write() as batch:  # 25 puts a request; a put of the same key replaces it
            for price in prices:
                batch.save(_item(price))

    def recent(self, ent_code: str, key: PriceKey, since: datetime, limit: int) -> list[Decimal]:
        prefix = _key_prefix(key)
        items = M.query(
            ent_code,
            M.sk.between(prefix + _at(since), prefix + _LAST),
            scan_index_forward=False,
            limit=limit,
            page_size=limit,
        )
        return [Decimal(i.price) for i in items]

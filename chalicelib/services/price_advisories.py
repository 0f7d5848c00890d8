"""The enterprise's recent unit prices, for the advisory gate and a person's confirmation of the
prompts (domain/advisories.py `price_outlier`), and their recording once customs accepted a
declaration (functions/record_prices.py, from the declaration log's stream).

What counts as a recent price: a goods item's unit price (decl_price) of one of the SAME
enterprise's declarations customs accepted (smart status succeeded), kept by (HS code, currency,
unit). Never another enterprise's: the gate reads the history of the declaration's owner, the
enterprise whose gates run (as approved_parts reads its parts)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from chalicelib.domain.advisories import RECENT_PRICE_DAYS, RECENT_PRICES, PriceKey, price_key, recorded_prices
from chalicelib.domain.declaration import DeclarationContent
from chalicelib.domain.events import Event
from chalicelib.domain.smart_status import SmartStatus

from .ports import DeclarationRepository, PriceHistory


def recent_prices(
    history: PriceHistory | None, ent_code: str, content: DeclarationContent, now: datetime
) -> dict[PriceKey, list[Decimal]]:
    """The enterprise's recent prices under each key `content`'s goods have: one Query per distinct
    key (a declaration repeats few), none without goods or without a history."""
    keys = sorted({price_key(g) for g in content.goods})
    if history is None or not keys:
        return {}
    since = now - timedelta(days=RECENT_PRICE_DAYS)
    return {key: history.recent(ent_code, key, since, RECENT_PRICES) for key in keys}


def declared_seq_nos(events: Iterable[Event]) -> list[str]:
    """The declarations `events` say customs accepted (smart status now succeeded), each once."""
    found = (
        e.seq_no
        for e in events
        if e.event_type == "smart_status_changed" and e.data.get("smart_status") == SmartStatus.SUCCEEDED
    )
    return list(dict.fromkeys(found))


def record_declared(seq_no: str, declarations: DeclarationRepository, history: PriceHistory) -> int:
    """Add a declared declaration's unit prices to its enterprise's history (one read of the
    declaration); the number recorded. Again for the same declaration: the same items, nothing more
    (the key holds declared_at, seq_no and g_no). A record no longer declared records nothing."""
    decl = declarations.get(seq_no)
    if decl is None or decl.smart_status != SmartStatus.SUCCEEDED:
        return 0
    prices = recorded_prices(decl)
    history.record(prices)
    return len(prices)

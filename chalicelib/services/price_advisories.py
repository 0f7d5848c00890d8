"""The enterprise's recent unit prices (domain/price_history.py): read for the advisory gate and a
person's confirmation of the prompts (domain/advisories.py `price_outlier`), recorded once customs
accepted a declaration, by the outbox consumer of the declaration log's stream
(functions/publish_events.py) before it publishes the same records' events.

Both sides use the declaration's owner, the enterprise whose gates run (as approved_parts does):
an enterprise's prices are never compared with another's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from chalicelib.domain.events import Event
from chalicelib.domain.price_history import RECENT_PRICE_DAYS, RECENT_PRICES, PriceKey, price_key, recorded_prices
from chalicelib.domain.smart_status import SmartStatus

from .outbox import Committed
from .ports import DeclarationRepository, PriceHistory

if TYPE_CHECKING:
    from chalicelib.domain.declaration import DeclarationContent


def recent_prices(
    history: PriceHistory | None,
    ent_code: str,
    content: DeclarationContent,
    now: datetime,
    read: dict[tuple[str, PriceKey], list[Decimal]] | None = None,
) -> dict[PriceKey, list[Decimal]]:
    """The enterprise's recent prices under each key `content`'s goods have: one Query per distinct
    key (a declaration repeats few), none without goods or without a history. `read`: what this
    invocation already read (services.engine.Invocation): a batch of the same goods queries once."""
    keys = sorted({price_key(g) for g in content.goods})
    if history is None or not keys:
        return {}
    since = now - timedelta(days=RECENT_PRICE_DAYS)
    read = {} if read is None else read
    for key in keys:
        if (ent_code, key) not in read:
            read[(ent_code, key)] = history.recent(ent_code, key, since, RECENT_PRICES)
    return {key: read[(ent_code, key)] for key in keys}


def declared_seq_nos(events: Iterable[Event]) -> list[str]:
    """The declarations `events` say customs accepted, each once: declared by the service (smart status
    now succeeded) or by hand (smart status pending again, with the time customs accepted it)."""
    found = (
        e.seq_no
        for e in events
        if e.event_type == "smart_status_changed"
        and (e.data.get("smart_status") == SmartStatus.SUCCEEDED or e.data.get("declared_at"))
    )
    return list(dict.fromkeys(found))


def record_declared(seq_no: str, declarations: DeclarationRepository, history: PriceHistory) -> int:
    """Add a declared declaration's unit prices to its enterprise's history (one read of the
    declaration); the number recorded. Again for the same declaration: the same items, nothing more
    (their key holds declared_at, seq_no and g_no). A record not declared records nothing."""
    decl = declarations.get(seq_no)
    if decl is None or decl.declared_at is None:
        return 0
    prices = recorded_prices(decl)
    history.record(prices)
    return len(prices)


def record_committed(
    records: Sequence[Committed], declarations: DeclarationRepository, history: PriceHistory
) -> str | None:
    """Record the prices of what these stream records say customs accepted, in stream order; the
    item id of the first record that could not be recorded (None: all were). The records before it
    are done; it and those after are delivered again, and recording again adds nothing."""
    for record in records:
        try:
            for seq_no in declared_seq_nos(record.events):
                record_declared(seq_no, declarations, history)
        except Exception:  # noqa: BLE001 - whatever DynamoDB said, retry from this record on
            return record.item_id
    return None

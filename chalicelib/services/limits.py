"""Use case: take one request from an enterprise's allowance for an expensive action, or refuse it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from chalicelib.domain.limits import ACTIONS, RateLimit, refused, window

from .ports import WindowCounter

GRACE_SECONDS = 60  # counters outlive their window a little: DynamoDB's TTL deletes lazily anyway


def take_allowance(
    counter: WindowCounter, ent_code: str, action: str, rules: Mapping[str, RateLimit], now: datetime
) -> None:
    """Raises the rate_limited error (429, Retry-After) when the window's allowance is spent."""
    rule = rules.get(action)
    if rule is None or rule.limit <= 0:
        return
    slot = window(ent_code, action, rule, now)
    if not counter.take(slot.key, rule.limit, slot.ends_at + GRACE_SECONDS):
        raise refused(ACTIONS[action], rule, slot.retry_after(now))

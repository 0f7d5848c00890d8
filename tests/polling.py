"""The suite's one way to wait for something that happens on another thread or process.

`wait_until` polls a probe until a condition holds on what it returned, and when time runs out it
fails naming what it waited for and the last thing it saw, instead of a bare timeout. Deadlines are
generous on purpose: a passing wait ends as soon as the condition holds, so a long deadline costs
nothing on a quiet machine and keeps a loaded one (CI, parallel workers) from failing for time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

STACK_SECONDS = 120.0  # a whole local stack: batches every few seconds, receipts, push


def wait_until(
    what: str,
    probe: Callable[[], T],
    condition: Callable[[T], Any] = bool,
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
) -> T:
    """Call `probe` until `condition(probe())` is truthy; return that value. AssertionError naming
    `what` and the last value seen after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        seen = probe()
        if condition(seen):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}; last seen: {_short(seen)}")
        time.sleep(interval)


def _short(value: Any, limit: int = 600) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"

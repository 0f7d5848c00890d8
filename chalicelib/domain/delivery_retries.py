"""How often a failed push delivery (webhook, mainland SMS) is tried again, and when we give up."""

from __future__ import annotations

# Waits after failed attempt 1, 2, … 5: 10 s, 1 min, 5 min, 30 min, 2 h; the 6th failure is final.
BACKOFF_SECONDS = (10, 60, 300, 1800, 7200)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1


def backoff_schedule(attempt: int) -> int | None:
    """Seconds to wait after failed attempt number `attempt` (1-based); None: give up."""
    if attempt < 1:
        raise ValueError("attempts are numbered from 1")
    return BACKOFF_SECONDS[attempt - 1] if attempt < MAX_ATTEMPTS else None

"""Per-enterprise limits on the expensive routes: fixed windows, counted per enterprise and action.

A fixed window (the clock cut into `window_seconds` slices) needs one counter per enterprise,
action and slice, hence one conditional update per request; a burst at a slice's edge may pass
twice the limit, which the stage throttling and the WAF rule in front bound anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from . import errors


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` requests per `window_seconds`; a limit of 0 turns the check off."""

    limit: int
    window_seconds: int = 60


@dataclass(frozen=True)
class Action:
    name: str  # the counter's name, e.g. "imports"
    label_zh: str
    label_en: str


IMPORTS = Action("imports", "导入报关单", "imports")
EXECUTIONS = Action("executions", "启动智能申报", "execution starts")
REPLAYS = Action("replays", "重发推送", "webhook replays")
ACTIONS = {a.name: a for a in (IMPORTS, EXECUTIONS, REPLAYS)}


@dataclass(frozen=True)
class Window:
    """One enterprise's slice of time for one action: its counter key, and when it ends."""

    key: str
    ends_at: int  # epoch seconds

    def retry_after(self, now: datetime) -> int:
        return max(1, self.ends_at - int(now.timestamp()))


def window(ent_code: str, action: str, rule: RateLimit, now: datetime) -> Window:
    epoch = int(now.timestamp())
    start = epoch - epoch % rule.window_seconds
    return Window(f"{ent_code}#{action}#{start}", start + rule.window_seconds)


def refused(action: Action, rule: RateLimit, retry_after: int) -> errors.DomainError:
    return errors.rate_limited(action.label_zh, action.label_en, rule.limit, rule.window_seconds, retry_after)

"""E-mail digests: which window an event belongs to, and when that window's mail is due (China time).

Hourly: the clock hour the event happened in, sent in the next hour. Daily: the calendar day,
sent at 08:00 the next morning (a mail at midnight is read at breakfast anyway)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .china_time import CHINA_TIME

DAILY_SEND_HOUR = 8
CATCH_UP_HOURS = 6  # the schedule also sends digests due this many hours back (a missed run)


@dataclass(frozen=True)
class DigestWindow:
    key: str  # "2024032110" (hourly) or "20240321" (daily), China time
    due_hour: str  # the China-time hour it is sent in, "yyyymmddHH"
    label_zh: str
    label_en: str


def window_of(occurred_at: datetime, mode: str) -> DigestWindow:
    t = occurred_at.astimezone(CHINA_TIME)
    if mode == "hourly":
        start = t.replace(minute=0, second=0, microsecond=0)
        end = start + timedelta(hours=1)
        return DigestWindow(
            f"{start:%Y%m%d%H}",
            f"{end:%Y%m%d%H}",
            f"{start:%Y-%m-%d %H:00}至{end:%H:00}（北京时间）",
            f"{start:%Y-%m-%d %H:00}-{end:%H:00} China time",
        )
    if mode == "daily":
        day = t.replace(hour=0, minute=0, second=0, microsecond=0)
        due = day + timedelta(days=1, hours=DAILY_SEND_HOUR)
        return DigestWindow(
            f"{day:%Y%m%d}", f"{due:%Y%m%d%H}", f"{day:%Y-%m-%d}（北京时间）", f"{day:%Y-%m-%d} China time"
        )
    raise ValueError(f"unknown digest mode {mode!r}")


def label_of(window_key: str) -> tuple[str, str]:
    """The window's label back from its key (the digest function has only the key)."""
    if len(window_key) == 10:
        start = datetime.strptime(window_key, "%Y%m%d%H").replace(tzinfo=CHINA_TIME)
        w = window_of(start, "hourly")
    else:
        w = window_of(datetime.strptime(window_key, "%Y%m%d").replace(tzinfo=CHINA_TIME), "daily")
    return w.label_zh, w.label_en


def due_hours(now: datetime) -> list[str]:
    """The China-time hours whose digests are due by `now`, newest last."""
    t = now.astimezone(CHINA_TIME).replace(minute=0, second=0, microsecond=0)
    return [f"{t - timedelta(hours=h):%Y%m%d%H}" for h in range(CATCH_UP_HOURS, -1, -1)]

"""China time: what customs, receipts, batch numbers, SMS quiet hours and the lists' date filters mean
by a date or a time without a zone."""

from __future__ import annotations

from datetime import timedelta, timezone

CHINA_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")  # UTC+8 all year: China keeps no daylight saving

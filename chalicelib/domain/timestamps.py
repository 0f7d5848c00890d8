"""The API's and the log's timestamps: UTC, ISO 8601 with milliseconds and a Z."""

from __future__ import annotations

from datetime import datetime


def iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z") if value else None

"""Logistics facts the gates check a declaration against: the manifest (舱单) and the arrival
report (运抵报告) of its bill of lading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Manifest:
    bill_no: str
    pack_no: int
    gross_wt: Decimal
    traf_name: str | None = None
    voyage_no: str | None = None


@dataclass(frozen=True)
class ArrivalReport:
    bill_no: str
    arrived: bool
    arrived_at: datetime | None = None

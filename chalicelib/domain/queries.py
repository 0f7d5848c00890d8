"""The declaration query (marking and query screens): filters, time ranges, pages."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from .china_time import CHINA_TIME
from .declaration import CustomsCode, Declaration, _Model

Range = Literal["today", "week", "month", "3months"]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# Dates a query may name: any later or earlier is a typo or a probe, and 0001-01-01 or 9999-12-31
# shifted by a zone would overflow datetime (issue #9: those answered 500).
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)


def _true_or_false(value: object) -> object:
    # a query string's boolean is the word the document lists; pydantic would also read 0, 1, yes, on …
    if isinstance(value, str) and value not in ("true", "false"):
        raise PydanticCustomError("bool_parsing", "must be true or false")
    return value


QueryFlag = Annotated[bool, BeforeValidator(_true_or_false)]


class DeclarationQuery(_Model):
    enterprise_type: Literal["agent", "consignee"] = "agent"
    declaration_type: str | None = None
    ie_flag: Literal["I", "E"] | None = None
    declare_customs: CustomsCode | None = None
    smart_mark: QueryFlag | None = None
    status: str | None = None
    smart_status: Literal["pending", "in_progress", "succeeded", "failed"] | None = None
    seq_no: Short | None = None
    entry_id: Short | None = None
    consignee: Short | None = None  # 10-digit code or 18-char USCC
    bill_no: Short | None = None
    transport_mode: Short | None = None
    card_no: Short | None = None
    batch_no: Short | None = None
    config_name: Short | None = None
    tax_status: Literal["not_required", "unconfirmed", "confirmed"] | None = None
    from_: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None
    range: Range | None = None
    page_size: int = Field(default=10, ge=1, le=100)
    cursor: str | None = None

    model_config = _Model.model_config | {"populate_by_name": True}

    @field_validator("from_", "to")
    @classmethod
    def _within_supported_dates(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        naive = value.replace(tzinfo=None)
        if not EARLIEST.replace(tzinfo=None) <= naive <= LATEST.replace(tzinfo=None):
            raise PydanticCustomError("date_out_of_range", "dates must lie between 2000-01-01 and 2999-12-31")
        return _aware(value).astimezone(UTC)

    @property
    def exact(self) -> bool:
        """Exact-number fields need no time range (seed: 底色为黄色的字段无需联合时间查询)."""
        return bool(self.seq_no or self.entry_id or self.bill_no)

    def window(self, now: datetime) -> tuple[datetime, datetime] | None:
        """The UTC time window on updated_at, or None when the query needs none."""
        if self.exact and not (self.range or self.from_ or self.to):
            return None
        if self.from_ or self.to:  # the dates given win over a range shortcut sent with them
            start = _aware(self.from_) if self.from_ else EARLIEST
            end = _aware(self.to) if self.to else now
            return start.astimezone(UTC), end.astimezone(UTC)
        return quick_range(self.range or "3months", now)

    def matches(self, decl: Declaration) -> bool:
        """Every filter but the enterprise and the time window (those are the index's keys)."""
        c = decl.content
        checks = [
            (self.declaration_type, c.declaration_type),
            (self.ie_flag, c.ie_flag),
            (self.declare_customs, c.declare_customs),
            (self.status, str(decl.status)),
            (self.smart_status, decl.smart_status),
            (self.seq_no, decl.seq_no),
            (self.entry_id, decl.entry_id),
            (self.bill_no, c.bill_no),
            (self.transport_mode, c.transport_mode),
            (self.card_no, decl.card_no),
            (self.batch_no, decl.batch_no),
            (self.config_name, decl.config_name),
            (self.tax_status, str(decl.tax_status)),
        ]
        if any(want is not None and want != have for want, have in checks):
            return False
        if self.smart_mark is not None and self.smart_mark != decl.smart_mark:
            return False
        if self.consignee and self.consignee not in (c.consignee.code, c.consignee.uscc):
            return False
        return True


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=CHINA_TIME)  # people type China time


def quick_range(name: str, now: datetime) -> tuple[datetime, datetime]:
    local = now.astimezone(CHINA_TIME)
    midnight = datetime.combine(local.date(), time(), CHINA_TIME)
    if name == "today":
        start = midnight
    elif name == "week":
        start = midnight - timedelta(days=local.weekday())
    elif name == "month":
        start = midnight.replace(day=1)
    else:  # 3months: the same day three months back
        month, year = local.month - 3, local.year
        if month < 1:
            month, year = month + 12, year - 1
        day = min(local.day, calendar.monthrange(year, month)[1])
        start = midnight.replace(year=year, month=month, day=day)
    return start.astimezone(UTC), now.astimezone(UTC)

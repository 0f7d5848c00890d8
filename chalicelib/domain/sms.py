"""Mainland SMS rules as data: template variables within the provider's limits, the provider's
flow control per number, quiet hours, and the once-per-declaration-and-state key.

Sources (read 2026-11; providers change them, so they are data here, not code):
- Alibaba Cloud SMS, 通知短信模板规范 (help.aliyun.com/document_detail/463270) and
  TemplateRule&TemplateContent 示例 (help.aliyun.com/document_detail/2806243): every variable has a
  declared type; a variable may not be empty, may not hold 【】 or [] (the signature's brackets),
  special symbols (★ ※ → • ① m² 『』「」…) or a link; 其他号码 (other_number2) takes letters and
  digits; 其他 (others) free text. The length figures differ between the pages we could read (15,
  20 and 35 characters for free text): we keep to the smallest that fits our steps, 20 for text
  and 32 for numbers, so an approved template never refuses our values.
- Flow control per number (isv.BUSINESS_LIMIT_CONTROL): the console's default for one signature
  and one number is 1 a minute, 5 an hour, 10 a day; raise it in the console (发送频率设置) and in
  `SmsRateLimits` together. A throttled message is held and sent later, never dropped.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from . import messages
from .china_time import CHINA_TIME


@dataclass(frozen=True)
class VariableRule:
    max_chars: int
    allowed: re.Pattern[str]  # characters a value may hold (others are removed)
    may_cut: bool  # a name or reason may be shortened; a number may not (a cut number misleads)


VARIABLE_RULES: dict[str, VariableRule] = {
    "number": VariableRule(32, re.compile(r"[A-Za-z0-9]"), may_cut=False),
    "text": VariableRule(20, re.compile(r"[\u4e00-\u9fffA-Za-z0-9 ，。、：；（）()\-_/.,:;]"), may_cut=True),
    "link": VariableRule(32, re.compile(r"[A-Za-z0-9_-]"), may_cut=False),
}
EMPTY_TEXT = "无"  # a variable may not be empty


class SmsParameterRefused(ValueError):
    """A value that no approved template would accept (a number too long to send uncut)."""


def clean(value: str, rule: VariableRule) -> str:
    # NFKC turns full-width letters and digits into ASCII ones; the brackets 【】[] and symbols go
    text = unicodedata.normalize("NFKC", str(value)) if rule is not VARIABLE_RULES["text"] else str(value)
    return "".join(ch for ch in text if rule.allowed.fullmatch(ch)).strip()


def fit_value(value: str, var_type: str) -> str:
    rule = VARIABLE_RULES[var_type]
    text = clean(value, rule)
    if len(text) > rule.max_chars:
        if not rule.may_cut:
            raise SmsParameterRefused(f"{var_type} value of {len(text)} characters (at most {rule.max_chars})")
        text = text[: rule.max_chars]
    if not text:
        if var_type != "text":
            raise SmsParameterRefused(f"empty {var_type} value")
        text = EMPTY_TEXT
    return text


def fits(value: str, var_type: str) -> bool:
    try:
        return fit_value(value, var_type) == value
    except SmsParameterRefused:
        return False


def fit_parameters(kind: str, values: dict[str, str]) -> dict[str, str]:
    """The template's variables, each within its rule; a number that does not fit falls back (bill → seq_no)."""
    types = messages.SMS_VARIABLES[kind]
    if set(values) != set(types):
        raise ValueError(f"template {kind} takes {sorted(types)}, not {sorted(values)}")
    return {name: fit_value(values[name], types[name]) for name in types}


# ---- flow control per number ----------------------------------------------------------------------


@dataclass(frozen=True)
class RateLimits:
    per_minute: int = 1
    per_hour: int = 5
    per_day: int = 10

    @classmethod
    def parse(cls, text: str) -> RateLimits:
        """'1,5,10' (per minute, hour, day), as the `SmsRateLimits` parameter gives it."""
        parts = [int(p) for p in text.split(",")]
        if len(parts) != 3 or any(p < 1 for p in parts):
            raise ValueError("SmsRateLimits is three positive numbers: per minute, per hour, per day")
        return cls(*parts)

    def windows(self, now: datetime) -> list[tuple[str, int, datetime]]:
        """(window key, limit, window end) for the minute, hour and day (China time) of `now`."""
        t = now.astimezone(CHINA_TIME)
        minute = t.replace(second=0, microsecond=0)
        hour = minute.replace(minute=0)
        day = hour.replace(hour=0)
        return [
            (f"m{minute:%Y%m%d%H%M}", self.per_minute, minute + timedelta(minutes=1)),
            (f"h{hour:%Y%m%d%H}", self.per_hour, hour + timedelta(hours=1)),
            (f"d{day:%Y%m%d}", self.per_day, day + timedelta(days=1)),
        ]


# Provider answers that mean "not now" (retry later, never drop) and "never" (give up at once).
THROTTLED_CODES = frozenset(
    {"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "Throttling.User", "isv.AMOUNT_NOT_ENOUGH"}
)
REFUSED_CODES = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.INVALID_PARAMETERS",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.MOBILE_COUNT_OVER_LIMIT",
    }
)


def throttle_wait(times_throttled: int) -> int:
    """Seconds to hold a throttled SMS: a minute, five, then hourly (the day window may take a while)."""
    return (60, 300)[times_throttled - 1] if times_throttled <= 2 else 3600


# ---- quiet hours ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    def until(self, now: datetime) -> datetime | None:
        """When the quiet hours that hold `now` end (China time), or None when it is not quiet."""
        t = now.astimezone(CHINA_TIME)
        start = t.replace(hour=self.start.hour, minute=self.start.minute, second=0, microsecond=0)
        end = t.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if self.start <= self.end:  # e.g. 12:00–14:00
            return end if start <= t < end else None
        if t >= start:  # e.g. 22:00–08:00, after 22:00
            return end + timedelta(days=1)
        return end if t < end else None


def dedupe_key(subscription_id: str, seq_no: str, state: str) -> str:
    """One SMS per subscription, declaration and state, whatever the number of events saying so."""
    return f"sms#{subscription_id}#{seq_no}#{state}"


# ---- the request a provider gets ------------------------------------------------------------------


@dataclass(frozen=True)
class SmsRequest:
    phone: str  # mainland mobile, 11 digits (no +86: the provider's form for the mainland)
    sign_name: str
    template_code: str
    parameters: dict[str, str]

    def as_api_call(self) -> dict[str, str]:
        """The SendSms query parameters, as the provider receives them."""
        return {
            "Action": "SendSms",
            "PhoneNumbers": self.phone,
            "SignName": self.sign_name,
            "TemplateCode": self.template_code,
            "TemplateParam": json.dumps(self.parameters, ensure_ascii=False, separators=(",", ":")),
        }


def mainland_number(e164: str) -> str:
    match = re.fullmatch(r"\+?86(1\d{10})", e164) or re.fullmatch(r"(1\d{10})", e164)
    if not match:
        raise ValueError("not a mainland mobile number")
    return match[1]

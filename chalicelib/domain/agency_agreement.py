"""The electronic agency agreement (代理报关委托协议): the consignee authorises the declaring unit.

A customs broker declaring for another enterprise must attach one (随附单证 10000001). With the
config switch "auto agency agreement" the service generates it when missing; without it a
missing agreement fails the declaration.

Agreement number: 17 digits, ``yyyy`` (the year of `today`) + a 13-digit sequence the caller
allocates (an atomic per-year counter, like seq_no's). Deterministic for the same inputs, unique
as long as the sequence is: two agreements never share a number within a year, and the year
prefix keeps numbers of different years apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from . import errors
from .china_time import CHINA_TIME
from .declaration import DeclarationContent, Document, Party

AGREEMENT_EDOC_CODE = "10000001"  # 代理报关委托协议(电子)
SEQUENCE_DIGITS = 13


def same_enterprise(a: Party, b: Party) -> bool | None:
    """True/False when the two can be compared (both codes, else both USCCs), None when they cannot."""
    if a.code and b.code:
        return a.code == b.code
    if a.uscc and b.uscc:
        return a.uscc == b.uscc
    return None


def needs_agreement(content: DeclarationContent) -> bool:
    """The declaring unit declares for another enterprise.

    Compared on the 10-digit codes, else on the USCCs. When neither pair can be compared (one
    party has only a code, the other only a USCC) we cannot prove they are the same enterprise,
    so an agreement is required: declaring without one is the costlier mistake.
    """
    return same_enterprise(content.agent, content.consignee) is not True


def has_agreement(content: DeclarationContent) -> bool:
    return any(doc.edoc_code == AGREEMENT_EDOC_CODE for doc in content.documents)


@dataclass(frozen=True)
class AgencyAgreement:
    """What the agreement states; `agreement_no` is the document number attached to the declaration."""

    agreement_no: str
    principal: Party  # 委托方: the consignee/consignor (境内收发货人)
    agent: Party  # 被委托方: the declaring unit (申报单位)
    goods_name: str  # first item's name, "…等N项" when there are several
    code_ts: str  # first item's HS code
    total: Decimal  # sum of the items' decl_total
    currency: str  # the goods' currency; the first item's when they differ (see mixed_currency)
    mixed_currency: bool  # true when the items use several currencies: `total` then adds unlike amounts
    trade_mode: str
    origin_country: str  # first item's
    ie_flag: str
    bill_no: str | None
    valid_from: date
    valid_to: date
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "agreement_no": self.agreement_no,
            "principal": self.principal.model_dump(mode="json"),
            "agent": self.agent.model_dump(mode="json"),
            "goods_name": self.goods_name,
            "code_ts": self.code_ts,
            "total": str(self.total),
            "currency": self.currency,
            "mixed_currency": self.mixed_currency,
            "trade_mode": self.trade_mode,
            "origin_country": self.origin_country,
            "ie_flag": self.ie_flag,
            "bill_no": self.bill_no,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat(),
            "created_at": self.created_at.isoformat(),
        }


def agreement_number(today: date, sequence: int) -> str:
    """``yyyy`` + the 13-digit zero-padded sequence: 17 digits."""
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 0 <= sequence < 10**SEQUENCE_DIGITS:
        raise ValueError(f"sequence must be an int in 0 … {10**SEQUENCE_DIGITS - 1}, not {sequence!r}")
    if not 1000 <= today.year <= 9999:
        raise ValueError("the year must have four digits")
    return f"{today.year:04d}{sequence:0{SEQUENCE_DIGITS}d}"


def generate_agreement(
    content: DeclarationContent, sequence: int, today: date, *, declared_by: str, now: datetime | None = None
) -> AgencyAgreement:
    """The agreement for `content`, valid from `today` for one year; `now` stamps created_at
    (default: midnight of `today`, China time, so that the result depends on the arguments only).

    `declared_by` is the customs code of the enterprise declaring it (the record's owner, verified
    at import): the agreement names it as agent and nobody else. A declaration whose declaring unit
    is another enterprise is never declared here (gates.declaring_unit_refusal), so an agreement
    never names an enterprise that did not take part."""
    if content.agent.code != declared_by:
        raise ValueError(
            f"the agreement's agent must be the declaring unit that declares it ({declared_by}), "
            f"not {content.agent.code or content.agent.uscc}"
        )
    goods = content.goods
    first = goods[0]
    currencies = list(dict.fromkeys(item.currency for item in goods))
    name = first.g_name if len(goods) == 1 else f"{first.g_name}等{len(goods)}项"
    return AgencyAgreement(
        agreement_no=agreement_number(today, sequence),
        principal=content.consignee,
        agent=content.agent,
        goods_name=name,
        code_ts=first.code_ts,
        total=sum((item.decl_total for item in goods), Decimal(0)),
        currency=currencies[0],
        mixed_currency=len(currencies) > 1,
        trade_mode=content.trade_mode,
        origin_country=first.origin_country,
        ie_flag=content.ie_flag,
        bill_no=content.bill_no,
        valid_from=today,
        valid_to=_one_year_later(today),
        created_at=now or datetime.combine(today, time(), tzinfo=CHINA_TIME),
    )


def attach(content: DeclarationContent, agreement: AgencyAgreement) -> DeclarationContent:
    """A copy of `content` with the agreement among its documents; unchanged when already there.

    Refuses (state_conflict) a declaration that already carries a different agreement: two
    agreements on one declaration would leave customs to guess which one applies.
    """
    mine = Document(edoc_code=AGREEMENT_EDOC_CODE, edoc_no=agreement.agreement_no)
    if mine in content.documents:
        return content
    others = [d.edoc_no for d in content.documents if d.edoc_code == AGREEMENT_EDOC_CODE]
    if others:
        raise errors.state_conflict(
            "该报关单已附有其他代理报关委托协议",
            "The declaration already carries another agency agreement",
            details={"agreement_no": others[0]},
        )
    body = content.model_dump()
    body["documents"] = [*body["documents"], mine.model_dump()]
    # validated again, so that the documents limit (99) still holds
    return DeclarationContent.model_validate(body)


def _one_year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + 1, day=28)

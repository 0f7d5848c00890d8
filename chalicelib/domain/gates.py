"""The validation gates: what decides whether a claimed declaration is declared now, waits, or fails.

Pure: the validation service fetches the facts (config, manifest, arrival report) and applies the
verdict. Order matters: fixed refusals first (they will not get better by waiting), then the
waits, then the comparison, the paperwork and the prompts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from . import advisories as advisory_rules
from . import agency_agreement, classification, customs_rules
from .configs import ConfigContent
from .declaration import Declaration, DeclarationContent, DeclarationStatus, TaxStatus
from .logistics import ArrivalReport, Manifest
from .parts import Part
from .price_history import PriceKey

Outcome = Literal["pass", "wait", "fail", "skip"]


# The enterprise's recent prices by key (domain/price_history.py), or how to read them: read only
# when the advisory gate is reached, not for a declaration that waits for its manifest again.
RecentPrices = Mapping[PriceKey, Sequence[Decimal]] | Callable[[], Mapping[PriceKey, Sequence[Decimal]]]


@dataclass(frozen=True)
class GateStep:
    """One line of the declaration log."""

    gate: str
    outcome: str  # pass | wait | fail | skip | fixed | confirmed
    reason_zh: str
    reason_en: str
    details: Any = None


@dataclass(frozen=True)
class Facts:
    manifest: Manifest | None = None
    arrival: ArrivalReport | None = None


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    steps: list[GateStep]
    content: DeclarationContent
    waiting_reason: str | None = None
    agreement: Any = None  # the AgencyAgreement generated for this declaration, if any

    @property
    def last(self) -> GateStep:
        return self.steps[-1]


@dataclass
class _Run:
    decl: Declaration
    steps: list[GateStep] = field(default_factory=list)

    def ok(self, gate: str, zh: str, en: str, details: Any = None, outcome: str = "pass") -> None:
        self.steps.append(GateStep(gate, outcome, zh, en, details))

    def end(
        self,
        outcome: Outcome,
        gate: str,
        zh: str,
        en: str,
        details: Any = None,
        waiting: str | None = None,
        content: DeclarationContent | None = None,
    ) -> Verdict:
        self.steps.append(GateStep(gate, outcome, zh, en, details))
        return Verdict(outcome, self.steps, content or self.decl.content, waiting)


def declaring_unit_refusal(decl: Declaration) -> GateStep | None:
    """Who declares (docs/security.md): customs takes a declaration only signed by the card of the
    enterprise it names as declaring unit (申报单位), so the service, which declares for the record's
    owner, sends only what the owner is the declaring unit of: as a broker, or as a consignee that
    declares itself (自理: one enterprise on both sides). Anything else fails, saying that the
    declaring unit must declare it (it imports and declares its own copy). None: the owner declares it.
    The claim, the gates and the submission all ask this."""
    agent = decl.content.agent
    if "agent" in decl.owner_sides and agent.code == decl.owner_ent:
        return None
    named = agent.code or agent.uscc or "-"
    return GateStep(
        "declaring_unit",
        "fail",
        f"须由申报单位 {named} 申报：本企业不是该报关单的申报单位，不能代其申报",
        f"must be declared by its declaring unit {named}: your enterprise is not its declaring unit",
        {"agent": agent.model_dump(mode="json", exclude_none=True), "owner_ent": decl.owner_ent},
    )


def needs_manifest(config: ConfigContent) -> bool:
    return config.require_manifest or config.compare_manifest


def evaluate(
    decl: Declaration,
    config: ConfigContent,
    facts: Facts,
    *,
    today: date,
    agreement_sequence: Callable[[], int],
    recent_prices: RecentPrices | None = None,
    parts: Mapping[str, Part] | None = None,
) -> Verdict:
    run, c = _Run(decl), decl.content

    if decl.status != DeclarationStatus.TEMP_SAVED:
        return run.end(
            "skip",
            "status",
            "报关单已不是暂存状态(可能已手动申报)，移出智能申报池",
            "no longer temp-saved (declared by hand?); leaves the pool",
            {"status": str(decl.status)},
        )
    refusal = declaring_unit_refusal(decl)
    if refusal is not None:
        return run.end("fail", refusal.gate, refusal.reason_zh, refusal.reason_en, refusal.details)
    if c.two_step:
        return run.end(
            "fail",
            "two_step",
            "智能辅助申报暂不支持两步申报，仅支持整合申报",
            "two-step declarations are not supported; only integrated declaration is",
        )
    ended = _rule_gates(run, c)
    if ended is not None:
        return ended
    if (
        agency_agreement.needs_agreement(c)
        and not agency_agreement.has_agreement(c)
        and not config.auto_agency_agreement
    ):
        return run.end(
            "fail",
            "agency_agreement",
            "缺少代理报关委托协议，且未配置自动生成",
            "agency agreement missing and auto-generation is off",
        )

    if c.self_pay and decl.tax_status != TaxStatus.CONFIRMED:
        return run.end(
            "wait",
            "tax",
            "自报自缴报关单税费未确认，确认后再申报",
            "self-declared self-paid: waits until the tax is confirmed",
            waiting="tax",
        )
    ended = _licence_gate(run, c) or _logistics_gates(run, c, config, facts)
    if ended is None:
        ended = _advisory_gate(run, decl, config, recent_prices, parts)
    if ended is not None:
        return ended

    content, agreement = c, None
    if agency_agreement.needs_agreement(c) and not agency_agreement.has_agreement(c):
        agreement = agency_agreement.generate_agreement(c, agreement_sequence(), today, declared_by=decl.owner_ent)
        content = agency_agreement.attach(c, agreement)
        run.ok(
            "agency_agreement",
            f"已自动生成代理报关委托协议 {agreement.agreement_no}",
            f"agency agreement {agreement.agreement_no} generated and attached",
            agreement.as_json(),
            outcome="fixed",
        )
    verdict = run.end("pass", "passed", "校验通过，进入申报", "all checks passed; goes to declaration", content=content)
    return Verdict(verdict.outcome, verdict.steps, content, None, agreement)


def _rule_gates(run: _Run, c: DeclarationContent) -> Verdict | None:
    """Direct-customs rules, then what customs refuses in the goods (HS code, 申报要素, prohibited goods)."""
    violations = customs_rules.check(c)
    if violations:
        return run.end(
            "fail",
            "customs_rules",
            "未通过直属海关特色校验",
            "failed the customs-specific checks",
            [v.as_json() for v in violations],
        )
    run.ok("customs_rules", "直属海关特色校验通过", "customs-specific checks passed")
    refused = classification.refusals(c)
    if refused:
        zh, en = "商品编号或申报要素不符合海关要求", "HS code or declaration elements refused"
        return run.end("fail", "classification", zh, en, refused)
    unchecked = classification.unchecked_national_codes(c)
    if unchecked:
        zh, en = "商品编号第7-10位未经核对(无本国税则表)", "national digits 7-10 not checked (no national table)"
        run.ok("classification", zh, en, unchecked, outcome="info")
    return None


def _licence_gate(run: _Run, c: DeclarationContent) -> Verdict | None:
    """A licence the goods need and the declaration lacks: it waits for a person to add it (why a wait,
    not a failure: domain/classification/licences.py)."""
    lacking = classification.missing_licences(c)
    if not lacking:
        return None
    zh, en = classification.licences.reason(lacking)
    return run.end("wait", "licence", zh, en, [m.as_json() for m in lacking], waiting="licence")


def _logistics_gates(run: _Run, c: DeclarationContent, config: ConfigContent, facts: Facts) -> Verdict | None:
    """Manifest, arrival and comparison, as the config asks; a verdict when one of them stops the declaration."""
    if needs_manifest(config):
        if not c.bill_no:
            return run.end(
                "fail",
                "manifest",
                "配置要求有舱单申报，但报关单没有提运单号",
                "the config needs a manifest but the declaration has no bill_no",
            )
        if facts.manifest is None:
            return run.end(
                "wait",
                "manifest",
                f"未查询到提运单号 {c.bill_no} 的舱单数据，等待后再申报",
                f"no manifest yet for bill {c.bill_no}; waits",
                waiting="manifest",
            )
        run.ok("manifest", "舱单数据已找到", "manifest found")
    if config.require_arrival:
        if facts.arrival is None or not facts.arrival.arrived:
            return run.end(
                "wait", "arrival", "货物尚未运抵，运抵后再申报", "goods not arrived yet; waits", waiting="arrival"
            )
        run.ok("arrival", "已运抵", "arrived")
    if config.compare_manifest:
        differences = compare_with_manifest(c, facts.manifest)
        if differences:
            return run.end("fail", "compare", "报关单与舱单数据不一致", "declaration and manifest differ", differences)
        run.ok("compare", "报关单与舱单比对一致", "declaration agrees with the manifest")
    return None


def _advisory_gate(
    run: _Run,
    decl: Declaration,
    config: ConfigContent,
    recent_prices: RecentPrices | None,
    parts: Mapping[str, Part] | None,
) -> Verdict | None:
    """Advisory prompts: confirmed by the system or a person, or the declaration waits for one."""
    prices = recent_prices() if callable(recent_prices) else recent_prices
    prompts = advisory_rules.advisories(decl.content, prices, parts)
    if prompts:
        fingerprint = advisory_rules.fingerprint(prompts)
        listed = [
            {"code": p.code, "g_no": p.g_no, "message_zh": p.message_zh, "message_en": p.message_en} for p in prompts
        ]
        if config.auxiliary_confirm:
            run.ok(
                "advisory",
                "温馨提示已由系统辅助确认",
                "advisory prompts confirmed by the system",
                listed,
                outcome="confirmed",
            )
        elif decl.advisories_confirmed == fingerprint:
            run.ok(
                "advisory", "温馨提示已人工确认", "advisory prompts confirmed by a person", listed, outcome="confirmed"
            )
        else:
            return run.end(
                "wait",
                "advisory",
                "存在温馨提示，等待人工确认",
                "advisory prompts wait for a person to confirm them",
                {"fingerprint": fingerprint, "prompts": listed},
                waiting="advisory",
            )
    return None


def compare_with_manifest(c: DeclarationContent, manifest: Manifest | None) -> list[dict[str, str]]:
    """Each field where declaration and manifest disagree: {field, declared, manifest}."""
    if manifest is None:
        return [{"field": "manifest", "declared": c.bill_no or "", "manifest": ""}]
    pairs = [
        ("bill_no", c.bill_no, manifest.bill_no),
        ("pack_no", c.pack_no, manifest.pack_no),
        ("gross_wt", c.gross_wt, manifest.gross_wt),
    ]
    if manifest.traf_name:
        pairs.append(("traf_name", c.traf_name, manifest.traf_name))
    if manifest.voyage_no:
        pairs.append(("voyage_no", c.voyage_no, manifest.voyage_no))
    return [
        {"field": name, "declared": _text(declared), "manifest": _text(expected)}
        for name, declared, expected in pairs
        if not _same(declared, expected)
    ]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except ArithmeticError:
            return False
    return _text(a).strip().upper() == _text(b).strip().upper()


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return "" if value is None else str(value)

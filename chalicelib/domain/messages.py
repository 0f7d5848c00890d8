"""The push catalogue: every word a subscriber reads in an e-mail or an SMS, in one place.

A message names the declaration the way the enterprise knows it (bill of lading, consignee,
config, entry_id, the first goods name), says the new state in words, and for a failure or a
wait says what to do next. The reasons themselves are the gates' and the engine's (the API's
`reason_zh`/`reason_en`); this catalogue adds the next step to each of them, keyed by the start
of the reason text, and a test keeps those keys equal to texts that `gates.py` really writes.

SMS through a mainland provider are pre-approved templates with variables: `SMS_TEMPLATES` are
the texts to submit for approval (one per message kind), `sms_parameters` fills their variables
within the provider's limits (`domain/sms.py`). The English half of an e-mail is English only:
Chinese names (consignee, goods, config) are left to the Chinese half.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

from .china_time import CHINA_TIME
from .declaration_status import DeclarationStatus
from .events import CHANNEL_LABELS, WAITING_LABELS, Event
from .receipts import RANK, channel_info

SIGNATURE_DEFAULT = "智能申报"

# ---- states in words --------------------------------------------------------------------------------
# The state vocabulary subscribers filter on (`Subscription.states`): smart statuses, with "waiting"
# split from "pending"; receipts by what they mean; the overdue watchdog.
STATE_WORDS: dict[str, tuple[str, str]] = {
    "pending": ("待申报", "waiting to be declared"),
    "waiting": ("暂缓申报", "on hold"),
    "in_progress": ("申报中", "being declared"),
    "succeeded": ("申报成功", "declared"),
    "failed": ("申报失败", "failed"),
    "accepted": ("海关入库成功", "accepted by customs"),
    "received": ("海关已接单", "received by customs"),
    "inspection": ("海关查验通知", "customs inspection notice"),
    "held": ("海关挂起", "held by customs"),
    "rejected": ("海关退单", "returned by customs"),
    "released": ("海关放行", "released by customs"),
    "closed": ("海关结关", "closed by customs"),
    "receipt": ("海关回执", "customs receipt"),
    "overdue": ("未收到海关回执", "no customs receipt yet"),
}
STATES: tuple[str, ...] = tuple(STATE_WORDS)

# DEC_RESULT CHANNEL → state word: from the receipts table (domain/receipts.CHANNELS, the same rows
# that move the declaration's status and label the API's receipts), by the status a receipt leads to.
_STATUS_STATES = {
    DeclarationStatus.DECLARED: "received",
    DeclarationStatus.ACCEPTED: "accepted",
    DeclarationStatus.REJECTED: "rejected",
    DeclarationStatus.RELEASED: "released",
    DeclarationStatus.CLOSED: "closed",
}
_CHANNEL_STATES_WITHOUT_STATUS = {"C": "inspection", "H": "held", "A": "held", "D": "rejected"}


def channel_state(channel: str) -> str:
    info = channel_info(channel)
    status_state = _STATUS_STATES.get(info.status) if info.status is not None else None
    return status_state or _CHANNEL_STATES_WITHOUT_STATUS.get(channel, "receipt")


# ---- next steps -------------------------------------------------------------------------------------
# (start of the reason as the gates write it, next step zh, next step en). A Chinese step fits one SMS
# variable (≤ 20 characters, domain/sms.py).
FAILURE_STEPS: tuple[tuple[str, str, str], ...] = (
    (
        "须由申报单位",
        "请申报单位申报，或改为自理后点击继续",
        "ask the declaring unit to declare it, or make your enterprise its declaring unit and press Continue",
    ),
    (
        "缺少代理报关委托协议，且未配置自动生成",
        "开启自动生成代理报关委托协议后点击继续",
        "turn on automatic agency agreements in the config, then press Continue",
    ),
    (
        "智能辅助申报暂不支持两步申报",
        "改为整合申报后点击继续或手动申报",
        "change it to an integrated declaration and press Continue, or declare it by hand",
    ),
    (
        "未通过直属海关特色校验",
        "按申报日志修改报关单后点击继续",
        "correct the declaration as its log says, then press Continue",
    ),
    (
        "配置要求有舱单申报，但报关单没有提运单号",
        "补充提运单号后点击继续",
        "add the bill of lading number, then press Continue",
    ),
    (
        "报关单与舱单数据不一致",
        "核对报关单与舱单后点击继续",
        "check the declaration against the manifest, then press Continue",
    ),
)
FAILURE_STEP_DEFAULT = ("查看申报日志，修改后点击继续", "read the declaration log, correct it, then press Continue")
WAITING_STEPS: dict[str, tuple[str, str]] = {
    "manifest": ("舱单到达后自动申报，无需操作", "it declares itself once the manifest arrives; nothing to do"),
    "arrival": ("运抵后自动申报，无需操作", "it declares itself once the goods arrive; nothing to do"),
    "tax": ("请在控制台确认税费", "confirm the tax in the console"),
    "advisory": ("请在控制台确认温馨提示", "confirm the advisory prompts in the console"),
    "licence": ("补充监管证件后自动申报", "add the licence to the declaration; it then declares itself"),
    "customs_unavailable": ("海关恢复后自动重试，无需操作", "it retries by itself when customs is back; nothing to do"),
}
RECEIPT_STEPS: dict[str, tuple[str, str]] = {
    "E": ("按退单原因修改后重新申报", "correct it as customs' note says and declare it again"),
    "8": ("按失败原因修改后重新申报", "correct it as customs' answer says and declare it again"),
    "C": ("请准备海关查验", "prepare for the customs inspection"),
    "H": ("请联系海关了解挂起原因", "ask customs why it is held"),
}
OVERDUE_STEP = ("请在单一窗口核查报关单状态", "check the declaration's status on the Single Window")

# ---- the customs channel (exchange): the agent or the client down and back, a send overdue -------------
# Their own states, apart from STATE_WORDS (the subscriber's filter vocabulary): a subscription that
# filters on states does not get them; SMS dedupe (one per declaration and state) keeps down and back apart.
CHANNEL_STATE_WORDS: dict[str, tuple[str, str]] = {
    "channel_down": ("报文通道中断", "customs channel down"),
    "channel_up": ("报文通道恢复", "customs channel back"),
    "handover_overdue": ("报文超时未获海关回执", "no answer from customs in time"),
}
CHANNEL_TITLES: dict[tuple[str, str], tuple[str, str]] = {
    ("agent", "down"): ("报文客户端代理失联", "the agent on the broker's PC is silent"),
    ("agent", "up"): ("报文客户端代理已恢复", "the agent on the broker's PC is back"),
    ("client", "down"): ("单一窗口客户端未在发送", "the Single Window client is not sending"),
    ("client", "up"): ("单一窗口客户端已恢复发送", "the Single Window client sends again"),
    ("send", "overdue"): ("报文超时未获海关回执", "no answer from customs in time"),
}
CHANNEL_STEPS: dict[tuple[str, str], tuple[str, str]] = {
    ("agent", "down"): (
        "请检查报关员电脑上的代理程序",
        "check that smartdecl agent runs on the broker's PC and is online",
    ),
    ("client", "down"): ("请重启单一窗口客户端", "restart the Single Window client and check its IC card or UKey"),
    ("send", "overdue"): ("请在单一窗口客户端核查", "check the message in the Single Window client"),
}


def _channel_part(event: Event) -> tuple[str, str]:
    return str(event.data.get("part") or ""), str(event.data.get("state") or "")


# ---- SMS templates (submit these texts for approval; one template code per kind) ---------------------
SMS_KINDS: tuple[str, ...] = ("declared", "failed", "waiting", "progress", "receipt", "overdue")
# A link in an approved template must be fixed text with at most a path parameter ("www.x.cn/${code}"
# is allowed, "www.${site}.cn" is not): `{base}` is our ICP-filed API domain, written into the text
# submitted for approval; `${link}` is the short code of GET /s/{code}.
SMS_TEMPLATES: dict[str, str] = {
    "declared": "报关单（${ref}，${goods}）已申报成功，海关编号${entry}。详情：{base}/s/${link}",
    "failed": "报关单（${ref}，${goods}）申报失败：${reason}。请${step}。详情：{base}/s/${link}",
    "waiting": "报关单（${ref}，${goods}）暂缓申报：${reason}。${step}。详情：{base}/s/${link}",
    "progress": "报关单（${ref}，${goods}）${state}。详情：{base}/s/${link}",
    "receipt": "报关单（${ref}，${goods}）海关回执：${receipt}，海关编号${entry}，${step}。详情：{base}/s/${link}",
    "overdue": "报关单（${ref}，${goods}）已申报${hours}小时未收到海关回执，请核查。详情：{base}/s/${link}",
}
# Each template's variables and the provider's variable type (domain/sms.VARIABLE_RULES).
SMS_VARIABLES: dict[str, dict[str, str]] = {
    kind: {
        name: _type
        for name, _type in (
            ("ref", "text"),
            ("goods", "text"),
            ("entry", "text"),
            ("reason", "text"),
            ("step", "text"),
            ("state", "text"),
            ("receipt", "text"),
            ("hours", "number"),
            ("link", "link"),
        )
        if f"${{{name}}}" in text
    }
    for kind, text in SMS_TEMPLATES.items()
}


@dataclass(frozen=True)
class Rendered:
    """What one event says: the state, the names, the next step, in both languages."""

    kind: str  # the SMS template kind
    state: str  # the filter vocabulary (STATES)
    title_zh: str
    title_en: str
    names_zh: list[str]
    names_en: list[str]
    reason_zh: str | None
    reason_en: str | None
    step_zh: str | None
    step_en: str | None
    link: str | None


def state_of(event: Event) -> str:
    """The state word an event is filtered on (and named by)."""
    d = event.data
    if event.event_type == "customs_receipt":
        return channel_state(str(d.get("channel") or ""))
    if event.event_type == "receipt_overdue":
        return "overdue"
    if event.event_type == "customs_channel":
        part, state = _channel_part(event)
        return "handover_overdue" if part == "send" else "channel_up" if state == "up" else "channel_down"
    status = str(d.get("smart_status") or "")
    if status == "pending" and d.get("waiting_reason"):
        return "waiting"
    return status if status in STATE_WORDS else "pending"


# ---- order: never an older state after a newer one --------------------------------------------------


def order_of(event: Event) -> tuple[str, int | None]:
    """Where an event stands in its declaration's life, for a subscriber who must never get an older
    state after a newer one: when it happened (a transition is one write on the record's version, so
    a declaration's events happen in order), and the status it leads to, ranked (a receipt applied
    late, 入库成功 after 放行, happened later but says less than what was already sent). A message
    whose order is below the subscriber's last one for the declaration is stale: dropped, and the
    delivery log says so (services/notifications.py)."""
    rank = None
    if event.event_type == "customs_receipt":
        status = channel_info(str(event.data.get("channel") or "")).status
        rank = RANK[status] if status is not None else None
    elif state_of(event) == "succeeded":
        rank = RANK[DeclarationStatus.DECLARED]
    return event.occurred_at.astimezone(CHINA_TIME).isoformat(timespec="microseconds"), rank


STALE_NOTE = "a newer state of this declaration was sent to this subscriber already"


def kind_of(event: Event) -> str:
    state = state_of(event)
    if event.event_type == "customs_receipt":
        return "receipt"
    if event.event_type == "receipt_overdue":
        return "overdue"
    if event.event_type == "customs_channel":
        return "progress"  # its title is the state the progress template names
    return {"succeeded": "declared", "failed": "failed", "waiting": "waiting"}.get(state, "progress")


def console_link(console_url: str | None, seq_no: str) -> str | None:
    """The declaration in the console: `<ConsoleUrl>/console/#/declarations/<seq_no>`."""
    if not console_url:
        return None
    # the ConsoleUrl parameter is the console's own URL (…/console/); a bare base URL works too
    base = console_url.rstrip("/")
    base = base if base.endswith("/console") else f"{base}/console"
    return f"{base}/#/declarations/{seq_no}"


def failure_step(reason_zh: str | None) -> tuple[str, str]:
    for start, zh, en in FAILURE_STEPS:
        if reason_zh and reason_zh.startswith(start):
            return zh, en
    return FAILURE_STEP_DEFAULT


_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def english(text: Any) -> str | None:
    """The text if it holds no Chinese (so it may stand in the English half), else None."""
    if text is None or text == "":
        return None
    text = str(text)
    return None if _CJK.search(text) else text


IN_CHINESE = "given in the Chinese part above"
_CJK_NAME = re.compile(rf"\s*[(（]?\s*{_CJK.pattern}+\s*[)）]?")  # a Chinese name in an English text, with its brackets


def english_reason(reason_en: Any, reason_zh: Any) -> str | None:
    """The English half always carries the reason when the Chinese half has one: the English
    reason, with any Chinese names in it (goods, a consignee) left to the Chinese half, else a
    pointer to the Chinese part."""
    if not reason_zh and not reason_en:
        return None
    if reason_en and (plain := english(reason_en)):
        return plain
    if reason_en:
        stripped = _CJK_NAME.sub(" …", str(reason_en))
        stripped = re.sub(r"(\s*…)+", " …", stripped).strip()
        if stripped and stripped != "…":
            return stripped
    return IN_CHINESE


def render(event: Event, console_url: str | None = None) -> Rendered:
    d, state, kind = event.data, state_of(event), kind_of(event)
    word_zh, word_en = STATE_WORDS.get(state) or CHANNEL_STATE_WORDS[state]
    reason_zh, reason_en, step = d.get("reason_zh"), english_reason(d.get("reason_en"), d.get("reason_zh")), None
    if event.event_type == "customs_receipt":
        channel = str(d.get("channel") or "")
        label_zh = d.get("channel_label") or CHANNEL_LABELS.get(channel) or word_zh
        label_en = channel_info(channel).label_en.lower() if channel else word_en
        title_zh, title_en = f"海关回执：{label_zh}", f"customs receipt: {label_en}"
        note = d.get("note") or None
        # a refusal, a failure or a hold always says why, in both halves (customs' note may be empty)
        reason_zh = (note or "海关未注明原因") if channel in ("E", "8", "H") else None
        said = "customs' note is in the Chinese part" if note else "customs gave no reason"
        reason_en = (english(note) or said) if reason_zh else None
        step = RECEIPT_STEPS.get(channel)
    elif event.event_type == "customs_channel":
        part = _channel_part(event)
        title_zh, title_en = CHANNEL_TITLES.get(part, (word_zh, word_en))
        waiting = d.get("waiting")
        reason_zh = f"{waiting}份报关单等待发送" if part[1] == "down" and waiting else None
        reason_en = f"{waiting} declarations waiting to be sent" if reason_zh else None
        if part == ("send", "overdue"):
            hours = d.get("overdue_hours")
            reason_zh = f"代理领取后{hours}小时未收到海关回执" if hours else None
            reason_en = f"no answer {hours} hours after the agent took it" if hours else None
        step = CHANNEL_STEPS.get(part)
    elif event.event_type == "receipt_overdue":
        hours = d.get("overdue_hours")
        title_zh = f"已申报{hours}小时未收到海关回执" if hours else "已申报，尚未收到海关回执"
        title_en = f"declared {hours} hours ago and no customs receipt yet" if hours else word_en
        step = OVERDUE_STEP
    else:
        title_zh, title_en = word_zh, word_en
        if state == "failed":
            step = failure_step(reason_zh)
        elif state == "waiting":
            waiting = WAITING_LABELS.get(str(d.get("waiting_reason")))
            if waiting and not reason_zh:
                reason_zh, reason_en = waiting
            reason_en = reason_en or (waiting[1] if waiting else None)
            step = WAITING_STEPS.get(str(d.get("waiting_reason")))
        else:
            reason_zh, reason_en = None, None
    return Rendered(
        kind=kind,
        state=state,
        title_zh=title_zh,
        title_en=title_en,
        names_zh=_names_zh(event),
        names_en=_names_en(event),
        reason_zh=reason_zh,
        reason_en=reason_en,
        step_zh=step[0] if step else None,
        step_en=step[1] if step else None,
        link=console_link(console_url, event.seq_no),
    )


def _names_zh(event: Event) -> list[str]:
    d = event.data
    rows = [
        ("提运单号", d.get("bill_no")),
        ("境内收发货人", d.get("consignee_name")),
        ("智能申报配置", d.get("config_name")),
        ("海关编号", d.get("entry_id")),
        ("商品", d.get("goods_name")),
        ("统一编号", event.seq_no),
    ]
    return [f"{label}：{value}" for label, value in rows if value]


def _names_en(event: Event) -> list[str]:
    d = event.data
    rows = [
        ("Bill of lading", english(d.get("bill_no"))),
        ("Consignee", english(d.get("consignee_name"))),
        ("Config", english(d.get("config_name"))),
        ("Entry id", english(d.get("entry_id"))),
        ("Goods", english(d.get("goods_name"))),
        ("Seq no", event.seq_no),
    ]
    return [f"{label}: {value}" for label, value in rows if value]


def _what(event: Event) -> tuple[str, str]:
    """How the declaration is called in a title: its bill of lading, else its seq_no."""
    if event.event_type == "customs_channel" and _channel_part(event)[0] in ("agent", "client"):
        return "", "customs channel"  # about the enterprise's channel, not one declaration
    bill = event.data.get("bill_no")
    return (f"提单{bill}", f"bill {bill}") if bill else (f"报关单{event.seq_no}", f"declaration {event.seq_no}")


# ---- e-mail -----------------------------------------------------------------------------------------


def email_subject(event: Event, signature: str = SIGNATURE_DEFAULT) -> str:
    r, (what_zh, what_en) = render(event), _what(event)
    return f"【{signature}】{what_zh}{r.title_zh} / {what_en}: {r.title_en}"


def sns_subject(event: Event) -> str:
    """SNS refuses a Subject that is not ASCII or ≥ 100 characters; the Chinese title opens the body."""
    r, (_, what_en) = render(event), _what(event)
    subject = f"SmartDecl {what_en}: {r.title_en}"
    return (english(subject) or f"SmartDecl {event.seq_no}: {r.title_en}")[:99]


def email_text(event: Event, console_url: str | None = None, signature: str = SIGNATURE_DEFAULT) -> str:
    """The mail body: the Chinese block, then the same facts in English (English only)."""
    r, (what_zh, what_en) = render(event, console_url), _what(event)
    zh = [f"【{signature}】{what_zh}{r.title_zh}", "", *r.names_zh, f"状态：{r.title_zh}"]
    en = [f"Smart declaration, {what_en}: {r.title_en}", "", *r.names_en, f"State: {r.title_en}"]
    if r.reason_zh:
        zh.append(f"原因：{r.reason_zh}")
    if r.reason_en:
        en.append(f"Reason: {r.reason_en}")
    if r.step_zh:
        zh.append(f"下一步：{r.step_zh}")
        en.append(f"Next step: {r.step_en}")
    if event.data.get("batch_no"):
        zh.append(f"批次号：{event.data['batch_no']}")
        en.append(f"Batch no: {event.data['batch_no']}")
    if r.link:
        zh.append(f"在控制台查看：{r.link}")
        en.append(f"Open in the console: {r.link}")
    zh += [
        f"发生时间：{event.occurred_at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M}（北京时间）",
        f"事件编号：{event.event_id}",
    ]
    en += [
        f"Occurred at: {event.occurred_at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M} (China time)",
        f"Event id: {event.event_id}",
    ]
    return "\n".join(zh) + "\n\n----\n" + "\n".join(en) + "\n"


def digest_text(
    events: list[Event],
    window_zh: str,
    window_en: str,
    console_url: str | None = None,
    unsubscribe_url: str | None = None,
    signature: str = SIGNATURE_DEFAULT,
) -> tuple[str, str]:
    """One e-mail listing every change of a window: (subject, body). Events in time order."""
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.event_id))
    subject = f"SmartDecl digest {window_en}: {len(ordered)} changes"
    zh = [f"【{signature}】{window_zh}报关单状态汇总，共{len(ordered)}条", ""]
    en = [f"Smart declaration digest, {window_en}: {len(ordered)} changes", ""]
    for e in ordered:
        r, (what_zh, what_en) = render(e, console_url), _what(e)
        at = e.occurred_at.astimezone(CHINA_TIME)
        goods = f"（{e.data['goods_name']}）" if e.data.get("goods_name") else ""
        zh.append(f"{at:%m-%d %H:%M} {what_zh}{goods}{r.title_zh}" + (f"；{r.step_zh}" if r.step_zh else ""))
        en.append(f"{at:%m-%d %H:%M} {what_en}: {r.title_en}" + (f"; next: {r.step_en}" if r.step_en else ""))
        if r.link:
            zh.append(f"    {r.link}")
            en.append(f"    {r.link}")
    if unsubscribe_url:
        zh += ["", f"退订汇总邮件：{unsubscribe_url}"]
        en += ["", f"Unsubscribe from this digest: {unsubscribe_url}"]
    return subject, "\n".join(zh) + "\n\n----\n" + "\n".join(en) + "\n"


# ---- SMS --------------------------------------------------------------------------------------------


def sms_values(event: Event) -> dict[str, str]:
    """The raw values of the SMS variables (before the provider's limits, domain/sms.py)."""
    from .sms import fits

    r, d = render(event), event.data
    # "提单<bill>" when the bill fits whole in a text variable, else the seq_no (never a cut number)
    bill = d.get("bill_no")
    ref = f"提单{bill}" if bill and fits(f"提单{bill}", "text") else event.seq_no
    reason = r.reason_zh or (STATE_WORDS.get(r.state) or CHANNEL_STATE_WORDS[r.state])[0]
    if r.kind == "waiting" and d.get("waiting_reason") in WAITING_LABELS:
        reason = WAITING_LABELS[d["waiting_reason"]][0]  # "等待舱单", not the log's long sentence
    reason = re.split(r"[（(]", reason, maxsplit=1)[0] or reason  # the details stay in the log and the mail
    values = {
        "ref": ref,
        "goods": d.get("goods_name") or "货物",
        # the entry number (海关编号) once customs gave it; a declared SMS says it will come with a receipt
        "entry": d.get("entry_id") or ("将随海关回执告知" if r.kind == "declared" else "尚未分配"),
        "reason": reason,
        "step": r.step_zh or "无需操作",
        "state": r.title_zh,
        "receipt": r.title_zh.removeprefix("海关回执："),
        "hours": str(d.get("overdue_hours") or 24),
        "link": short_code(event.seq_no),
    }
    return {name: values[name] for name in SMS_VARIABLES[r.kind]}


def fill(template: str, values: dict[str, str], base: str = "") -> str:
    """The text the template gives with these values (what the phone shows after the signature)."""
    return string.Template(template.replace("{base}", base.rstrip("/"))).substitute(values)


# ---- short links ------------------------------------------------------------------------------------
# A seq_no (I|E + 17 digits) packs into 10 base62 characters, reversibly: GET /s/{code} needs no table.
# A seq_no of another form is its own code. The console still asks for a login: the code is no secret.
_B62 = string.digits + string.ascii_letters
_SEQ_NO = re.compile(r"([IE])(\d{17})")


def short_code(seq_no: str) -> str:
    match = _SEQ_NO.fullmatch(seq_no)
    if not match:
        return seq_no
    n, out = int(match[2]) * 2 + (match[1] == "E"), ""
    while True:
        n, r = divmod(n, 62)
        out = _B62[r] + out
        if not n:
            return out.rjust(10, "0")


def seq_no_of(code: str) -> str | None:
    """The seq_no a short code stands for, or None when it is no code of ours."""
    if _SEQ_NO.fullmatch(code):
        return code
    if len(code) != 10 or any(c not in _B62 for c in code):
        return None
    n = 0
    for c in code:
        n = n * 62 + _B62.index(c)
    digits, flag = divmod(n, 2)
    return f"{'E' if flag else 'I'}{digits:017d}" if digits < 10**17 else None

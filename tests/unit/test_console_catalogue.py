"""The console's texts all come from one message catalogue (console/i18n.js), in both languages."""

from __future__ import annotations

import ast
import re
from typing import get_args

from tests.factories import ROOT

CONSOLE = ROOT / "console"
CATALOGUE = (CONSOLE / "i18n.js").read_text(encoding="utf-8")
KEY = re.compile(r'^\s+"([a-z0-9_.]+)":', re.M)
HAN = re.compile(r"[\u4e00-\u9fff]")
# data, not words of the interface: the local sign-in's example enterprises
DATA = {"中国大恒(集团)有限公司", "上海示例进出口有限公司"}


def language(name: str) -> list[str]:
    start = CATALOGUE.index(f"  {name}: {{")
    end = CATALOGUE.index("\n  },", start)
    return KEY.findall(CATALOGUE[start:end])


def scripts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in CONSOLE.glob("*.js") if p.name != "i18n.js"}


def test_chinese_and_english_have_the_same_keys():
    zh, en = language("zh"), language("en")
    assert len(zh) == len(set(zh)), "a key appears twice in zh"
    assert set(zh) == set(en), {"only zh": set(zh) - set(en), "only en": set(en) - set(zh)}


def test_every_key_the_screens_ask_for_is_in_the_catalogue():
    known = set(language("zh"))
    used = {key for text in scripts().values() for key in re.findall(r'\bt\("([a-z0-9_.]+)"', text)}
    assert used and used - known == set()


def test_no_screen_carries_chinese_text_of_its_own():
    for name, text in scripts().items():
        code = re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)  # comments may quote the seed
        for literal in re.findall(r'"[^"\n]*"|`[^`]*`', code):
            stripped = literal
            for data in DATA:
                stripped = stripped.replace(data, "")
            assert not HAN.search(stripped), f"{name}: {literal} belongs in console/i18n.js"


def test_the_subscription_screen_offers_the_states_subscribers_filter_on_in_their_words():
    # one list of states (domain/messages.py STATES) and one wording of them, in the console too
    from chalicelib.domain.messages import STATE_WORDS, STATES

    screen = (CONSOLE / "screen-subscriptions.js").read_text(encoding="utf-8")
    offered = re.findall(r'"([a-z_]+)"', re.search(r"export const STATES = \[(.*?)\];", screen, re.S)[1])
    assert tuple(offered) == STATES

    def words(name: str) -> dict[str, str]:
        start = CATALOGUE.index(f"  {name}: {{")
        section = CATALOGUE[start : CATALOGUE.index("\n  },", start)]
        return dict(re.findall(r'^\s+"subs\.state\.([a-z_]+)": "([^"]*)",', section, re.M))

    assert words("zh") == {state: zh for state, (zh, _) in STATE_WORDS.items()}
    assert words("en") == {state: en for state, (_, en) in STATE_WORDS.items()}


def test_receipt_channels_read_as_the_receipts_table_names_them():
    # one table of customs' channels (domain/receipts.CHANNELS): the console says L as 海关入库成功
    from chalicelib.domain.receipts import CHANNELS

    def words(name: str) -> dict[str, str]:
        start = CATALOGUE.index(f"  {name}: {{")
        section = CATALOGUE[start : CATALOGUE.index("\n  },", start)]
        return dict(re.findall(r'^\s+"channel\.([A-Za-z0-9]+)": "([^"]*)",', section, re.M))

    assert words("zh") == {code: info.label_zh for code, info in CHANNELS.items()}
    assert words("en") == {code: info.label_en for code, info in CHANNELS.items()}


def test_the_console_names_the_usual_chinese_system_fonts_and_loads_none():
    css = (CONSOLE / "app.css").read_text(encoding="utf-8")
    family = re.search(r"font-family:([^;]+);", css)[1]
    for font in ("PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Source Han Sans SC", "Noto Sans CJK SC"):
        assert f'"{font}"' in family, font
    assert "@font-face" not in css and "@import" not in css  # nothing fetched from a CDN outside China


def words_of(name: str) -> dict[str, str]:
    start = CATALOGUE.index(f"  {name}: {{")
    section = CATALOGUE[start : CATALOGUE.index("\n  },", start)]
    return dict(re.findall(r'^\s+"([A-Za-z0-9_.]+)": "([^"]*)",', section, re.M))


def logged_gates_and_outcomes() -> tuple[set[str], set[str]]:
    """Every gate and outcome the code writes into a declaration log as a literal: LogEntry(at, gate,
    outcome, …), GateStep(gate, outcome, …), run.end(outcome, gate, …), run.ok(gate, …, outcome=)."""

    def text(node: ast.expr | None) -> str | None:
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None

    gates: set[str | None] = set()
    outcomes: set[str | None] = set()
    for path in (ROOT / "chalicelib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            f, a = node.func, node.args
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            on_run = isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "run"
            if name == "LogEntry" and len(a) >= 3:
                gates.add(text(a[1]))
                outcomes.add(text(a[2]))
            elif name == "GateStep" and len(a) >= 2:
                gates.add(text(a[0]))
                outcomes.add(text(a[1]))
            elif name == "end" and on_run and len(a) >= 2:
                outcomes.add(text(a[0]))
                gates.add(text(a[1]))
            elif name == "ok" and on_run and a:
                gates.add(text(a[0]))
                outcomes.update(text(k.value) for k in node.keywords if k.arg == "outcome")
    return {g for g in gates if g}, {o for o in outcomes if o}


def test_every_state_reason_and_outcome_the_domain_defines_has_chinese_and_english_words():
    # whatever the API can answer, the console names in both languages (never a raw code on screen)
    from chalicelib.api.agent_models import AgentView, ClientView, CustomsChannel, InboxResult
    from chalicelib.domain.declaration import TaxStatus
    from chalicelib.domain.declaration_status import DeclarationStatus
    from chalicelib.domain.events import EVENT_TYPES, WAITING_LABELS
    from chalicelib.domain.exchange import HANDOVER_WORDS, Answer, EventKind, SendState
    from chalicelib.domain.lifecycle import Outcome
    from chalicelib.domain.smart_status import SmartStatus

    def literal(model, name: str) -> tuple[str, ...]:
        return get_args(model.model_fields[name].annotation)

    gates, outcomes = logged_gates_and_outcomes()
    # the walk finds them
    assert {"licence", "exchange"} <= gates and {"conflict", "handed_over", "gave_up"} <= outcomes
    wanted = (
        {f"smart.{s}" for s in SmartStatus}
        | {f"status.{s}" for s in DeclarationStatus}
        | {f"tax.{s}" for s in TaxStatus}
        | {f"wait.{r}" for r in WAITING_LABELS}
        | {f"handover.{s}" for s in HANDOVER_WORDS}
        | {f"cc.channel.{c}" for c in literal(CustomsChannel, "channel")}
        | {f"cc.agent.{s}" for s in literal(AgentView, "state")}
        | {f"cc.client.{s}" for s in literal(ClientView, "state")}
        | {f"cc.inbox.{o}" for o in literal(InboxResult, "outcome")}
        | {f"cc.kind.{k}" for k in literal(InboxResult, "kind")}
        | {f"outcome.{o}" for o in (*Outcome, *SendState, *Answer, *EventKind, *outcomes)}
        | {f"gate.{g}" for g in gates}
        | {f"subs.event.{e}" for e in EVENT_TYPES}
    )
    for lang in ("zh", "en"):
        words = words_of(lang)
        missing = sorted(key for key in wanted if key not in words)
        assert missing == [], f"{lang} lacks words for {missing}"
        assert all(words[key] for key in wanted if key != "tax.not_required"), lang  # 不涉税 shows as "-"


def test_handover_and_channel_states_read_as_the_api_words_them():
    # one wording: the console's and the API's labels (handover_label, the channel's label_zh/label_en)
    from chalicelib.domain.exchange import CHANNEL_WORDS, HANDOVER_WORDS

    for n, lang in enumerate(("zh", "en")):
        words = words_of(lang)
        assert {s: words[f"handover.{s}"] for s in HANDOVER_WORDS} == {s: w[n] for s, w in HANDOVER_WORDS.items()}
        console = {s: words.get(f"cc.agent.{s}", words.get(f"cc.client.{s}")) for s in CHANNEL_WORDS}
        assert console == {s: w[n] for s, w in CHANNEL_WORDS.items()}


def test_the_subscription_screen_offers_every_event_type():
    from chalicelib.domain.events import EVENT_TYPES

    screen = (CONSOLE / "screen-subscriptions.js").read_text(encoding="utf-8")
    offered = re.findall(r'"([a-z_]+)"', re.search(r"export const EVENT_TYPES = \[(.*?)\];", screen, re.S)[1])
    assert tuple(offered) == EVENT_TYPES

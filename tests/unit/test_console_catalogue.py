"""The console's texts all come from one message catalogue (console/i18n.js), in both languages."""

from __future__ import annotations

import re

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

"""Accessibility basics, the language switch and sign-in, checked in the browser (axe-core is not
reachable here, so names, focus and contrast are checked programmatically)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.factories import ENT_B, make_config_body, make_declaration_body
from tests.polling import STACK_SECONDS, wait_until

SCREENS = ["configs", "marking", "console", "query", "tax", "subscriptions", "enable", "mappings", "parts"]

# every form control and button must have an accessible name (label, aria-label or text)
UNNAMED = """() => [...document.querySelectorAll('input, select, textarea, button, a[href]')]
  .filter((el) => el.offsetParent !== null || el.type === 'file')
  .filter((el) => {
    const labelled = el.getAttribute('aria-labelledby');
    const name = (el.getAttribute('aria-label') || (labelled && document.getElementById(labelled)?.textContent)
      || [...(el.labels || [])].map((l) => l.textContent).join('') || (el.matches('button, a') ? el.textContent : '')
      || el.getAttribute('title') || '').trim();
    return !name;
  }).map((el) => el.outerHTML.slice(0, 120))"""

# WCAG AA: normal text at least 4.5:1 against the background it is drawn on
LOW_CONTRAST = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3); } return [255, 255, 255]; };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.offsetParent === null || el.disabled || el.closest('[disabled]')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const [a, b] = [lum(rgb(getComputedStyle(el).color).slice(0, 3)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) out.push(`${ratio.toFixed(2)} ${el.tagName} ${el.textContent.trim().slice(0, 30)}`);
  }
  return out;
}"""


CARD_B = {"ent_code": "3101234567", "ent_uscc": "91310000MA1FL4CT3U", "role": "legal", "card_no": "3101234567L01"}


def as_b(stack, method: str, path: str, **kw) -> requests.Response:
    token = requests.post(f"{stack['api']}/dev/token", json=CARD_B, timeout=10).json()["id_token"]
    return requests.request(method, stack["api"] + path, timeout=10, headers={"Authorization": f"Bearer {token}"}, **kw)


@pytest.fixture(scope="module")
def enterprise_b_enabled(stack) -> None:
    """Enterprise B (the walk uses A) enabled once, through the public API: a check of whether the
    enable button is showing would race the screen's first read."""
    answer = as_b(stack, "POST", "/enablement", json={"accept_notice": True})
    assert answer.status_code in (200, 201, 409), answer.text


@pytest.fixture
def signed_in(page: Page, stack, enterprise_b_enabled):
    """Enterprise B's legal card, signed in through the console."""
    page.goto(stack["console"])
    page.get_by_label("企业", exact=True).select_option("1")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("navigation", name="主菜单")).to_contain_text("消息订阅")
    return page


def test_sign_in_form_labels_every_field(page: Page, stack):
    page.goto(stack["console"])
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    assert page.evaluate(UNNAMED) == []
    for label in ("企业海关编码", "统一社会信用代码", "卡类型", "卡号"):
        expect(page.get_by_label(label, exact=True)).to_be_visible()


def test_every_screen_names_its_controls_and_keeps_text_readable(signed_in: Page, stack):
    page = signed_in
    for screen in SCREENS:
        page.goto(f"{stack['console']}#/{screen}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.locator("[aria-busy=true]")).to_have_count(0)
        assert page.evaluate(UNNAMED) == [], screen
        assert page.evaluate(LOW_CONTRAST) == [], screen
        # tables say what they are and which cells head them
        assert page.locator("table:not(:has(caption))").count() == 0, screen
        assert page.locator("th:not([scope])").count() == 0, screen
    assert page.errors == []


def test_keyboard_reaches_the_skip_link_menu_and_shows_where_focus_is(signed_in: Page, stack):
    page = signed_in
    page.goto(f"{stack['console']}#/marking")
    expect(page.get_by_role("heading", name="智能申报标记操作")).to_be_visible()
    page.reload()  # focus starts at the top of a fresh page
    expect(page.get_by_role("heading", name="智能申报标记操作")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="跳到主要内容")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.get_by_role("link", name="智能辅助申报预配置").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="智能辅助申报预配置")).to_be_visible()
    page.keyboard.press("Shift+Tab")
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert outline[0] != "none" and outline[1] >= 2, f"focus must be visible, got {outline}"


def test_english_by_a_switch_and_back(signed_in: Page, stack):
    page = signed_in
    page.goto(f"{stack['console']}#/console")
    page.get_by_role("button", name="切换语言").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Smart console")
    expect(page.get_by_role("navigation", name="Main menu")).to_contain_text("Tax confirmation")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.get_by_role("button", name="Switch language").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("智能申报执行")


def test_times_show_in_china_time_whatever_the_browsers_zone(signed_in: Page, stack):
    # the browser runs in Europe/London (conftest); the enablement time shows at UTC+8 with the zone
    page = signed_in
    page.goto(f"{stack['console']}#/enable")
    shown = page.locator("[role=status] time")
    expect(shown).to_contain_text("UTC+8")
    # and a machine reads the same instant, in China time with its zone (ISO 8601, +08:00)
    instant = shown.get_attribute("datetime")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", instant), instant
    accepted = as_b(stack, "GET", "/enablement").json()["accepted_at"]
    assert datetime.fromisoformat(instant) == datetime.fromisoformat(accepted.replace("Z", "+00:00")).replace(
        microsecond=0
    )
    assert instant[11:19] in shown.inner_text()


def test_an_operator_card_reads_configs_but_is_offered_no_change(page: Page, stack, signed_in):
    # Given enterprise B enabled by its legal-person card (signed_in), When its operator card signs in
    page.get_by_role("button", name="退出").click()
    page.reload()  # a fresh sign-in form: nothing of the signed-in screens is still rendering
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_label("企业", exact=True).select_option("1")
    page.get_by_label("卡类型").select_option("operator")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("banner")).to_contain_text("操作员卡")
    # Then configs are read-only for it, as the seed's FAQ says
    page.goto(f"{stack['console']}#/configs")
    expect(page.get_by_text("只有法人卡可以新增、修改、删除预配置，操作员卡仅可查询。")).to_be_visible()
    expect(page.get_by_role("button", name="新增")).to_have_count(0)


def test_a_legal_card_subscribes_with_the_subscribers_choices_and_sees_them_listed(signed_in: Page, stack):
    # Given enterprise B's legal-person card on the subscription screen
    page = signed_in
    page.goto(f"{stack['console']}#/subscriptions")
    form = page.get_by_role("form", name="新增订阅")
    expect(form).to_be_visible()
    # the options of one channel show for that channel only
    expect(form.get_by_label("汇总方式")).to_be_visible()
    expect(form.get_by_label("开始时间")).to_be_hidden()

    # When it subscribes a mobile to two states only, quiet from 22:00 to 08:00
    form.get_by_label("推送方式").select_option("sms")
    expect(form.get_by_label("汇总方式")).to_be_hidden()
    form.get_by_label("地址（邮箱、手机号或 https 网址）").fill("13800138000")
    form.get_by_label("申报失败").check()
    form.get_by_label("海关放行").check()
    form.get_by_label("开始时间").fill("22:00")
    form.get_by_label("结束时间").fill("08:00")
    form.get_by_role("button", name="新增订阅").click()
    expect(page.get_by_text("订阅成功")).to_be_visible()
    # and an e-mail address to a daily digest
    form.get_by_label("推送方式").select_option("email")
    form.get_by_label("地址（邮箱、手机号或 https 网址）").fill("customs-desk@example.com")
    form.get_by_label("汇总方式").select_option("daily")
    form.get_by_role("button", name="新增订阅").click()

    # Then the list shows each one's choices in words
    sms_row = page.get_by_role("row").filter(has_text="+8613800138000")
    expect(sms_row).to_contain_text("申报失败、海关放行")
    expect(sms_row).to_contain_text("免打扰 22:00–08:00")
    mail_row = page.get_by_role("row").filter(has_text="customs-desk@example.com")
    expect(mail_row).to_contain_text("每日汇总")
    # and the API holds exactly what was chosen
    stored = {s["endpoint"]: s for s in as_b(stack, "GET", "/subscriptions").json()["items"]}
    sms = stored["+8613800138000"]
    assert sms["states"] == ["failed", "released"] and sms["quiet_hours"] == {"start": "22:00", "end": "08:00"}
    assert sms["digest"] is None and stored["customs-desk@example.com"]["digest"] == "daily"
    assert page.errors == []


def test_half_a_quiet_window_is_refused_in_the_apis_words(signed_in: Page, stack):
    page = signed_in
    page.goto(f"{stack['console']}#/subscriptions")
    form = page.get_by_role("form", name="新增订阅")
    form.get_by_label("推送方式").select_option("sms")
    form.get_by_label("地址（邮箱、手机号或 https 网址）").fill("13900139000")
    form.get_by_label("开始时间").fill("22:00")
    form.get_by_role("button", name="新增订阅").click()
    expect(page.get_by_role("alert").or_(page.get_by_role("dialog"))).to_contain_text("免打扰时段")
    assert all(s["endpoint"] != "+8613900139000" for s in as_b(stack, "GET", "/subscriptions").json()["items"])


def test_a_declaration_waiting_for_advisory_confirmation_is_confirmed_from_its_log_and_then_declared(
    signed_in: Page, stack
):
    # Given a config that leaves advisory prompts to a person, and a declaration whose net weight is
    # above its gross weight (a prompt), marked and taken by a running execution
    b = {"code": ENT_B["code"], "uscc": ENT_B["uscc"]}
    config = as_b(stack, "POST", "/configs", json=make_config_body(
        name="人工确认温馨提示", agent=b, consignee=b, auxiliary_confirm=False, require_manifest=False,
        compare_manifest=False, batch_wait_seconds=5,
    ))  # fmt: skip
    assert config.status_code == 201, config.text
    body = make_declaration_body(agent=b, consignee=b, owner=b, self_pay=False, net_wt="1300", bill_no="ADV2024001")
    imported = as_b(stack, "POST", "/declarations", json={"declarations": [body], "smart_mark": True})
    assert imported.status_code in (200, 201), imported.text
    [seq_no] = imported.json()["accepted"]
    execution = as_b(
        stack, "POST", "/executions", json={"enterprise_type": "agent", "config_ids": [config.json()["config_id"]]}
    ).json()
    try:

        def declaration() -> dict:
            return as_b(stack, "GET", f"/declarations/{seq_no}").json()

        waiting = wait_until(
            "the advisory wait", declaration, lambda d: d.get("waiting_reason") == "advisory", timeout=STACK_SECONDS,
            interval=0.5,
        )  # fmt: skip
        assert waiting["smart_status"] == "pending", waiting

        # When the clerk follows its row in the batch's console to its log, reads the prompt and confirms it
        page = signed_in
        page.goto(f"{stack['console']}#/batch/{waiting['batch_no']}")
        page.get_by_role("row").filter(has_text=seq_no).get_by_role("link", name="确认温馨提示").click()
        expect(page).to_have_url(re.compile(f"#/log/{seq_no}$"))
        section = page.get_by_role("region", name="温馨提示")
        expect(section).to_contain_text("净重(1300千克)大于毛重(1250.5千克)，请确认")
        assert page.evaluate(UNNAMED) == [] and page.evaluate(LOW_CONTRAST) == []
        section.get_by_role("button", name="确认温馨提示").click()
        # the confirmation by its title: the next batch's countdown box (a dialog too) may be open beside it
        confirm = page.get_by_role("dialog", name="提示")
        expect(confirm).to_contain_text("净重(1300千克)大于毛重(1250.5千克)")
        confirm.get_by_role("button", name="确定").click()
        expect(page.get_by_text("温馨提示已确认，将在下一批次申报")).to_be_visible()

        # Then the log says who confirmed it, and the next batch declares it
        expect(page.locator(".timeline")).to_contain_text("温馨提示已人工确认")
        wait_until(
            "declared after the confirmation", declaration, lambda d: d["smart_status"] == "succeeded",
            timeout=STACK_SECONDS, interval=0.5,
        )  # fmt: skip
        assert page.errors == []
    finally:
        as_b(stack, "POST", f"/executions/{execution['execution_id']}/stop")

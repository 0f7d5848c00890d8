"""Every screen says what is so, in words: walked at 1280 px in both languages, no screen shows
`null`, `undefined`, `NaN` or a raw code (an API value such as `temp_saved`, `in_progress`, `fixed`
or a receipt's channel letter) where people read; the execution screen says what the execution is
doing (running, counting down in a box with 停止申报, waiting for marked declarations, stopped with
the last batch's totals) and keeps the last batch's results when an empty batch follows.

Enterprise C's data (the walk uses A, the access tests B) is made through the public API."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from chalicelib.domain.declaration import TaxStatus
from chalicelib.domain.declaration_status import DeclarationStatus
from chalicelib.domain.lifecycle import Outcome
from chalicelib.domain.receipts import CHANNELS
from chalicelib.domain.smart_status import SmartStatus
from tests.browser.helpers import Enterprise, settled, sign_in
from tests.factories import make_config_body, make_declaration_body
from tests.polling import STACK_SECONDS, wait_until

C = Enterprise("4403123456", "91440300MA5FT8K2QJ", "深圳示例供应链有限公司")

# The API's values that must never be shown as they are: every enum a screen renders, every
# outcome the log writes, every receipt channel letter.
RAW_CODES = sorted(
    {str(v) for enum in (SmartStatus, DeclarationStatus, Outcome, TaxStatus) for v in enum}
    | {"pass", "wait", "fail", "skip", "fixed", "confirmed", "ready", "warning", "ignored", "info"}
    | {"manifest", "arrival", "tax", "advisory", "customs_unavailable"}
    | {"delivered", "retrying", "held", "email", "sms", "webhook", "hourly", "daily"}
    | {"smart_status_changed", "customs_receipt", "receipt_overdue", "dec_result", "import_response"}
    | {"agent", "consignee", "enterprise", "user", "general", "running", "stopped", "legal", "operator"}
    | {"licence", "conflict", "queued", "taken", "written", "sent", "exchange", "http", "online", "silent"}
    | {code for code in CHANNELS if code.isalpha()}  # digits are counts too
)

# text people read that is missing or a code: the page's rendered text nodes and the titles and
# labels of its controls, except where a value is shown as it is (inputs, numbers in .mono, <code>)
BAD_TEXT = r"""(codes) => {
  const bad = [];
  const rendered = (el) => el && el.getClientRects().length > 0;
  const verbatim = (el) => el.closest('input, textarea, code, .mono, pre.notice, script, style');
  const wrong = (text) => /\b(null|undefined|NaN)\b|\[object \w+\]|Invalid Date/.test(text)
    || /\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/.test(text) || codes.includes(text);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    const text = n.textContent.trim();
    if (!text || !rendered(el) || verbatim(el)) continue;
    if (wrong(text)) bad.push(`${el.tagName.toLowerCase()}: ${text.slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder]')) {
    if (!rendered(el)) continue;
    for (const name of ['title', 'aria-label', 'placeholder']) {
      const text = (el.getAttribute(name) || '').trim();
      if (text && /\b(null|undefined|NaN)\b|\[object \w+\]/.test(text)) bad.push(`${name}: ${text.slice(0, 80)}`);
    }
  }
  return bad;
}"""


# every table fits its box (no sideways scrolling) and its kept columns (key, state, result, actions)
# show inside the window
UNFIT = r"""() => {
  const out = [];
  for (const wrap of document.querySelectorAll('.table-wrap')) {
    if (wrap.getClientRects().length === 0) continue;
    const caption = wrap.querySelector('caption')?.textContent;
    if (wrap.scrollWidth > wrap.clientWidth + 1) out.push(`${caption}: ${wrap.scrollWidth} px in ${wrap.clientWidth}`);
    for (const th of wrap.querySelectorAll('th[data-keep]')) {
      const box = th.getBoundingClientRect();
      if (th.hidden || box.width === 0 || box.right > innerWidth) out.push(`${caption}: ${th.textContent} not shown`);
    }
  }
  return out;
}"""
FOLDED = "() => [...document.querySelectorAll('.table-wrap')].map((w) => Number(w.dataset.folded || 0))"


def as_c(stack, method: str, path: str, **kw) -> requests.Response:
    return C.call(stack, method, path, **kw)


def declaration(stack, seq_no: str) -> dict:
    return as_c(stack, "GET", f"/declarations/{seq_no}").json()


@pytest.fixture(scope="module")
def enterprise_c(stack) -> dict:
    """Enterprise C enabled, a config, three marked declarations run once: one declared and
    released by customs, one refused by customs (failed), one waiting for its tax confirmation;
    an e-mail and a webhook subscription. The execution is left idle (nothing more to declare)."""
    assert as_c(stack, "POST", "/enablement", json={"accept_notice": True}).status_code in (200, 409)
    config = as_c(stack, "POST", "/configs", json=make_config_body(
        name="深圳进口", agent=C.party, consignee=C.party, require_manifest=False, compare_manifest=False,
        batch_wait_seconds=5,
    )).json()  # fmt: skip
    parties = {"agent": C.party, "consignee": C.party, "owner": C.party}
    bodies = [
        make_declaration_body(**parties, self_pay=False, bill_no="SZX2024001"),
        make_declaration_body(**parties, self_pay=False, bill_no="SZX2024002", note="SANDBOX:REJECT"),
        make_declaration_body(**parties, self_pay=True, bill_no="SZX2024003"),
    ]
    imported = as_c(stack, "POST", "/declarations", json={"declarations": bodies, "smart_mark": True}).json()
    ok, refused, taxed = imported["accepted"]
    as_c(stack, "POST", "/subscriptions", json={"protocol": "email", "endpoint": "desk@example.com"})
    as_c(stack, "POST", "/subscriptions", json={"protocol": "webhook", "endpoint": "http://127.0.0.1:9/hooks/customs"})
    execution = as_c(
        stack, "POST", "/executions", json={"enterprise_type": "agent", "config_ids": [config["config_id"]]}
    ).json()
    wait_until(
        "C's declarations declared, refused and waiting, and the first released",
        lambda: [declaration(stack, s) for s in (ok, refused, taxed)],
        lambda ds: (ds[0]["status"], ds[1]["smart_status"], ds[2]["waiting_reason"]) == ("released", "failed", "tax"),
        timeout=STACK_SECONDS,
        interval=0.5,
    )  # fmt: skip
    wait_until(
        "C's execution waiting for marked declarations",
        lambda: as_c(stack, "GET", f"/executions/{execution['execution_id']}").json(),
        lambda e: e["idle"],
        timeout=STACK_SECONDS,
        interval=0.5,
    )
    return {"config": config, "ok": ok, "refused": refused, "taxed": taxed, "execution": execution}


def sign_in_as_c(page: Page, stack, lang: str) -> None:
    sign_in(page, stack, C, lang)


def shows_no_raw_text(page: Page, where: str) -> None:
    bad = page.evaluate(BAD_TEXT, RAW_CODES)
    assert bad == [], f"{where}: {bad}"


def fits(page: Page, where: str) -> None:
    unfit = page.evaluate(UNFIT)
    assert unfit == [], f"{where}: {unfit}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_screen_shows_words_not_null_or_codes(page: Page, stack, enterprise_c, lang):
    c = enterprise_c
    sign_in_as_c(page, stack, lang)
    batch_no = declaration(stack, c["ok"])["batch_no"]
    screens = [
        "enable", "configs", "marking", "console", f"batch/{batch_no}", "query", f"log/{c['ok']}",
        f"log/{c['refused']}", f"log/{c['taxed']}", "tax", f"tax/{c['taxed']}", "subscriptions", "channel", "entry",
        f"declarations/{c['ok']}", f"declarations/{c['refused']}", "declarations/I20269999999999999",
    ]  # fmt: skip
    for screen in screens:
        page.goto(f"{stack['console']}#/{screen}")
        settled(page)
        shows_no_raw_text(page, screen)
        fits(page, screen)
    # what opens on a screen: the config form, a webhook's delivery log
    page.goto(f"{stack['console']}#/configs")
    settled(page)
    page.get_by_role("button", name={"zh": "新增", "en": "New"}[lang], exact=True).click()
    expect(page.locator("form.config-form")).to_be_visible()
    shows_no_raw_text(page, "configs (new)")
    page.goto(f"{stack['console']}#/subscriptions")
    settled(page)
    page.get_by_role("row").filter(has_text="127.0.0.1").locator("button").first.click()
    expect(page.locator("main section h2").last).to_contain_text("127.0.0.1")
    shows_no_raw_text(page, "subscriptions (deliveries)")
    assert page.errors == [], page.errors


def test_at_1920_px_the_lists_show_every_column_and_at_1280_fold_some_into_the_rows_detail(
    page: Page, stack, enterprise_c
):
    sign_in_as_c(page, stack, "zh")
    for screen in ("query", "marking", "console", "tax", "configs", "subscriptions"):
        page.set_viewport_size({"width": 1920, "height": 1000})
        page.goto(f"{stack['console']}#/{screen}")
        settled(page)
        fits(page, f"{screen} at 1920")
        assert set(page.evaluate(FOLDED)) <= {0}, f"{screen} at 1920 folds columns"
    # at 1280 the query list folds the least needed ones, and a row's detail shows them
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{stack['console']}#/query")
    settled(page)
    fits(page, "query at 1280")
    folded = page.locator("th[hidden]").first
    name = folded.evaluate("(th) => th.firstChild.textContent")  # the heading without its second line
    row = page.get_by_role("row").filter(has_text=enterprise_c["ok"])
    row.get_by_role("button", name=f"展开 {enterprise_c['ok']}").click()
    expect(page.locator("tr.detail:visible dt:visible").filter(has_text=name)).to_have_count(1)
    # and the column chooser brings it back for good
    page.get_by_text("列设置").click()
    page.locator("details.columns").get_by_label(name, exact=True).check()
    expect(page.get_by_role("columnheader", name=name)).to_be_visible()
    page.reload()
    settled(page)
    expect(page.get_by_role("columnheader", name=name)).to_be_visible()
    assert page.errors == []


def test_the_execution_screen_says_it_waits_for_marked_declarations_and_keeps_the_last_results(
    page: Page, stack, enterprise_c
):
    # Given C's execution, whose last batch found nothing after a batch that declared, refused and held one
    c = enterprise_c
    sign_in_as_c(page, stack, "zh")
    page.goto(f"{stack['console']}#/console")
    live = page.locator(".live")
    # Then it says it waits for marked declarations, with no countdown to a batch that will not come
    expect(live.locator("[data-field=status]")).to_have_text("执行中，等待标记报关单")
    expect(live.locator("[data-field=current]")).to_contain_text("正在等待标记报关单")
    expect(page.get_by_role("dialog", name="计划执行下一批次智能申报报关单，倒计时进行中：")).to_have_count(0)
    # and the list still shows the batch that declared them, each with its result
    rows = page.get_by_role("region", name="智能申报报关单").get_by_role("row")
    expect(rows.filter(has_text=c["ok"])).to_contain_text("申报成功(自动)")
    expect(rows.filter(has_text=c["refused"])).to_contain_text("申报失败")
    expect(rows.filter(has_text=c["taxed"])).to_contain_text("等待税费确认")
    # and the batch history lists the empty batch after the one that took three
    history = page.get_by_role("region", name="批次记录")
    expect(history.get_by_role("row").filter(has_text="无待申报报关单")).to_have_count(1)
    expect(history.get_by_role("row").filter(has_text="第 1 批次")).to_contain_text("3")
    assert page.errors == []


def test_a_countdown_box_stops_the_execution_which_then_says_stopped_with_the_last_batchs_totals(
    page: Page, stack, enterprise_c
):
    # Given C's idle execution stopped, a config of C with a long batch wait, and one marked declaration
    c = enterprise_c
    as_c(stack, "POST", f"/executions/{c['execution']['execution_id']}/stop")
    made = as_c(stack, "POST", "/configs", json=make_config_body(
        name="深圳出口", ie_flag="E", agent=C.party, consignee=C.party, require_manifest=False, compare_manifest=False,
        batch_wait_seconds=120,
    ))  # fmt: skip
    assert made.status_code == 201, made.text
    parties = {"agent": C.party, "consignee": C.party, "owner": C.party}
    body = make_declaration_body(ie_flag="E", **parties, self_pay=False, bill_no="SZX2024E01")
    imported = as_c(stack, "POST", "/declarations", json={"declarations": [body], "smart_mark": True}).json()
    [seq_no] = imported["accepted"]
    sign_in_as_c(page, stack, "zh")
    page.goto(f"{stack['console']}#/console")
    # the pool of the ticked config lists it before start
    page.get_by_label("深圳出口（出口）").check()
    pool = page.get_by_role("region", name="智能申报报关单")
    expect(pool.get_by_role("row").filter(has_text=seq_no)).to_contain_text("待申报")
    # When it starts and its first batch is done
    page.get_by_role("button", name="开始申报").click()
    page.get_by_role("dialog", name="提示").get_by_role("button", name="确定").click()
    box = page.get_by_role("dialog", name="计划执行下一批次智能申报报关单，倒计时进行中：")
    expect(box).to_be_visible(timeout=STACK_SECONDS * 1000)
    expect(box).to_contain_text(re.compile(r"0[01]:\d\d"))
    expect(page.locator(".live [data-field=current]")).to_contain_text("第 1 批次已完成，本批次智能申报成功 1 票")
    # Then the box's 停止申报 stops it
    box.get_by_role("button", name="停止申报").click()
    page.get_by_role("dialog", name="提示").get_by_role("button", name="确定").click()
    live = page.locator(".live")
    expect(live.locator("[data-field=status]")).to_have_text("已停止")
    expect(live.locator("[data-field=current]")).to_contain_text("最后一批次（第 1 批次")
    expect(live.locator("[data-field=current]")).to_contain_text("智能申报成功 1 票，失败 0 票")
    expect(box).to_have_count(0)
    assert page.errors == []


def test_a_declaration_page_shows_every_field_its_state_and_action_and_every_link_opens_it(
    page: Page, stack, enterprise_c
):
    # Given C's declarations: one released, one refused by customs, one waiting for its tax
    c = enterprise_c
    fields = as_c(stack, "GET", "/declaration-fields").json()["fields"]
    sign_in_as_c(page, stack, "zh")

    # the query list's number opens the page
    page.goto(f"{stack['console']}#/query")
    settled(page)
    page.get_by_role("search").get_by_label("报关单类型").select_option("")
    page.get_by_role("search").get_by_role("button", name="查询").click()
    page.get_by_role("link", name=c["ok"], exact=True).click()
    expect(page).to_have_url(re.compile(f"#/declarations/{c['ok']}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(c["ok"])

    # every field of the model, in the form's groups; the goods, one row each
    body = declaration(stack, c["ok"])
    head = [f["path"] for f in fields if "[]" not in f["path"]]
    for path in head:
        expect(page.locator(f'dd[data-path="{path}"]')).to_have_count(1)
    expect(page.locator('dd[data-path="bill_no"]')).to_have_text("SZX2024001")
    expect(page.locator('dd[data-path="trade_mode"]')).to_have_text("0110 一般贸易")  # names next to codes
    goods = page.get_by_role("table", name="商品")
    expect(goods.locator("tbody > tr:not(.detail)")).to_have_count(len(body["goods"]))
    expect(goods).to_contain_text(body["goods"][0]["g_name"])
    # its state, receipts and log
    expect(page.locator("[data-field=status]")).to_have_text("放行")
    expect(page.get_by_role("list", name="海关回执")).to_contain_text("海关入库成功")
    expect(page.locator(".timeline")).to_contain_text("发送海关")

    # the action that fits: continue a refused one, confirm a waiting one's tax
    page.goto(f"{stack['console']}#/declarations/{c['refused']}")
    expect(page.locator("[data-field=smart_status]")).to_contain_text("申报失败")
    expect(page.get_by_role("button", name="继续智能辅助申报")).to_be_visible()
    page.goto(f"{stack['console']}#/declarations/{c['taxed']}")
    expect(page.locator("[data-field=smart_status]")).to_contain_text("等待税费确认")
    page.get_by_role("link", name="税费确认", exact=True).click()
    expect(page).to_have_url(re.compile(f"#/tax/{c['taxed']}$"))

    # the SMS short link and the e-mail's link land on it
    from chalicelib.domain.messages import console_link, short_code

    moved = requests.get(f"{stack['api']}/s/{short_code(c['ok'])}", allow_redirects=False, timeout=10)
    assert moved.status_code == 302 and moved.headers["Location"] == console_link(stack["api"], c["ok"])
    page.goto(moved.headers["Location"])
    expect(page.get_by_role("heading", level=1)).to_contain_text(c["ok"])
    assert page.errors == []


def test_an_unknown_and_another_enterprises_declaration_get_the_same_not_found_page(page: Page, stack, enterprise_c):
    # Given a declaration of another enterprise (E), and a number nobody has
    other = Enterprise("4403123458", "91440300MA5FT8K4TT", "深圳另一家企业")
    assert other.call(stack, "POST", "/enablement", json={"accept_notice": True}).status_code in (200, 409)
    parties = {"agent": other.party, "consignee": other.party, "owner": other.party}
    theirs = other.call(stack, "POST", "/declarations", json={"declarations": [make_declaration_body(**parties)]})
    [foreign] = theirs.json()["accepted"]
    unknown = "I20269999999999999"
    sign_in_as_c(page, stack, "zh")
    seen = []
    for seq_no in (foreign, unknown):
        page.goto(f"{stack['console']}#/declarations/{seq_no}")
        expect(page.get_by_role("heading", level=1)).to_have_text("报关单不存在")
        seen.append(page.get_by_role("alert").inner_text().replace(seq_no, "<seq_no>"))
        shows_no_raw_text(page, f"not found {seq_no}")
    assert seen[0] == seen[1] and "<seq_no>" in seen[0]  # nothing tells the two apart


def test_agent_credentials_are_made_shown_once_and_revoked_by_the_legal_card_and_only_read_by_an_operator(
    page: Page, stack, enterprise_c
):
    sign_in_as_c(page, stack, "zh")
    page.goto(f"{stack['console']}#/channel")
    settled(page)
    expect(page.get_by_role("heading", name="申报通道：HTTP 网关")).to_be_visible()  # the browser tests' stack
    form = page.get_by_role("form", name="新增代理凭据")
    form.get_by_label("名称(代理所在电脑)").fill("报关部 PC-3")
    form.get_by_role("button", name="新增代理凭据").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("密钥只显示这一次")
    key = dialog.locator(".mono").text_content()
    assert key.startswith("sdag_AG") and dialog.get_by_role("button", name=re.compile("^复制")).is_visible()
    dialog.get_by_role("button", name="确定").click()
    row = page.get_by_role("row").filter(has_text="报关部 PC-3")
    expect(row).to_contain_text("有效")
    expect(row).to_contain_text("从未连接")
    expect(page.locator("main")).not_to_contain_text(key.split(".", 1)[1])  # the secret never shows again
    row.get_by_role("button", name="吊销 报关部 PC-3").click()
    expect(page.get_by_role("dialog")).to_contain_text("是否确认吊销代理凭据“报关部 PC-3”")
    page.get_by_role("dialog").get_by_role("button", name="吊销").click()
    expect(page.get_by_role("row").filter(has_text="报关部 PC-3")).to_contain_text("已吊销")
    listed = {x["name"]: x for x in as_c(stack, "GET", "/agent-credentials").json()["items"]}
    assert listed["报关部 PC-3"]["active"] is False

    # an operator card sees the list, and nothing to create or revoke
    page.get_by_role("button", name="退出").click()
    page.locator("select[name=role]").select_option("operator")
    page.locator("input[name=ent_code]").fill(C.code)
    page.locator("input[name=ent_uscc]").fill(C.uscc)
    page.locator("input[name=card_no]").fill(f"{C.code}O01")
    page.locator("form button[type=submit]").click()
    page.goto(f"{stack['console']}#/channel")
    settled(page)
    expect(page.get_by_role("row").filter(has_text="报关部 PC-3")).to_contain_text("已吊销")
    expect(page.get_by_text("只有法人卡可以新增、吊销代理凭据")).to_be_visible()
    expect(page.get_by_role("form", name="新增代理凭据")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^吊销"))).to_have_count(0)
    assert page.errors == [], page.errors

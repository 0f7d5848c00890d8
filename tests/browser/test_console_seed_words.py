"""Each screen in the seed's own words: its labels, buttons, notices and messages, compared with a
table of what the training deck (shared/seed/smart-declaration-training-2024-11.md) shows on that
screen. Punctuation is compared by meaning (the deck mixes half- and full-width marks).

Where the product knowingly differs, console/i18n.js says why beside the text; those differences
are not in this table. Enterprise D (its own, no execution) is made through the public API; the
screens are read at 1920 px, where no column folds away."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import Enterprise, settled, sign_in
from tests.factories import make_config_body, make_declaration_body

D = Enterprise("4403123457", "91440300MA5FT8K3RN", "深圳示例报关有限公司")

MENU = [
    "智能辅助申报启用",
    "智能辅助申报预配置",
    "智能辅助申报标记操作",
    "智能辅助申报执行",
    "智能辅助申报查询",
    "税费确认查询",
]

# screen → the seed's words on it (as it opens; `configs-form` is the config being added)
SEED: dict[str, list[str]] = {
    "enable": [
        "智能辅助申报启用",
        "智能辅助申报功能启用",
        "智能辅助申报服务是对报关单传统申报方式的智能化升级，使用智能辅助申报服务，企业只需预先配置规则，"
        "一键启动智能辅助申报功能，即可实现无人值守批量申报，简化企业操作。",
        "*了解更多，可参考《智能辅助申报用户手册》或“智能辅助申报操作视频”",
        "功能特色",
        "自动校验物流信息",
        "自动生成代理报关委托协议",
        "支持运抵后、有舱单数据自动申报",
        "支持集成直属海关特色校验逻辑",
        "操作步骤",
        "一次启用智能辅助申报功能使用权限",
        "预设一次智能辅助申报规则",
        "批量多次导入带智能辅助申报标记单据",
        "一键执行智能辅助申报",
        "用户须知",
    ],
    "configs": [
        "智能辅助申报预配置",
        "温馨提示",
        "执行智能辅助申报过程中，在当前机器同时使用手动申报方式，建议暂停智能辅助申报后再去执行手动申报；"
        "可点击企业承诺进行企业承诺详细内容查看。",
        "配置名称",
        "启用标志",
        "进出口标志",
        "查询",
        "新增",
        "修改",
        "删除",
    ],
    "configs-form": [
        "基础信息",
        "配置名称",
        "启用标志",
        "启用",
        "停用",
        "进出口标志",
        "进口",
        "出口",
        "生效方式",
        "按企业生效",
        "根据配置的企业信息匹配智能辅助申报单据的申报单位/收发货单位信息，匹配成功则按该配置规则执行报关单申报。",
        "按用户生效",
        "申报单位",
        "境内收发货单位",
        "18位社会信用代码",
        "配置内容",
        "辅助确认",
        "勾选后则认定您委托本系统对温馨提示内容进行辅助确认，不勾选则由您对温馨提示内容进行手动确认。",
        "自动生成代理报关委托协议",
        "勾选后则认定您委托本系统对代理报关委托协议进行自动生成，不勾选则由您进行手动生成。",
        "有舱单申报",
        "勾选后查询到对应舱单数据将报关单申报发送至海关，不勾选则不关联查询舱单数据。",
        "运抵后申报",
        "勾选后查询关联运抵报告是否已运抵，若运抵则将报关单申报发送至海关，未运抵直到运抵后再申报报关单。",
        "比对后申报",
        "勾选后会将报关单数据与舱单数据比对，一致后再将报关单申报发送至海关。",
        "统计时配置",
        "可设置智能辅助申报执行一批次报关单的等待时间。",
        "保存",
    ],
    "marking": [
        "智能申报标记操作",
        "（底色为黄色的字段无需联合时间查询）",
        "报关单类型",
        "企业类型",
        "进出口标志",
        "申报地海关",
        "智能申报标记",
        "报关单状态",
        "统一编号/报关编号",
        "境内收发货人",
        "提运单号",
        "运输方式",
        "操作员卡号",
        "最近操作时间",
        "至",
        "当天",
        "本周",
        "本月",
        "三个月",
        "查询",
        "重置条件",
        "添加智能辅助申报",
        "取消智能辅助申报",
        "统一编号/海关编号",
        "智能申报标记",
        "每页显示",
        "条记录",
        "* 智能辅助申报状态是“待申报”且报关单状态“暂存”，才允许取消智能辅助申报标记。",
    ],
    "console": [
        "智能申报执行",
        "温馨提示",
        "执行智能申报过程中，在当前机器同时使用手工申报方式，建议暂停智能申报后再去执行手工申报。",
        "智能申报状态为“申报成功或申报失败”的单据，请点击进入综合查询菜单进行后续报关单业务操作。",
        "请先进行手动税费确认后再进行后续操作，否则该单据将不进行申报，待税费确认后再次申报。",
        "执行智能申报之前，请选择生效企业类型",
        "然后勾选该企业生效的智能申报配置规则",
        "开始申报",
        "停止申报",
        "统一编号/海关编号",
        "提运单号",
        "申报地海关",
        "进出口标志",
        "监管方式",
        "批次号",
        "智能申报状态",
        "申报记录",
        "税费确认状态",
        "最近操作时间",
        "操作",
        "每页显示",
        "条记录",
    ],
    "query": [
        "智能申报查询",
        "（底色为黄色的字段无需联合状态和时间查询）",
        "智能辅助申报台",
        "智能申报状态为“申报成功/申报失败”的单据，请点击进入综合查询菜单进行后续报关单业务操作。",
        "报关单类型",
        "企业类型",
        "进出口标志",
        "申报地海关",
        "智能申报状态",
        "境内收发货人",
        "统一编号/海关编号",
        "提运单号",
        "批次号",
        "配置名称",
        "最近操作时间",
        "当天",
        "本周",
        "本月",
        "三个月",
        "查询",
        "重置条件",
        "继续智能辅助申报",
        "申报记录",
    ],
    "tax": [
        "税费确认查询",
        "（自报自缴，底色为黄色的字段无需联合时间查询）",
        "温馨提示",
        "税费确认状态为“已确认”的报关单可进行智能辅助申报，“未确认”的报关单不进行申报，待税费确认后再次执行申报，"
        "可点此进入智能申报记录菜单或点此进入智能申报执行菜单进行报关单智能申报后续操作。",
        "报关单类型",
        "企业类型",
        "境内收发货人",
        "申报地海关",
        "统一编号/海关编号",
        "提运单号",
        "最近操作时间",
        "当天",
        "本周",
        "本月",
        "境内收发货人18位",
        "税费确认状态",
        "操作",
        "税费确认",
    ],
    "tax-detail": [
        "税费计算确认明细",
        "* 手动确认税费信息才能正常申报，否则系统会一直等待直到企业确认税费信息后才会执行申报。",
    ],
}

# filters a screen opens with (seed: 一般报关单 / 报关申报单位 / 进口 / 暂存)
DEFAULTS = {
    "marking": {"报关单类型": "一般报关单", "企业类型": "报关申报单位", "进出口标志": "进口", "报关单状态": "暂存"},
    "query": {"报关单类型": "一般报关单", "企业类型": "报关申报单位", "进出口标志": "进口", "智能申报状态": "全部"},
}
# the quick ranges a screen offers (税费确认查询 has no 三个月)
RANGES = {
    "marking": ["当天", "本周", "本月", "三个月"],
    "query": ["当天", "本周", "本月", "三个月"],
    "tax": ["当天", "本周", "本月"],
}

_WIDTH = str.maketrans({",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "?": "？"})


def normal(text: str) -> str:
    """Compared by meaning: one width of punctuation, no spaces."""
    return re.sub(r"\s+", "", text.translate(_WIDTH))


def shows(page: Page, words: list[str], where: str) -> None:
    """Every word is on the screen as people see it (visible text, a field's placeholder)."""
    seen = normal(page.locator("body").inner_text())
    seen += normal(" ".join(page.locator("input[placeholder]").evaluate_all("(els) => els.map((e) => e.placeholder)")))
    missing = [w for w in words if normal(w) not in seen]
    assert missing == [], f"{where}: not in the seed's words: {missing}"


def prompt(page: Page):
    return page.get_by_role("dialog", name="提示")


@pytest.fixture(scope="module")
def enterprise_d(stack) -> dict:
    """D enabled, one config, a self-paid declaration marked and one declaration not marked."""
    assert D.call(stack, "POST", "/enablement", json={"accept_notice": True}).status_code in (200, 409)
    config = D.call(
        stack, "POST", "/configs", json=make_config_body(name="深圳报关进口", agent=D.party, consignee=D.party)
    )
    assert config.status_code == 201, config.text
    parties = {"agent": D.party, "consignee": D.party, "owner": D.party}
    taxed = D.call(stack, "POST", "/declarations", json={
        "declarations": [make_declaration_body(**parties, self_pay=True, bill_no="SZD2024001")], "smart_mark": True,
    }).json()["accepted"][0]  # fmt: skip
    plain = D.call(stack, "POST", "/declarations", json={
        "declarations": [make_declaration_body(**parties, self_pay=False, bill_no="SZD2024002")], "smart_mark": False,
    }).json()["accepted"][0]  # fmt: skip
    return {"taxed": taxed, "plain": plain}


@pytest.mark.parametrize("screen", ["enable", "configs", "marking", "console", "query", "tax"])
def test_each_screen_shows_the_seeds_words(page: Page, stack, enterprise_d, screen):
    sign_in(page, stack, D, "zh", width=1920)
    page.goto(f"{stack['console']}#/{screen}")
    settled(page)
    shows(page, MENU, "menu")
    shows(page, SEED[screen], screen)
    for label, value in DEFAULTS.get(screen, {}).items():
        control = page.get_by_role("search").get_by_label(label, exact=True)
        assert control.evaluate("(s) => s.options[s.selectedIndex].text") == value, f"{screen}: {label}"
    if screen in RANGES:
        quick = page.get_by_role("group", name="快捷时间").get_by_role("button").all_inner_texts()
        assert quick == RANGES[screen]
    if screen == "configs":
        page.get_by_role("button", name="新增", exact=True).click()
        expect(page.locator("form.config-form")).to_be_visible()
        shows(page, SEED["configs-form"], "configs (新增)")
    if screen == "tax":
        page.goto(f"{stack['console']}#/tax/{enterprise_d['taxed']}")
        settled(page)
        shows(page, SEED["tax-detail"], "tax detail")
    assert page.errors == []


def test_marking_asks_and_answers_in_the_seeds_words(page: Page, stack, enterprise_d):
    sign_in(page, stack, D, "zh", width=1920)
    page.goto(f"{stack['console']}#/marking")
    settled(page)
    filters = page.get_by_role("search", name="智能申报标记操作")
    # 添加智能辅助申报: 是否确认添加选中数据？ → 添加智能申报成功!
    filters.get_by_label("智能申报标记").select_option("false")
    filters.get_by_role("button", name="查询").click()
    page.get_by_label(f"选择 {enterprise_d['plain']}").check()
    page.get_by_role("button", name="添加智能辅助申报").click()
    expect(prompt(page)).to_contain_text("是否确认添加选中数据？")
    prompt(page).get_by_role("button", name="确定").click()
    expect(prompt(page)).to_contain_text("添加智能申报成功!")
    prompt(page).get_by_role("button", name="确定").click()
    # 取消智能辅助申报: 是否确认取消智能辅助申报？ → 本次成功取消标记 1 条
    filters.get_by_label("智能申报标记").select_option("true")
    filters.get_by_role("button", name="查询").click()
    page.get_by_label(f"选择 {enterprise_d['plain']}").check()
    page.get_by_role("button", name="取消智能辅助申报").click()
    expect(prompt(page)).to_contain_text("是否确认取消智能辅助申报？")
    prompt(page).get_by_role("button", name="确定").click()
    expect(prompt(page)).to_contain_text("本次成功取消标记 1 条")
    prompt(page).get_by_role("button", name="确定").click()
    # and a cancel nothing may take is refused with the seed's sentence
    D.call(stack, "POST", "/declarations/mark", json={"seq_nos": [enterprise_d["plain"]]})
    D.call(stack, "POST", f"/declarations/{enterprise_d['plain']}/declare")  # by hand: no longer 暂存
    filters.get_by_label("报关单状态").select_option("")
    filters.get_by_role("button", name="查询").click()
    page.get_by_label(f"选择 {enterprise_d['plain']}").check()
    page.get_by_role("button", name="取消智能辅助申报").click()
    prompt(page).get_by_role("button", name="确定").click()
    expect(prompt(page)).to_contain_text("请求参数均不符合取消条件(报关单状态不为暂存或智能申报状态不为待申报)!")
    assert page.errors == []


def test_a_config_clash_is_refused_in_the_seeds_words(page: Page, stack, enterprise_d):
    sign_in(page, stack, D, "zh", width=1920)
    page.goto(f"{stack['console']}#/configs")
    settled(page)
    page.get_by_role("button", name="新增", exact=True).click()
    form = page.locator("form.config-form")
    form.get_by_label("配置名称").fill("再一个进口")
    form.get_by_label("进口", exact=True).check()
    form.get_by_label("海关10位编码").first.fill(D.code)
    form.get_by_label("海关10位编码").nth(1).fill(D.code)
    form.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "该申报单位下存在相同的境内收发货人、相同进出口标志且启用状态的数据!"
    )
    # it names the config it clashes with, and opens it
    page.get_by_role("button", name=re.compile("^查看预配置“")).click()
    expect(page.locator("form.config-form").get_by_label("配置名称")).not_to_have_value("再一个进口")

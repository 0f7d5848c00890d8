"""录入: a clerk enters one declaration by hand in the form built from the field table; a refused
field is named beside itself in the import's own words, and once corrected the declaration is
temp-saved, marked, and opens on its page. Enterprise F is its own (made through the public API)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import Enterprise, settled, sign_in
from tests.factories import make_declaration_body

F = Enterprise("4403123459", "91440300MA5FT8K5UY", "深圳录入示例有限公司")


@pytest.fixture(scope="module")
def enterprise_f(stack) -> None:
    assert F.call(stack, "POST", "/enablement", json={"accept_notice": True}).status_code in (200, 409)


def fill(form, label: str, value: str, nth: int = 0) -> None:
    control = form.get_by_label(label, exact=True).nth(nth)
    if control.evaluate("(el) => el.tagName") == "SELECT":
        control.select_option(value)
    else:
        control.fill(value)


def test_a_declaration_entered_by_hand_is_checked_as_an_import_and_temp_saved(page: Page, stack, enterprise_f):
    body = make_declaration_body(agent=F.party, consignee=F.party, owner=F.party, self_pay=False)
    goods = body["goods"][0]
    sign_in(page, stack, F, "zh", width=1280)
    page.goto(f"{stack['console']}#/marking")
    settled(page)
    page.get_by_role("link", name="录入报关单").click()
    expect(page.get_by_role("heading", name="报关单录入")).to_be_visible()
    settled(page)
    form = page.get_by_role("form", name="报关单录入")
    # the head, as the Single Window's form groups it (申报单位 is the signed-in enterprise already)
    for label, value in {
        "申报地海关": body["declare_customs"], "进出境关别": body["ie_port"], "进出口日期": body["ie_date"],
        "境内收发货人海关编码": F.code, "境内收发货人统一社会信用代码": F.uscc, "境内收发货人名称": F.name,
        "提运单号": "SZF2024001", "运输方式": body["transport_mode"], "运输工具名称": body["traf_name"],
        "监管方式": body["trade_mode"], "征免性质": body["cut_mode"], "成交方式": body["trans_mode"],
        "贸易国(地区)": body["trade_country"], "件数": str(body["pack_no"]), "包装种类": body["wrap_type"],
        "毛重(千克)": body["gross_wt"], "净重(千克)": body["net_wt"],
    }.items():  # fmt: skip
        fill(form, label, value)
    # one goods item, with a code that is not an HS code
    for label, value in {
        "商品编号": "12345", "商品名称": goods["g_name"], "规格型号": goods["g_model"], "成交数量": goods["qty"],
        "成交计量单位": goods["unit"], "单价": goods["decl_price"], "总价": goods["decl_total"],
        "币制": goods["currency"],
        "原产国(地区)": goods["origin_country"], "最终目的国(地区)": goods["destination_country"],
        "征免方式": goods["duty_mode"],
    }.items():  # fmt: skip
        fill(form, label, value)
    # and an attached document
    form.get_by_role("button", name="添加随附单证").click()
    fill(form, "随附单证代码", "00000001")
    fill(form, "随附单证编号", "INV-F-001")
    form.get_by_role("button", name="暂存").click()

    # Then the refusal is the import's, beside the goods code, with nothing saved
    code_ts = form.get_by_label("商品编号", exact=True)
    expect(code_ts).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("商品编号")
    described = code_ts.get_attribute("aria-describedby")
    expect(page.locator(f"#{described}")).not_to_be_empty()
    assert F.call(stack, "GET", "/declarations?bill_no=SZF2024001").json()["total"] == 0

    # When the clerk corrects it, the declaration is temp-saved with the mark and its page opens
    code_ts.fill(goods["code_ts"])
    form.get_by_role("button", name="暂存").click()
    expect(page).to_have_url(re.compile(r"#/declarations/I\d{17}$"))
    seq_no = page.url.rsplit("/", 1)[1]
    expect(page.locator("[data-field=status]")).to_have_text("暂存")
    expect(page.locator('dd[data-path="bill_no"]')).to_have_text("SZF2024001")
    saved = F.call(stack, "GET", f"/declarations/{seq_no}").json()
    assert saved["smart_mark"] is True and saved["goods"][0]["code_ts"] == goods["code_ts"]
    assert saved["documents"] == [{"edoc_code": "00000001", "edoc_no": "INV-F-001"}]
    assert saved["pack_no"] == body["pack_no"] and saved["consignee"]["uscc"] == F.uscc
    assert page.errors == []

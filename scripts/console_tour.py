#!/usr/bin/env python3
"""A tour of the web console on a fresh local stack: screenshots of the main screens and the
requests per minute an open 智能申报台 costs.

    .venv/bin/python scripts/console_tour.py --screenshots docs/screenshots   # needs a CJK font (fonts-wqy-microhei)
    .venv/bin/python scripts/console_tour.py --measure                        # about 4½ minutes

Data is set up through the public API (the local sign-in's token), exactly as the console would.
Chromium is Debian's (SMARTDECL_CHROMIUM or `chromium` on PATH); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.stack_process import start_stack

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AGENT = {"ent_code": "1108919038", "ent_uscc": "91110000600037341L", "role": "legal", "card_no": "1108919038L01"}


class Client:
    def __init__(self, api: str) -> None:
        self.api = api
        token = requests.post(f"{api}/dev/token", json=AGENT, timeout=5).json()["id_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def __call__(self, method: str, path: str, **kw):
        response = requests.request(
            method, self.api + path, headers={**self.headers, **kw.pop("headers", {})}, timeout=10, **kw
        )
        response.raise_for_status()
        return response.json()


def seed(client: Client, batch_wait: int) -> tuple[str, list[str]]:
    if not client("GET", "/enablement")["enabled"]:
        client("POST", "/enablement", json={"accept_notice": True})
    configs = [
        client(
            "POST",
            "/configs",
            json={
                "name": name,
                "ie_flag": ie,
                "effective_by": "enterprise",
                "agent": {"code": AGENT["ent_code"], "uscc": AGENT["ent_uscc"]},
                "require_manifest": ie == "E",
                "auxiliary_confirm": True,
                "batch_wait_seconds": batch_wait,
            },
        )["config_id"]
        for name, ie in (("大恒企业进口", "I"), ("大恒企业出口", "E"))
    ]
    workbook = (ROOT / "examples" / "declarations.xlsx").read_bytes()
    seq_nos = client(
        "POST", "/declarations/import", params={"smart_mark": "true"}, data=workbook, headers={"Content-Type": XLSX}
    )["accepted"]
    return client("POST", "/executions", json={"enterprise_type": "agent", "config_ids": configs})[
        "execution_id"
    ], seq_nos


class Hooks:
    """A webhook receiver on loopback (the local stack allows http://127.0.0.1 targets)."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/erp/customs-events"


def wait_for(what: str, check, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.5)


def browser_page(pw, chromium: str):
    browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"])
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    return browser, page


def sign_in(page, console: str) -> None:
    page.goto(console)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("navigation", name="主菜单").get_by_role("link").first.wait_for()


def screenshots(out: Path, chromium: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as outbox:
        stack = start_stack(outbox)
        api, customs = stack.api, stack.customs
        try:
            client = Client(api)
            with sync_playwright() as pw:
                browser, page = browser_page(pw, chromium)
                console = f"{api}/console/"
                page.goto(console)
                page.get_by_role("button", name="登录").wait_for()
                page.screenshot(path=str(out / "sign-in.png"))
                hooks = Hooks()
                if not client("GET", "/enablement")["enabled"]:
                    client("POST", "/enablement", json={"accept_notice": True})
                hook = client("POST", "/subscriptions", json={"protocol": "webhook", "endpoint": hooks.url})
                client(
                    "POST",
                    "/subscriptions",
                    json={
                        "protocol": "email",
                        "endpoint": "customs-desk@example.com",
                        "event_types": ["customs_receipt"],
                    },
                )
                execution, seq_nos = seed(client, batch_wait=60)
                export = next(s for s in seq_nos if s.startswith("E"))
                bill = client("GET", f"/declarations/{export}")["bill_no"]
                requests.put(
                    f"{customs}/logistics/manifests/{bill}", json={"pack_no": 850, "gross_wt": "9350.8"}, timeout=5
                )
                wait_for(
                    "the export declaration's release",
                    lambda: client("GET", f"/declarations/{export}")["status"] == "released",
                    90,
                )
                sign_in(page, console)
                shots = [
                    ("console", "#/console", ".batch table"),
                    ("marking", "#/marking", "table"),
                    ("query", "#/query", "table"),
                    ("log", f"#/log/{export}", ".timeline"),
                    ("tax", f"#/tax/{seq_nos[0]}", "[data-field=payable]"),
                    ("declaration", f"#/declarations/{export}", ".declaration-form"),
                    ("entry", "#/entry", "form.entry-form"),
                    ("channel", "#/channel", "#cred-title"),
                    (None, "#/subscriptions", "table"),
                ]
                wait_for(
                    "webhook deliveries",
                    lambda: len(client("GET", f"/subscriptions/{hook['subscription_id']}/deliveries")["items"]) >= 3,
                )
                for name, route, ready in shots:
                    page.goto(console + route)
                    expect(page.locator(ready).first).to_be_visible()
                    expect(page.locator("[aria-busy=true]")).to_have_count(0)
                    if name:
                        page.screenshot(path=str(out / f"{name}.png"))
                page.get_by_role("button", name="推送记录").click()
                expect(page.get_by_role("button", name="重新推送")).to_be_visible()
                page.get_by_role("button", name="重新推送").scroll_into_view_if_needed()
                page.screenshot(path=str(out / "deliveries.png"))
                page.get_by_label("推送方式").select_option("webhook")
                page.get_by_label("地址（邮箱、手机号或 https 网址）").fill(hooks.url + "/2")
                page.get_by_role("button", name="新增订阅").last.click()
                expect(page.get_by_role("dialog")).to_contain_text("仅显示这一次")
                page.screenshot(path=str(out / "webhook-secret.png"))
                page.get_by_role("dialog").get_by_role("button", name="确定").click()
                # a subscriber's choices as a clerk fills them in: an SMS for two states, quiet at night
                form = page.get_by_role("form", name="新增订阅")
                form.get_by_label("推送方式").select_option("sms")
                form.get_by_label("地址（邮箱、手机号或 https 网址）").fill("13900139000")
                form.get_by_label("海关退单").check()
                form.get_by_label("海关放行").check()
                form.get_by_label("开始时间").fill("21:30")
                form.get_by_label("结束时间").fill("07:30")
                page.screenshot(path=str(out / "subscriptions.png"), full_page=True)
                page.goto(console + "#/configs")
                page.get_by_role("button", name="新增").click()
                form = page.locator("form.config-form")
                form.get_by_label("配置名称").fill("大恒企业进口")
                expect(page.locator(".toast")).to_have_count(0, timeout=10_000)
                form.get_by_role("button", name="保存").click()
                expect(page.get_by_role("alert")).to_contain_text("该申报单位下存在")
                page.get_by_role("alert").scroll_into_view_if_needed()
                page.screenshot(path=str(out / "config-clash.png"))
                page.goto(console + "#/console")
                expect(page.locator(".toast")).to_have_count(0, timeout=10_000)
                page.get_by_role("button", name="切换语言").click()
                expect(page.locator(".batch table")).to_be_visible()
                page.screenshot(path=str(out / "console-en.png"))
                page.goto(console + "#/channel")
                expect(page.locator("#cred-title")).to_be_visible()
                expect(page.locator("[aria-busy=true]")).to_have_count(0)
                page.screenshot(path=str(out / "channel-en.png"))
                page.goto(console + f"#/declarations/{export}")
                expect(page.locator(".declaration-form")).to_be_visible()
                expect(page.locator("[aria-busy=true]")).to_have_count(0)
                page.screenshot(path=str(out / "declaration-en.png"))
                page.get_by_role("button", name="Switch language").click()
                client("POST", f"/executions/{execution}/stop")
                browser.close()
        finally:
            stack.stop()
    for png in sorted(out.glob("*.png")):
        print(f"{png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}  {png.stat().st_size // 1024} KB")


def measure(chromium: str) -> None:
    """Requests per minute of an open 智能申报台: with batches back to back (5 s wait), with the
    seed's 60 s between batches, and once stopped."""
    from playwright.sync_api import expect, sync_playwright

    for batch_wait, windows in (
        (5, (("running, 5 s between batches", 60),)),
        (60, (("running, 60 s between batches", 120), ("stopped", 60))),
    ):
        with tempfile.TemporaryDirectory() as outbox:
            stack = start_stack(outbox)
            api = stack.api
            try:
                client = Client(api)
                seed(client, batch_wait=batch_wait)
                with sync_playwright() as pw:
                    browser, page = browser_page(pw, chromium)
                    sign_in(page, f"{api}/console/")
                    page.goto(f"{api}/console/#/console")
                    expect(page.locator(".live [data-field=total]")).to_be_visible()
                    for label, seconds in windows:
                        if label == "stopped":
                            page.get_by_role("button", name="停止申报").first.click()
                            page.get_by_role("dialog").get_by_role("button", name="确定").click()
                            expect(page.locator(".live [data-field=status]")).to_have_text("已停止")
                        before = page.evaluate("window.smartdeclStats.requests")
                        page.wait_for_timeout(seconds * 1000)  # a measurement window, not a wait for a state
                        after = page.evaluate("window.smartdeclStats.requests")
                        print(
                            f"{label:32s} {after - before:4d} requests in {seconds} s = "
                            f"{(after - before) * 60 / seconds:.1f} per minute",
                            flush=True,
                        )
                    browser.close()
            finally:
                stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--screenshots", type=Path)
    parser.add_argument("--measure", action="store_true")
    args = parser.parse_args()
    chromium = os.environ.get("SMARTDECL_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("needs Debian's chromium: apt-get install chromium")
    if args.screenshots:
        screenshots(args.screenshots.resolve(), chromium)
    if args.measure:
        measure(chromium)


if __name__ == "__main__":
    main()

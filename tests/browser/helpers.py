"""What the browser tests share: an enterprise of their own, its API calls, signing in as it."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from playwright.sync_api import Page, expect


@dataclass(frozen=True)
class Enterprise:
    code: str
    uscc: str
    name: str

    @property
    def card(self) -> dict[str, str]:
        return {"ent_code": self.code, "ent_uscc": self.uscc, "role": "legal", "card_no": f"{self.code}L01"}

    @property
    def party(self) -> dict[str, str]:
        return {"code": self.code, "uscc": self.uscc, "name": self.name}

    def call(self, stack, method: str, path: str, **kw) -> requests.Response:
        """The public API as this enterprise's legal-person card."""
        token = requests.post(f"{stack['api']}/dev/token", json=self.card, timeout=10).json()["id_token"]
        headers = {"Authorization": f"Bearer {token}"}
        return requests.request(method, stack["api"] + path, timeout=10, headers=headers, **kw)


def sign_in(page: Page, stack, ent: Enterprise, lang: str = "zh", width: int = 1280) -> None:
    """Through the console's local sign-in form, typing the enterprise's codes."""
    page.add_init_script(f"localStorage.setItem('smartdecl.lang', '{lang}')")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(stack["console"])
    page.locator("input[name=ent_code]").fill(ent.code)
    page.locator("input[name=ent_uscc]").fill(ent.uscc)
    page.locator("input[name=card_no]").fill(ent.card["card_no"])
    page.locator("form button[type=submit]").click()
    expect(page.locator("nav a").first).to_be_visible()


def settled(page: Page) -> None:
    """The screen's heading shows and nothing is loading; its second reads (lists, the pool) land."""
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("[aria-busy=true]")).to_have_count(0)
    page.wait_for_timeout(300)

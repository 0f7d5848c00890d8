"""The API page at /docs in Chromium: Swagger UI under the console's Content-Security-Policy shows
every operation of this stack's document and calls this stack when a call is tried."""

from __future__ import annotations

import requests

RENDERED = 30_000  # ms: Swagger UI parses 1.7 MB of script, then renders every operation


def test_api_page_lists_every_operation_without_breaking_its_security_policy(page, stack):
    operations = sum(
        1
        for item in requests.get(f"{stack['api']}/openapi.json", timeout=10).json()["paths"].values()
        for method in item
        if method != "parameters"
    )

    page.goto(f"{stack['api']}/docs")
    page.wait_for_selector(".opblock", timeout=RENDERED)

    assert page.locator(".opblock").count() == operations
    assert page.errors == []  # a script or style the policy refused would be a console error
    assert [r for r in page.refused if "/docs/" in r or "openapi.json" in r] == []


def test_a_call_tried_on_the_api_page_reaches_this_stack(page, stack):
    page.goto(f"{stack['api']}/docs/")
    page.wait_for_selector(".opblock", timeout=RENDERED)
    health = page.locator(".opblock", has=page.locator(".opblock-summary-path", has_text="/health")).first
    health.locator(".opblock-summary").click()
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()

    status = health.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert page.errors == []

"""Browser tests: Playwright for Python driving Debian's chromium (never a downloaded browser)
against `make run`'s stack, started here on free ports.

Without chromium on a developer machine the tests skip and say why; in CI (CI=true, set by
.ci/run) a missing browser fails instead. A failed test leaves a screenshot in .local/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.stack_process import StackDidNotStart, start_stack
from tests.factories import ROOT

SECRET = "browser-test-secret-of-at-least-32-bytes"
SCREENSHOTS = ROOT / ".local" / "screenshots"
CANDIDATES = ("chromium", "chromium-browser")


def chromium_path() -> str | None:
    explicit = os.environ.get("SMARTDECL_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        message = (
            "browser tests need Debian's chromium: sudo apt-get install -y chromium "
            "(or set SMARTDECL_CHROMIUM to its path)"
        )
        if in_ci():
            pytest.fail(message + " — CI must run them, so a missing browser is a failure")
        pytest.skip(message)
    return path


@pytest.fixture(scope="package")  # stopped once the browser tests are done, not at the session's end
def stack(tmp_path_factory, chromium) -> Iterator[dict[str, str]]:
    """The local stack (moto, simulator, runner, API) with a 2-second schedule."""
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    with log.open("w") as out:
        try:
            # over HTTP to the simulator: the tests' own enterprises (C, D, …) have no local agent, and the
            # exchange channel is the end-to-end tests' (tests/e2e/test_exchange_stack.py)
            outbox = tmp_path_factory.mktemp("browser") / "outbox"  # its agents' folders beside it, its own
            started = start_stack(outbox, jwt_secret=SECRET, output=out, channel="http")
        except StackDidNotStart as exc:
            pytest.fail(f"{exc}:\n{log.read_text()}")
    yield {"api": started.api, "console": started.console, "customs": started.customs}
    # a clean stop, not a quick one: since the exchange channel came in, an idle stack takes ~16 s to stop
    assert started.stop(timeout=60) == 0, "the stack must stop cleanly"


# A browser in a zone other than China's (London), so the console must show China time by itself
CONTEXT = {"locale": "zh-CN", "timezone_id": "Europe/London", "viewport": {"width": 1360, "height": 900}}


def launched(path: str) -> Iterator:
    """Debian's chromium at `path`, for a fixture to yield (the e2e modules drive it too)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def browser(chromium):
    yield from launched(chromium)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(**CONTEXT)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # failed requests are listed in page.refused; a script error is always a test failure
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None,
    )
    refused: list[str] = []
    page.on("response", lambda r: refused.append(f"{r.status} {r.request.method} {r.url}") if r.status >= 400 else None)
    page.errors, page.refused = errors, refused
    yield page
    failed = getattr(request.node, "failed_call", False)
    if failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / f"{request.node.name}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"\nscreenshot of the failure: {shot}\nbrowser errors: {errors}\nrefused requests: {refused}")
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.failed_call = True
    return report

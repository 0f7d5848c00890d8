"""End to end through the exchange channel, `make run`'s default: the service hands each declaration
to the enterprise's agent, which writes it into the Single Window client's folders (played by the
simulator on a sandbox tree); the client's answers and receipts come back through the agent. Driven
over HTTP, as a person would, and once in the console (Debian's chromium, as tests/browser drives it, on
this module's stack: the browser tests' own stack is on the HTTP channel); the folders are looked at as
a broker would."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from infra.stack_process import StackDidNotStart, start_stack
from tests.browser.conftest import CONTEXT, SCREENSHOTS, chromium_path, in_ci, launched
from tests.browser.helpers import Enterprise, settled, sign_in
from tests.factories import ENT_A, make_config_body, make_declaration_body
from tests.polling import STACK_SECONDS, wait_until

SECRET = "exchange-end-to-end-secret-of-32-bytes-or-more"
FINAL = ("succeeded", "failed")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return tmp_path_factory.mktemp("exchange")


@pytest.fixture(scope="module")
def stack(base):
    log = base / "stack.log"
    with log.open("w") as out:
        try:
            started = start_stack(base / "outbox", jwt_secret=SECRET, output=out)  # the default channel
        except StackDidNotStart as exc:
            pytest.fail(f"{exc}:\n{log.read_text()}")
    yield started
    assert started.stop() == 0, "the stack must stop cleanly"


def until(what, probe, condition=bool):
    return wait_until(what, probe, condition, timeout=STACK_SECONDS, interval=0.5)


def the_config(api: str, legal: dict[str, str]) -> str:
    """The enterprise's one import config for these declarations (a second alike would clash)."""
    for config in requests.get(f"{api}/configs", headers=legal).json()["items"]:
        return str(config["config_id"])
    config = make_config_body(require_manifest=False, compare_manifest=False, batch_wait_seconds=5)
    return str(requests.post(f"{api}/configs", json=config, headers=legal).json()["config_id"])


def legal_card(api: str) -> dict[str, str]:
    body = {"ent_code": ENT_A["code"], "ent_uscc": ENT_A["uscc"], "role": "legal", "card_no": f"{ENT_A['code']}L01"}
    token = requests.post(f"{api}/dev/token", json=body, timeout=10).json()["id_token"]
    return {"Authorization": f"Bearer {token}"}


def test_declarations_go_through_the_agent_and_the_client_s_folders(stack, base):
    api, customs = stack.api, stack.customs
    legal = legal_card(api)
    box = base / "agents" / ENT_A["code"] / "ImpPath" / "Deccus001"
    # Given the enterprise accepts the user notice: its agent starts and says so
    assert requests.post(f"{api}/enablement", json={"accept_notice": True}, headers=legal).status_code == 200
    until(
        "the agent online",
        lambda: requests.get(f"{api}/customs/channel", headers=legal).json()["agent"]["state"],
        lambda state: state == "online",
    )
    config_id = the_config(api, legal)
    plan = [make_declaration_body(self_pay=False) for _ in range(4)]
    plan[2]["note"] = "SANDBOX:REJECT"  # customs refuses it: a Failed_ file
    seq_nos = requests.post(
        f"{api}/declarations", json={"declarations": plan, "smart_mark": True}, headers=legal
    ).json()["accepted"]
    assert len(seq_nos) == 4
    client = f"{customs}/control/clients/{ENT_A['code']}"
    # the client fails the first try of one (it is written again as t-2), and one fails at the card
    assert requests.post(f"{client}/fail", json={"client_seq_no": seq_nos[1], "tries": 1}, timeout=5).ok
    card = {"client_seq_no": seq_nos[3], "fail_code": "C134"}
    assert requests.post(f"{client}/card-failure", json=card, timeout=5).ok

    # When start is pressed once
    started = requests.post(
        f"{api}/executions", json={"enterprise_type": "agent", "config_ids": [config_id]}, headers=legal
    )
    assert started.status_code == 201

    # Then each declaration ends as its file's answer says, each once
    def smart_statuses():
        return [requests.get(f"{api}/declarations/{s}", headers=legal).json()["smart_status"] for s in seq_nos]

    ended = until("every declaration answered", smart_statuses, lambda seen: all(s in FINAL for s in seen))
    assert ended == ["succeeded", "succeeded", "failed", "failed"]
    sent = sorted(p.name for p in (box / "SentBox").iterdir())
    assert sent == sorted(
        [f"I_{seq_nos[0]}_t-1.zip", f"I_{seq_nos[1]}_t-2.zip", f"I_{seq_nos[2]}_t-1.zip", f"I_{seq_nos[3]}_t-1.zip"]
    )
    archive = {p.name for p in (box.parent / "smartdecl" / "archive").rglob("*") if p.is_file()}
    assert f"I_{seq_nos[1]}_t-1.zip" in archive  # the failed try, kept
    assert any(n.startswith(f"Failed_I_{seq_nos[3]}_t-1_") for n in archive)  # the card failure, forwarded
    # the receipts come on (入库成功, 放行) and every file the client wrote reaches the service
    until(
        "the declared ones released",
        lambda: [requests.get(f"{api}/declarations/{s}", headers=legal).json()["status"] for s in seq_nos[:2]],
        lambda seen: seen == ["released", "released"],
    )
    until("InBox emptied by the agent", lambda: list((box / "InBox").iterdir()), lambda left: left == [])
    assert list((box.parent / "smartdecl" / "quarantine").iterdir()) == []
    stats = requests.get(f"{customs}/control/stats", timeout=5).json()
    assert stats["duplicates"] == 0  # nothing reached customs twice
    requests.post(f"{api}/executions/{started.json()['execution_id']}/stop", headers=legal)


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, as the browser tests drive it (tests/browser/conftest.py), on this module's stack:
    the exchange channel in the console costs a browser, not a stack of its own."""
    path = chromium_path()
    if path is None:
        message = "the console on the exchange channel needs Debian's chromium (tests/browser/conftest.py)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    yield from launched(path)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(**CONTEXT)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    failed_before = request.session.testsfailed
    yield page
    if request.session.testsfailed > failed_before:  # as the browser tests do: what the screen showed
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], f"the console's scripts failed: {errors}"


def test_while_the_client_is_down_the_console_shows_the_declaration_in_its_outbox_until_it_goes(stack, base, page):
    api, customs = stack.api, stack.customs
    legal = legal_card(api)
    box = base / "agents" / ENT_A["code"] / "ImpPath" / "Deccus001"
    client = f"{customs}/control/clients/{ENT_A['code']}"
    requests.post(f"{api}/enablement", json={"accept_notice": True}, headers=legal)
    config_id = the_config(api, legal)
    (seq_no,) = requests.post(
        f"{api}/declarations",
        json={"declarations": [make_declaration_body(self_pay=False)], "smart_mark": True},
        headers=legal,
    ).json()["accepted"]
    # Given the client is down (the daily restart, a crash)
    assert requests.post(client, json={"mode": "down"}, timeout=5).ok
    started = requests.post(
        f"{api}/executions", json={"enterprise_type": "agent", "config_ids": [config_id]}, headers=legal
    )
    assert started.status_code == 201, started.text
    execution = started.json()["execution_id"]
    # Then the file waits in OutBox, written and acknowledged, still declaring
    until(
        "the file in OutBox",
        lambda: [p.name for p in (box / "OutBox").iterdir()],
        lambda n: n == [f"I_{seq_no}_t-1.zip"],
    )
    until(
        "the declaration handed over, written",
        lambda: requests.get(f"{api}/declarations/{seq_no}", headers=legal).json().get("handover"),
        lambda handover: handover == "written",
    )
    until(  # its heartbeat said so (at its start, then every 30 s); the screen shows what the service knows
        "the agent online",
        lambda: requests.get(f"{api}/customs/channel", headers=legal).json()["agent"]["state"],
        lambda state: state == "online",
    )
    # and the console says so, in its words: 报文客户端状态 with the agent online, the declaration 申报中
    # in the client's OutBox
    sign_in(page, {"console": stack.console}, Enterprise(ENT_A["code"], ENT_A["uscc"], ENT_A["name"]))
    expect(page.get_by_label("报文客户端状态")).to_contain_text("申报代理 在线")
    expect(page.locator("tr", has_text=seq_no)).to_contain_text("申报中")
    page.goto(f"{stack.console}#/declarations/{seq_no}")
    settled(page)
    expect(page.locator("[data-field=smart_status]")).to_have_text("申报中已写入报文客户端发件箱")
    expect(page.locator("[data-field=handover]")).to_have_text("已写入报文客户端发件箱第 1 次发送")

    # When the client is back, it goes, once, and the declaration says 申报成功, its log the client's steps in turn
    assert requests.post(client, json={"mode": "up"}, timeout=5).ok
    until(
        "the declaration declared",
        lambda: requests.get(f"{api}/declarations/{seq_no}", headers=legal).json()["smart_status"],
        lambda status: status == "succeeded",
    )
    page.reload()
    settled(page)
    expect(page.locator("[data-field=smart_status]")).to_have_text("申报成功(自动)")
    expect(page.locator("[data-field=handover]")).to_have_count(0)
    for step in ("已交报文客户端", "已写入发件箱", "客户端已发送", "海关已接收"):
        expect(page.get_by_text(step, exact=True)).to_be_visible()
    assert [p.name for p in (box / "SentBox").iterdir() if seq_no in p.name] == [f"I_{seq_no}_t-1.zip"]
    requests.post(f"{api}/executions/{execution}/stop", headers=legal)

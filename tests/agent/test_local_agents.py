"""`make run`'s agents (infra/local_agents.py) against a service over HTTP: a credential made through
the public API, a sandbox client per enterprise, an agent that declares through it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from infra import local_agents
from infra.customs_simulator.client_mode import SANDBOX_MARKER
from infra.customs_simulator.server import CustomsSimulator

from .fake_exchange import CREDENTIAL, FakeExchange, serve


@pytest.fixture
def service():
    fake = FakeExchange(now=datetime.now(UTC))
    server, url = serve(fake)
    yield fake, url
    server.shutdown()
    server.server_close()


def test_each_local_enterprise_gets_a_credential_a_sandbox_client_and_an_agent_that_declares(service, tmp_path):
    fake, url = service
    simulator = CustomsSimulator(receipt_delay_seconds=0.01)
    fake.queue("I20240000000000501")
    started = local_agents.start(url, simulator, ["1108919038"], tmp_path / "agents")
    try:
        home = tmp_path / "agents" / "1108919038"
        wait_for(lambda: (home / "credential.txt").is_file())
        assert (home / "credential.txt").read_text(encoding="utf-8").strip() == CREDENTIAL
        assert (home / "ImpPath" / SANDBOX_MARKER).is_file() and fake.credentials_created == 1
        item = fake.items[("I20240000000000501", 1)]
        deadline = time.monotonic() + 20
        # Successed_, then L and P; and `sent` (which may come after the answer: each is applied in any order)
        while (len(fake.receipts) < 3 or item.state != "sent") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sorted(r["kind"] for r in fake.receipts.values()) == ["DEC_RESULT", "DEC_RESULT", "DecImportResponse"]
        assert item.state == "sent"
    finally:
        started.stop()
        simulator.stop()


def wait_for(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.05)


def test_an_enterprise_gets_its_agent_once_it_has_enabled_the_service(service, tmp_path, monkeypatch):
    # Given an enterprise that has not accepted the user notice yet (a credential needs that)
    fake, url = service
    monkeypatch.setattr(local_agents, "ENABLEMENT_POLL_SECONDS", 0.05)
    enabled = []
    real = fake.handle

    def not_enabled_until_told(method, path, headers, body):
        if "agent-credentials" in path and method == "POST" and not enabled:
            return 403, {"code": "not_enabled", "message_zh": "未启用", "message_en": "not enabled"}
        return real(method, path, headers, body)

    fake.handle = not_enabled_until_told
    simulator = CustomsSimulator(receipt_delay_seconds=0.01)
    started = local_agents.start(url, simulator, ["1108919038"], tmp_path / "agents")
    try:
        # When the stack starts, its client's folders are there but no agent yet
        home = tmp_path / "agents" / "1108919038"
        time.sleep(0.3)
        assert (home / "ImpPath" / SANDBOX_MARKER).is_file() and not (home / "credential.txt").exists()
        assert started.agents == {}
        # Then, once it enables the service, its agent starts
        enabled.append(True)
        wait_for(lambda: "1108919038" in started.agents)
        assert (home / "credential.txt").read_text(encoding="utf-8").strip() == CREDENTIAL
    finally:
        started.stop()
        simulator.stop()


def test_the_enterprises_are_the_examples_unless_named(monkeypatch):
    assert local_agents.enterprises({}) == ["1108919038", "3101234567"]
    assert local_agents.enterprises({"SMARTDECL_LOCAL_AGENTS": " 1108919038 ,"}) == ["1108919038"]


def test_an_api_without_agent_routes_is_said_so(tmp_path):
    fake = FakeExchange()
    server, url = serve(fake)
    try:
        real = fake.handle

        def without_agent_routes(method, path, headers, body):
            return (404, {"code": "not_found"}) if "agent-credentials" in path else real(method, path, headers, body)

        fake.handle = without_agent_routes
        with pytest.raises(local_agents.NoAgentRoutes):
            local_agents.start(url, CustomsSimulator(), ["1108919038"], tmp_path / "agents")
        assert not (tmp_path / "agents").exists()
    finally:
        server.shutdown()
        server.server_close()

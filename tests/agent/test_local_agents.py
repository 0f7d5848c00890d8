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
        assert (home / "credential.txt").read_text(encoding="utf-8").strip() == CREDENTIAL
        assert (home / "ImpPath" / SANDBOX_MARKER).is_file() and fake.credentials_created == 1
        deadline = time.monotonic() + 20
        while len(fake.receipts) < 3 and time.monotonic() < deadline:  # Successed_, then L and P
            time.sleep(0.05)
        assert sorted(r["kind"] for r in fake.receipts.values()) == ["DEC_RESULT", "DEC_RESULT", "DecImportResponse"]
        assert fake.items[("I20240000000000501", 1)].state == "sent"
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

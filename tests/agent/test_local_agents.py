"""`make run`'s agents (infra/local_agents.py) against a service over HTTP: a sandbox client per
enterprise at once; a credential made through the public API and an agent that declares through the
client once the enterprise accepted the user notice."""

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
    fake = FakeExchange(now=datetime.now(UTC), enabled=False)
    server, url = serve(fake)
    yield fake, url
    server.shutdown()
    server.server_close()


def wait_for(predicate, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_an_enterprise_s_agent_starts_once_it_accepted_the_notice_and_declares_through_its_client(
    service, tmp_path, monkeypatch
):
    fake, url = service
    monkeypatch.setattr(local_agents, "WAIT_SECONDS", 0.05)
    simulator = CustomsSimulator(receipt_delay_seconds=0.01)
    fake.queue("I20240000000000501")
    said: list[str] = []
    started = local_agents.start(url, simulator, ["1108919038"], tmp_path / "agents", say=said.append)
    try:
        # Given the enterprise has not accepted the notice: its client's folders are there, no agent yet
        home = tmp_path / "agents" / "1108919038"
        assert (home / "ImpPath" / SANDBOX_MARKER).is_file() and (home / "ImpPath" / "Deccus001" / "OutBox").is_dir()
        time.sleep(0.3)
        assert not (home / "credential.txt").exists() and fake.credentials_created == 0 and said == []
        # When it does
        fake.enabled = True
        # Then the credential is made, kept as a broker would, and the agent declares through the client
        assert wait_for(lambda: (home / "credential.txt").exists())
        assert (home / "credential.txt").read_text(encoding="utf-8").strip() == CREDENTIAL
        item = fake.items[("I20240000000000501", 1)]
        # Successed_, then L and P; and `sent` (which may come after the answer: each is applied in any order)
        assert wait_for(lambda: len(fake.receipts) >= 3 and item.state == "sent"), (fake.receipts, item.state)
        assert sorted(r["kind"] for r in fake.receipts.values()) == ["DEC_RESULT", "DEC_RESULT", "DecImportResponse"]
        assert fake.credentials_created == 1 and said == [
            "local agent 1108919038: the enterprise accepted the notice; its agent runs"
        ]
    finally:
        started.stop()
        simulator.stop()


def test_the_enterprises_are_the_examples_unless_named():
    assert local_agents.enterprises({}) == ["1108919038", "3101234567"]
    assert local_agents.enterprises({"SMARTDECL_LOCAL_AGENTS": " 1108919038 ,"}) == ["1108919038"]


def test_an_api_without_agent_routes_is_said_so_before_anything_is_made(tmp_path):
    fake = FakeExchange()
    real = fake.handle

    def without_agent_routes(method, path, headers, body):
        return (404, {"code": "not_found"}) if "agent-credentials" in path else real(method, path, headers, body)

    fake.handle = without_agent_routes  # type: ignore[method-assign]
    server, url = serve(fake)
    try:
        with pytest.raises(local_agents.NoAgentRoutes):
            local_agents.start(url, CustomsSimulator(), ["1108919038"], tmp_path / "agents")
        assert not (tmp_path / "agents").exists()
    finally:
        server.shutdown()
        server.server_close()


def test_an_enterprise_the_examples_do_not_know_is_given_with_its_credit_code(monkeypatch):
    monkeypatch.setattr(local_agents, "KNOWN", dict(local_agents.KNOWN))
    assert local_agents.enterprises({"SMARTDECL_LOCAL_AGENTS": "1108919038, 1108900002:91110000MA0000002P"}) == [
        "1108919038",
        "1108900002",
    ]
    assert local_agents.KNOWN["1108900002"] == "91110000MA0000002P"


def test_with_the_agents_outside_only_the_clients_folders_are_made(tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTDECL_LOCAL_AGENTS_OUTSIDE", "1")
    monkeypatch.setattr(local_agents, "_check_routes", lambda api, ent_code: None)
    simulator = CustomsSimulator(receipt_delay_seconds=0.01)
    started = local_agents.start("http://127.0.0.1:9", simulator, ["1108919038"], tmp_path, say=lambda _: None)
    assert (tmp_path / "1108919038" / "ImpPath" / SANDBOX_MARKER).is_file()
    assert "1108919038" in simulator.clients and started.threads == [] and started.agents == {}

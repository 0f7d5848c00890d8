"""Shared fixtures. One moto server per test session (a mock_aws start would wipe shared state);
a test asking for `aws` gets it as provision() left it, once per worker, restored before each test."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from infra import local_aws

local_aws.local_credentials()
os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = local_aws.LOCAL_REGION
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "smartdecl-test")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "SmartDeclarationTest")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server, endpoint = local_aws.start_moto()
    yield endpoint
    server.stop()


@pytest.fixture(scope="session")
def provisioned(moto_endpoint: str) -> dict[str, tuple[dict[str, dict], local_aws.Snapshot]]:
    """Per region: what provision() created once in this worker, and moto's state just after."""
    return {}


@pytest.fixture
def aws(provisioned, moto_endpoint: str) -> dict[str, dict]:
    """A clean local AWS with every table and queue of template.yaml: {logical id: physical ids}.
    Provisioned once per worker (0.5–20 s); each test then gets moto's state of that moment back
    (local_aws.restore, a few ms): every table, stream and queue empty, nothing else in any service."""
    region = os.environ["AWS_DEFAULT_REGION"]
    if region not in provisioned:
        provisioned[region] = local_aws.provisioned_snapshot(moto_endpoint)
    physical, state = provisioned[region]
    local_aws.restore(state)
    return copy.deepcopy(physical)


@pytest.fixture
def clock():
    from tests.factories import FixedClock

    return FixedClock()


@pytest.fixture
def customs_endpoint() -> str:
    """Where the container's customs gateway points; modules with a simulator override this."""
    return "http://127.0.0.1:9"


@pytest.fixture
def customs_channel() -> str:
    """The container's customs channel; the exchange channel's modules override this."""
    return "http"


@pytest.fixture
def container(aws, clock, customs_endpoint, customs_channel):
    """The API's wiring on local AWS, with a fixed clock and the test JWT secret."""
    from chalicelib.config import Settings
    from chalicelib.container import Container, use_container
    from infra import template as cfn
    from tests.factories import JWT_SECRET, RECEIPT_SECRET

    env = local_aws.environment(
        cfn.load(), aws, {"SMARTDECL_CUSTOMS_ENDPOINT": customs_endpoint, "SMARTDECL_CUSTOMS_CHANNEL": customs_channel}
    )
    ctx = Container(
        Settings.from_env(
            {
                **env,
                "SMARTDECL_JWT_SECRET": JWT_SECRET,
                "AWS_REGION": local_aws.LOCAL_REGION,
                "SMARTDECL_CUSTOMS_RETRIES": "1",
                "SMARTDECL_CUSTOMS_BACKOFF_SECONDS": "0.01",
                "SMARTDECL_CUSTOMS_TIMEOUT_SECONDS": "2",
                "SMARTDECL_RECEIPT_SECRET": RECEIPT_SECRET,
                "SMARTDECL_LOCAL_MODE": "true",
                # each test subscribes anew: no stale view between tests
                "SMARTDECL_SUBSCRIPTION_CACHE_SECONDS": "0",
            }
        ),
        clock=clock,
    )
    use_container(ctx)
    yield ctx
    use_container(None)


@pytest.fixture
def fake_container():
    """The engine harness (tests/engine_harness.py), its wiring on fakes installed as the process's
    container: a function's handler driven here runs on the fakes."""
    from chalicelib import container as wiring
    from tests.engine_harness import Harness

    before, harness = wiring._container, Harness()
    wiring.use_container(harness.wiring)
    yield harness
    wiring.use_container(before)


class Api:
    """Chalice's test client with a bearer token and JSON helpers."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ):
        from tests.factories import token as make_token

        hdrs = {"Content-Type": content_type}
        if token != "":
            hdrs["Authorization"] = f"Bearer {token or make_token()}"
        hdrs.update(headers or {})
        data = raw if raw is not None else (json.dumps(body, ensure_ascii=False).encode() if body is not None else b"")
        response = getattr(self.client.http, method.lower())(path, headers=hdrs, body=data)
        response.json = json.loads(response.body) if response.body else None
        return response

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


@pytest.fixture
def api(container):
    from chalice.test import Client

    from app import app
    from infra.local_gateway import use_not_found_gateway

    with Client(app) as client:
        yield Api(use_not_found_gateway(client))


@pytest.fixture
def enabled_api(api):
    """The API with enterprises A and B both enabled."""
    from tests.factories import ENT_B, token

    assert api.post("/enablement", {"accept_notice": True}).status_code == 200
    assert api.post("/enablement", {"accept_notice": True}, token=token(ENT_B)).status_code == 200
    return api


@pytest.fixture
def simulator_url():
    """A customs simulator for this test (receipts kept in memory)."""
    from infra.customs_simulator import start_simulator

    server, url = start_simulator(port=0, receipt_delay_seconds=0.05)
    yield url
    server.shutdown()


@pytest.fixture
def runner(aws, container):
    """Plays the template's event sources in-process: drain() the queues, tick() the schedule."""
    from infra import template as cfn
    from infra.local_runner import LocalRunner

    return LocalRunner(cfn.load(), aws, region=local_aws.LOCAL_REGION)


# `make test` runs on pytest-xdist workers; every test is dealt out one by one,
# except modules with a costly module or session fixture. The three that start `make run`'s whole
# stack as a process share one worker, so at most one such stack (moto, runner, simulator, API)
# competes for the CPU at a time and their timings stay those of a quiet machine.
_ONE_WORKER = {
    "tests/e2e/": "stack",
    "tests/browser/": "stack",
    "tests/cli/test_walkthrough.py": "stack",
    "tests/security/test_generated_clients.py": "stack",
    "tests/security/test_fuzz_api.py": "fuzz",
    # one interpreter per function answers all of its tests, when they run in one process
    "tests/unit/test_cold_start_imports.py": "cold-start",
    "tests/integration/test_template.py": "template",  # two SAM transforms for four tests
    "tests/soak/test_soak.py": "stack",  # two stacks of its own and a minute of load: not beside another
}


def pytest_xdist_make_scheduler(config, log):
    """xdist's own groups (xdist_group marks) are lost under pytest 9, which no longer takes the node
    id xdist rewrites; the same scheduling, with the groups named here by path."""
    from xdist.scheduler import LoadScopeScheduling

    class StackAwareScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return next((group for prefix, group in _ONE_WORKER.items() if nodeid.startswith(prefix)), nodeid)

    return StackAwareScheduling(config, log)

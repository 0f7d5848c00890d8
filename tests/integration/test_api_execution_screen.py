"""The execution screen's reads through the API (as the console makes them): the pool the ticked
configs take, an execution's batch history, and an idle execution saying so."""

from __future__ import annotations

import pytest

from tests.factories import ENT_B, make_config_body, make_declaration_body, token


@pytest.fixture
def customs_endpoint(simulator_url):
    return simulator_url  # the container sends to this test's customs simulator


def test_the_pool_batches_and_idle_state_through_the_api(enabled_api, runner):
    # Given two marked declarations and a config that takes them
    api = enabled_api
    seq_nos = api.post(
        "/declarations",
        {"declarations": [make_declaration_body(self_pay=False) for _ in range(2)], "smart_mark": True},
    ).json["accepted"]
    config_id = api.post("/configs", make_config_body(require_manifest=False, compare_manifest=False)).json["config_id"]

    # Then the pool lists them before start, and only to their enterprise
    listed = api.get(f"/pool?enterprise_type=agent&config_ids={config_id}").json
    assert [d["seq_no"] for d in listed["items"]] == seq_nos and listed["truncated"] is False
    assert api.get(f"/pool?config_ids={config_id}", token=token(ENT_B)).status_code == 404
    assert api.get("/pool").status_code == 400

    # When the execution runs its batch, and the next one finds nothing
    execution_id = api.post("/executions", {"enterprise_type": "agent", "config_ids": [config_id]}).json["execution_id"]
    runner.drain()
    # Then the pool is empty, the history names the batch, and the execution is not idle before the wait
    assert api.get(f"/pool?config_ids={config_id}").json["total"] == 0
    [first] = api.get(f"/executions/{execution_id}/batches").json["items"]
    assert (first["index"], first["claimed"], first["succeeded"]) == (1, 2, 2)
    assert api.get(f"/executions/{execution_id}").json["idle"] is False
    assert api.get(f"/executions/{execution_id}/batches", token=token(ENT_B)).status_code == 404

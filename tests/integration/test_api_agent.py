"""The exchange channel through the API (Chalice's test client, moto, the local runner): agent
credentials, who reaches which routes, and a declaration from handed over to declared by the
client's answer. Every answer is checked against the OpenAPI document (tests/contract.py)."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from tests.exchange_files import CUSTOMS_SEQ_NO, dec_result, sha, stem, successed
from tests.factories import ENT_B, make_config_body, make_declaration_body, token


@pytest.fixture
def customs_channel() -> str:
    return "exchange"


def credential(api, **kw) -> str:
    response = api.post("/agent-credentials", {"name": "报关员电脑"}, **kw)
    assert response.status_code == 201, response.json
    return response.json["key"]


def handed_over(api, runner, n: int = 1) -> list[str]:
    seq_nos = api.post(
        "/declarations",
        {"declarations": [make_declaration_body(self_pay=False) for _ in range(n)], "smart_mark": True},
    ).json["accepted"]
    config_id = api.post("/configs", make_config_body(require_manifest=False, compare_manifest=False)).json["config_id"]
    assert api.post("/executions", {"enterprise_type": "agent", "config_ids": [config_id]}).status_code == 201
    runner.drain()
    return seq_nos


def inbox(api, key: str, file) -> object:
    name, data = file
    headers = {"X-Smartdecl-File-Name": quote(name, safe=""), "X-Smartdecl-File-Sha256": sha(data)}
    return api.post("/agent/inbox", raw=data, token=key, headers=headers, content_type="application/octet-stream")


# ---- credentials and who reaches what ------------------------------------------------------------


def test_a_credential_is_made_by_the_legal_card_shown_once_and_listed_without_its_key(enabled_api):
    key = credential(enabled_api)

    listed = enabled_api.get("/agent-credentials", token=token(role="operator")).json["items"]

    assert key.startswith("sdag_") and len(listed) == 1
    assert "key" not in listed[0]
    assert key not in str(listed) and listed[0]["active"] is True
    refused = enabled_api.post("/agent-credentials", {"name": "x"}, token=token(role="operator"))
    assert (refused.status_code, refused.json["code"]) == (403, "legal_card_required")


def test_an_agent_credential_reaches_no_route_of_people(enabled_api):
    key = credential(enabled_api)

    for method, path in (("get", "/declarations"), ("get", "/agent-credentials"), ("get", "/customs/channel")):
        response = getattr(enabled_api, method)(path, token=key)
        assert (response.status_code, response.json["code"]) == (403, "agent_not_allowed"), path


def test_a_persons_token_reaches_no_route_of_the_agent(enabled_api):
    response = enabled_api.get("/agent/outbox")

    assert (response.status_code, response.json["code"]) == (403, "agent_credential_required")


def test_a_made_up_or_revoked_key_is_not_signed_in(enabled_api, container):
    key = credential(enabled_api)
    [listed] = enabled_api.get("/agent-credentials").json["items"]
    assert enabled_api.get("/agent/outbox", token=key).status_code == 200

    assert enabled_api.get("/agent/outbox", token=key[:-4] + "AAAA").status_code == 401
    assert enabled_api.get("/agent/outbox", token="sdag_nonsense").status_code == 401
    assert enabled_api.delete(f"/agent-credentials/{listed['credential_id']}").status_code == 204
    assert enabled_api.get("/agent/outbox", token=key).status_code == 401  # at once in this container


def test_another_enterprises_credential_cannot_be_revoked(enabled_api):
    credential(enabled_api)
    [listed] = enabled_api.get("/agent-credentials").json["items"]

    response = enabled_api.delete(f"/agent-credentials/{listed['credential_id']}", token=token(ENT_B))

    assert response.status_code == 404


# ---- a declaration through the agent ---------------------------------------------------------------


def test_a_declaration_goes_from_handed_over_to_declared_through_the_agents_routes(enabled_api, runner):
    key = credential(enabled_api)
    [seq_no] = handed_over(enabled_api, runner)
    decl = enabled_api.get(f"/declarations/{seq_no}").json
    assert (decl["smart_status"], decl["handover"], decl["send_no"]) == ("in_progress", "queued", 1)
    [row] = enabled_api.get(f"/batches/{decl['batch_no']}").json["declarations"]  # the batch's console says so too
    assert (row["handover"], row["handover_label"]) == ("queued", decl["handover_label"])

    [message] = enabled_api.get("/agent/outbox?max=5", token=key).json["messages"]
    assert b"<DecMessage" in base64.b64decode(message["xml_base64"])
    written = {
        "lease_token": message["lease_token"],
        "file_name": f"{stem(seq_no)}.zip",
        "sha256": message["sha256"],
        "try": 1,
    }
    assert enabled_api.post(f"/agent/outbox/{seq_no}/1/written", written, token=key).json == {"state": "written"}
    event = {"kind": "sent", "try": 1, "file_name": f"{stem(seq_no)}.zip", "at": "2024-03-21T11:07:21+08:00"}
    assert enabled_api.post(f"/agent/outbox/{seq_no}/1/events", event, token=key).json == {"state": "sent"}
    assert enabled_api.get(f"/declarations/{seq_no}").json["handover"] == "sent"

    answer = inbox(enabled_api, key, successed(seq_no))
    again = inbox(enabled_api, key, successed(seq_no))

    assert (answer.status_code, answer.json["outcome"], again.json["outcome"]) == (200, "applied", "duplicate")
    decl = enabled_api.get(f"/declarations/{seq_no}").json
    assert (decl["smart_status"], decl["customs_seq_no"], decl["handover"]) == ("succeeded", CUSTOMS_SEQ_NO, None)
    assert inbox(enabled_api, key, dec_result(None, "P")).json["outcome"] == "applied"  # found by customs' SeqNo
    assert enabled_api.get(f"/declarations/{seq_no}").json["status"] == "released"


def test_an_unreadable_inbox_file_is_refused_for_quarantine_and_a_wrong_digest_is_a_bad_request(enabled_api):
    key = credential(enabled_api)

    unreadable = inbox(enabled_api, key, ("Receipt_x.xml", b"\x00\x01 not xml"))
    headers = {"X-Smartdecl-File-Name": "a.xml", "X-Smartdecl-File-Sha256": "0" * 64}
    wrong = enabled_api.post(
        "/agent/inbox", raw=b"<x/>", token=key, headers=headers, content_type="application/octet-stream"
    )

    assert (unreadable.status_code, unreadable.json["code"]) == (422, "unreadable_file")
    assert (wrong.status_code, wrong.json["code"]) == (400, "sha256_mismatch")


def test_the_channels_state_shows_the_agent_the_client_and_the_outbox(enabled_api, runner):
    key = credential(enabled_api)
    handed_over(enabled_api, runner, 2)
    body = {
        "agent_version": "1.0.0",
        "hostname": "BROKER-PC",
        "folders": {"outbox": {"count": 1, "oldest_age_seconds": 400}},
        "client": "up",
        "journal": {"unacknowledged": 0},
        "a_newer_agents_key": True,
    }

    beat = enabled_api.post("/agent/heartbeat", body, token=key)
    status = enabled_api.get("/customs/channel", token=token(role="operator")).json

    assert beat.json["poll_seconds"] == 5
    assert (status["channel"], status["agent"]["state"], status["client"]["state"]) == ("exchange", "online", "down")
    assert status["outbox"] == {"queued": 2, "taken": 0, "written": 0, "sent": 0}
    [listed] = enabled_api.get("/agent-credentials").json["items"]
    assert (listed["hostname"], listed["agent_version"]) == ("BROKER-PC", "1.0.0")
    assert enabled_api.get("/customs/channel", token=token(ENT_B)).json["outbox"]["queued"] == 0

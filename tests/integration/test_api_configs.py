"""/configs over HTTP: the contract's JSON, legal-only writes, the uniqueness clash, tenants."""

from __future__ import annotations

from tests.factories import ENT_B, make_config_body, shared_example, token

SEED_CLASH = "该申报单位下存在相同的境内收发货人、相同进出口标志且启用状态的数据!"


def test_the_shared_example_config_round_trips(enabled_api):
    body = shared_example("config.json")
    created = enabled_api.post("/configs", body)
    assert created.status_code == 201
    config_id = created.json["config_id"]
    fetched = enabled_api.get(f"/configs/{config_id}").json
    assert {k: fetched[k] for k in body} == body
    assert fetched["created_by"] == "8911020000108" and fetched["created_at"].endswith("Z")


def test_an_operator_may_read_but_not_write_configs(enabled_api):
    enabled_api.post("/configs", make_config_body())
    operator = token(role="operator", card_no="2110050002046")
    assert enabled_api.get("/configs", token=operator).json["total"] == 1
    response = enabled_api.post("/configs", make_config_body(ie_flag="E"), token=operator)
    assert response.status_code == 403 and "只有法人卡" in response.json["message_zh"]


def test_a_clashing_config_gets_409_with_the_seed_message(enabled_api):
    assert enabled_api.post("/configs", make_config_body()).status_code == 201
    response = enabled_api.post("/configs", make_config_body(name="另一个"))
    assert response.status_code == 409 and response.json["message_zh"].startswith(SEED_CLASH)


def test_changing_and_deleting_a_config(enabled_api):
    config_id = enabled_api.post("/configs", make_config_body()).json["config_id"]
    changed = enabled_api.put(f"/configs/{config_id}", make_config_body(batch_wait_seconds=120, enabled=False))
    assert changed.status_code == 200 and changed.json["batch_wait_seconds"] == 120
    assert enabled_api.post("/configs", make_config_body(name="替代")).status_code == 201  # place was freed
    assert enabled_api.delete(f"/configs/{config_id}").status_code == 204
    assert enabled_api.get(f"/configs/{config_id}").status_code == 404


def test_another_enterprise_gets_404_for_our_config_and_lists_nothing(enabled_api):
    config_id = enabled_api.post("/configs", make_config_body()).json["config_id"]
    other = token(ENT_B)
    assert enabled_api.get("/configs", token=other).json == {"items": [], "total": 0, "next_cursor": None}
    for method in ("get", "delete"):
        assert getattr(enabled_api, method)(f"/configs/{config_id}", token=other).status_code == 404
    assert enabled_api.put(f"/configs/{config_id}", make_config_body(), token=other).status_code == 404


def test_invalid_config_lists_every_bad_field(enabled_api):
    response = enabled_api.post("/configs", make_config_body(ie_flag="X", batch_wait_seconds=-1, extra=1))
    assert response.status_code == 400
    assert {d["field"] for d in response.json["details"]} == {"ie_flag", "batch_wait_seconds", "extra"}


def test_patch_changes_only_the_fields_sent(enabled_api):
    created = enabled_api.post("/configs", make_config_body(batch_wait_seconds=90, require_manifest=True)).json
    patched = enabled_api.call("PATCH", f"/configs/{created['config_id']}", {"enabled": False})
    assert patched.status_code == 200
    assert patched.json["enabled"] is False
    assert {k: patched.json[k] for k in ("name", "batch_wait_seconds", "require_manifest", "agent")} == {
        k: created[k] for k in ("name", "batch_wait_seconds", "require_manifest", "agent")
    }
    assert enabled_api.get(f"/configs/{created['config_id']}").json["enabled"] is False


def test_patch_that_would_clash_answers_409_with_the_seed_message(enabled_api):
    first = enabled_api.post("/configs", make_config_body()).json["config_id"]
    enabled_api.call("PATCH", f"/configs/{first}", {"enabled": False})
    second = enabled_api.post("/configs", make_config_body(name="第二")).json["config_id"]
    assert second
    response = enabled_api.call("PATCH", f"/configs/{first}", {"enabled": True})
    assert response.status_code == 409 and response.json["message_zh"].startswith(SEED_CLASH)


def test_patch_refuses_unknown_fields_empty_bodies_and_invalid_results(enabled_api):
    config_id = enabled_api.post("/configs", make_config_body()).json["config_id"]
    assert enabled_api.call("PATCH", f"/configs/{config_id}", {}).status_code == 400
    unknown = enabled_api.call("PATCH", f"/configs/{config_id}", {"colour": "red"})
    assert unknown.status_code == 400 and [d["field"] for d in unknown.json["details"]] == ["colour"]
    # by enterprise needs an agent: clearing it conflicts with the stored config (409: the body alone
    # is what the document allows), and nothing changed
    cleared = enabled_api.call("PATCH", f"/configs/{config_id}", {"agent": None})
    assert cleared.status_code == 409 and cleared.json["details"][0]["field"] == "(record)"
    assert enabled_api.get(f"/configs/{config_id}").json["agent"] is not None


def test_patch_needs_the_legal_card_and_the_owner(enabled_api):
    config_id = enabled_api.post("/configs", make_config_body()).json["config_id"]
    operator = token(role="operator", card_no="2110050002046")
    assert enabled_api.call("PATCH", f"/configs/{config_id}", {"enabled": False}, token=operator).status_code == 403
    assert enabled_api.call("PATCH", f"/configs/{config_id}", {"enabled": False}, token=token(ENT_B)).status_code == 404

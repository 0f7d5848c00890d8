"""`smartdecl` against the API (Chalice test client on moto, engine played by the local runner)."""

from __future__ import annotations

import json

import pytest

from tests.factories import ENT_A, ENT_B, ROOT, make_config_body, make_declaration_body, token

from .conftest import ProcessDied

EXAMPLES = ROOT / "examples"


@pytest.fixture
def enabled(cli):
    assert cli("enable", "--accept", "--json").exit_code == 0
    return cli


def write_json(path, records):
    path.write_text(json.dumps({"declarations": records}, ensure_ascii=False), encoding="utf-8")
    return path


def all_declarations(api) -> list[str]:
    return [d["seq_no"] for d in api.get("/declarations?page_size=100").json["items"]]


# ---- import ---------------------------------------------------------------------------------------


def test_import_of_the_examples_accepts_every_record_of_each_format(enabled):
    result = enabled(
        "import",
        EXAMPLES / "declarations.json",
        EXAMPLES / "declarations.xlsx",
        EXAMPLES / "import_message_two.xml",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert result.json["totals"]["rejected"] == 0
    files = {a["file"].rsplit("/", 1)[-1] for a in result.json["accepted"]}
    assert files == {"declarations.json", "declarations.xlsx", "import_message_two.xml"}


def test_a_large_json_file_is_split_into_api_sized_requests_each_with_its_own_key(enabled, tmp_path):
    path = write_json(tmp_path / "five.json", [make_declaration_body() for _ in range(5)])
    result = enabled("import", path, "--chunk-size", "2", "--json")
    assert result.exit_code == 0, result.output
    assert len(result.json["accepted"]) == 5
    assert [p for m, p in enabled.transport.sent if m == "POST" and p == "/declarations"] == ["/declarations"] * 3


def test_an_import_interrupted_after_a_request_reached_the_api_creates_nothing_twice_when_run_again(
    enabled, api, tmp_path
):
    # Given a file of five records (the first four alike: the key must tell requests apart by place)
    # sent in three requests, and a crash right after the second one reached the API (answer lost)
    path = write_json(tmp_path / "five.json", [make_declaration_body() for _ in range(5)])
    enabled.transport.crash_after(2, "/declarations")
    crashed = enabled("import", path, "--chunk-size", "2", "--json")
    assert isinstance(crashed.exception, ProcessDied)
    assert len(all_declarations(api)) == 4  # two requests' worth arrived
    # When the same import is run again
    again = enabled("import", path, "--chunk-size", "2", "--json")
    # Then the first two requests get their first answers back and only the last one creates
    assert again.exit_code == 0, again.output
    assert len(all_declarations(api)) == 5
    assert sorted(a["seq_no"] for a in again.json["accepted"]) == sorted(all_declarations(api))


def test_an_xml_file_of_many_messages_is_split_into_import_messages_of_chunk_size(enabled, api, tmp_path):
    import re

    text = (EXAMPLES / "import_message_two.xml").read_text(encoding="utf-8")
    message = re.search(r"<DecMessage>.*?</DecMessage>", text, re.S).group(0)
    message = re.sub(r"<SeqNo>[^<]*</SeqNo>", "<SeqNo/>", message)  # seq_nos assigned on import
    path = tmp_path / "three.xml"
    path.write_text(
        f"<?xml version='1.0' encoding='utf-8'?>\n<ImportMessage>{message * 3}</ImportMessage>", encoding="utf-8"
    )
    result = enabled("import", path, "--chunk-size", "2", "--json")
    assert result.exit_code == 0, result.output
    assert len(result.json["accepted"]) == 3 and len(all_declarations(api)) == 3
    assert [p for m, p in enabled.transport.sent if m == "POST" and p == "/declarations/import"] == [
        "/declarations/import"
    ] * 2


def write_workbook(path, declarations):
    from scripts.make_example_workbook import build

    build(declarations).save(path)
    return path


def test_a_workbook_of_more_declarations_than_a_request_takes_is_split_with_each_goods_row_kept_with_its_head(
    enabled, api, tmp_path
):
    # Given a workbook of five declarations of two goods items each, and requests of two declarations
    two_goods = make_declaration_body()
    two_goods["goods"] = [two_goods["goods"][0], {**two_goods["goods"][0], "g_no": 2}]
    path = write_workbook(tmp_path / "five.xlsx", [two_goods] * 5)
    # When it is imported
    result = enabled("import", path, "--chunk-size", "2", "--json")
    # Then three workbooks went out and every declaration arrived whole
    assert result.exit_code == 0, result.output
    assert [p for m, p in enabled.transport.sent if m == "POST" and p == "/declarations/import"] == [
        "/declarations/import"
    ] * 3
    assert len(all_declarations(api)) == 5
    assert all(len(api.get(f"/declarations/{s}").json["goods"]) == 2 for s in all_declarations(api))


def test_a_split_workbook_imported_again_after_a_crash_creates_nothing_twice(enabled, api, tmp_path):
    # Given a five-declaration workbook sent in three parts, and a crash after the second part arrived
    path = write_workbook(tmp_path / "five.xlsx", [make_declaration_body()] * 5)
    enabled.transport.crash_after(2, "/declarations/import")
    crashed = enabled("import", path, "--chunk-size", "2", "--json")
    assert isinstance(crashed.exception, ProcessDied)
    assert len(all_declarations(api)) == 4
    # When it is run again (the parts are written anew, with new timestamps inside)
    again = enabled("import", path, "--chunk-size", "2", "--json")
    # Then each part is the same body under the same key: only the last part creates
    assert again.exit_code == 0, again.output
    assert len(all_declarations(api)) == 5


def test_rejected_records_are_summarised_written_out_and_exit_1(enabled, tmp_path):
    bad = make_declaration_body(declare_customs="12")
    path = write_json(tmp_path / "mixed.json", [make_declaration_body(), bad])
    out = tmp_path / "rejected.json"
    result = enabled("import", path, "--rejected-out", out, "--json")
    assert result.exit_code == 1
    assert result.json["totals"] == {"accepted": 1, "rejected": 1}
    [rejected] = json.loads(out.read_text(encoding="utf-8"))
    assert rejected["index"] == 1 and rejected["record"]["declare_customs"] == "12"
    assert any(e["field"].endswith("declare_customs") for e in rejected["errors"])


def test_a_file_that_cannot_be_imported_is_a_usage_error(enabled, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    assert enabled("import", tmp_path / "notes.txt").exit_code == 2
    assert enabled("import", tmp_path / "missing.json").exit_code == 2


# ---- query and mark ---------------------------------------------------------------------------------


def test_declarations_list_passes_the_api_filters_and_prints_json(enabled, tmp_path):
    enabled("import", write_json(tmp_path / "two.json", [make_declaration_body(), make_declaration_body(ie_flag="E")]))
    result = enabled("declarations", "list", "--ie-flag", "E", "--smart-mark", "false", "--json")
    assert result.exit_code == 0, result.output
    assert [d["ie_flag"] for d in result.json["items"]] == ["E"]
    quiet = enabled("declarations", "list", "-q")
    assert len(quiet.stdout.split()) == 2


def test_mark_all_matching_marks_what_the_filters_match_and_unmark_says_how_many(enabled, api, tmp_path):
    enabled("import", write_json(tmp_path / "three.json", [make_declaration_body() for _ in range(3)]))
    marked = enabled("mark", "--all-matching", "--smart-mark", "false", "--json")
    assert marked.exit_code == 0 and marked.json["marked"] == 3
    [one, *_] = all_declarations(api)
    unmarked = enabled("unmark", one)
    assert unmarked.exit_code == 0 and "1" in unmarked.stdout


def test_unmark_refused_for_a_declaration_not_pending_prints_the_seed_message_and_exits_1(enabled, api, tmp_path):
    enabled("import", write_json(tmp_path / "one.json", [make_declaration_body(self_pay=False)]), "--smart-mark")
    [seq_no] = all_declarations(api)
    config_id = api.post("/configs", make_config_body(require_manifest=False, compare_manifest=False)).json["config_id"]
    api.post("/executions", {"enterprise_type": "agent", "config_ids": [config_id]})
    result = enabled("--lang", "zh", "unmark", seq_no)
    assert result.exit_code == 1, (result.output, api.get(f"/declarations/{seq_no}").json)
    assert "请求参数均不符合取消条件" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["mark"],
        ["mark", "X", "--all-matching"],
        ["unmark", "--ie-flag", "I"],
        ["start"],
        ["watch", "--until", "never"],
        ["--lang", "fr", "configs", "list"],
    ],
)
def test_usage_errors_exit_2(enabled, args):
    assert enabled(*args).exit_code == 2


# ---- configs ----------------------------------------------------------------------------------------


def test_configs_create_list_update_disable_and_the_clash_message(enabled):
    created = enabled("configs", "create", "--name", "进口", "--ie-flag", "I", "--batch-wait", "10", "--json")
    assert created.exit_code == 0, created.output
    assert created.json["agent"]["code"] == ENT_A["code"] and created.json["batch_wait_seconds"] == 10
    clash = enabled("--lang", "zh", "configs", "create", "--name", "again", "--ie-flag", "I")
    assert clash.exit_code == 1 and "相同进出口标志" in clash.output and "Traceback" not in clash.output
    assert enabled("configs", "update", "进口", "--require-manifest", "--json").json["require_manifest"] is True
    assert enabled("configs", "disable", "进口", "--json").json["enabled"] is False
    assert enabled("configs", "create", "--name", "again", "--ie-flag", "I").exit_code == 0
    listed = enabled("configs", "list", "--json").json["items"]
    assert sorted(c["name"] for c in listed) == ["again", "进口"]
    assert enabled("configs", "enable", "进口").exit_code == 1  # the clash again


def test_an_operator_card_is_refused_config_writes_in_the_chosen_language(enabled):
    result = enabled(
        "--lang", "en", "configs", "create", "--name", "x", "--ie-flag", "E", token_=token(ENT_A, role="operator")
    )
    assert result.exit_code == 1
    assert "legal-person card" in result.output and "法人卡" in result.output


# ---- start, watch, log, batch, stop ---------------------------------------------------------------


def test_start_watch_until_succeeded_then_log_batch_and_stop(enabled, api, tmp_path):
    enabled("import", write_json(tmp_path / "one.json", [make_declaration_body(self_pay=False)]), "--smart-mark")
    enabled("configs", "create", "--name", "进口", "--ie-flag", "I", "--batch-wait", "10")
    watched = enabled(
        "start", "--config", "进口", "--watch", "--until", "succeeded", "--interval", "0", "--timeout", "30", "--json"
    )
    assert watched.exit_code == 0, watched.output
    lines = [json.loads(line) for line in watched.stdout.splitlines()]
    assert lines[-1]["until_met"] is True
    execution = lines[-1]["execution"]
    assert {
        "current_batch_no",
        "batch_succeeded",
        "total_succeeded",
        "countdown_seconds",
        "customs_available",
        "progress_percent",
    } <= set(execution)
    [seq_no] = all_declarations(api)
    log = enabled("log", seq_no, "--json")
    assert log.exit_code == 0 and log.json["items"]
    batch_no = api.get(f"/declarations/{seq_no}").json["batch_no"]
    assert enabled("batch", batch_no, "--json").json["batch_no"] == batch_no
    stopped = enabled("stop", "--json")  # the last execution started from this profile
    assert stopped.exit_code == 0 and stopped.json["status"] == "stopped"


def test_watch_of_another_enterprises_execution_is_not_found(enabled, api, tmp_path):
    assert api.post("/enablement", {"accept_notice": True}, token=token(ENT_B)).status_code == 200
    config_id = api.post("/configs", make_config_body()).json["config_id"]
    execution_id = api.post("/executions", {"enterprise_type": "agent", "config_ids": [config_id]}).json["execution_id"]
    result = enabled("watch", execution_id, "--timeout", "0", token_=token(ENT_B))
    assert result.exit_code == 1 and "not found" in result.output.lower()


def test_continue_and_tax_commands_reach_their_routes(enabled, api, tmp_path):
    enabled("import", write_json(tmp_path / "one.json", [make_declaration_body(self_pay=True)]))
    [seq_no] = all_declarations(api)
    listed = enabled("tax", "list", "--json")
    assert listed.exit_code == 0 and [d["seq_no"] for d in listed.json["items"]] == [seq_no]
    assert enabled("tax", "show", seq_no, "--json").exit_code == 0
    assert enabled("tax", "confirm", seq_no, "--json").exit_code == 0
    refused = enabled("continue", seq_no, "--json")  # not failed: refused with why
    assert refused.exit_code == 1 and refused.json["refused"][0]["seq_no"] == seq_no


# ---- events follow ----------------------------------------------------------------------------------


def test_events_follow_prints_each_event_once_and_resumes_after_a_restart(enabled, api, tmp_path):
    enabled("import", write_json(tmp_path / "one.json", [make_declaration_body(self_pay=False)]), "--smart-mark")
    config_id = api.post("/configs", make_config_body(require_manifest=False, compare_manifest=False)).json["config_id"]
    api.post("/executions", {"enterprise_type": "agent", "config_ids": [config_id]})
    first = enabled("events", "follow", "--once", "--json")
    assert first.exit_code == 0, first.output
    events = [json.loads(line) for line in first.stdout.splitlines()]
    assert events and {"event_id", "event_type", "seq_no", "data"} <= set(events[0])
    # restarted: nothing new, nothing repeated
    assert enabled("events", "follow", "--once", "--json").stdout == ""
    # from the start again: the same events
    replay = enabled("events", "follow", "--once", "--from-start", "--json")
    assert [json.loads(line)["event_id"] for line in replay.stdout.splitlines()] == [e["event_id"] for e in events]


# ---- advisory prompts ------------------------------------------------------------------------------


def test_advisories_show_what_a_declaration_waits_on_and_confirm_lets_the_engine_declare_it(enabled, api, tmp_path):
    # a config created without --auxiliary-confirm leaves the prompts to a person; net > gross is one
    body = make_declaration_body(self_pay=False, net_wt="1300")
    enabled("import", write_json(tmp_path / "one.json", [body]), "--smart-mark")
    enabled("configs", "create", "--name", "进口", "--ie-flag", "I", "--batch-wait", "10")
    assert enabled("start", "--config", "进口").exit_code == 0
    [seq_no] = all_declarations(api)

    shown = enabled("advisories", "show", seq_no, "--json")
    assert [p["code"] for p in shown.json["prompts"]] == ["net_over_gross"], shown.output
    assert api.get(f"/declarations/{seq_no}").json["waiting_reason"] == "advisory"
    assert "1300" in enabled("--lang", "zh", "advisories", "show", seq_no).output

    confirmed = enabled("advisories", "confirm", seq_no, "--json")
    assert confirmed.exit_code == 0 and confirmed.json["waiting_reason"] is None, confirmed.output
    watched = enabled("watch", "--until", "succeeded", "--interval", "0", "--timeout", "30", "--json")
    assert json.loads(watched.stdout.splitlines()[-1])["until_met"] is True
    assert enabled("stop").exit_code == 0


def test_confirming_a_declaration_without_prompts_is_refused_in_the_services_words(enabled, api, tmp_path):
    enabled("import", write_json(tmp_path / "one.json", [make_declaration_body(self_pay=False)]))
    [seq_no] = all_declarations(api)
    refused = enabled("--lang", "en", "advisories", "confirm", seq_no)
    assert refused.exit_code == 1 and "raises no advisory prompts" in refused.output


# ---- subscriptions ---------------------------------------------------------------------------------


def test_a_subscription_carries_the_subscribers_choices_and_the_list_shows_them(enabled):
    config_id = enabled("configs", "create", "--name", "进口", "--ie-flag", "I", "--json").json["config_id"]
    sms = enabled(
        "subscriptions", "create", "--protocol", "sms", "--endpoint", "13800138000",
        "--state", "failed", "--state", "released", "--config", "进口", "--quiet-hours", "22:00-08:00", "--json",
    )  # fmt: skip
    assert sms.exit_code == 0, sms.output
    assert sms.json["states"] == ["failed", "released"] and sms.json["config_ids"] == [config_id]
    assert sms.json["quiet_hours"] == {"start": "22:00", "end": "08:00"}
    mail = enabled(
        "subscriptions",
        "create",
        "--protocol",
        "email",
        "--endpoint",
        "desk@example.com",
        "--digest",
        "daily",
        "--json",
    )
    assert mail.exit_code == 0 and mail.json["digest"] == "daily", mail.output

    # the table's row (its width depends on the terminal, so the row itself is checked)
    from smartdecl_cli.commands.subscriptions import subscription_row

    assert enabled("subscriptions", "list").exit_code == 0
    listed = {s["endpoint"]: subscription_row(s) for s in enabled("subscriptions", "list", "--json").json["items"]}
    assert listed["+8613800138000"][1:] == ("sms", "+8613800138000", "", "failed,released", None, "22:00-08:00")
    assert listed["desk@example.com"][5] == "daily"


def test_a_quiet_window_not_written_as_a_range_is_refused_before_anything_is_sent(enabled):
    refused = enabled(
        "subscriptions", "create", "--protocol", "sms", "--endpoint", "13800138000", "--quiet-hours", "22:00"
    )
    assert refused.exit_code != 0 and "HH:MM-HH:MM" in refused.output
    assert enabled("subscriptions", "list", "--json").json["items"] == []


def test_subscriptions_create_list_deliveries_replay_and_delete(enabled):
    created = enabled(
        "subscriptions", "create", "--protocol", "webhook", "--endpoint", "http://127.0.0.1:9/hook", "--json"
    )
    assert created.exit_code == 0, created.output
    sid = created.json["subscription_id"]
    assert [s["subscription_id"] for s in enabled("subscriptions", "list", "--json").json["items"]] == [sid]
    assert enabled("subscriptions", "deliveries", sid, "--json").json["items"] == []
    replay = enabled(
        "subscriptions", "replay", sid, "--from", "2024-03-01T00:00:00Z", "--to", "2024-03-31T00:00:00Z", "--json"
    )
    assert replay.exit_code == 0, replay.output
    assert enabled("subscriptions", "delete", sid).exit_code == 0
    assert enabled("subscriptions", "show", sid).exit_code == 1


# ---- transport: retries, unreachable, login ----------------------------------------------------------


def test_a_refused_connection_is_retried_for_an_idempotent_request(enabled):
    enabled.transport.refuse_connections(2)
    assert enabled("configs", "list", "--json").exit_code == 0


def test_a_post_without_idempotency_key_is_not_retried_and_says_unreachable(enabled):
    enabled.transport.refuse_connections(1)
    result = enabled("mark", "I20240000000000001")
    assert result.exit_code == 1 and "unreachable" in result.output.lower() and "Traceback" not in result.output


def test_login_on_the_local_stack_takes_a_development_token_from_the_api_and_saves_it(cli, tmp_path):
    # Given no token at all (login needs none, and no project secret: it asks POST /dev/token)
    cli.env = {k: v for k, v in cli.env.items() if k != "SMARTDECL_TOKEN"}
    # When
    result = cli("login", "--ent-code", ENT_A["code"], "--uscc", ENT_A["uscc"])
    # Then the token was issued by the API, and the saved profile works
    assert result.exit_code == 0, result.output
    assert ("POST", "/dev/token") in cli.transport.sent
    assert json.loads((tmp_path / "config" / "profiles.json").read_text())["default"]["token"]
    assert cli("enable", "--accept", "--json").json["enabled"] is True


def test_login_saves_nothing_when_the_url_does_not_answer(cli, tmp_path):
    cli.env = {k: v for k, v in cli.env.items() if k != "SMARTDECL_TOKEN"}
    cli.transport.refuse_connections(10)
    result = cli("login", "--ent-code", ENT_A["code"])
    assert result.exit_code == 1 and "unreachable" in result.output.lower()
    assert not (tmp_path / "config" / "profiles.json").exists()


def test_login_on_the_local_stack_without_an_enterprise_is_a_usage_error(cli, tmp_path):
    cli.env = {k: v for k, v in cli.env.items() if k != "SMARTDECL_TOKEN"}
    result = cli("login")
    assert result.exit_code == 2 and "--ent-code" in result.output
    assert not (tmp_path / "config" / "profiles.json").exists()

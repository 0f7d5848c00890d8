"""`smartdecl agent doctor`: each check, and what it says to do when it fails; `agent status`."""

from __future__ import annotations

import json
import os

from typer.testing import CliRunner

from smartdecl_agent.doctor import FAIL, OK, WARN, diagnose
from smartdecl_agent.service import ExchangeApi
from smartdecl_cli.main import app
from smartdecl_client import Client

from .conftest import URL, settings_for
from .fake_exchange import CREDENTIAL


def checks_of(root, clock, credential=CREDENTIAL):
    api = ExchangeApi(Client(URL, credential, retries=0, backoff_seconds=0))
    return {c.name: c for c in diagnose(settings_for(root), api, clock=clock)}


def test_doctor_passes_every_check_on_a_sound_pc(root, fake, clock):
    fake.now = clock()
    checks = checks_of(root, clock)
    assert {name: c.status for name, c in checks.items()} == {
        "folders": OK,
        "writable": OK,
        "same volume": OK,
        "connection": OK,
        "credential": OK,
        "clock": OK,
        "client": OK,
        "journal": OK,
        "quarantine": OK,
    }
    assert fake.heartbeats, "the check is one heartbeat"
    # and it left nothing of its own in the client's folders
    assert sorted(p.name for p in (root / "Deccus001").iterdir()) == ["FailBox", "InBox", "OutBox", "SentBox"]


def test_doctor_names_missing_client_folders_and_says_to_start_the_client(root, fake, clock):
    (root / "Deccus001" / "InBox").rmdir()
    check = checks_of(root, clock)["folders"]
    assert check.status == FAIL and "InBox" in check.detail
    assert "Deccus001" in check.fix_zh and "start the client" in check.fix_en


def test_doctor_says_a_revoked_credential_must_be_replaced(root, fake, clock):
    check = checks_of(root, clock, credential="sdag_REVOKED.nope")["credential"]
    assert check.status == FAIL and check.detail.startswith("401")
    assert "凭证" in check.fix_zh and "credential" in check.fix_en


def test_doctor_says_to_check_url_proxy_and_firewall_when_the_service_does_not_answer(root, fake, clock):
    fake.down = True
    check = checks_of(root, clock)["connection"]
    assert check.status == FAIL and "firewall" in check.fix_en and URL in check.fix_en


def test_doctor_says_to_set_the_time_when_the_clock_is_off(root, fake, clock):
    fake.now = clock()
    clock.advance(600)  # this PC is ten minutes ahead
    check = checks_of(root, clock)["clock"]
    assert check.status == FAIL and "+600" in check.detail and "w32tm /resync" in check.fix_zh


def test_doctor_says_to_restart_the_client_when_files_wait_in_outbox(root, fake, clock):
    waiting = root / "Deccus001" / "OutBox" / "I_I20240000000000001_t-1.zip"
    waiting.write_bytes(b"zip")
    old = waiting.stat().st_mtime - 900
    os.utime(waiting, (old, old))
    check = checks_of(root, clock)["client"]
    assert check.status == FAIL and "15 min" in check.detail and "restart" in check.fix_en


def test_doctor_warns_of_files_in_quarantine(root, fake, clock):
    (root / "smartdecl" / "quarantine").mkdir(parents=True)
    (root / "smartdecl" / "quarantine" / "Failed_garbled").write_bytes(b"?")
    check = checks_of(root, clock)["quarantine"]
    assert check.status == WARN and "Failed_garbled" in check.detail


def run_cli(*args, env=None):
    base = {"SMARTDECL_LANG": "en", "SMARTDECL_AGENT_CREDENTIAL": CREDENTIAL, "COLUMNS": "200", **(env or {})}
    return CliRunner().invoke(app, [str(a) for a in args], env=base)


def test_agent_doctor_exits_1_and_says_why_when_a_check_fails(root, fake, tmp_path):
    (root / "Deccus001" / "OutBox").rmdir()
    result = run_cli("agent", "doctor", "--root", root, "--agent-url", URL, "--json")
    assert result.exit_code == 1
    folders = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "folders")
    assert folders["status"] == "fail" and "OutBox" in folders["detail"]


def test_agent_commands_refuse_a_malformed_credential_naming_the_variable(root, fake):
    result = run_cli(
        "agent", "doctor", "--root", root, "--agent-url", URL, env={"SMARTDECL_AGENT_CREDENTIAL": "a-token"}
    )
    assert result.exit_code == 2 and "SMARTDECL_AGENT_CREDENTIAL" in result.output and "a-token" not in result.output


def test_agent_status_shows_the_journal(root, fake, make_agent, client):
    fake.queue("I20240000000000001")
    agent = make_agent()
    agent.step()
    client.act()
    agent.step()
    result = run_cli("agent", "status", "--root", root, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "tries": {"sent": 1},
        "inbox": {"applied": 2},
        "quarantine": [],
    }


# ---- a person's side ----------------------------------------------------------------------------------


def person(*args):
    from .fake_exchange import PERSON_TOKEN

    return run_cli("--url", URL, "--token", PERSON_TOKEN, "agent", *args)


def test_a_credential_is_created_with_its_key_shown_once_listed_without_it_and_revoked(fake):
    created = person("credentials", "create", "--name", "报关部-1号机")
    assert created.exit_code == 0, created.output
    assert created.stdout.strip().splitlines()[-1] == CREDENTIAL  # the key, last, alone on its line
    listed = person("credentials", "list", "--json")
    assert [c["name"] for c in json.loads(listed.stdout)["items"]] == ["报关部-1号机"]
    assert CREDENTIAL not in listed.stdout
    assert person("credentials", "revoke", "AG0001").exit_code == 0
    assert json.loads(person("credentials", "list", "--json").stdout)["items"] == []
    assert person("credentials", "revoke", "AG0001").exit_code == 1


def test_the_channel_shows_the_agent_online_once_it_sent_a_heartbeat(fake, make_agent):
    assert json.loads(person("channel", "--json").stdout)["agent"]["state"] == "never_seen"
    make_agent().step(take=False, beat=True)
    seen = json.loads(person("channel", "--json").stdout)
    assert seen["agent"]["state"] == "online" and seen["client"]["state"] == "up"

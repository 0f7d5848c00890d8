"""The CLI's small things that cost trust: configs delete, agent credentials, a webhook receiver
for an integrator's first hour, China time with its zone, tables that read at 80 columns."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import UTC, datetime
from io import StringIO

import pytest
import requests

from chalicelib.adapters.webhook_sender import HEADER_EVENT_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, sign
from smartdecl_cli.commands import webhook
from smartdecl_cli.output import china_time
from tests.factories import ENT_A, token

CHINA_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+08:00"


@pytest.fixture
def enabled(cli):
    assert cli("enable", "--accept", "--json").exit_code == 0
    return cli


# ---- China time with its zone -------------------------------------------------------------------


def test_an_api_instant_is_printed_in_china_time_with_its_zone():
    assert china_time("2026-12-01T19:35:04Z") == "2026-12-02 03:35:04+08:00"
    assert china_time("2026-12-01T19:35:04.123456+00:00") == "2026-12-02 03:35:04+08:00"
    assert china_time("2026-12-02T03:35:04+08:00") == "2026-12-02 03:35:04+08:00"
    # what is not an instant stays as it is: a date, a name, a number
    for value in ("2026-12-01", "进口", "AG0001", "20261201193504"):
        assert china_time(value) == value


def test_tables_and_the_event_feed_show_china_time_with_the_zone(enabled, api):
    enabled("configs", "create", "--name", "进口", "--ie-flag", "I")
    shown = enabled("configs", "show", "进口")
    assert re.search(rf"updated_at\s+│?\s*{CHINA_TIME}", shown.stdout), shown.stdout
    assert "Z\n" not in shown.stdout and not re.search(r"\dT\d", shown.stdout)
    events = enabled("events", "follow", "--once", "--from-start")
    assert events.exit_code == 0
    for line in events.stdout.splitlines():
        assert re.match(CHINA_TIME, line), line


# ---- tables at 80 columns -----------------------------------------------------------------------


def test_configs_list_reads_at_80_columns_one_line_per_config(enabled):
    enabled("configs", "create", "--name", "大恒企业进口", "--ie-flag", "I", "--require-manifest", "--batch-wait", "60")
    enabled("configs", "create", "--name", "大恒企业出口", "--ie-flag", "E", "--compare-manifest")
    enabled.env["COLUMNS"] = "80"
    listed = enabled("configs", "list")
    lines = listed.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), listed.stdout
    rows = [line for line in lines if "大恒企业" in line]
    assert len(rows) == 2, listed.stdout  # each config whole on its line: nothing folded onto a second
    ids = [c["config_id"] for c in enabled("configs", "list", "--json").json["items"]]
    for row, flag, rule in ((rows[0], "I", "manifest"), (rows[1], "E", "compare")):
        assert any(i[:8] in row for i in ids) and f" {flag} " in row and rule in row, row
    # the id as the list shows it names the config
    shown = enabled("configs", "show", ids[0][:8], "--json")
    assert shown.exit_code == 0 and shown.json["config_id"] == ids[0]


# ---- configs delete -----------------------------------------------------------------------------


def test_configs_delete_by_name_removes_it_and_an_operator_card_is_refused(enabled):
    enabled("configs", "create", "--name", "进口", "--ie-flag", "I")
    operator = enabled("configs", "delete", "进口", "--yes", token_=token(ENT_A, role="operator"))
    assert operator.exit_code == 1 and "法人卡" in operator.output
    deleted = enabled("configs", "delete", "进口", "--yes")
    assert deleted.exit_code == 0 and "进口" in deleted.stdout, deleted.output
    assert enabled("configs", "list", "--json").json["items"] == []
    again = enabled("configs", "delete", "进口", "--yes")
    assert again.exit_code == 1 and "not found" in again.output


# ---- agent credentials --------------------------------------------------------------------------


def test_agent_credentials_create_prints_the_key_once_list_never_and_revoke_cuts_it_off(enabled, api):
    created = enabled("agent-credentials", "create", "--name", "报关部-1号机")
    assert created.exit_code == 0, created.output
    key = created.stdout.splitlines()[-1]
    assert re.fullmatch(r"sdag_AG[0-9A-F]{16}\.\S+", key), created.stdout
    assert "shown only this once" in created.stderr  # the warning, beside the key, not in what a script reads
    credential_id = key.removeprefix("sdag_").split(".")[0]
    listed = enabled("agent-credentials", "list")
    assert credential_id in listed.stdout and key.split(".")[1] not in listed.stdout
    revoked = enabled("agent-credentials", "revoke", credential_id, "--yes")
    assert revoked.exit_code == 0, revoked.output
    [item] = enabled("agent-credentials", "list", "--json").json["items"]
    assert item["active"] is False
    assert api.get("/agent/outbox", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    operator = enabled("agent-credentials", "create", "--name", "x", token_=token(ENT_A, role="operator"))
    assert operator.exit_code == 1


# ---- webhook listen -----------------------------------------------------------------------------


@pytest.fixture
def receiver():
    printed = StringIO()
    server = webhook.server("whsec-test", "127.0.0.1", 0, False, printed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", printed
    server.shutdown()
    server.server_close()


def delivery(url: str, event: dict, secret: str = "whsec-test", at: float | None = None) -> requests.Response:
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    ts = int(time.time() if at is None else at)
    headers = {
        HEADER_EVENT_ID: event["event_id"],
        HEADER_TIMESTAMP: str(ts),
        HEADER_SIGNATURE: sign(secret, ts, event["event_id"], body),
        "Content-Type": "application/json",
    }
    return requests.post(url, data=body, headers=headers, timeout=5)


EVENT = {
    "event_id": "EV1",
    "event_type": "smart_status_changed",
    "seq_no": "I20260000000000001",
    "occurred_at": "2026-12-01T19:35:04Z",
    "data": {"smart_status": "failed", "smart_status_label": "申报失败", "reason_zh": "海关退回：测试"},
}


def test_webhook_listen_prints_a_signed_event_in_china_time_and_answers_204(receiver):
    url, printed = receiver
    assert delivery(url, EVENT).status_code == 204
    line = printed.getvalue().strip()
    assert line == "2026-12-02 03:35:04+08:00  smart_status_changed  I20260000000000001  申报失败  海关退回：测试"


def test_webhook_listen_refuses_a_wrong_signature_and_an_old_delivery_with_401(receiver):
    url, printed = receiver
    assert delivery(url, EVENT, secret="another").status_code == 401
    assert delivery(url, EVENT, at=time.time() - 3600).status_code == 401
    assert printed.getvalue().count("refused") == 2 and "申报失败" not in printed.getvalue()


def test_webhook_listen_verifies_what_the_service_signs():
    # the service's own signer and verifier agree with the CLI's check (one recipe: docs/webhooks.md)
    body = b'{"event_id":"EV2"}'
    now = datetime.now(UTC).timestamp()
    headers = {"x-smartdecl-timestamp": str(int(now)), "x-smartdecl-event-id": "EV2"}
    headers["x-smartdecl-signature"] = "v0=old," + sign("s3cret", int(now), "EV2", body)
    assert webhook.verify("s3cret", headers, body, now=now)
    assert not webhook.verify("s3cret", headers, body + b" ", now=now)

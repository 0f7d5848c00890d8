"""`smartdecl agent run` as the broker starts it: a process of its own, in the foreground, against the
service over HTTP; Ctrl-C stops it; its log rotates in the state folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from tests.factories import ROOT

from .fake_exchange import CREDENTIAL, FakeExchange, serve


@pytest.fixture
def served():
    fake = FakeExchange(now=datetime.now(UTC))
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


@pytest.mark.skipif(sys.platform == "win32", reason="Ctrl-C is sent as SIGINT here")
def test_agent_run_writes_what_the_service_hands_out_and_stops_cleanly_on_ctrl_c(served, root, tmp_path):
    fake, url = served
    fake.queue("I20240000000000001")
    credential = tmp_path / "agent.credential"
    credential.write_text(CREDENTIAL + "\n", encoding="utf-8")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SMARTDECL_")},
        "SMARTDECL_AGENT_SCAN_SECONDS": "0.1",
        "SMARTDECL_AGENT_TAKE_SECONDS": "0.1",
    }
    command = [sys.executable, "-m", "smartdecl_cli", "agent", "run", "--root", str(root)]
    command += ["--credential-file", str(credential), "--agent-url", url, "--quiet"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        written = root / "Deccus001" / "OutBox" / "I_I20240000000000001_t-1.zip"
        assert wait_for(written.exists), proc.stderr.read() if proc.poll() is not None else "nothing written"
        assert wait_for(lambda: fake.items[("I20240000000000001", 1)].state == "written")
        assert wait_for(lambda: bool(fake.heartbeats))
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    log = (root / "smartdecl" / "logs" / "agent.log").read_text(encoding="utf-8")
    assert "I_I20240000000000001_t-1.zip written into OutBox" in log and "agent stopped" in log

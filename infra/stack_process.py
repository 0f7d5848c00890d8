"""`make run`'s stack as a child process on free ports: what the end-to-end, browser and CLI
walkthrough tests and scripts/console_tour.py start, one way."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import requests

from infra.local_aws import free_port

ROOT = Path(__file__).resolve().parents[1]


class StackDidNotStart(RuntimeError):
    pass


def _die_with_parent() -> None:
    """Linux: the stack gets SIGTERM when the process that started it dies (a killed test run must
    not leave a stack polling moto in the background)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@dataclass
class StackProcess:
    proc: subprocess.Popen
    api: str
    customs: str
    moto: str = ""  # local AWS (moto's server)

    @property
    def console(self) -> str:
        return f"{self.api}/console/"

    def stop(self, timeout: float = 20) -> int:
        """Ctrl-C's equivalent; the exit code (0 when the stack stopped cleanly)."""
        self.proc.terminate()
        return self.proc.wait(timeout=timeout)


def start_stack(
    outbox: str | Path,
    *,
    jwt_secret: str | None = None,
    schedule_seconds: int = 2,
    output: IO | int | None = subprocess.DEVNULL,
    startup_seconds: float = 60,
    channel: str | None = None,
) -> StackProcess:
    """Start `python -m infra.local_stack` and wait until its API answers /health. `channel`: exchange
    or http (default: the stack's, exchange); the agents' folders go beside `outbox`, so give each
    stack a parent folder of its own (an agent's journal left there by another stack holds its
    ClientSeqNos as written already)."""
    port, customs_port, moto_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "SMARTDECL_API_PORT": str(port),
        "SMARTDECL_CUSTOMS_PORT": str(customs_port),
        "SMARTDECL_MOTO_PORT": str(moto_port),
        "SMARTDECL_SCHEDULE_SECONDS": str(schedule_seconds),
        "SMARTDECL_OUTBOX": str(outbox),
        "SMARTDECL_LOCAL_AGENTS_DIR": str(Path(outbox).parent / "agents"),
    }
    if channel:
        env["SMARTDECL_CUSTOMS_CHANNEL"] = channel
    if jwt_secret:
        env["SMARTDECL_JWT_SECRET"] = jwt_secret
    env.pop("AWS_ENDPOINT_URL", None)  # the stack starts its own moto
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra.local_stack"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,  # never the caller's: under pytest-xdist that is the worker's channel
        stdout=output,
        stderr=subprocess.STDOUT if output is not subprocess.DEVNULL else subprocess.DEVNULL,
        text=True,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    stack = StackProcess(
        proc, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{customs_port}", f"http://127.0.0.1:{moto_port}"
    )
    deadline = time.monotonic() + startup_seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if requests.get(f"{stack.api}/health", timeout=1).ok:
                return stack
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise StackDidNotStart(f"the local stack did not answer /health within {startup_seconds:.0f} s")

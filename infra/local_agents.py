"""`make run`'s agents: with the exchange channel, each local enterprise gets what a broker's PC has:
a Single Window client's folder tree (the simulator's client mode, on a sandbox under
`.local/agents/<ent_code>/ImpPath`) and a `smartdecl agent` beside it, running in this process.

Each agent's credential is made the way a person makes one: the enterprise's legal card signs in
(`POST /dev/token`) and creates it (`POST /agent-credentials`); the key is written to
`.local/agents/<ent_code>/credential.txt`, as a broker would keep it. The API makes credentials only
for an enterprise that accepted the user notice (用户须知), so each agent starts when its enterprise
has (in the console, or `smartdecl enable --accept`): nothing is declared before that anyway.
Which enterprises: `SMARTDECL_LOCAL_AGENTS` (comma-separated customs codes; `code:uscc` for one the
examples do not know), by default the README's and the console's example enterprises.
`SMARTDECL_LOCAL_AGENTS_OUTSIDE=1` makes the sandboxes and clients only: the agents are run as
processes of their own by someone else (`make soak`, which kills them mid-step and restarts them)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from infra.customs_simulator.client_mode import make_sandbox
from infra.customs_simulator.server import CustomsSimulator, add_clients
from smartdecl_agent.agent import Agent
from smartdecl_agent.settings import AgentSettings

# The examples' enterprises (README, make demo, the console's local sign-in presets).
KNOWN = {"1108919038": "91110000600037341L", "3101234567": "91310000MA1FL4CT3U"}
DEFAULT_AGENTS = ",".join(KNOWN)
USER_AGENT = "smartdecl-local-stack"  # the local gateway leaves these requests out of its log
WAIT_SECONDS = 2.0  # between two tries while an enterprise has not accepted the notice


class NoAgentRoutes(Exception):
    """The API answers 404 to /agent-credentials: this build declares over HTTP only."""


class NotYet(Exception):
    """The enterprise has not accepted the user notice (403): its agent starts once it has."""


@dataclass
class LocalAgents:
    api: str
    folder: Path
    say: Callable[[str], None] = print
    roots: dict[str, Path] = field(default_factory=dict)
    agents: dict[str, Agent] = field(default_factory=dict)
    threads: list[threading.Thread] = field(default_factory=list)
    stop_event: threading.Event = field(default_factory=threading.Event)

    def bring_up(self, ent_code: str) -> None:
        """Until stopped: the credential once the enterprise is enabled, then its agent's loop."""
        reported = ""
        while not self.stop_event.is_set():
            try:
                key = create_credential(self.api, ent_code)
                break
            except NotYet:
                pass
            except Exception as exc:  # noqa: BLE001 - said once, tried again: the stack runs on
                if str(exc) != reported:
                    self.say(f"local agent {ent_code}: no credential yet ({exc}); trying again")
                reported = str(exc)
            self.stop_event.wait(WAIT_SECONDS)
        else:
            return
        # written whole, then renamed: whoever waits for the file (the walkthrough, a test) never reads it
        # half-written, nor does a stack killed mid-write leave an empty credential behind
        partial = self.folder / ent_code / "credential.txt.partial"
        partial.write_text(key + "\n", encoding="utf-8")
        os.replace(partial, self.folder / ent_code / "credential.txt")
        settings = AgentSettings.from_env(
            {}, url=self.api, credential=key, root=self.roots[ent_code], scan_seconds=1, take_seconds=2
        )
        agent = self.agents[ent_code] = Agent.open(settings)
        self.say(f"local agent {ent_code}: the enterprise accepted the notice; its agent runs")
        try:
            agent.run(self.stop_event)
        finally:
            agent.journal.close()

    def stop(self, seconds: float = 5) -> None:
        """Each agent finishes its pass and closes its journal. One still waiting on the API after
        `seconds` is left to the process's end: every step it took is in its journal, as after a kill."""
        self.stop_event.set()
        deadline = time.monotonic() + seconds
        for thread in self.threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))


def enterprises(env: dict[str, str] | None = None) -> list[str]:
    """The customs codes; a credit code given with one (`code:uscc`) is what its sign-in uses."""
    value = (env if env is not None else os.environ).get("SMARTDECL_LOCAL_AGENTS", DEFAULT_AGENTS)
    codes = []
    for entry in value.split(","):
        code, _, uscc = (part.strip() for part in entry.partition(":"))
        if code:
            codes.append(code)
            if uscc:
                KNOWN[code] = uscc
    return codes


def start(
    api: str, simulator: CustomsSimulator, ent_codes: list[str], folder: Path, say: Callable[[str], None] = print
) -> LocalAgents:
    """For each enterprise: a fresh sandbox with the simulator's client on it now, and its agent as
    soon as the enterprise is enabled. NoAgentRoutes when the API has none (checked first)."""
    if ent_codes:
        _check_routes(api, ent_codes[0])
    started = LocalAgents(api, folder, say)
    for ent_code in ent_codes:
        home = folder / ent_code
        shutil.rmtree(home, ignore_errors=True)  # every start is a fresh stack: no file of yesterday's
        started.roots[ent_code] = make_sandbox(home / "ImpPath")
    add_clients(simulator, started.roots, fail_rate=float(os.environ.get("SMARTDECL_LOCAL_CLIENT_FAIL_RATE", "0")))
    if os.environ.get("SMARTDECL_LOCAL_AGENTS_OUTSIDE") == "1":
        say(f"local agents: {len(ent_codes)} clients' folders under {folder}; the agents run outside this stack")
        return started
    for ent_code in ent_codes:
        thread = threading.Thread(target=started.bring_up, args=(ent_code,), name=f"agent-{ent_code}", daemon=True)
        thread.start()
        started.threads.append(thread)
    return started


def _check_routes(api: str, ent_code: str) -> None:
    """A read as the enterprise's legal card: 404 when this API has no agent routes at all."""
    listed = requests.get(
        f"{api}/agent-credentials",
        headers={"User-Agent": USER_AGENT, "Authorization": f"Bearer {_sign_in(api, ent_code)}"},
        timeout=10,
    )
    if listed.status_code == 404:
        raise NoAgentRoutes(f"{api} has no /agent-credentials")


def _sign_in(api: str, ent_code: str) -> str:
    signed_in = requests.post(
        f"{api}/dev/token",
        json={"ent_code": ent_code, "ent_uscc": KNOWN.get(ent_code), "role": "legal", "card_no": f"{ent_code}L01"},
        headers={"User-Agent": USER_AGENT},
        timeout=10,
    )
    signed_in.raise_for_status()
    return str(signed_in.json()["id_token"])


def create_credential(api: str, ent_code: str) -> str:
    """As a legal-card user would: sign in, then POST /agent-credentials; the key, shown once."""
    created = requests.post(
        f"{api}/agent-credentials",
        json={"name": "make run (local agent)"},
        headers={"User-Agent": USER_AGENT, "Authorization": f"Bearer {_sign_in(api, ent_code)}"},
        timeout=10,
    )
    if created.status_code == 404:
        raise NoAgentRoutes(f"{api} has no /agent-credentials")
    if created.status_code == 403 and (created.json() or {}).get("code") == "not_enabled":
        raise NotYet(ent_code)
    created.raise_for_status()
    return str(created.json()["key"])

"""`make run`'s agents: with the exchange channel, each local enterprise gets what a broker's PC has:
a Single Window client's folder tree (the simulator's client mode, on a sandbox under
`.local/agents/<ent_code>/ImpPath`) and a `smartdecl agent` beside it, running in this process.

Each agent's credential is made the way a person makes one: the enterprise's legal card signs in
(`POST /dev/token`) and creates it (`POST /agent-credentials`); the key is written to
`.local/agents/<ent_code>/credential.txt`, as a broker would keep it. Which enterprises:
`SMARTDECL_LOCAL_AGENTS` (comma-separated customs codes), by default the README's and the console's
example enterprises."""

from __future__ import annotations

import os
import shutil
import threading
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


class NoAgentRoutes(Exception):
    """The API answers 404 to /agent-credentials: this build declares over HTTP only."""


@dataclass
class LocalAgents:
    roots: dict[str, Path] = field(default_factory=dict)
    agents: dict[str, Agent] = field(default_factory=dict)  # by enterprise, once it has enabled the service
    threads: dict[str, threading.Thread] = field(default_factory=dict)
    stop_event: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def stop(self) -> None:
        """Each agent finishes its pass, then its journal closes (never under a running pass)."""
        self.stop_event.set()
        for thread in self.threads.values():
            thread.join(timeout=30)
        with self.lock:
            for ent_code, agent in self.agents.items():
                if not self.threads[ent_code].is_alive():
                    agent.journal.close()


def enterprises(env: dict[str, str] | None = None) -> list[str]:
    value = (env if env is not None else os.environ).get("SMARTDECL_LOCAL_AGENTS", DEFAULT_AGENTS)
    return [code.strip() for code in value.split(",") if code.strip()]


def start(api: str, simulator: CustomsSimulator, ent_codes: list[str], folder: Path) -> LocalAgents:
    """For each enterprise: a fresh sandbox with the simulator's client on it at once, and an agent as
    soon as the enterprise has enabled the service (a credential, like everything else, needs that:
    until then the agent's thread asks again every few seconds)."""
    _check_agent_routes(api)
    started = LocalAgents()
    for ent_code in ent_codes:
        home = folder / ent_code
        shutil.rmtree(home, ignore_errors=True)  # every start is a fresh stack: no file of yesterday's
        started.roots[ent_code] = make_sandbox(home / "ImpPath")
    add_clients(simulator, started.roots, fail_rate=float(os.environ.get("SMARTDECL_LOCAL_CLIENT_FAIL_RATE", "0")))
    for ent_code, root in started.roots.items():
        thread = threading.Thread(
            target=_run_agent, args=(started, api, ent_code, root), name=f"agent-{ent_code}", daemon=True
        )
        thread.start()
        started.threads[ent_code] = thread
    return started


ENABLEMENT_POLL_SECONDS = 2.0


def _run_agent(started: LocalAgents, api: str, ent_code: str, root: Path) -> None:
    key = None
    while key is None and not started.stop_event.is_set():
        try:
            key = create_credential(api, ent_code)
        except NotEnabledYet:
            started.stop_event.wait(ENABLEMENT_POLL_SECONDS)
        except requests.RequestException as exc:  # the API going away at Ctrl-C, or a refusal: said once
            print(f"agent {ent_code}: no credential ({exc}); this enterprise declares nothing", flush=True)
            return
    if key is None:
        return
    (root.parent / "credential.txt").write_text(key + "\n", encoding="utf-8")
    settings = AgentSettings.from_env({}, url=api, credential=key, root=root, scan_seconds=0.5, take_seconds=1)
    agent = Agent.open(settings)
    with started.lock:
        started.agents[ent_code] = agent
    agent.run(started.stop_event)


class NotEnabledYet(Exception):
    """The enterprise has not accepted the user notice yet: no credential before that."""


def _check_agent_routes(api: str) -> None:
    """NoAgentRoutes when the API has no /agent-credentials at all (an older build)."""
    if requests.get(f"{api}/agent-credentials", timeout=10).status_code == 404:
        raise NoAgentRoutes(f"{api} has no /agent-credentials")


def create_credential(api: str, ent_code: str) -> str:
    """As a legal-card user would: sign in, then POST /agent-credentials; the key, shown once."""
    signed_in = requests.post(
        f"{api}/dev/token",
        json={"ent_code": ent_code, "ent_uscc": KNOWN.get(ent_code), "role": "legal", "card_no": f"{ent_code}L01"},
        timeout=10,
    )
    signed_in.raise_for_status()
    created = requests.post(
        f"{api}/agent-credentials",
        json={"name": "make run (local agent)"},
        headers={"Authorization": f"Bearer {signed_in.json()['id_token']}"},
        timeout=10,
    )
    if created.status_code == 404:
        raise NoAgentRoutes(f"{api} has no /agent-credentials")
    if created.status_code == 403 and created.json().get("code") == "not_enabled":
        raise NotEnabledYet(ent_code)
    created.raise_for_status()
    return str(created.json()["key"])

"""The agent's settings: from the environment (a Windows service or scheduled task sets variables),
overridden by `smartdecl agent run` options, checked once at start with the variable named."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .folders import DECLARATIONS

CREDENTIAL = re.compile(r"^sdag_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable (never its value)."""


@dataclass(frozen=True)
class AgentSettings:
    url: str
    credential: str = field(repr=False)
    root: Path
    state_dir: Path
    kind: str = DECLARATIONS
    scan_seconds: float = 2.0  # how often the folders are looked at
    take_seconds: float = 5.0  # how often the outbox is asked (the service's poll_seconds wins)
    heartbeat_seconds: float = 30.0
    take_max: int = 10
    max_tries: int = 3  # the client's way: t-1, t-2, t-3, then give up
    client_down_seconds: float = 300.0  # a file this old in OutBox: the client is down
    client_slow_seconds: float = 60.0  # a file this old in OutBox: the client is not surely sending
    clock_skew_warn_seconds: float = 120.0
    log_max_bytes: int = 5 * 1024 * 1024
    log_backups: int = 5

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> AgentSettings:
        env = os.environ if env is None else env
        given = {k: v for k, v in overrides.items() if v is not None}
        url = given.get("url") or env.get("SMARTDECL_AGENT_URL") or env.get("SMARTDECL_URL")
        if not url or not str(url).startswith(("http://", "https://")):
            raise SettingsError("SMARTDECL_AGENT_URL (or --url) must be the API's http(s) base URL")
        credential = given.get("credential") or _credential(env, given.get("credential_file"))
        if not CREDENTIAL.match(credential):
            raise SettingsError(
                "SMARTDECL_AGENT_CREDENTIAL (or --credential-file) must be an agent credential, sdag_<id>.<secret>"
            )
        root_value = given.get("root") or env.get("SMARTDECL_AGENT_ROOT")
        if not root_value:
            raise SettingsError("SMARTDECL_AGENT_ROOT (or --root) must name the Single Window client's folder root")
        root = Path(root_value)
        state_value = given.get("state_dir") or env.get("SMARTDECL_AGENT_STATE_DIR")
        return cls(
            url=str(url).rstrip("/"),
            credential=credential,
            root=root,
            state_dir=Path(state_value) if state_value else root / "smartdecl",
            kind=given.get("kind") or env.get("SMARTDECL_AGENT_KIND") or DECLARATIONS,
            scan_seconds=_number(env, given, "scan_seconds", "SMARTDECL_AGENT_SCAN_SECONDS", 2.0),
            take_seconds=_number(env, given, "take_seconds", "SMARTDECL_AGENT_TAKE_SECONDS", 5.0),
            heartbeat_seconds=_number(env, given, "heartbeat_seconds", "SMARTDECL_AGENT_HEARTBEAT_SECONDS", 30.0),
        )


def _credential(env: Mapping[str, str], credential_file: Any) -> str:
    path = credential_file or env.get("SMARTDECL_AGENT_CREDENTIAL_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8-sig").strip()
        except OSError as exc:
            raise SettingsError(
                f"SMARTDECL_AGENT_CREDENTIAL_FILE (or --credential-file) cannot be read: {exc}"
            ) from exc
    return (env.get("SMARTDECL_AGENT_CREDENTIAL") or "").strip()


def _number(env: Mapping[str, str], given: Mapping[str, Any], key: str, variable: str, default: float) -> float:
    raw = given.get(key, env.get(variable))
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"{variable} must be a number of seconds") from None
    if value <= 0:
        raise SettingsError(f"{variable} must be more than 0 seconds")
    return value

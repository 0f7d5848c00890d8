"""Where the CLI keeps what outlives one command: profiles (URL, token), the events cursor and the
last execution started, under the user's config directory (SMARTDECL_CONFIG_DIR overrides it)."""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8000"


def config_dir() -> Path:
    if os.environ.get("SMARTDECL_CONFIG_DIR"):
        return Path(os.environ["SMARTDECL_CONFIG_DIR"])
    from platformdirs import user_config_dir

    return Path(user_config_dir("smartdecl", appauthor=False))


@dataclass
class Profile:
    name: str
    url: str | None = None
    token: str | None = None

    @property
    def ent_code(self) -> str:
        """The enterprise in the token (unverified: only to keep per-enterprise state apart)."""
        try:
            payload = (self.token or "").split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            return str(claims.get("ent_code") or "anonymous")
        except (IndexError, ValueError):
            return "anonymous"


def _profiles_file() -> Path:
    return config_dir() / "profiles.json"


def load(name: str) -> Profile:
    path = _profiles_file()
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    entry = data.get(name) or {}
    return Profile(name=name, url=entry.get("url"), token=entry.get("token"))


def save(profile: Profile) -> Path:
    path = _profiles_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data[profile.name] = {"url": profile.url, "token": profile.token}
    _write_private(path, json.dumps(data, indent=2))
    return path


def _state_file(profile: Profile, what: str) -> Path:
    key = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{profile.name}-{profile.ent_code}-{what}")
    return config_dir() / "state" / f"{key}.json"


def read_state(profile: Profile, what: str) -> Any:
    path = _state_file(profile, what)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def write_state(profile: Profile, what: str, value: Any) -> None:
    path = _state_file(profile, what)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value), encoding="utf-8")
    tmp.replace(path)  # atomic: a crash leaves the old cursor, never half a file


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, 0o600)  # it holds a token
    tmp.replace(path)

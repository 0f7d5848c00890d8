"""What both generated-client flows share. These scripts run in .venv-clients, beside the generated
packages and their own dependencies only: nothing of the project is imported here."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

URL = os.environ["SMARTDECL_URL"]
TOKEN = os.environ["SMARTDECL_TOKEN"]
EXAMPLES = Path(os.environ["SMARTDECL_EXAMPLES"])
WAIT_SECONDS = float(os.environ.get("SMARTDECL_WAIT_SECONDS", "120"))
ENT_CODE = "1108919038"  # the examples' own enterprise, the token's

CONFIGS = [  # one import and one export config, by enterprise, declaring for any consignee
    {
        "name": f"{flag} generated client",
        "ie_flag": flag,
        "effective_by": "enterprise",
        "agent": {"code": ENT_CODE},
        "auxiliary_confirm": True,
        "auto_agency_agreement": True,
        "batch_wait_seconds": 5,
        "recheck_seconds": 5,
    }
    for flag in ("I", "E")
]


def declarations() -> dict[str, Any]:
    """The example declarations, imported without the mark: the flow marks them."""
    return {**json.loads((EXAMPLES / "declarations.json").read_text(encoding="utf-8")), "smart_mark": False}


def workbook() -> bytes:
    return (EXAMPLES / "declarations.xlsx").read_bytes()


def until(what: str, probe: Callable[[], T | None]) -> T:
    """`probe()` until it answers something, or fail naming `what`."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = probe()
        if found is not None and found is not False:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def check(ok: bool, what: str) -> None:
    if not ok:
        raise AssertionError(what)


def done(steps: list[str]) -> None:
    print(json.dumps({"steps": steps}))
    sys.stdout.flush()

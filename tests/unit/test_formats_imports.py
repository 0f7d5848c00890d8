"""formats/ is pure: readers and writers load neither the service layer nor any adapter or AWS library,
so the broker-side agent and the CLI can use them alone. Each module is imported in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(
    f"chalicelib.formats.{p.stem}" for p in (ROOT / "chalicelib" / "formats").glob("*.py") if p.stem != "__init__"
)
NEVER = ("chalicelib.services", "chalicelib.adapters", "chalicelib.api", "boto3", "botocore", "pynamodb", "chalice")


def _loaded(module: str) -> set[str]:
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("module", MODULES)
def test_a_format_module_loads_no_service_adapter_or_aws_library(module):
    loaded = _loaded(module)
    assert sorted(m for m in loaded if any(m == n or m.startswith(n + ".") for n in NEVER)) == []

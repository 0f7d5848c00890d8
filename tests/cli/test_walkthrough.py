"""The README's CLI walkthrough, pasted as is, against `make run`'s stack (a subprocess on free ports)
and the installed `smartdecl` console script; and the CLI as an integrator installs it: a wheel in a
fresh virtual environment, away from the repository."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from infra.stack_process import StackDidNotStart, start_stack
from tests.factories import ROOT

SECRET = "cli-walkthrough-test-secret-of-32-bytes-or-more"
SCRIPT = ROOT / ".venv" / "bin" / "smartdecl"


def walkthrough() -> list[str]:
    """The command lines of the README's "Try it with the CLI" block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"### Try it with the CLI\n.*?```sh\n(.*?)```", text, re.S)
    assert block, "README.md has no `### Try it with the CLI` block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    try:
        started = start_stack(tmp_path_factory.mktemp("outbox"), jwt_secret=SECRET)
    except StackDidNotStart as exc:
        pytest.fail(str(exc))
    yield started.api
    started.stop()


def test_the_readme_cli_walkthrough_runs_as_pasted(stack, tmp_path):
    assert SCRIPT.exists(), "no .venv/bin/smartdecl: run `make venv` (it installs the CLI)"
    env = {
        **os.environ,
        "SMARTDECL_URL": stack,
        "SMARTDECL_JWT_SECRET": SECRET,
        "SMARTDECL_LANG": "en",
        "SMARTDECL_CONFIG_DIR": str(tmp_path / "config"),
        "COLUMNS": "160",
    }
    env.pop("SMARTDECL_TOKEN", None)
    lines = walkthrough()
    # one shell for the whole block, as a newcomer pastes it (export PATH carries over); a marker
    # before each line splits the output, and the first failing line stops it and is named
    script = "set -eo pipefail\ntrap 'echo \"FAILED: $BASH_COMMAND\" >&2' ERR\n" + "".join(
        f"echo '@@@{n}'\n{line}\n" for n, line in enumerate(lines)
    )
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    parts = re.split(r"^@@@(\d+)\n", done.stdout, flags=re.M)
    outputs = {lines[int(parts[i])].split("#")[0].strip(): parts[i + 1] for i in range(1, len(parts), 2)}
    marked = next(v for k, v in outputs.items() if k.startswith("smartdecl mark"))
    assert re.search(r"\d+ declaration\(s\) marked", marked)
    started = next(v for k, v in outputs.items() if k.startswith("smartdecl start"))
    assert "released" in started
    log = next(v for k, v in outputs.items() if k.startswith("smartdecl log "))
    assert "submit" in log and "receipt" in log
    stopped = next(v for k, v in outputs.items() if k.startswith("smartdecl stop"))
    assert "stopped" in stopped
    events = next(v for k, v in outputs.items() if k.startswith("smartdecl events follow"))
    assert "customs_receipt" in events and "smart_status_changed" in events
    subscribed = next(v for k, v in outputs.items() if k.startswith("smartdecl subscriptions create"))
    assert "+8613800138000" in subscribed and "22:00" in subscribed and "released" in subscribed


def installed_cli(tmp_path) -> Path:
    """The wheel built from the CLI's packages alone, installed into a fresh venv; returns its bin/."""
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    for package in PACKAGED:
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", wheels, source], check=True, cwd=source)
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", fresh], check=True)
    (wheel,) = wheels.glob("smartdecl-*.whl")
    subprocess.run([*pip, "--python", fresh / "bin" / "python", "install", "--no-deps", wheel], check=True)
    # its dependencies (typer, rich, requests …) from the test's own environment, by a path: the
    # repository itself is not on it, nor is the editable install's finder (a path's .pth files are not read)
    (site,) = (fresh / "lib").glob("python3*/site-packages")
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return fresh / "bin"


PACKAGED = ("smartdecl_cli", "smartdecl_client", "smartdecl_agent")


def test_the_cli_installed_from_its_wheel_apart_from_the_repository_signs_in_and_lists(stack, tmp_path):
    bin_dir = installed_cli(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SMARTDECL_TOKEN", "SMARTDECL_JWT_SECRET")}
    env.update(SMARTDECL_URL=stack, SMARTDECL_LANG="en", SMARTDECL_CONFIG_DIR=str(tmp_path / "config"))

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60)

    where = run(str(bin_dir / "python"), "-c", "import smartdecl_cli; print(smartdecl_cli.__file__)")
    assert where.stdout.startswith(str(tmp_path / "fresh")), where.stdout + where.stderr
    assert run(str(bin_dir / "python"), "-c", "import chalicelib").returncode != 0  # the project is not there

    login = run(str(bin_dir / "smartdecl"), "login", "--ent-code", "1108919038", "--uscc", "91110000600037341L")
    assert login.returncode == 0, login.stdout + login.stderr
    listed = run(str(bin_dir / "smartdecl"), "declarations", "list", "--json")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "items" in json.loads(listed.stdout)

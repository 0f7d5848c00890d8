"""Every shell block of the README and of the docs' getting-started and integration pages, run as
written, one page after the other, on one fresh `make run` stack (a subprocess on free ports); and
the CLI as an integrator installs it: a wheel in a fresh virtual environment, away from the repository.

A page's blocks run in one bash, top to bottom, as a newcomer pastes them (variables carry over
from block to block; a failing command stops the page and is named). What the test changes, and
only that: the addresses (the stack's ports instead of 8000, 8001 and the webhook receiver's 9100,
its outbox instead of `.local/outbox`), and `make run`/`make test`, which it does not run (it
is the `make run`). Each page must show what it says it shows (EXPECTED), and an error body in
a block's output must be one the block's own text names (`# 404 not_found`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from infra.local_aws import free_port
from infra.stack_process import StackDidNotStart, start_stack
from tests.factories import ROOT

SECRET = "docs-walkthrough-test-secret-of-32-bytes-or-more"
SERVED_BY_THE_TEST = re.compile(r"^\s*make (run|test|demo)\b")
FENCE = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
ERROR_BODY = re.compile(r'\{"code": "(\w+)", "message_zh"')

# In order: the README's tour, then the docs as a reader goes through them.
EXPECTED: dict[str, list[str]] = {
    "README.md": [r"released", r'"smart_status": "succeeded"'],
    "docs/getting-started.md": [
        r"添加智能申报成功 3 条",
        r"config_clash",
        r"(?m)(^|\})tax$",  # curl's answers end without a newline: a pick's line may follow one
        r"(?m)(^|\})manifest$",
        r"(?m)(^|\})confirmed$",
        r"(?m)^I20\d+ declared$",  # the receiver in the background may print between the two
        r"(?m)^E20\d+ declared$",
        r"(?m)(^|\})0$",
        r"not_found",
        r"(?m)(^|\})stopped$",
        r"customs_receipt \S+ 放行",
    ],
    "docs/import-formats.md": [r'"accepted": \["[IE]20\d{2}', r"already imported", r"goods"],
    "docs/api.md": [r"智能辅助申报", r"the same answer: \['I", r"unauthenticated", r"invalid_request"],
    "docs/cli.md": [
        r"\d+ declaration\(s\) marked",
        r"released",
        r"submit",
        r"stopped",
        r"customs_receipt",
        r"\+8613800138000",
        r"22:00",
    ],
    "docs/webhooks.md": [r"(?m)^queued$", r"customs_receipt \S+ 放行", r'"status_code": 204'],
    "docs/events.md": [r"(?m)^(True|False)$"],
}


def shell_blocks(page: str) -> list[str]:
    """The page's `sh` blocks, less the lines that start the stack or the suite."""
    text = (ROOT / page).read_text(encoding="utf-8")
    return [
        "\n".join(line for line in block.splitlines() if not SERVED_BY_THE_TEST.match(line))
        for block in FENCE.findall(text)
    ]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    # a folder of its own: the agents' folders and journals go beside the outbox, and another
    # stack's journal in the same place would hold its ClientSeqNos as written already
    outbox = tmp_path_factory.mktemp("walkthrough") / "outbox"
    log = outbox.parent / "stack.log"  # the stack's own output, shown when a page stops or hangs
    with log.open("w") as out:
        try:
            started = start_stack(outbox, jwt_secret=SECRET, output=out)
        except StackDidNotStart as exc:
            pytest.fail(f"{exc}:\n{log.read_text()[-4000:]}")
        yield started, outbox
        started.stop()


def _addressed(text: str, api: str, customs: str, hook_port: int, outbox: str) -> str:
    return (
        text.replace("http://127.0.0.1:8000", api)
        .replace("http://127.0.0.1:8001", customs)
        .replace("127.0.0.1:9100", f"127.0.0.1:{hook_port}")
        .replace("--port 9100", f"--port {hook_port}")
        .replace(".local/outbox", outbox)
    )


PAGE_SECONDS = 180  # a page runs in under 30 s on a quiet machine


def run_page(page: str, stack, config_dir: str) -> tuple[int | str, list[str]]:
    """Run the page's blocks in one bash; the exit code and each block's output."""
    started, outbox = stack
    hook_port = free_port()
    blocks = [_addressed(b, started.api, started.customs, hook_port, str(outbox)) for b in shell_blocks(page)]
    script = "set -eo pipefail\ntrap 'echo \"FAILED: $BASH_COMMAND\" >&2' ERR\n" + "".join(
        f"printf '\\n@@@{n}\\n'\n{block}\n" for n, block in enumerate(blocks)
    )
    env = {
        **os.environ,
        "SMARTDECL_URL": started.api,
        "SMARTDECL_JWT_SECRET": SECRET,
        "SMARTDECL_LANG": "en",
        "SMARTDECL_CONFIG_DIR": config_dir,
        "COLUMNS": "160",
    }
    env.pop("SMARTDECL_TOKEN", None)
    # output to a file, not a pipe: a receiver left in the background must not hold the test
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        proc = subprocess.Popen(
            ["bash", "-c", script],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=PAGE_SECONDS)
        except subprocess.TimeoutExpired:
            code = f"still running after {PAGE_SECONDS} s"  # the output so far says where it hung
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # whatever the page left running (its own group only)
            except ProcessLookupError:
                pass
        out.seek(0)
        parts = re.split(r"\n@@@\d+\n", out.read())
    return code, parts[1:] if len(parts) > 1 else parts


@pytest.mark.parametrize("page", list(EXPECTED))
def test_the_page_runs_as_written_on_the_stack_the_pages_before_it_left(page, stack, tmp_path_factory):
    assert (ROOT / ".venv" / "bin" / "smartdecl").exists(), "no .venv/bin/smartdecl: run `make venv`"
    blocks = shell_blocks(page)
    assert blocks, f"{page} has no sh block"

    code, outputs = run_page(page, stack, str(tmp_path_factory.mktemp("config")))

    whole = "".join(outputs)
    if code != 0:
        stack_log = (Path(stack[1]).parent / "stack.log").read_text(errors="replace")
        pytest.fail(f"{page} stopped ({code}):\n{whole[-4000:]}\n--- the stack's log, its end:\n{stack_log[-6000:]}")
    missing = [pattern for pattern in EXPECTED[page] if not re.search(pattern, whole)]
    assert not missing, f"{page} did not show {missing}:\n{whole[-4000:]}"
    for block, output in zip(blocks, outputs, strict=False):
        unexplained = [c for c in ERROR_BODY.findall(output) if c not in block]
        assert not unexplained, f"{page}: a block answered {unexplained} without saying so:\n{block}\n{output[-2000:]}"


def test_every_page_with_shell_blocks_among_the_walkthroughs_is_run():
    integration = ["getting-started", "api", "cli", "webhooks", "events", "import-formats"]
    for name in integration:
        assert f"docs/{name}.md" in EXPECTED
    assert list(EXPECTED)[:2] == ["README.md", "docs/getting-started.md"]


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
    started, _ = stack
    bin_dir = installed_cli(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SMARTDECL_TOKEN", "SMARTDECL_JWT_SECRET")}
    env.update(SMARTDECL_URL=started.api, SMARTDECL_LANG="en", SMARTDECL_CONFIG_DIR=str(tmp_path / "config"))

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

"""The agent runs on a broker's PC: it loads nothing of the service (adapters, services, AWS SDKs,
PynamoDB, Chalice), and its code uses nothing Windows lacks."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

from tests.factories import ROOT

FORBIDDEN = ("chalicelib", "chalice", "boto3", "botocore", "pynamodb", "aws_lambda_powertools", "infra")
POSIX_ONLY = {"fcntl", "termios", "pwd", "grp", "resource", "signal", "posix", "pty", "tty"}


def test_the_agent_and_its_commands_load_nothing_of_the_service():
    # Given a fresh interpreter that imports the agent and the CLI's agent commands
    code = (
        "import json, sys\n"
        "import smartdecl_agent.agent, smartdecl_agent.doctor, smartdecl_agent.logs\n"
        "import smartdecl_cli.commands.agent\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    # Then none of the service's packages was loaded
    assert [m for m in loaded if m.split(".")[0] in FORBIDDEN] == []


def test_the_agent_s_code_imports_nothing_posix_only():
    for path in sorted((ROOT / "smartdecl_agent").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        } | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not imported & POSIX_ONLY, f"{path.name}: {imported & POSIX_ONLY}"
        # nor os calls Windows lacks (a rename is os.replace; chmod, fork, kill are POSIX habits)
        calls = {
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os"
        }
        assert not calls & {"fork", "kill", "chmod", "chown", "link", "symlink", "rename", "getuid"}, path.name

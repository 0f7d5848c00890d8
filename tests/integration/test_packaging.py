"""What `sam build` ships (issue #15), checked without the SAM CLI.

The Makefile's build-<LogicalId> targets are what `sam build` runs for each function
(BuildMethod makefile); here they run directly into a temporary ARTIFACTS_DIR. `make package`
runs the real `sam build` and scripts/check_package.py on its output.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from infra.template import TEMPLATE_PATH, load, resources
from scripts.check_package import FORBIDDEN_IN_FUNCTION, MB, Artifact, layer_problems, measure, problems

ROOT = TEMPLATE_PATH.parent
TEMPLATE = load()
FUNCTIONS = resources(TEMPLATE, "AWS::Serverless::Function")
LAYERS = resources(TEMPLATE, "AWS::Serverless::LayerVersion")


def _build(logical_id: str, artifacts_dir: Path) -> Path:
    make = shutil.which("make")
    assert make, "make is needed to build the functions"
    subprocess.run(
        [make, "-s", f"build-{logical_id}", f"ARTIFACTS_DIR={artifacts_dir}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return artifacts_dir


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_is_built_by_the_makefile_from_the_repository_root(logical_id):
    function = FUNCTIONS[logical_id]
    assert function["Metadata"]["BuildMethod"] == "makefile", (
        f"{logical_id}: SAM's python3.11 builder would pip-install requirements.txt into the function "
        "and copy tests/, bench/, infra/ with it; give it a build-<LogicalId> target in the Makefile"
    )
    assert function["Properties"]["CodeUri"] == "."


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_function_package_holds_only_the_code_it_runs(logical_id, tmp_path):
    # Given the function's build target
    # When it builds into an empty artifacts directory
    built = _build(logical_id, tmp_path / logical_id)

    # Then its handler is there, compiled, and nothing the function never runs is
    handler = FUNCTIONS[logical_id]["Properties"]["Handler"]
    module = handler.rpartition(".")[0]
    assert (built / (module.replace(".", "/") + ".py")).is_file(), f"{logical_id}: {module} missing"
    top_level = {path.name for path in built.iterdir()} - {"__pycache__"}
    assert top_level <= {"app.py", "chalicelib", "functions", "console", "api_docs"}, top_level
    assert not top_level & set(FORBIDDEN_IN_FUNCTION)
    assert not list(built.rglob("requirements*.txt"))
    assert (built / "chalicelib" / "domain" / "data" / "codes" / "country.json").is_file()
    assert list((built / "chalicelib" / "domain" / "__pycache__").glob("*.cpython-311.pyc"))
    assert problems(measure(logical_id, "function", built), []) == []


def test_the_api_serves_the_console_when_there_is_one(tmp_path):
    built = _build("ApiFunction", tmp_path / "api")
    assert (built / "console").is_dir() == (ROOT / "console").is_dir()
    assert not (built / "functions").exists()


@pytest.mark.parametrize("layer_id", sorted(LAYERS))
def test_the_layer_is_built_for_the_architecture_of_the_functions(layer_id):
    # Native wheels (cryptography, pydantic-core, aiohttp) must match the machine the functions run on.
    architectures = TEMPLATE["Globals"]["Function"]["Architectures"]
    layer = LAYERS[layer_id]
    makefile = (ROOT / layer["Properties"]["ContentUri"] / "Makefile").read_text(encoding="utf-8")
    default_arch = re.search(r"^ARCH\s*\?=\s*(\S+)", makefile, re.MULTILINE)
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert f"build-{layer_id}:" in makefile
    assert [layer["Metadata"]["BuildArchitecture"]] == layer["Properties"]["CompatibleArchitectures"] == architectures
    assert default_arch and [default_arch.group(1)] == architectures


def test_the_layer_leaves_out_chalices_cli_dependencies_and_the_sms_sdk():
    layer = LAYERS["DependenciesLayer"]
    makefile = (ROOT / layer["Properties"]["ContentUri"] / "Makefile").read_text(encoding="utf-8")
    assert "--no-deps $$(grep '^chalice==' requirements.txt)" in makefile
    assert "grep -v -e '^chalice==' -e '^$(SMS_SDK)' requirements.txt" in makefile


def test_only_the_sms_function_carries_the_sms_provider_layer():
    functions = {name: r for name, r in TEMPLATE["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    carriers = {
        name for name, r in functions.items() if {"Ref": "SmsProviderLayer"} in (r["Properties"].get("Layers") or [])
    }
    assert carriers == {"SmsFunction"}


# ---- the check `make package` runs on the real sam build output -----------------------------


def _artifact(unzipped: int, top_level: set[str] | None = None, kind: str = "function") -> Artifact:
    return Artifact(
        "SomeFunction",
        kind,
        files=1,
        unzipped=unzipped,
        zipped=unzipped // 3,
        top_level=frozenset(top_level or {"chalicelib"}),
    )


def test_check_refuses_a_function_over_5_mb_unzipped():
    assert problems(_artifact(5 * MB + 1), []) == ["SomeFunction: 5.00 MB unzipped, over the 5 MB budget"]


@pytest.mark.parametrize("folder", ["tests", "bench", "infra"])
def test_check_refuses_a_function_that_holds_what_lambda_never_runs(folder):
    assert problems(_artifact(MB, {"chalicelib", folder}), []) == [
        f"SomeFunction: holds {folder}/, which Lambda never runs"
    ]


def test_check_refuses_a_layer_over_60_mb_and_a_function_over_250_mb_with_its_layers():
    layer = _artifact(200 * MB, {"python"}, kind="layer")
    assert layer_problems(layer) == ["SomeFunction: 200.00 MB unzipped, over the 60 MB budget"]
    assert problems(_artifact(MB), [layer, layer]) == ["SomeFunction: 401.00 MB with its layers, over Lambda's 250 MB"]


def test_check_accepts_a_small_function_and_layer():
    assert problems(_artifact(MB), [_artifact(50 * MB, {"python"}, kind="layer")]) == []


def test_the_api_function_may_ship_its_static_files_up_to_8_mb():
    api = Artifact("ApiFunction", "function", files=1, unzipped=6 * MB, zipped=2 * MB, top_level=frozenset({"app.py"}))
    assert problems(api, []) == []
    assert problems(replace(api, unzipped=8 * MB + 1), []) == ["ApiFunction: 8.00 MB unzipped, over the 8 MB budget"]

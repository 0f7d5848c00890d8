"""Cold start: import time of each Lambda handler module, and the size of what is deployed.

Import time: each handler module is imported in a fresh interpreter (`python -c`), timed around the
import statement alone, `--repeat` times round-robin (default 5), median taken; `import boto3` alone
is measured the same way in the same run, and each module's time is given as a ratio to it
(target ≤ 1.5×). The environment is Lambda's as far as imports care: AWS_LAMBDA_FUNCTION_NAME set
and tracing as the template's default (parameter `Tracing`, PassThrough: no X-Ray SDK loaded);
`--tracing` measures Active.
`app (tracing Active)` is printed for comparison. Where the time goes: `python -X importtime -c
"import app"`, self time summed by top-level package.

First message: after the import, what a function builds before its first request (the wiring, the
engine for validation and submission, the DynamoDB connections of the tables it touches), for the
two engine functions and notify, in the same fresh interpreters, timed apart (the import figure does
not include it).

Sizes: the function's code (app.py, chalicelib/, functions/; no caches) zipped; what `sam build`
copies for CodeUri "." (the repository without .venv, .git, caches, bench/out) zipped; and the
dependencies layer: `pip install -r layers/dependencies/requirements.txt --target <tmp>/python`
(the local pip configuration's wheels, no byte-code compiled), zipped. Lambda's limits: 50 MB zipped upload, 250 MB
unzipped for the function and its layers together.

    .venv/bin/python -m bench.cold_start [--repeat 5] [--skip-layer]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Collection
from pathlib import Path
from typing import Any

from bench._common import ROOT, git_revision, machine, median, table, verdict, write_json

TARGET_RATIO = 1.5
HANDLERS = [
    "app",
    "functions.validate",
    "functions.submit",
    "functions.batch_trigger",
    "functions.schedule",
    "functions.notify",
    "functions.webhook",
    "functions.sms",
    "functions.digest",
    "functions.publish_events",
    "functions.event_feed",
]
SAM_EXCLUDED = {
    ".venv",
    ".git",
    ".aws-sam",
    ".chalice",
    "__pycache__",
    ".pytest_cache",
    ".local",
    "out",
    ".mypy_cache",
    ".ruff_cache",
    "node_modules",
}


def lambda_env(tracing: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_ENDPOINT"))}
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": "smartdecl-bench",
            "AWS_REGION": "cn-north-1",
            "AWS_DEFAULT_REGION": "cn-north-1",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
            # Lambda gives the role's credentials in the environment. Without any, botocore would ask
            # the instance metadata service and PynamoDB would build a new client at every use
            # (Connection.client: a client without credentials is made again), which Lambda never does.
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_SESSION_TOKEN": "bench",
            "POWERTOOLS_SERVICE_NAME": "smartdecl",
            "POWERTOOLS_METRICS_NAMESPACE": "SmartDeclaration",
            "PYDANTIC_DISABLE_PLUGINS": "__all__",  # as template.yaml's Globals
            "PYTHONDONTWRITEBYTECODE": "",
            "PYTHONWARNINGS": "ignore",
            # the API checks its secrets at import (deployed: read from SSM, a request not timed here)
            "SMARTDECL_JWT_SECRET": "bench-" + "x" * 40,
            "SMARTDECL_RECEIPT_SECRET": "bench-" + "y" * 40,
        }
    )
    env.pop("PYTHONDONTWRITEBYTECODE")
    if not tracing:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    return env


def import_seconds(module: str, env: dict[str, str]) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SystemExit(f"import {module} failed:\n{out.stderr}")
    return float(out.stdout.strip().splitlines()[-1])


# What a function builds at its first message before it sends anything: the wiring (the container's
# attributes it uses; the engine for the engine's functions) and the DynamoDB connections of the
# tables it touches (botocore sessions and clients).
_ENGINE_TABLES = ("declarations", "declaration_content", "configs", "executions", "batches", "counters")
FIRST_MESSAGE: dict[str, tuple[str, tuple[str, ...]]] = {
    "functions.validate": ("c.engine", _ENGINE_TABLES),
    "functions.submit": ("c.engine", _ENGINE_TABLES),
    "functions.notify": (
        "c.subscription_reader; c.send_delivery; c.send_sms; c.push_store; c.sms_policy",
        ("subscriptions", "push"),
    ),
}


def first_message_seconds(module: str, wiring: str, tables: tuple[str, ...], env: dict[str, str]) -> float:
    """After `import module`: the container, what `wiring` names, and the clients of `tables` (and of
    transactions) built, as at the function's first message; no request is sent."""
    code = "\n".join(
        [
            f"import time, {module}",
            "from chalicelib.container import container",
            "from chalicelib.adapters import dynamo_models as dm",
            "t = time.perf_counter()",
            f"c = container(); {wiring}",
            f"for name in {tables!r}: dm.MODELS[name]._get_connection().connection.client",
            "dm.connection(c.settings.region).client",
            "print(time.perf_counter() - t)",
        ]
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SystemExit(f"first message of {module} failed:\n{out.stderr}")
    return float(out.stdout.strip().splitlines()[-1])


def importtime_by_package(module: str, env: dict[str, str]) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    own: Counter = Counter()
    for line in out.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if match:
            name = match.group(4)
            package = name.split(".")[0]
            if package in ("chalicelib", "functions"):
                package = ".".join(name.split(".")[:2])
            own[package] += int(match.group(1))
    total = sum(own.values())
    return [{"package": p, "self ms": us / 1000, "share": f"{100 * us / total:.0f}%"} for p, us in own.most_common(12)]


def zip_tree(paths: list[Path], base: Path, skip: Collection[str] = frozenset()) -> tuple[int, int, int]:
    """(files, bytes unzipped, bytes zipped) of the given files and folders, deflated."""
    files = raw = 0
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
                for file in candidates:
                    if any(part in skip for part in file.relative_to(base).parts[:-1]):
                        continue
                    archive.write(file, file.relative_to(base))
                    files += 1
                    raw += file.stat().st_size
        handle.seek(0, os.SEEK_END)
        return files, raw, handle.tell()


def sam_copy_paths() -> list[Path]:
    return [p for p in sorted(ROOT.iterdir()) if p.name not in SAM_EXCLUDED and p.name != "bench"] + [
        p for p in (ROOT / "bench").iterdir() if p.name not in SAM_EXCLUDED
    ]


def layer_size() -> dict:
    work = Path(tempfile.mkdtemp(prefix="smartdecl-layer-"))
    try:
        target = work / "python"
        started = time.perf_counter()
        # --no-compile: a layer holds what the wheels hold (no byte-code written at install)
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-compile",
                "--target",
                str(target),
                "-r",
                str(ROOT / "layers/dependencies/requirements.txt"),
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if out.returncode != 0:
            return {"error": out.stderr[-2000:]}
        seconds = time.perf_counter() - started
        files, raw, zipped = zip_tree([target], work)
        sizes: Counter = Counter()
        for file in target.rglob("*"):
            if file.is_file():
                top = file.relative_to(target).parts[0]
                sizes[re.sub(r"-[\d.]+[^-]*\.dist-info$", "", top)] += file.stat().st_size
        return {
            "install_seconds": seconds,
            "files": files,
            "unzipped_bytes": raw,
            "zipped_bytes": zipped,
            "largest": [{"package": p, "MB": b / 1e6} for p, b in sizes.most_common(12)],
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-layer", action="store_true", help="do not pip-install the layer to measure it")
    args = parser.parse_args()

    env, env_on = lambda_env(False), lambda_env(True)  # the template's default is Tracing PassThrough
    subjects = [("boto3", "boto3", env)] + [(m, m, env) for m in HANDLERS] + [("app (tracing Active)", "app", env_on)]
    import_seconds("app", env)  # warm the file cache and byte-code once, as a deployed package has them
    times: dict[str, list[float]] = {label: [] for label, _, _ in subjects}
    for _ in range(args.repeat):
        for label, module, e in subjects:
            times[label].append(import_seconds(module, e))
    base = median(times["boto3"])
    rows: list[dict[str, Any]] = [
        {"module": label, "median ms": 1000 * median(v), "min ms": 1000 * min(v), "× import boto3": median(v) / base}
        for label, v in times.items()
    ]
    worst = max(r["× import boto3"] for r in rows if r["module"] in HANDLERS)
    ok = worst <= TARGET_RATIO
    first: dict[str, list[float]] = {m: [] for m in FIRST_MESSAGE}
    for _ in range(args.repeat):
        for module, (wiring, tables) in FIRST_MESSAGE.items():
            first[module].append(first_message_seconds(module, wiring, tables, env))
    first_rows = [
        {"function": m, "tables": len(FIRST_MESSAGE[m][1]), "median ms": 1000 * median(v), "min ms": 1000 * min(v)}
        for m, v in first.items()
    ]

    packages = {m: importtime_by_package(m, env) for m in ("app", "functions.validate")}
    code = zip_tree([ROOT / "app.py", ROOT / "chalicelib", ROOT / "functions"], ROOT, {"__pycache__"})
    sam = zip_tree(sam_copy_paths(), ROOT, SAM_EXCLUDED)
    layer = None if args.skip_layer else layer_size()

    m = machine()
    print(
        f"\ncold_start: fresh interpreter per import, median of {args.repeat}; "
        "Lambda-like environment, tracing off (template default)"
    )
    print(f"machine: {m['nproc']} × {m['cpu']}, Python {m['python']}\n")
    print(table(rows))
    print(f"worst handler {worst:.2f}× import boto3; target ≤ {TARGET_RATIO:g}× → {verdict(ok)}")
    print("\nat the first message, after the import: wiring (engine) and DynamoDB clients built (no request sent)")
    print(table(first_rows))
    for module, rows_ in packages.items():
        print(f"\nwhere `import {module}` spends its time (-X importtime, self time by top-level package)")
        print(table(rows_))
    mb = lambda b: b / 1e6  # noqa: E731
    size_rows = [
        {
            "what": "function code: app.py + chalicelib/ + functions/",
            "files": code[0],
            "unzipped MB": mb(code[1]),
            "zipped MB": mb(code[2]),
        },
        {
            "what": "sam build's copy of CodeUri '.' (repo minus .venv/.git/caches)",
            "files": sam[0],
            "unzipped MB": mb(sam[1]),
            "zipped MB": mb(sam[2]),
        },
    ]
    if layer and "error" not in layer:
        size_rows.append(
            {
                "what": "dependencies layer (pip install -r layers/dependencies/requirements.txt)",
                "files": layer["files"],
                "unzipped MB": mb(layer["unzipped_bytes"]),
                "zipped MB": mb(layer["zipped_bytes"]),
            }
        )
    print("\ndeployment sizes (Lambda limits: 50 MB zipped upload, 250 MB unzipped function + layers)")
    print(table(size_rows))
    if layer and "error" not in layer:
        print("\nlargest distributions in the layer")
        print(table(layer["largest"]))
        print(
            "note: template.yaml's ApiFunction comment says sam build also pip-installs ./requirements.txt into "
            "each function (CodeUri '.'), so every function carries the layer's contents a second time."
        )
    elif layer:
        print("layer not measured: " + layer["error"])
    path = write_json(
        "cold_start",
        {
            "revision": git_revision(),
            "repeat": args.repeat,
            "imports": rows,
            "raw_seconds": times,
            "target_ratio": TARGET_RATIO,
            "worst_ratio": worst,
            "target_met": ok,
            "importtime_by_package": packages,
            "first_message": first_rows,
            "sizes": size_rows,
            "layer": layer,
        },
    )
    print(f"\nwritten {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

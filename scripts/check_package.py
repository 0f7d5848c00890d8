"""What `sam build` ships: each artifact's size beside Lambda's limits, and what must not be inside.

    python scripts/check_package.py [.aws-sam/build]

Reads the artifact folders `sam build` wrote (one per function and layer, named by logical id),
prints files, unzipped and zipped size (zipped as `sam deploy` uploads it: deflate), and exits 1
when a function exceeds its budget unzipped (5 MB; the API's 8 MB), the layer 60 MB, a function
plus its layers 250 MB, or a function holds tests/, bench/ or infra/. The budgets are this
project's (issue #15);
250 MB unzipped is Lambda's hard limit for a function and all its layers together.
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from infra.template import load, resources

MB = 1024 * 1024
FUNCTION_LIMIT = 5 * MB
# The API also ships static files no request imports: the console and the API page's Swagger UI
# (1.7 MB). They cost the zip's download at a cold start, not import time (what the cold-start test
# holds); 8 MB keeps that under a second's tenth on Lambda's network.
FUNCTION_LIMITS = {"ApiFunction": 8 * MB}
LAYER_LIMIT = 60 * MB
TOTAL_LIMIT = 250 * MB
FORBIDDEN_IN_FUNCTION = ("tests", "bench", "infra")


@dataclass(frozen=True)
class Artifact:
    logical_id: str
    kind: str  # "function" | "layer"
    files: int
    unzipped: int
    zipped: int
    top_level: frozenset[str]


def measure(logical_id: str, kind: str, folder: Path) -> Artifact:
    buffer = io.BytesIO()
    files = unzipped = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(folder).as_posix())
            files += 1
            unzipped += path.stat().st_size
    top_level = frozenset(p.name for p in folder.iterdir())
    return Artifact(logical_id, kind, files, unzipped, len(buffer.getvalue()), top_level)


def problems(function: Artifact, layers: list[Artifact]) -> list[str]:
    """Why a function's package may not ship (empty when it may)."""
    found = []
    limit = FUNCTION_LIMITS.get(function.logical_id, FUNCTION_LIMIT)
    if function.unzipped > limit:
        found.append(f"{function.logical_id}: {_mb(function.unzipped)} unzipped, over the {limit // MB} MB budget")
    for name in FORBIDDEN_IN_FUNCTION:
        if name in function.top_level:
            found.append(f"{function.logical_id}: holds {name}/, which Lambda never runs")
    total = function.unzipped + sum(layer.unzipped for layer in layers)
    if total > TOTAL_LIMIT:
        found.append(f"{function.logical_id}: {_mb(total)} with its layers, over Lambda's 250 MB")
    return found


def layer_problems(layer: Artifact) -> list[str]:
    if layer.unzipped > LAYER_LIMIT:
        return [f"{layer.logical_id}: {_mb(layer.unzipped)} unzipped, over the 60 MB budget"]
    return []


def _mb(size: int) -> str:
    return f"{size / MB:.2f} MB"


def check(build_dir: Path, template_path: Path | None = None) -> tuple[list[Artifact], list[str]]:
    template = load(template_path)
    layers = {
        name: measure(name, "layer", build_dir / name) for name in resources(template, "AWS::Serverless::LayerVersion")
    }
    functions = {
        name: measure(name, "function", build_dir / name) for name in resources(template, "AWS::Serverless::Function")
    }
    found = [problem for layer in layers.values() for problem in layer_problems(layer)]
    for function in functions.values():
        # Every function is counted with every layer: conservative (only SmsFunction adds SmsProviderLayer).
        found += problems(function, list(layers.values()))
    return [*functions.values(), *layers.values()], found


def report(artifacts: list[Artifact]) -> str:
    rows = [f"{'artifact':<22} {'files':>6} {'unzipped':>10} {'zipped':>9}  limit (unzipped)"]
    for artifact in artifacts:
        limit = "5 MB" if artifact.kind == "function" else "60 MB"
        rows.append(
            f"{artifact.logical_id:<22} {artifact.files:>6,} {_mb(artifact.unzipped):>10} "
            f"{_mb(artifact.zipped):>9}  {limit}"
        )
    functions = [a for a in artifacts if a.kind == "function"]
    layers = [a for a in artifacts if a.kind == "layer"]
    if functions:
        largest = max(functions, key=lambda a: a.unzipped)
        total = largest.unzipped + sum(layer.unzipped for layer in layers)
        rows.append(
            f"largest function + layers: {_mb(total)} unzipped (Lambda's limit 250 MB); "
            f"upload for all: {_mb(sum(a.zipped for a in artifacts))} zipped"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", nargs="?", default=str(ROOT / ".aws-sam" / "build"))
    args = parser.parse_args(argv)
    build_dir = Path(args.build_dir)
    missing = [name for name in ("template.yaml",) if not (build_dir / name).exists()]
    if missing:
        print(f"{build_dir} holds no sam build output: run `make package`", file=sys.stderr)
        return 2
    artifacts, found = check(build_dir)
    print(report(artifacts))
    for problem in found:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

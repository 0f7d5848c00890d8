"""Runs spin on the channel's model (model/channel.pml): `make model`, and tests/model/test_model.py.

The model is checked in a few bounded configurations rather than one with every fault at once: each
fault's budget multiplies the states, and together they do not fit in a minute (nor in a laptop's
memory). Every configuration keeps the whole protocol (claim, lease, put, take, journal, rename,
acknowledge, the client's folders, answers, receipts) and adds the faults of one part of it.
docs/model.md says what each bounds and why that still covers the protocol.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

MODEL = Path(__file__).resolve().parents[2] / "model" / "channel.pml"

# Every fault off: a configuration turns on the ones it is about.
QUIET = {
    "AGENT_CRASHES": 0,
    "LAMBDA_CRASHES": 0,
    "REDELIVERIES": 0,
    "SLOW_LEASES": 0,
    "CLIENT_FAILS": 0,
    "RECEIPT_DUPS": 0,
    "DEADLINES": 0,
    "CONTINUES": 0,
    "API_DEATHS": 0,
    "ACK_LOSSES": 0,
}
FIXES = ("FIX_SEND_AFTER_ANSWER", "FIX_NEXT_SEND_ANSWER", "FIX_UNPARK_ON_DUPLICATE", "FIX_STAGED_SAME_CLAIM")
CLAIMS = ("eventually_done",)


@dataclass(frozen=True)
class Config:
    name: str
    about: str
    faults: dict[str, int] = field(default_factory=dict)
    flags: tuple[str, ...] = ()  # other -D macros (HTTP, NO_RECEIPTS, FIX_SEND_AFTER_ANSWER, BROKEN_…)
    claims: tuple[str, ...] = CLAIMS  # checked under weak fairness
    fair: bool = True  # the fairness run in `make test` too (`make model` runs it for every one)
    fails: bool = False  # spin must find a counterexample (a broken variant)
    shows: str = ""  # ... whose failed assertion says this

    def defines(self) -> list[str]:
        values = {**QUIET, **self.faults}
        return [f"-D{k}={v}" for k, v in values.items()] + [f"-D{f}" for f in self.flags]


@dataclass
class Run:
    config: str
    mode: str  # "safety" or the ltl claim's name
    errors: int
    states: int
    depth: int
    memory_mb: float
    seconds: float
    output: str
    trail: str = ""

    def line(self) -> str:
        verdict = "OK" if self.errors == 0 else f"{self.errors} error(s)"
        return (
            f"{self.config:<11} {self.mode:<16} {verdict:<11} {self.states:>9,} states  depth {self.depth:>5}  "
            f"{self.memory_mb:>7.1f} MB  {self.seconds:>5.1f} s"
        )


def check(
    config: Config, *, fair: bool | None = None, optimise: bool = False, workdir: Path | None = None
) -> list[Run]:
    """spin -a, gcc, then pan: the safety run (assertions, invalid end states, and at every end the
    liveness properties: the model's Final), the progress run (no cycle at all: pan -l, -DNP), and,
    when `fair` (by default the configuration's own), the liveness claim under weak fairness
    (-a -f). A run that finds an error stops there, with its trail."""
    if shutil.which("spin") is None or shutil.which("gcc") is None:
        raise RuntimeError("spin and gcc are needed (Debian: apt-get install spin gcc)")
    own = workdir is None
    work = Path(tempfile.mkdtemp(prefix=f"spin-{config.name}-")) if own else workdir
    assert work is not None
    modes = ["safety"] + ([] if config.fails else ["progress"])
    if config.claims and (config.fair if fair is None else fair):
        modes += list(config.claims)
    try:
        shutil.copy(MODEL, work / MODEL.name)
        _run(["spin", *config.defines(), "-a", MODEL.name], work)
        runs: list[Run] = []
        for mode in modes:
            runs.append(_pan(config, work, mode, optimise))
            if runs[-1].errors:
                break
        return runs
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)


# pan's memory: states compressed (COLLAPSE), at most MEMLIM MB. -O0: gcc takes a second, not six,
# and the searches here are small enough that the compile is most of the time.
_GCC = ["gcc", "-O0", "-w", "-DMEMLIM=1024", "-DCOLLAPSE", "-DVECTORSZ=2048"]
_BUILD = {"safety": ["-DSAFETY", "-DNOCLAIM"], "progress": ["-DNP", "-DNOCLAIM"]}


def _pan(config: Config, work: Path, mode: str, optimise: bool = False) -> Run:
    binary = f"pan_{mode if mode in _BUILD else 'ltl'}"
    if not (work / binary).exists():
        # make model's fairness searches are the long ones: there six seconds of -O2 pay for themselves
        gcc = [*_GCC, "-O2"] if optimise and mode not in _BUILD else _GCC
        _run([*gcc, *_BUILD.get(mode, ["-DNFAIR=4"]), "-o", binary, "pan.c"], work)
    args = [f"./{binary}", "-m100000", "-w20"]
    args += {"safety": [], "progress": ["-l"]}.get(mode, ["-a", "-f", "-N", mode])
    started = time.monotonic()
    out = _run(args, work, check=False)
    run = Run(
        config.name,
        mode,
        errors=_number(r"errors: (\d+)", out),
        states=_number(r"(\d+) states, stored", out),
        depth=_number(r"depth reached (\d+)", out),
        memory_mb=float(_match(r"([\d.]+)\s+total actual memory usage", out) or 0),
        seconds=round(time.monotonic() - started, 2),
        output=out,
    )
    if run.states == 0 or "error: max search depth too small" in out or "out of memory" in out.lower():
        run.errors = max(run.errors, 1)
    if run.errors:
        run.trail = trail(config, work)
    return run


def trail(config: Config, work: Path) -> str:
    """The counterexample as the model's printf lines: one step of one party a line."""
    if not (work / f"{MODEL.name}.trail").exists():
        return ""
    out = _run(["spin", *config.defines(), "-t", MODEL.name], work, check=False)
    steps = []
    for line in out.splitlines():
        text = line.strip()
        if re.match(r"^(engine|submit|agent|service|client|customs|clock|sqs|person)[ :]", text) or "Error" in text:
            steps.append(text)
        elif text.startswith("spin: text of failed assertion") or text.startswith("spin: trail ends"):
            steps.append(text)
    return "\n".join(steps)


def _run(args: list[str], cwd: Path, check: bool = True) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=1800)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def _match(pattern: str, text: str) -> str | None:
    found = re.search(pattern, text)
    return found.group(1) if found else None


def _number(pattern: str, text: str) -> int:
    return int(_match(pattern, text) or 0)


def main(argv: list[str]) -> int:
    from tests.model.configs import CONFIGS

    quick = "--quick" in argv
    names = [a for a in argv if not a.startswith("--")]
    chosen = [c for c in CONFIGS if not names or c.name in names]
    bad = 0
    started = time.monotonic()
    for config in chosen:
        runs = check(config, fair=None if quick else True, optimise=not quick)
        for run in runs:
            print(run.line() + ("   (a counterexample is expected)" if config.fails else ""), flush=True)
        found = any(r.errors for r in runs)
        if found != config.fails:
            bad += 1
            print(f"{config.name}: UNEXPECTED {'counterexample' if found else 'pass'}", flush=True)
            for run in runs:
                if run.errors:
                    print(run.trail or run.output)
    print(
        f"model: {len(chosen)} configurations, {'all as expected' if not bad else f'{bad} not as expected'} "
        f"in {time.monotonic() - started:.0f} s"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

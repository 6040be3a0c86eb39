"""Start-up benchmark: whole-process wall time of `golive validate examples/storefront` and
`golive --help`, side by side with `python -c pass` in the same run.

Each command runs N times, interleaved (one of each per round, so a load spike hits all of
them alike); the median is printed, with golive's own share (median minus the interpreter's)
and the ratio to the target (issue #17: both under 0.3 s of whole-process wall time on
2 cores). The machine's load average is printed with the figures: on a busy machine they
are high by that much, so compare ratios and re-run on a quiet machine.

Bytecode is cached as on an installed golive (pip compiles it; a source checkout writes it
on the first run): the runs read and write it under a scratch ``PYTHONPYCACHEPREFIX``, so
the tree is not touched and an inherited ``PYTHONDONTWRITEBYTECODE`` (scripts/test.sh sets
it) does not turn every run into a compile. ``--no-bytecode`` measures that case instead.

``--baseline DIR`` times a second golive source tree in the same rounds, for a before/after
measured side by side (``git archive HEAD src examples/storefront | tar -x -C DIR``); it
validates its own storefront spec when it has one.

    .venv/bin/python benchmarks/startup.py [--runs 15] [--no-bytecode] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 0.3
INTERPRETER = "python -c pass"


def _commands(baseline: Path | None) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Name -> (argv, extra environment); the baseline runs its own sources via PYTHONPATH."""
    golive = [sys.executable, "-m", "golive"]
    found: dict[str, tuple[list[str], dict[str, str]]] = {INTERPRETER: ([sys.executable, "-c", "pass"], {})}
    trees: list[tuple[str, Path, dict[str, str]]] = [("", REPO, {})]
    if baseline is not None:  # its own storefront spec when it has one (the spec may use newer types)
        spec_tree = baseline if (baseline / "examples/storefront/golive.yaml").is_file() else REPO
        trees.append((" (baseline)", spec_tree, {"PYTHONPATH": str(baseline / "src")}))
    for suffix, tree, env in trees:
        found[f"golive validate storefront{suffix}"] = (
            [*golive, "validate", str(tree / "examples/storefront")],
            env,
        )
        found[f"golive --help{suffix}"] = ([*golive, "--help"], env)
    return found


def _environment(pycache: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def _once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=REPO, env=env)
    return time.perf_counter() - start


def _measure(runs: int, pycache: str | None, baseline: Path | None) -> dict[str, list[float]]:
    base_env = _environment(pycache)
    commands = {name: (argv, {**base_env, **extra}) for name, (argv, extra) in _commands(baseline).items()}
    for argv, env in commands.values():  # warm the file cache and write the bytecode; not counted
        _once(argv, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (argv, env) in commands.items():
            times[name].append(_once(argv, env))
    return times


def _print(times: dict[str, list[float]]) -> None:
    base = statistics.median(times[INTERPRETER])
    print(f"{'command':39} {'median':>8} {'min':>8} {'golive':>8} {'/target':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        own = median - base if name != INTERPRETER else 0.0
        ratio = f"{median / TARGET_S:7.2f}x" if name != INTERPRETER else ""
        print(f"{name:39} {median:7.3f}s {min(values):7.3f}s {own:7.3f}s {ratio:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    parser.add_argument("--no-bytecode", action="store_true", help="no .pyc files: every run compiles")
    parser.add_argument("--baseline", type=Path, help="another golive source tree, timed alongside")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="golive-pycache-") as pycache:
        times = _measure(args.runs, None if args.no_bytecode else pycache, args.baseline)
    load_after = os.getloadavg()
    bytecode = "none (PYTHONDONTWRITEBYTECODE=1)" if args.no_bytecode else "cached (scratch pycache prefix)"
    print(f"runs: {args.runs} each, interleaved; target {TARGET_S:.2f} s whole-process wall time")
    print(f"bytecode: {bytecode}")
    _print(times)
    print(
        "load average (1, 5, 15 min): before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}".format(
            *load_before, *load_after
        )
    )
    print(f"cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()

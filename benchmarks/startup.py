"""Start-up benchmark: whole-process wall time of `golive validate examples/storefront` and
`golive --help`, side by side with `python -c pass` in the same run.

Each command runs N times, interleaved (one of each per round, so a load spike hits all of
them alike); the median is printed, with golive's own share (median minus the interpreter's)
and the ratio to the target (issue #17: both under 0.3 s of whole-process wall time on
2 cores). The machine's load average is printed with the figures: on a busy machine they
are high by that much, so compare ratios and re-run on a quiet machine.

    .venv/bin/python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 0.3

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "golive validate storefront": [
        sys.executable,
        "-m",
        "golive",
        "validate",
        str(REPO / "examples/storefront"),
    ],
    "golive --help": [sys.executable, "-m", "golive", "--help"],
}


def _once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=REPO)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    args = parser.parse_args()
    for argv in COMMANDS.values():  # warm the file cache and .pyc files; not counted
        _once(argv)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    load_before = os.getloadavg()
    for _ in range(args.runs):
        for name, argv in COMMANDS.items():
            times[name].append(_once(argv))
    load_after = os.getloadavg()
    base = statistics.median(times["python -c pass"])
    print(f"runs: {args.runs} each, interleaved; target {TARGET_S:.2f} s whole-process wall time")
    print(f"{'command':28} {'median':>8} {'min':>8} {'golive':>8} {'/target':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        own = median - base if name != "python -c pass" else 0.0
        ratio = f"{median / TARGET_S:7.2f}x" if name != "python -c pass" else ""
        print(f"{name:28} {median:7.3f}s {min(values):7.3f}s {own:7.3f}s {ratio:>8}")
    print(
        "load average (1, 5, 15 min): before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}".format(
            *load_before, *load_after
        )
    )
    print(f"cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()

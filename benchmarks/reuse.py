"""Evidence reuse: review storefront twice with ``--reuse 24h`` and print both wall times.

Target (issue #17, item 2): the second review of an unchanged storefront under 60 s. Both
runs happen back to back in one process tree, so the ratio is meaningful on a busy machine;
the load average is printed with the figures.

    .venv/bin/python benchmarks/reuse.py [--spec examples/storefront/golive.yaml]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 60.0


def review(spec: Path, out: Path, store: str) -> tuple[float, int, int]:
    """One review: (wall seconds, exit code, reused results)."""
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "golive",
            "review",
            str(spec),
            "--reuse",
            "24h",
            "-f",
            "json",
            "-o",
            str(out),
            "--store",
            store,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    report = out / "readiness-report.json"
    reused = (
        sum(1 for r in json.loads(report.read_text())["results"] if r.get("reused")) if report.exists() else 0
    )
    return wall, done.returncode, reused


def main() -> None:
    """Review twice, print the figures, the ratio to the target and the load average."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spec", type=Path, default=Path("examples/storefront/golive.yaml"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="golive-reuse-") as tmp:
        store = f"sqlite:///{Path(tmp) / 'history.db'}"
        first = review(args.spec, Path(tmp) / "first", store)
        second = review(args.spec, Path(tmp) / "second", store)
    load = os.getloadavg()
    print(f"first review : {first[0]:7.1f} s  exit {first[1]}  reused {first[2]}")
    print(f"second review: {second[0]:7.1f} s  exit {second[1]}  reused {second[2]}")
    print(
        f"second/first : {second[0] / first[0]:.2f}   "
        f"second/target({TARGET_S:g} s): {second[0] / TARGET_S:.2f}"
    )
    print(f"load average : {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

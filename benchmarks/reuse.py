"""Evidence reuse: review storefront twice with ``--reuse 24h`` and print both wall times.

Target (issue #17, item 2): the second review of an unchanged storefront under 60 s. Both
reviews run back to back on fresh free ports with one history store (exactly like
benchmarks/review.py), so the ratio is meaningful on a busy machine; the load average is
printed with the figures. For the second review it prints which criteria reused evidence
and its critical path: what is left once every reusable check is reused (the checks that
touch the running system, which are never reused).

    .venv/bin/python benchmarks/reuse.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from review import run_review, show  # benchmarks/review.py, beside this script

from golive.reporters.json import review_from_json

TARGET_S = 60.0
REUSE = ("--reuse", "24h")


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def _reused(report: Path) -> tuple[list[str], list[str]]:
    """(criteria whose evidence was reused, reusable criteria that ran) of one report."""
    review = review_from_json(report.read_text())
    reused = [r.criterion_id for r in review.results if r.reused is not None]
    ran = [r.criterion_id for r in review.results if r.reused is None and r.fingerprint]
    return reused, ran


def main() -> int:
    """Review twice, print the figures, the ratio to the target and the load average."""
    print(f"load average before {_load()}")
    with tempfile.TemporaryDirectory(prefix="golive-bench-reuse-") as tmp:
        store = Path(tmp) / "history.db"
        runs = [run_review(Path(tmp) / name, store=store, extra=REUSE) for name in ("first", "second")]
        for name, (report, wall, code) in zip(("first", "second"), runs, strict=True):
            reused, ran = _reused(report) if report.exists() else ([], [])
            print(f"{name:6} review: {wall:7.1f} s  exit {code}  reused {len(reused)}: {', '.join(reused)}")
            if ran:
                print(f"{'':15}reusable but run: {', '.join(ran)}")
        (_, first, _), (second_report, second, _) = runs
        print(f"second/first : {second / first:.2f}   second/target({TARGET_S:g} s): {second / TARGET_S:.2f}")
        print("second review (process wall time above includes set-up):")
        if second_report.exists():
            show(second_report)
    print(f"load average after  {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

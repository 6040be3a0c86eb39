"""Where the main job's time goes: wall time, critical path and the sum of check times.

Runs ``golive review examples/storefront`` once on fresh free ports and its own history
store (exactly like tests/test_main_job.py), or reads an existing JSON report with
``--report``, and prints:

* the review's wall time (set-up excluded: the stack is up before the clock starts) and its
  ratio to the 120 s target of issue #17;
* the critical path (the chain of checks that set the wall time, see
  golive.reporters._critical) and the sum of all check times, whose ratio to the wall time
  shows how well the engine overlaps work;
* the slowest checks, and the machine's load average before and after (timings on a busy
  machine are noisy: compare ratios, and re-run on a quiet one).

    .venv/bin/python benchmarks/review.py [--report path/to/readiness-report.json]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from golive.reporters._critical import CAUSE_LABEL, critical_path
from golive.reporters.json import review_from_json

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.fixtures.storefront_review import STOREFRONT, review_env  # noqa: E402

TARGET_S = 120.0


def run_review(tmp: Path, *, store: Path | None = None, extra: Sequence[str] = ()) -> tuple[Path, float, int]:
    """(JSON report, process wall seconds including set-up, exit code) of one review.

    The history store is ``tmp/history.db`` unless ``store`` names one; ``extra`` are more
    arguments of ``golive review`` (e.g. ``--reuse 24h``).
    """
    out = tmp / "reports"
    argv = [sys.executable, "-m", "golive", "review", str(STOREFRONT), "-o", str(out), *extra]
    argv += ["--store", f"sqlite:///{store or tmp / 'history.db'}"]
    start = time.monotonic()
    try:
        proc = subprocess.run(argv, env=review_env(), capture_output=True, text=True, timeout=1800)
    finally:
        state = STOREFRONT / ".golive/monitoring-stack"
        down = [sys.executable, "-m", "golive", "monitoring", "down", "--state", str(state)]
        subprocess.run(down, capture_output=True, timeout=60)
    return out / "readiness-report.json", time.monotonic() - start, proc.returncode


def show(report: Path) -> None:
    """Print the figures of one review report."""
    review = review_from_json(report.read_text())
    path = critical_path(review)
    print(f"decision            {review.decision.value}")
    ratio = path.wall_s / TARGET_S
    print(f"review wall time    {path.wall_s:7.1f} s   (target {TARGET_S:.0f} s: {ratio:.2f}x of it)")
    print(f"sum of check times  {path.busy_s:7.1f} s   (overlap {path.overlap:.2f}x of the wall time)")
    print(f"critical path       {path.path_s:7.1f} s of checks running, {len(path.steps)} steps:")
    for s in path.steps:
        waited = f", waited {s.waited_s:.1f} s" if s.waited_s > 0.05 else ""
        print(
            f"  {s.started_s:7.1f} -> {s.finished_s:7.1f} s  {s.duration_s:6.1f} s  "
            f"{s.criterion_id} ({CAUSE_LABEL[s.cause]}{waited})"
        )
    for r in review.results:
        if r.status.value != "pass":
            print(f"NOT PASSED {r.criterion_id}: {r.status.value}: {r.summary[:300]}")
    print("slowest checks:")
    for r in sorted(review.results, key=lambda r: r.duration_s, reverse=True)[:10]:
        timing = f"start {r.started_s:6.1f}  waited {r.waited_s:6.1f}"
        print(f"  {r.duration_s:6.1f} s  {timing}  {r.criterion_id}")


def main() -> int:
    """Run (or read) one review and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="read this readiness-report.json instead of reviewing")
    parser.add_argument("--keep", type=Path, help="review into this directory and keep its reports")
    args = parser.parse_args()
    print(f"load average before {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    if args.report is not None:
        show(args.report)
        return 0
    with tempfile.TemporaryDirectory(prefix="golive-bench-review-") as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        report, wall, code = run_review(where)
        print(f"process wall time   {wall:7.1f} s   (set-up and report writing included), exit {code}")
        if not report.exists():
            print("no report written")
            return 1
        show(report)
    load = os.getloadavg()
    print(f"load average after  {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

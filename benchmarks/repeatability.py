"""Repeatability of the main job: the healthy storefront must get GO every time.

Runs ``golive review examples/storefront`` N times back to back (default 5), each on fresh
free ports and its own history store, exactly like tests/test_main_job.py, and prints the
decision of each run, its wall time, and every criterion that did not pass. Any flip from GO is
a defect to fix at its cause, never by loosening a threshold.

    .venv/bin/python benchmarks/repeatability.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.fixtures.storefront_review import STOREFRONT, review_env  # noqa: E402


def one_run(index: int, tmp: Path) -> tuple[str, float, dict[str, str]]:
    """(decision, seconds, {criterion: summary} of what did not pass) of one review."""
    out = tmp / f"run-{index}"
    env = review_env()
    argv = [
        sys.executable,
        "-m",
        "golive",
        "review",
        str(STOREFRONT),
        "-o",
        str(out),
        "--store",
        f"sqlite:///{out / 'history.db'}",
    ]
    start = time.monotonic()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=1800)
    elapsed = time.monotonic() - start
    report = out / "readiness-report.json"
    if not report.exists():
        return f"no report (exit {proc.returncode})", elapsed, {"-": proc.stderr[-500:]}
    data = json.loads(report.read_text())
    missed = {
        r["criterion_id"]: f"{r['status']}: {r['summary']}" for r in data["results"] if r["status"] != "pass"
    }
    return data["decision"], elapsed, missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    decisions = []
    with tempfile.TemporaryDirectory(prefix="golive-repeat-") as tmp:
        for i in range(1, args.runs + 1):
            decision, seconds, missed = one_run(i, Path(tmp))
            decisions.append(decision)
            print(f"run {i}: {decision} in {seconds:.0f} s", flush=True)
            for cid, summary in missed.items():
                print(f"    {cid}: {summary[:300]}", flush=True)
    go = sum(d == "GO" for d in decisions)
    print(f"decisions: {', '.join(decisions)}; GO in {go} of {len(decisions)} (target: every run)")
    return 0 if go == len(decisions) else 1


if __name__ == "__main__":
    raise SystemExit(main())

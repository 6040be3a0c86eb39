"""The long spec fuzz run (issue #15, "Must show"): at least 10,000 mutated specs.

Every case must load or raise a SpecError whose every problem has a real line and column;
``--cli N`` also runs the real ``golive validate`` on the first N cases (exit 0 or 2, no
traceback, under 5 s each). Prints counts per mutation, outcome counts, the worst time and each
failure with its reproducer; exits 1 when any case failed.

    .venv/bin/python benchmarks/fuzz_specs.py [--seed 1] [--cases 10000] [--cli 100]
    .venv/bin/python benchmarks/fuzz_specs.py --seed 1 --case 1234 --write case.yaml
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from golive.checks.registry import CheckRegistry  # noqa: E402
from golive.errors import SpecError  # noqa: E402
from golive.spec import SpecLoader  # noqa: E402
from tests.spec._fuzz import case, judge, seeds  # noqa: E402

CLI_LIMIT_S = 5.0


def _cli(args: argparse.Namespace, failures: list[str]) -> float:
    worst = 0.0
    spec = Path(args.workdir) / "fuzz-case.yaml"
    for index in range(args.cli):
        c = case(args.seed, index)
        spec.write_text(c.text, encoding="utf-8", errors="surrogatepass")
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "golive", "validate", str(spec)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        took = time.monotonic() - start
        worst = max(worst, took)
        out = proc.stdout + proc.stderr
        if proc.returncode not in (0, 2) or "Traceback" in out or took > CLI_LIMIT_S:
            failures.append(
                f"cli case {index}: exit {proc.returncode}, {took:.2f}s: {out[-300:]}\n  {c.reproducer}"
            )
    return worst


def main() -> int:
    """Run the fuzz cases and print the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--cli", type=int, default=100, help="cases also run through `golive validate`")
    parser.add_argument("--case", type=int, help="only this case")
    parser.add_argument("--write", help="write the case's text to this file")
    parser.add_argument("--workdir", default="/tmp")
    args = parser.parse_args()
    if args.case is not None:
        c = case(args.seed, args.case)
        print(f"case {c.index}: {c.base}, {' + '.join(c.mutations)}")
        if args.write:
            Path(args.write).write_text(c.text, encoding="utf-8", errors="surrogatepass")
        args.cases, args.cli, first = args.case + 1, 0, args.case
    else:
        first = 0
    loader = SpecLoader(CheckRegistry.default())
    kinds: collections.Counter[str] = collections.Counter()
    outcomes: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    worst, worst_case = 0.0, -1
    start = time.monotonic()
    for index in range(first, args.cases):
        c = case(args.seed, index)
        kinds.update(c.mutations)
        t0 = time.monotonic()
        why = judge(loader, c)
        took = time.monotonic() - t0
        if took > worst:
            worst, worst_case = took, index
        if why:
            failures.append(f"case {index} ({c.base}, {'+'.join(c.mutations)}): {why}\n  {c.reproducer}")
            outcomes["FAILED"] += 1
        else:
            try:
                loader.loads(c.text)
                outcomes["loaded"] += 1
            except SpecError:
                outcomes["spec error"] += 1
    elapsed = time.monotonic() - start
    cli_worst = _cli(args, failures) if args.cli else 0.0
    print(f"seed {args.seed}: {args.cases - first} cases from {len(seeds())} seeds in {elapsed:.1f}s")
    print("outcomes:", dict(outcomes))
    print("mutations:", dict(sorted(kinds.items())))
    print(f"worst in-process load: {worst * 1000:.0f} ms (case {worst_case})")
    if args.cli:
        print(f"golive validate: {args.cli} cases, worst {cli_worst:.2f}s")
    print(f"failures: {len(failures)}")
    for f in failures:
        print(f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

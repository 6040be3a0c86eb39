"""The spec fuzz suite (issue #15, "Must show"): mutated specs never give an internal error.

A bounded, seeded run of tests/spec/_fuzz.py: every case either loads or raises a SpecError
whose every problem sits at a real line and column of the file. A sample also goes through
the real ``golive validate``: exit 0 or 2, no traceback, within a time guard. The long run
(10,000 cases and more, with counts and the worst time) is ``benchmarks/fuzz_specs.py``.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from golive.checks.registry import CheckRegistry
from golive.spec import SpecLoader
from tests.spec._fuzz import TEXT_MUTATIONS, case, judge, seeds

SEED = 15
SHARDS = 6
PER_SHARD = 200  # 1,200 in-process cases over six shards, so that -n 2 spreads them
CLI_CASES = 12


@pytest.fixture(scope="module")
def loader() -> SpecLoader:
    return SpecLoader(CheckRegistry.default())


def test_seeds_cover_every_check_type(loader: SpecLoader) -> None:
    used = {c.check.type for _, text in seeds() for c in loader.loads(text).criteria}
    assert used == {name for name, _ in CheckRegistry.default().items()}


def test_cases_are_reproducible_and_varied() -> None:
    assert case(SEED, 7) == case(SEED, 7)
    kinds = {m for i in range(400) for m in case(SEED, i).mutations}
    assert set(TEXT_MUTATIONS) <= kinds and {"tree_replace", "tree_delete", "tree_add"} <= kinds


@pytest.mark.parametrize("shard", range(SHARDS))
def test_mutated_specs_load_or_fail_with_real_positions(loader: SpecLoader, shard: int) -> None:
    failures = []
    for index in range(shard * PER_SHARD, (shard + 1) * PER_SHARD):
        c = case(SEED, index)
        why = judge(loader, c)
        if why:
            failures.append(f"case {index} ({c.base}, {'+'.join(c.mutations)}): {why}\n  {c.reproducer}")
    assert failures == []


def _validate(spec: Path) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "golive", "validate", str(spec)],
        capture_output=True,
        text=True,
        timeout=30,  # a hang guard: a run takes about 1 s
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_cli_validate_on_mutated_specs(tmp_path: Path) -> None:
    cases = [case(SEED + 1, index) for index in range(CLI_CASES)]
    paths = []
    for c in cases:
        paths.append(tmp_path / f"case{c.index}.yaml")
        paths[-1].write_text(c.text, encoding="utf-8", errors="surrogatepass")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_validate, paths))
    bad = [
        (c.reproducer, code, output[-1500:])
        for c, (code, output) in zip(cases, results, strict=True)
        if code not in (0, 2) or "Traceback" in output
    ]
    assert bad == []
    assert {code for code, _ in results} == {0, 2} or {code for code, _ in results} == {2}

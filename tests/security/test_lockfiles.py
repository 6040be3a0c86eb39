"""security.dependencies reads the lock files of every common package manager (issue #16).

Before: ranges in pyproject.toml were reported "not pinned" although uv.lock pinned them, and
bun.lock / pnpm-lock.yaml / yarn.lock / Pipfile.lock / go.sum were ignored or called unreadable.
The lock files under tests/fixtures/security/locks/ follow each tool's format.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from golive.results import Outcome, Status
from golive.security import checks as sec
from golive.security._deps import discover, read_dependencies, unsupported
from golive.security.render import from_json
from tests.security.conftest import OSV_DIR, run_check

LOCKS = Path(__file__).resolve().parents[1] / "fixtures" / "security" / "locks"


def _read(name: str) -> dict[str, str]:
    """``{package: version}`` read from a fixture directory, keyed ``ecosystem:name``."""
    root = LOCKS / name
    read = read_dependencies(discover(root, None, ()), root)
    return {f"{p.ecosystem}:{p.name}": p.version for p in read.packages}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "uv",
            {
                "PyPI:fastapi": "0.115.6",
                "PyPI:httpx": "0.28.1",
                "PyPI:pytest": "7.4.4",
                "PyPI:pyyaml": "5.3.1",
            },
        ),
        ("piptools", {"PyPI:certifi": "2024.8.30", "PyPI:pyyaml": "5.3.1", "PyPI:requests": "2.32.3"}),
        ("pipenv", {"PyPI:flask": "3.0.3", "PyPI:pyyaml": "5.3.1", "PyPI:pytest": "8.3.3"}),
        ("npm", {"npm:express": "4.21.1", "npm:lodash": "4.17.15", "npm:@types/node": "22.10.2"}),
        (
            "pnpm9",
            {
                "npm:@types/prop-types": "15.7.13",
                "npm:@types/react": "18.3.12",
                "npm:js-tokens": "4.0.0",
                "npm:lodash": "4.17.15",
                "npm:loose-envify": "1.4.0",
                "npm:react": "18.3.1",
            },
        ),
        ("pnpm6", {"npm:lodash": "4.17.15", "npm:react-dom": "18.2.0", "npm:react": "18.2.0"}),
        (
            "bun",
            {
                "npm:@types/bun": "1.1.14",
                "npm:bun-types": "1.1.37",
                "npm:@types/node": "20.12.14",
                "npm:hono": "4.6.14",
                "npm:lodash": "4.17.15",
                "npm:undici-types": "5.26.5",
            },
        ),
        (
            "yarn1",
            {"npm:@babel/code-frame": "7.12.13", "npm:@babel/highlight": "7.13.10", "npm:lodash": "4.17.15"},
        ),
        ("berry", {"npm:lodash": "4.17.15"}),
        ("go", {"Go:github.com/go-chi/chi/v5": "5.1.0", "Go:golang.org/x/text": "0.3.7"}),
    ],
)
def test_each_lock_format_gives_its_exact_versions(name: str, expected: dict[str, str]) -> None:
    assert _read(name) == expected


def test_ranges_pinned_by_uv_lock_are_not_unpinned() -> None:
    root = LOCKS / "uv"
    read = read_dependencies(discover(root, None, ()), root)
    assert read.unpinned == []
    assert read.counts == {"pyproject.toml": 0, "uv.lock": 4}


def _run(root: Path, osv: Path = OSV_DIR) -> Outcome:
    return run_check(
        sec.DependenciesCheck, {"osv_db": str(osv)}, root, artifacts=root.parent / f"art-{root.name}"
    )


def _findings(outcome: Outcome) -> set[tuple[str, str]]:
    path = next(a for a in outcome.evidence.artifacts if a.endswith("findings.json"))
    report = from_json(json.loads(Path(path).read_text()))
    return {(f.rule_id, f.location.path) for f in report.findings}


def _copy(tmp_path: Path, *names: str) -> Path:
    root = tmp_path / "repo"
    for name in names:
        shutil.copytree(LOCKS / name, root / name)
    return root


def test_uv_project_reports_the_lock_and_no_unpinned_warning(tmp_path: Path) -> None:
    # Before: "4 dependencies not pinned to an exact version" (15 on the real project) with uv.lock there.
    root = _copy(tmp_path, "uv")
    outcome = _run(root)
    text = outcome.summary + "\n" + outcome.evidence.excerpt
    assert "not pinned" not in text
    assert ("PYSEC-2021-142", "uv/uv.lock") in _findings(outcome)
    assert "4 pinned package(s) from uv/pyproject.toml (0 packages), uv/uv.lock (4 packages)" in text
    assert outcome.status is Status.FAIL  # the vulnerable pyyaml the lock pins


def test_node_and_go_locks_are_matched_and_named(tmp_path: Path) -> None:
    root = _copy(tmp_path, "bun", "pnpm9", "yarn1", "go")
    osv = tmp_path / "osv"
    shutil.copytree(OSV_DIR, osv)
    shutil.copytree(LOCKS / "osv", osv, dirs_exist_ok=True)
    outcome = _run(root, osv)
    found = _findings(outcome)
    # lodash 4.17.15 is locked by all three: one package, reported at the first lock.
    assert found == {("GHSA-p6mc-m468-83gw", "bun/bun.lock"), ("GOLIVE-TEST-GO-0001", "go/go.sum")}
    text = outcome.evidence.excerpt
    for read in ("bun/bun.lock (6", "pnpm9/pnpm-lock.yaml (6", "yarn1/yarn.lock (3", "go/go.sum (2"):
        assert read + " packages)" in text
    assert "not read" not in text and "cannot read" not in text


def test_binary_bun_lockb_is_named_as_unreadable_with_the_fix(tmp_path: Path) -> None:
    root = _copy(tmp_path, "bunb")
    assert unsupported(root, ()) == [root / "bunb" / "bun.lockb"]  # package.json is covered by it
    outcome = _run(root)
    text = outcome.summary + "\n" + outcome.evidence.excerpt
    assert "bunb/bun.lockb (bun's binary lock file cannot be read" in text
    assert "bun install --save-text-lockfile" in text


def test_package_json_without_any_lock_is_said(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(LOCKS / "npm" / "package.json", root / "package.json")
    outcome = _run(root)
    text: Any = outcome.evidence.excerpt
    assert "package.json (dependencies declared without a lock file" in text

"""House rules enforced by the test suite: mypy --strict and ruff over the code base."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.xdist_group("quality")
def test_mypy_strict() -> None:
    proc = subprocess.run(
        [str(BIN / "mypy"), "--strict", "src/golive"], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.xdist_group("quality")
def test_ruff() -> None:
    proc = subprocess.run(
        [str(BIN / "ruff"), "check", "src", "tests", "benchmarks"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_module_and_public_name_has_a_docstring() -> None:
    import ast

    missing = []
    for path in sorted((REPO / "src" / "golive").rglob("*.py")):
        tree = ast.parse(path.read_text())
        rel = path.relative_to(REPO)
        if not ast.get_docstring(tree):
            missing.append(f"{rel}: module")
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                if not node.name.startswith("_") and not ast.get_docstring(node):
                    missing.append(f"{rel}:{node.lineno}: {node.name}")
    assert missing == []


@pytest.mark.xdist_group("quality")
def test_ruff_format() -> None:
    proc = subprocess.run(
        [str(BIN / "ruff"), "format", "--check", "src", "tests", "benchmarks"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _sources() -> list[tuple[str, str]]:
    return [
        (path.relative_to(REPO / "src" / "golive").as_posix(), path.read_text())
        for path in sorted((REPO / "src" / "golive").rglob("*.py"))
    ]


# One service of the shared floor each, and where it lives: nothing else may re-implement it.
FLOOR = [
    (
        re.compile(r"create_subprocess_exec|subprocess\.(Popen|run|call|check_output)|os\.killpg"),
        "kit/processes.py",
    ),
    (re.compile(r"/api/v1/"), "kit/prometheus.py"),
    (re.compile(r"\{\*\*(os\.)?environ\b|\*\*os\.environ|\*\*self\.environ\b"), "kit/environment.py"),
    (re.compile(r"^\s*(async )?def _?free_port\(", re.M), "kit/processes.py"),
    (re.compile(r"os\.replace\(|def _?atomic_write"), "kit/files.py"),
]


@pytest.mark.parametrize(("pattern", "home"), FLOOR, ids=[home + ":" + p.pattern[:30] for p, home in FLOOR])
def test_floor_services_live_in_one_place(pattern: re.Pattern[str], home: str) -> None:
    offenders = [
        f"{rel}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
        for rel, text in _sources()
        if rel != home
        for m in pattern.finditer(text)
    ]
    assert offenders == [], f"use golive/{home} instead"


def test_modules_and_functions_are_short_enough_to_read() -> None:
    import ast

    too_long = []
    for rel, text in _sources():
        lines = text.count("\n")
        if lines > 500:
            too_long.append(f"{rel}: module of {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 80:
                    too_long.append(f"{rel}:{node.lineno}: {node.name} has {length} lines")
    assert too_long == []


def test_families_come_in_through_one_door() -> None:
    """No registration list beside the entry points, and the core imports no family."""
    families = ("monitoring", "testing", "security", "dr", "runbook", "load", "deploy")
    core = (
        "engine/",
        "spec/",
        "reporters/",
        "checks/",
        "kit/",
        "cli/",
        "history/",
        "results.py",
        "scoring.py",
    )
    leaks = [
        f"{rel}: imports golive.{fam}"
        for rel, text in _sources()
        if rel.startswith(core)
        for fam in families
        if re.search(rf"^\s*(from|import) golive\.{fam}\b", text, re.M)
    ]
    registries = [
        rel for rel, text in _sources() if re.search(r"CHECK_TYPES|FAMILY_CLIS|_REPORTER_PATHS", text)
    ]
    assert leaks == [] and registries == []

"""House rules enforced by the test suite: mypy --strict and ruff over the code base."""

from __future__ import annotations

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

"""The default branch: origin/HEAD first, then the only local branch, then CI's push branch."""

from __future__ import annotations

import shutil
from pathlib import Path

from golive.discover import discover
from tests.discover.conftest import at
from tests.fixtures.services import make_repo


def test_origin_head_wins_over_the_checked_out_branch(tmp_path: Path) -> None:
    repo = make_repo("fastapi_uv", tmp_path, remote=True, checkout="feature/stock-alerts")
    assert at(discover(repo).default_branch) == ("master", ".git/refs/remotes/origin/HEAD", None)


def test_the_only_local_branch_without_a_remote(tmp_path: Path) -> None:
    repo = make_repo("node_express", tmp_path)
    assert at(discover(repo).default_branch) == ("trunk", ".git/HEAD", None)


def test_a_feature_branch_checked_out_without_a_remote_is_not_taken(tmp_path: Path) -> None:
    """Two local branches and no origin: CI's push branch decides, not the branch checked out."""
    work = make_repo("django_piptools", tmp_path, remote=True, checkout="feature/x")
    (work / ".git" / "refs" / "remotes" / "origin" / "HEAD").unlink()
    facts = discover(work)
    assert at(facts.default_branch) == ("stable", ".github/workflows/ci.yml", 5)


def test_no_git_and_no_ci_is_an_unknown(tmp_path: Path) -> None:
    repo = make_repo("flask_poetry", tmp_path)
    shutil.rmtree(repo / ".git")
    facts = discover(repo)
    assert facts.default_branch is None
    assert any(u.startswith("The default branch could not be decided") for u in facts.unknowns)

"""security.secrets reads ALL of git history and says what it covered.

Real repositories of 200+ commits (git fast-import), real detect-secrets. Before issue #14 the
scan saw only part of the history (a tail-capped patch, then a default of the newest 200
commits), reported no coverage, and missed keys that lived only in the commits it did not read.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from golive.results import Outcome, Status
from golive.security import checks as sec
from golive.security.render import from_json
from tests.security.conftest import run_check
from tests.security.gitrepo import FILLER, build_repo, git, notes_commit

pytestmark = pytest.mark.slow

_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def aws_key(seed: int) -> str:
    """An AWS-shaped access key id (not a real one)."""
    rng = random.Random(seed)
    return "AKIA" + "".join(rng.choice(_KEY_ALPHABET) for _ in range(16))


def _measure(outcome: Outcome, name: str) -> float:
    return next(m.value for m in outcome.measurements if m.name == name)


def _findings(outcome: Outcome) -> list[Any]:
    path = next(a for a in outcome.evidence.artifacts if a.endswith("findings.json"))
    return list(from_json(json.loads(Path(path).read_text())).findings)


def _key_in_history(root: Path, commits: int, add_at: int, remove_at: int, key: str) -> list[str]:
    def changes(i: int) -> dict[str, str | None]:
        out = notes_commit(i)
        if i == add_at:
            out["deploy/cloud.env"] = f"AWS_REGION=eu-west-1\nAWS_ACCESS_KEY_ID={key}\n"
        if i == remove_at:
            out["deploy/cloud.env"] = "AWS_REGION=eu-west-1\n"
        return out

    return build_repo(root, commits, changes)


def _scan(root: Path, tmp: Path, **params: Any) -> Outcome:
    return run_check(sec.SecretsCheck, params, root, artifacts=tmp / "artifacts")


def _assert_found_in(outcome: Outcome, sha: str) -> None:
    assert outcome.status is Status.FAIL, outcome.summary
    hits = [f for f in _findings(outcome) if f.rule_id == "secret.aws-access-key"]
    assert hits, [f.rule_id for f in _findings(outcome)]
    assert hits[0].location.path == "deploy/cloud.env" and hits[0].location.line == 2
    assert f"commit {sha[:12]}" in hits[0].title


@pytest.mark.parametrize(("add_at", "remove_at"), [(199, 200), (3, 4)], ids=["recent", "early-deleted"])
def test_200_commits_all_read_and_the_key_found(add_at: int, remove_at: int, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    key = aws_key(add_at)
    shas = _key_in_history(root, 200, add_at, remove_at, key)
    # The patch golive reads is far over the 256 KiB the old output cap kept.
    assert len(git(root, "log", "-p", "--all")) > 256 * 1024
    assert key not in (root / "deploy" / "cloud.env").read_text()

    outcome = _scan(root, tmp_path)

    _assert_found_in(outcome, shas[add_at - 1])
    assert _measure(outcome, "detect-secrets_history_commits_asked") == 200
    assert _measure(outcome, "detect-secrets_history_commits_scanned") == 200
    assert _measure(outcome, "detect-secrets_history_commits_coverage") == 100
    assert "200 of 200 history commits analysed" in outcome.summary
    assert key not in outcome.summary + outcome.evidence.excerpt


def test_no_default_cap_on_commits(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shas = _key_in_history(root, 260, 2, 3, aws_key(2))
    outcome = _scan(root, tmp_path)
    _assert_found_in(outcome, shas[1])
    assert _measure(outcome, "detect-secrets_history_commits_scanned") == 260


def test_max_commits_is_stated_not_hidden(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _key_in_history(root, 200, 2, 3, aws_key(5))
    outcome = _scan(root, tmp_path, max_commits=50)
    # golive was asked for the newest 50 commits: all 50 read, and the report says so.
    assert outcome.status is Status.PASS, outcome.summary
    assert _measure(outcome, "detect-secrets_history_commits_asked") == 50
    assert (
        "history: 50 of 200 commit(s) read (the newest 50, as max_commits asks)" in outcome.evidence.excerpt
    )


def test_shallow_clone_is_not_a_complete_history(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    _key_in_history(origin, 20, 2, 3, aws_key(7))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(clone))
    outcome = _scan(clone, tmp_path)
    assert outcome.status is Status.FAIL
    assert "shallow clone" in outcome.summary and "fetch-depth: 0" in outcome.summary


def test_side_branch_and_merge_resolution_are_read(tmp_path: Path) -> None:
    """A key added and removed on a merged branch, and one a merge commit itself introduced."""
    root = tmp_path / "repo"
    build_repo(root, 3, notes_commit)
    side_key, merge_key = aws_key(11), aws_key(12)
    git(root, "checkout", "-q", "-b", "side")
    (root / "side.env").write_text(f"KEY={side_key}\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "side: add")
    (root / "side.env").unlink()
    git(root, "commit", "-qam", "side: remove")
    git(root, "checkout", "-q", "main")
    (root / "app.cfg").write_text("mode = main\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "main: config")
    git(root, "merge", "-q", "--no-ff", "--no-commit", "side")
    (root / "app.cfg").write_text(f"mode = main\nkey = {merge_key}\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "merge side")
    (root / "app.cfg").write_text("mode = main\n")
    git(root, "commit", "-qam", "drop key")

    outcome = _scan(root, tmp_path)

    places = {(f.location.path, f.location.line) for f in _findings(outcome) if "aws" in f.rule_id}
    assert places == {("side.env", 1), ("app.cfg", 2)}
    merge_sha = git(root, "rev-parse", "HEAD~1").strip()
    app = next(f for f in _findings(outcome) if f.location.path == "app.cfg")
    assert f"commit {merge_sha[:12]}" in app.title


def test_odd_file_names_in_history(tmp_path: Path) -> None:
    """git C-quotes some names in patches (quotes, backslashes); golive reads them anyway."""
    root = tmp_path / "repo"
    names = ['conf/clé "prod".env', "conf/back\\slash.env"]

    def changes(i: int) -> dict[str, str | None]:
        if i == 2:
            return {name: f"KEY={aws_key(20 + n)}\n" for n, name in enumerate(names)}
        if i == 3:
            return dict.fromkeys(names)
        return notes_commit(i)

    build_repo(root, 4, changes)
    outcome = _scan(root, tmp_path)
    assert {f.location.path for f in _findings(outcome) if "aws" in f.rule_id} == set(names)


def test_scanner_json_over_256_kib_is_read_whole(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    keys = [aws_key(1000 + i) for i in range(2000)]
    root.mkdir()
    (root / "leaked.txt").write_text("".join(f"k{i} {k}\n" for i, k in enumerate(keys)))
    outcome = _scan(root, tmp_path, history=False)
    # detect-secrets prints about 190 bytes of JSON per result: well over 256 KiB here.
    assert outcome.status is Status.FAIL
    assert _measure(outcome, "findings_high") == 2000


def test_files_detect_secrets_would_skip_are_scanned(tmp_path: Path) -> None:
    """A lock file, a 'swagger' path, a Latin-1 file and an allowlist pragma hide nothing."""
    root = tmp_path / "repo"
    (root / "deploy").mkdir(parents=True)
    (root / "swagger").mkdir()
    (root / "deploy" / "registry.lock").write_text(f"aws = {aws_key(31)}\n")
    (root / "swagger" / "settings.py").write_text(f'AWS = "{aws_key(32)}"\n')
    (root / "legacy.py").write_bytes(f'caf\xe9 = "{aws_key(33)}"\n'.encode("latin-1"))
    (root / "ok.py").write_text(f'AWS = "{aws_key(34)}"  # pragma: allowlist secret\n')
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0" + FILLER.encode())
    outcome = _scan(root, tmp_path, history=False)
    paths = {f.location.path for f in _findings(outcome) if f.rule_id == "secret.aws-access-key"}
    assert paths == {"deploy/registry.lock", "swagger/settings.py", "legacy.py", "ok.py"}
    assert _measure(outcome, "detect-secrets_files_asked") == 4  # the PNG is listed, not scanned
    assert "1 binary file(s) not scanned (e.g. logo.png)" in outcome.evidence.excerpt


def test_not_a_git_work_tree_is_said(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "README.md").write_text("A directory, not a repository.\n")
    outcome = _scan(root, tmp_path)
    assert "git history not scanned" in outcome.evidence.excerpt
    assert "history commits" not in outcome.summary

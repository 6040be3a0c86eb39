"""Atomic writes and the one policy for generated files."""

from __future__ import annotations

import json
from pathlib import Path

from golive.kit.files import MANIFEST, Action, GeneratedFiles, atomic_write


def test_atomic_write_replaces_whole_and_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "a" / "f.sh"
    atomic_write(target, "one\n", 0o755)
    atomic_write(target, b"two\n", 0o755)
    assert target.read_text() == "two\n" and target.stat().st_mode & 0o777 == 0o755
    assert [p.name for p in target.parent.iterdir()] == ["f.sh"]


def test_generated_files_never_clobber_a_users_edit(tmp_path: Path) -> None:
    gen = GeneratedFiles(root=tmp_path, generator="golive init test")
    written, conflicts = gen.write({"a.txt": "one\n", "b.txt": "b\n"})
    assert sorted(written) == ["a.txt", "b.txt"] and conflicts == []
    # Unchanged since golive wrote it: a new version is an update.
    assert [p.action for p in gen.plan({"a.txt": "two\n"})] == [Action.UPDATE]
    (tmp_path / "a.txt").write_text("mine\n")
    planned = gen.plan({"a.txt": "two\n"})
    assert planned[0].action is Action.CONFLICT and "-mine" in planned[0].diff
    written, conflicts = gen.write({"a.txt": "two\n"})
    assert written == [] and [c.relpath for c in conflicts] == ["a.txt"]
    assert (tmp_path / "a.txt").read_text() == "mine\n"
    written, _ = gen.write({"a.txt": "two\n"}, force=True)
    assert written == ["a.txt"] and (tmp_path / "a.txt").read_text() == "two\n"
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert set(manifest["files"]) == {"a.txt", "b.txt"}

"""The check registry: check types of every family from the `golive.families` entry points."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from golive.checks.registry import CheckRegistry, RegistryError
from golive.spec import SpecLoader
from tests.fixtures.plugin import install_plugin


@pytest.fixture
def plugin_dist(tmp_path: Path) -> Iterator[Path]:
    """The ACME plugin installed as a real distribution (dist-info on sys.path)."""
    root = install_plugin(tmp_path)
    sys.path.insert(0, str(root))
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.startswith("acme_golive")]:
            sys.modules.pop(name, None)


def test_plugin_from_entry_point_is_registered_and_validated(plugin_dist: Path) -> None:
    registry = CheckRegistry.default()
    assert "acme.file_count" in registry
    spec_text = textwrap.dedent(
        """
        service: {name: s}
        environments: {local: {base_url: "http://127.0.0.1:1"}}
        criteria:
          - id: lag
            title: Lag
            area: performance
            tier: should
            check: {type: acme.file_count, min_files: many}
        """
    )
    from golive.errors import SpecError

    with pytest.raises(SpecError) as info:
        SpecLoader(registry).loads(spec_text)
    messages = [str(p) for p in info.value.problems]
    assert any("acme.file_count check: missing required field 'path'" in m for m in messages)
    assert any("min_files: Input should be a valid integer" in m for m in messages)


def test_builtins_are_registered() -> None:
    names = list(CheckRegistry.default())
    assert {"file", "command", "http", "tcp"} <= set(names)


def test_duplicate_name_is_refused() -> None:
    registry = CheckRegistry.default()
    from golive.checks.command import CommandCheck

    class Impostor(CommandCheck):
        pass

    with pytest.raises(RegistryError, match="registered twice"):
        registry.register(Impostor)


def test_not_a_check_type_is_refused() -> None:
    class Nothing:
        pass

    with pytest.raises(RegistryError, match="is not a check type"):
        CheckRegistry().register(Nothing)  # type: ignore[arg-type]


def test_unknown_type_suggests() -> None:
    with pytest.raises(RegistryError, match=r"unknown check type 'htp' \(did you mean 'http'\?\)"):
        CheckRegistry.default().get("htp")


def test_broken_plugin_is_a_clear_error(tmp_path: Path) -> None:
    info = tmp_path / "broken_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[golive.families]\nbad = no_such_module:FAMILY\n")
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(RegistryError, match="cannot load golive family 'bad'"):
            CheckRegistry.default()
    finally:
        sys.path.remove(str(tmp_path))

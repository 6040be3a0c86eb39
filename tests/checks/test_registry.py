"""The check registry: plugins from the `golive.checks` entry-point group, clear errors."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from golive.checks.registry import CheckRegistry, RegistryError
from golive.spec import SpecLoader


@pytest.fixture
def plugin_dist(tmp_path: Path) -> Iterator[Path]:
    """An installed distribution (dist-info on sys.path) that advertises a check type."""
    (tmp_path / "acme_checks.py").write_text(
        textwrap.dedent(
            '''
            """A third-party check type."""
            from typing import ClassVar
            from golive.checks.base import Params
            from golive.results import Outcome, Status

            class KafkaParams(Params):
                topic: str
                max_lag: int = 100

            class KafkaLag:
                name: ClassVar[str] = "acme.kafka_lag"
                description: ClassVar[str] = "Consumer lag below a limit"
                Params: ClassVar[type[KafkaParams]] = KafkaParams

                async def run(self, params: KafkaParams, ctx: object) -> Outcome:
                    return Outcome(status=Status.PASS, summary=f"lag of {params.topic} ok")
            '''
        )
    )
    info = tmp_path / "acme_checks-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-checks\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[golive.checks]\nkafka = acme_checks:KafkaLag\n")
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("acme_checks", None)


def test_plugin_from_entry_point_is_registered_and_validated(plugin_dist: Path) -> None:
    registry = CheckRegistry.default()
    assert "acme.kafka_lag" in registry
    spec_text = textwrap.dedent(
        """
        service: {name: s}
        environments: {local: {base_url: "http://127.0.0.1:1"}}
        criteria:
          - id: lag
            title: Lag
            area: performance
            tier: should
            check: {type: acme.kafka_lag, max_lag: many}
        """
    )
    from golive.errors import SpecError

    with pytest.raises(SpecError) as info:
        SpecLoader(registry).loads(spec_text)
    messages = [str(p) for p in info.value.problems]
    assert any("acme.kafka_lag check: missing required field 'topic'" in m for m in messages)
    assert any("max_lag: Input should be a valid integer" in m for m in messages)


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
    (info / "entry_points.txt").write_text("[golive.checks]\nbad = no_such_module:Thing\n")
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(RegistryError, match="cannot load check plugin 'bad'"):
            CheckRegistry.default()
    finally:
        sys.path.remove(str(tmp_path))

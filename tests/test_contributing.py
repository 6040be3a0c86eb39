"""CONTRIBUTING.md's worked example is the plugin the tests install, character for character."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PLUGIN = REPO / "tests" / "fixtures" / "plugin"


def _examples() -> dict[str, str]:
    text = (REPO / "CONTRIBUTING.md").read_text()
    blocks = re.findall(r"```python\n# (acme_golive/[\w/]+\.py)\n(.*?)```", text, re.S)
    return dict(blocks)


def test_every_plugin_file_is_shown() -> None:
    shown = set(_examples())
    files = {p.relative_to(PLUGIN).as_posix() for p in (PLUGIN / "acme_golive").glob("*.py")}
    assert shown == files


@pytest.mark.parametrize("name", sorted(_examples()))
def test_example_matches_the_tested_plugin(name: str) -> None:
    assert _examples()[name] == (PLUGIN / name).read_text()

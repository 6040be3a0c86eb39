"""Helpers every command shares (src/golive/cli/_common.py): loading a spec pauses the collector."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from golive.cli._common import load_spec
from golive.errors import SpecError

STOREFRONT = Path(__file__).resolve().parents[2] / "examples" / "storefront"


@pytest.mark.parametrize("enabled", [True, False], ids=["enabled", "disabled"])
def test_loading_a_spec_leaves_the_collector_as_it_was(enabled: bool, tmp_path: Path) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        assert load_spec(STOREFRONT).criteria
        assert gc.isenabled() is enabled
        (tmp_path / "golive.yaml").write_text("service: [unclosed\n")
        with pytest.raises(SpecError):
            load_spec(tmp_path)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()

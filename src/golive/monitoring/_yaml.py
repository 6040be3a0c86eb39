"""Safe YAML reading for Prometheus, Alertmanager and promtool files."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from golive.monitoring.base import MonitoringError


def load_yaml(path: Path) -> Any:
    """Parse a YAML file into plain Python data; MonitoringError when it cannot."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MonitoringError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        raise MonitoringError(f"{path}: invalid YAML: {exc}") from None


def dump_yaml(data: Any) -> str:
    """YAML text of plain data, block style, keys in insertion order."""
    yaml = YAML(typ="rt", pure=True)
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    yaml.dump(_literal_blocks(data), stream)
    return stream.getvalue()


def _literal_blocks(data: Any) -> Any:
    # Multi-line PromQL reads far better as a ``|`` block than as an escaped string.
    if isinstance(data, str) and "\n" in data:
        return LiteralScalarString(data if data.endswith("\n") else data + "\n")
    if isinstance(data, dict):
        return {k: _literal_blocks(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_literal_blocks(v) for v in data]
    return data

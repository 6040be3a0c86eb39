"""Lock files beyond pip's and npm's own: Pipfile.lock, pnpm-lock.yaml, bun.lock, yarn.lock, go.sum.

Each parser takes the file's text and returns its locked packages (exact versions, registry
packages only: workspace, file, link and git entries have no version to match). Formats:

- ``Pipfile.lock``: JSON, ``default``/``develop`` maps of ``{"version": "==1.2.3"}``;
- ``pnpm-lock.yaml``: ``packages:`` keys ``/name/1.2.3`` (v5), ``/name@1.2.3(peer@1)`` (v6),
  ``name@1.2.3`` (v9);
- ``bun.lock``: JSON with comments and trailing commas; ``packages`` values start with
  ``"name@version"``;
- ``yarn.lock``: v1 (``version "1.2.3"`` under a ``"name@^1.0.0":`` header) and Berry (YAML,
  ``resolution: "name@npm:1.2.3"``);
- ``go.sum``: ``module version hash`` lines; ``/go.mod``-only lines are modules whose source is
  not in the build, skipped.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

GO = "Go"


def line_of(text: str, needle: str) -> int:
    """1-based line of the first occurrence of ``needle`` (0 when absent)."""
    idx = text.find(needle)
    return text.count("\n", 0, idx) + 1 if idx >= 0 else 0


def split_spec(spec: str) -> tuple[str, str]:
    """``@scope/name@1.2.3`` → ``("@scope/name", "1.2.3")``; the version is empty without one."""
    at = spec.find("@", 1)
    return (spec, "") if at < 0 else (spec[:at], spec[at + 1 :])


def _registry_version(version: str) -> bool:
    # workspace:, file:, link:, git and URL entries have no registry version to match.
    return bool(re.match(r"^v?\d", version))


def parse_pipfile_lock(text: str) -> list[tuple[str, str, int]]:
    """``(name, version, line)`` of every ``==`` pin in Pipfile.lock's default and develop sections."""
    data = json.loads(text)
    out = []
    for section in ("default", "develop"):
        for name, meta in (data.get(section) or {}).items():
            version = str(meta.get("version", "")) if isinstance(meta, dict) else ""
            if version.startswith("=="):
                out.append((str(name), version[2:], line_of(text, f'"{name}": {{')))
    return out


def parse_pnpm_lock(text: str) -> list[tuple[str, str, int]]:
    """``(name, version, line)`` of every entry of ``packages:`` (lockfile v5, v6 and v9)."""
    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        raise ValueError(f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("not a pnpm lock file (no mapping at the top)")
    major = str(data.get("lockfileVersion", "")).split(".", 1)[0]
    out = []
    for key in data.get("packages") or {}:
        raw = str(key).lstrip("/")
        spec = re.sub(r"\(.*$", "", raw)  # v6+: peer dependencies in parentheses
        if major.isdigit() and int(major) < 6 and "@" not in spec[1:]:
            name, _, version = spec.rpartition("/")
            version = version.split("_", 1)[0]  # v5: peer suffix after `_`
        else:
            name, version = split_spec(spec)
        if name and _registry_version(version):
            out.append((name, version, line_of(text, str(key))))
    return out


def _strip_jsonc(text: str) -> str:
    """JSON with ``//`` and ``/* */`` comments and trailing commas → JSON (strings untouched)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            end = i + 1
            while end < n and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[i : end + 1])
            i = end + 1
        elif text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else n
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            i = n if close < 0 else close + 2
        else:
            out.append(ch)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def parse_bun_lock(text: str) -> list[tuple[str, str, int]]:
    """``(name, version, line)`` of every registry package of a text ``bun.lock``."""
    data: Any = json.loads(_strip_jsonc(text))
    if not isinstance(data, dict) or not isinstance(data.get("packages"), dict):
        raise ValueError("not a bun.lock file (no packages)")
    out = []
    for key, entry in data["packages"].items():
        if not isinstance(entry, list) or not entry or not isinstance(entry[0], str):
            continue
        name, version = split_spec(entry[0])
        if name and _registry_version(version):
            out.append((name, version, line_of(text, f'"{key}": [')))
    return out


def parse_yarn_lock(text: str) -> list[tuple[str, str, int]]:
    """``(name, version, line)`` of every entry of a yarn.lock, v1 or Berry."""
    out = []
    header, start, version = "", 0, ""
    entries: list[tuple[str, int, str, str]] = []
    resolution = ""
    for number, raw in enumerate(text.splitlines(), 1):
        if raw and not raw[0].isspace() and raw.rstrip().endswith(":") and not raw.startswith("#"):
            entries.append((header, start, version, resolution))
            header, start, version, resolution = raw.rstrip()[:-1], number, "", ""
            continue
        match = re.match(r'^  (version|resolution):?\s+"?([^"\s]+)"?\s*$', raw)
        if match and header:
            if match.group(1) == "version":
                version = match.group(2)
            else:
                resolution = match.group(2)
    entries.append((header, start, version, resolution))
    for head, line, ver, res in entries:
        if not head or head == "__metadata":
            continue
        first = head.split(",", 1)[0].strip().strip('"')
        name, _ = split_spec(first)
        if res:  # Berry: only packages resolved from the npm registry
            name, resolved = split_spec(res)
            if not resolved.startswith("npm:"):
                continue
            ver = resolved[4:]
        if name and _registry_version(ver):
            out.append((name, ver, line))
    return out


def parse_go_sum(text: str) -> list[tuple[str, str, int]]:
    """``(module, version without the leading v, line)`` of every module whose source is summed."""
    out = []
    seen: set[tuple[str, str]] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        words = raw.split()
        if len(words) != 3 or words[1].endswith("/go.mod"):
            continue
        key = (words[0], words[1].removeprefix("v"))
        if key not in seen:
            seen.add(key)
            out.append((key[0], key[1], number))
    return out

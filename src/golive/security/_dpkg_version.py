"""Debian package versions ordered as dpkg orders them (``[epoch:]upstream[-revision]``).

OSV's Debian advisories give ECOSYSTEM ranges in these versions; :mod:`golive.security._osv`
compares them with :class:`DebVersion`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_VALID = re.compile(r"^(?:\d+:)?[0-9][A-Za-z0-9.+~:-]*$")


def _order(char: str) -> int:
    """dpkg's weight of one character of a non-digit run: ``~`` first, then the end, letters, others."""
    if char == "~":
        return -1
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _compare_part(a: str, b: str) -> int:
    """dpkg's verrevcmp: alternate non-digit runs (by weight) and digit runs (numerically)."""
    i = j = 0
    while i < len(a) or j < len(b):
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            x = _order(a[i]) if i < len(a) and not a[i].isdigit() else 0
            y = _order(b[j]) if j < len(b) and not b[j].isdigit() else 0
            if x != y:
                return -1 if x < y else 1
            i, j = i + 1, j + 1
        start_i, start_j = i, j
        while i < len(a) and a[i].isdigit():
            i += 1
        while j < len(b) and b[j].isdigit():
            j += 1
        x, y = int(a[start_i:i] or 0), int(b[start_j:j] or 0)
        if x != y:
            return -1 if x < y else 1
    return 0


@functools.total_ordering
@dataclass(frozen=True)
class DebVersion:
    """A Debian version, compared as dpkg --compare-versions does."""

    epoch: int
    upstream: str
    revision: str

    @classmethod
    def parse(cls, text: str) -> DebVersion:
        """Parse ``1:2.36-9+deb12u4``; ValueError when it is not a Debian version."""
        value = text.strip()
        if not _VALID.match(value):
            raise ValueError(f"not a Debian version: {text!r}")
        epoch, _, rest = value.partition(":") if ":" in value.split("-", 1)[0] else ("0", "", value)
        upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "")
        return cls(int(epoch), upstream, revision)

    def _compare(self, other: DebVersion) -> int:
        if self.epoch != other.epoch:
            return -1 if self.epoch < other.epoch else 1
        return _compare_part(self.upstream, other.upstream) or _compare_part(self.revision, other.revision)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, DebVersion):
            return NotImplemented
        return self._compare(other) < 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DebVersion):
            return NotImplemented
        return self._compare(other) == 0

    def __hash__(self) -> int:
        # Equal versions may be spelled differently (1.01 and 1.1): only the epoch is safe to hash.
        return hash(self.epoch)

"""Read Cobertura XML (coverage.py, JaCoCo converters, Istanbul, gcovr, ...)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from golive.testing.base import TestingError

_CONDITION = re.compile(r"\((\d+)/(\d+)\)")


@dataclass(frozen=True, kw_only=True)
class FileCoverage:
    """Coverage of one source file."""

    path: str
    package: str
    lines_valid: int
    lines_covered: int
    branches_valid: int
    branches_covered: int


@dataclass(frozen=True, kw_only=True)
class Totals:
    """Line and branch counts of a set of files (or the whole report)."""

    lines_valid: int
    lines_covered: int
    branches_valid: int
    branches_covered: int

    @property
    def line_rate(self) -> float | None:
        """Percent of lines covered; None without lines."""
        return None if not self.lines_valid else 100.0 * self.lines_covered / self.lines_valid

    @property
    def branch_rate(self) -> float | None:
        """Percent of branches covered; None when the report has no branch data."""
        return None if not self.branches_valid else 100.0 * self.branches_covered / self.branches_valid


@dataclass(frozen=True, kw_only=True)
class CoverageReport:
    """A parsed Cobertura report."""

    totals: Totals
    files: tuple[FileCoverage, ...]
    sources: tuple[str, ...]
    timestamp_ms: int | None = None

    def select(self, name: str) -> Totals:
        """Totals over the files of a package (``shop.services``) or path (``shop/services``)."""
        wanted = name.strip("/").replace("\\", "/")
        dotted = wanted.replace("/", ".")
        # ``shop.services`` may be a package or a path; ``calc.py`` is a file.
        paths = {"/" + wanted, "/" + wanted.replace(".", "/")}
        picked = []
        for f in self.files:
            candidates = ["/" + f.path.lstrip("/")] + [
                "/" + f"{s.rstrip('/')}/{f.path}".lstrip("/") for s in self.sources
            ]
            by_package = f.package == dotted or f.package.startswith(dotted + ".")
            by_path = any(
                c.endswith(p) or p + "/" in c or c.endswith(p + ".py") for c in candidates for p in paths
            )
            if by_package or by_path:
                picked.append(f)
        return _sum(picked)


def _sum(files: list[FileCoverage]) -> Totals:
    return Totals(
        lines_valid=sum(f.lines_valid for f in files),
        lines_covered=sum(f.lines_covered for f in files),
        branches_valid=sum(f.branches_valid for f in files),
        branches_covered=sum(f.branches_covered for f in files),
    )


def read_cobertura(path: Path) -> CoverageReport:
    """Parse a Cobertura file; counts come from the ``<line>`` elements of every class."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise TestingError(f"cannot read coverage report {path}: {exc}") from exc
    if root.tag != "coverage":
        raise TestingError(f"{path} is not a Cobertura report (root element <{root.tag}>)")
    # A file can appear in several <class> elements (one per class in some producers).
    per_file: dict[str, tuple[str, dict[int, tuple[bool, int, int]]]] = {}
    for package in root.iter("package"):
        pname = package.get("name", "")
        for cls in package.iter("class"):
            filename = cls.get("filename") or cls.get("name") or ""
            lines = per_file.setdefault(filename, (pname, {}))[1]
            for line in cls.iter("line"):
                number = int(line.get("number", "0"))
                hit = int(float(line.get("hits", "0"))) > 0
                bv = bc = 0
                if line.get("branch") == "true":
                    m = _CONDITION.search(line.get("condition-coverage", ""))
                    if m:
                        bc, bv = int(m.group(1)), int(m.group(2))
                old = lines.get(number)
                if old is not None:
                    hit, bc, bv = hit or old[0], max(bc, old[1]), max(bv, old[2])
                lines[number] = (hit, bc, bv)
    files = tuple(
        FileCoverage(
            path=name,
            package=pname,
            lines_valid=len(lines),
            lines_covered=sum(1 for hit, _, _ in lines.values() if hit),
            branches_valid=sum(bv for _, _, bv in lines.values()),
            branches_covered=sum(bc for _, bc, _ in lines.values()),
        )
        for name, (pname, lines) in per_file.items()
    )
    computed = _sum(list(files))
    # Prefer the producer's own totals: they are what its console report shows.
    totals = Totals(
        lines_valid=int(root.get("lines-valid", computed.lines_valid)),
        lines_covered=int(root.get("lines-covered", computed.lines_covered)),
        branches_valid=int(root.get("branches-valid", computed.branches_valid)),
        branches_covered=int(root.get("branches-covered", computed.branches_covered)),
    )
    stamp = root.get("timestamp")
    return CoverageReport(
        totals=totals,
        files=files,
        sources=tuple((s.text or "").strip() for s in root.iter("source") if s.text),
        timestamp_ms=int(float(stamp)) if stamp and stamp.replace(".", "").isdigit() else None,
    )

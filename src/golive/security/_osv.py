"""OSV advisories: an offline export (directory or zip), an optional online API, and matching.

Range evaluation follows the OSV schema: events sorted by version, ``introduced`` opens,
``fixed`` and ``limit`` close (exclusive), ``last_affected`` closes inclusively; explicit
``versions`` lists match exactly; withdrawn advisories never match. ECOSYSTEM ranges use
PEP 440 for PyPI and SemVer for npm and Go; SEMVER ranges use SemVer 2.0 precedence.
"""

from __future__ import annotations

import functools
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from golive.security._deps import DEBIAN, GO, NPM, PYPI, Package
from golive.security._dpkg_version import DebVersion
from golive.security.base import SecurityError, Severity

# ---------------------------------------------------------------------------------------
# Versions


_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


@functools.total_ordering
@dataclass(frozen=True)
class SemVer:
    """A SemVer 2.0 version ordered by precedence (build metadata ignored)."""

    major: int
    minor: int
    patch: int
    pre: tuple[int | str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> SemVer:
        """Parse ``1.2.3``, ``1.2.3-rc.1`` (a leading ``v`` is tolerated); ValueError otherwise."""
        m = _SEMVER.match(text.strip())
        if not m:
            # Tolerate "1.2" and "1" as OSV data occasionally carries them.
            parts = text.strip().lstrip("v").split(".")
            if 1 <= len(parts) <= 2 and all(p.isdigit() for p in parts):
                nums = [int(p) for p in parts] + [0] * (3 - len(parts))
                return cls(nums[0], nums[1], nums[2])
            raise ValueError(f"not a semantic version: {text!r}")
        pre = tuple(int(p) if p.isdigit() else p for p in m.group(4).split(".")) if m.group(4) else ()
        return cls(int(m.group(1)), int(m.group(2)), int(m.group(3)), pre)

    def _key(self) -> tuple[Any, ...]:
        # A release sorts after its pre-releases; numeric identifiers sort before alphanumeric.
        pre_key = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre_key)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, SemVer):
            return NotImplemented
        return self._key() < other._key()


Parser = Callable[[str], Any]


def _pep440(text: str) -> Version:
    return Version(text)


def parser_for(ecosystem: str, range_type: str) -> Parser | None:
    """How versions of a range are compared, or None when golive cannot order them."""
    if range_type == "SEMVER":
        return SemVer.parse
    if range_type == "ECOSYSTEM":
        if ecosystem == PYPI:
            return _pep440
        if ecosystem in (NPM, GO):
            return SemVer.parse
        if ecosystem == DEBIAN:
            return DebVersion.parse
    return None


def normalize_name(ecosystem: str, name: str) -> str:
    """Package name as OSV indexes it (PEP 503 normalised for PyPI)."""
    return canonicalize_name(name) if ecosystem == PYPI else name


def _in_range(version: Any, events: list[dict[str, str]], parse: Parser) -> bool:
    parsed: list[tuple[Any, int, str]] = []
    order = {"introduced": 0, "fixed": 1, "last_affected": 1, "limit": 1}
    for ev in events:
        for kind, value in ev.items():
            if kind not in order:
                continue
            if kind == "introduced" and value == "0":
                parsed.append((None, 0, kind))
                continue
            try:
                parsed.append((parse(value), order[kind], kind))
            except (ValueError, InvalidVersion):
                continue
    zero = [p for p in parsed if p[0] is None]
    rest = sorted((p for p in parsed if p[0] is not None), key=lambda p: (p[0], p[1]))
    vulnerable = False
    for point, _, kind in [*zero, *rest]:
        if kind == "introduced":
            if point is None or version >= point:
                vulnerable = True
        elif kind in ("fixed", "limit"):
            if version >= point:
                vulnerable = False
        elif kind == "last_affected" and version > point:
            vulnerable = False
    return vulnerable


def affects(advisory: dict[str, Any], pkg: Package) -> bool:
    """Whether ``advisory`` (an OSV record) affects this exact package version."""
    if advisory.get("withdrawn"):
        return False
    want = normalize_name(pkg.ecosystem, pkg.name)
    for aff in advisory.get("affected", []) or []:
        p = aff.get("package") or {}
        eco = str(p.get("ecosystem", "")).split(":", 1)[0]
        if eco != pkg.ecosystem or normalize_name(eco, str(p.get("name", ""))) != want:
            continue
        versions = aff.get("versions") or []
        if pkg.version in versions:
            return True
        if pkg.ecosystem == PYPI:
            try:
                mine = Version(pkg.version)
                if any(_same_pep440(v, mine) for v in versions):
                    return True
            except InvalidVersion:
                pass
        for rng in aff.get("ranges", []) or []:
            rtype = rng.get("type", "")
            parse = parser_for(eco, rtype)
            if parse is None:
                continue
            try:
                current = parse(pkg.version)
            except (ValueError, InvalidVersion):
                continue
            if _in_range(current, rng.get("events", []) or [], parse):
                return True
    return False


def _same_pep440(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    except InvalidVersion:
        return False


# ---------------------------------------------------------------------------------------
# Severity

_CVSS3_WEIGHTS: dict[str, dict[str, float]] = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}


def _roundup(x: float) -> float:
    i = round(x * 100000)
    return i / 100000.0 if i % 10000 == 0 else (math.floor(i / 10000) + 1) / 10.0


def cvss3_base_score(vector: str) -> float:
    """Base score of a CVSS v3.0/3.1 vector (``CVSS:3.1/AV:N/AC:L/...``)."""
    metrics = dict(part.split(":", 1) for part in vector.split("/")[1:] if ":" in part)
    try:
        scope_changed = metrics["S"] == "C"
        pr = {"N": 0.85, "L": 0.68 if scope_changed else 0.62, "H": 0.5 if scope_changed else 0.27}[
            metrics["PR"]
        ]
        w = {k: _CVSS3_WEIGHTS[k][metrics[k]] for k in _CVSS3_WEIGHTS}
    except KeyError as exc:
        raise ValueError(f"incomplete CVSS v3 vector {vector!r}") from exc
    iss = 1 - (1 - w["C"]) * (1 - w["I"]) * (1 - w["A"])
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if scope_changed else 6.42 * iss
    exploitability = 8.22 * w["AV"] * w["AC"] * pr * w["UI"]
    if impact <= 0:
        return 0.0
    raw = 1.08 * (impact + exploitability) if scope_changed else impact + exploitability
    return _roundup(min(raw, 10.0))


def severity_of_score(score: float) -> Severity:
    """CVSS qualitative rating."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.INFO


def advisory_severity(advisory: dict[str, Any]) -> Severity:
    """Severity from a CVSS v3 vector, else the database's own rating; unknown counts as high."""
    for sev in advisory.get("severity", []) or []:
        score = str(sev.get("score", ""))
        if sev.get("type") == "CVSS_V3" and score.startswith("CVSS:3"):
            try:
                return severity_of_score(cvss3_base_score(score))
            except ValueError:
                pass
    rating = (advisory.get("database_specific") or {}).get("severity")
    for aff in advisory.get("affected", []) or []:
        rating = rating or (aff.get("ecosystem_specific") or {}).get("severity")
    if isinstance(rating, str):
        return Severity.parse(rating, Severity.HIGH)
    return Severity.HIGH


def fixed_versions(advisory: dict[str, Any], pkg: Package) -> list[str]:
    """The ``fixed`` versions listed for this package."""
    want = normalize_name(pkg.ecosystem, pkg.name)
    out: list[str] = []
    for aff in advisory.get("affected", []) or []:
        p = aff.get("package") or {}
        if normalize_name(pkg.ecosystem, str(p.get("name", ""))) != want:
            continue
        for rng in aff.get("ranges", []) or []:
            out += [ev["fixed"] for ev in rng.get("events", []) if "fixed" in ev]
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------------------------------
# Databases


@dataclass(frozen=True, kw_only=True)
class OsvDatabase:
    """Advisories indexed by (ecosystem, normalised name)."""

    source: str
    index: dict[tuple[str, str], list[dict[str, Any]]]
    newest: datetime | None
    count: int

    def advisories(self, pkg: Package) -> list[dict[str, Any]]:
        """Candidate advisories for a package (then filtered by :func:`affects`)."""
        return self.index.get((pkg.ecosystem, normalize_name(pkg.ecosystem, pkg.name)), [])

    def age_days(self, now: datetime | None = None) -> float | None:
        """Days since the newest ``modified`` timestamp in the export."""
        if self.newest is None:
            return None
        return ((now or datetime.now(UTC)) - self.newest).total_seconds() / 86400


def _records(path: Path) -> Iterable[tuple[str, bytes]]:
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.filename.endswith(".json") and not info.is_dir():
                    yield f"{path.name}:{info.filename}", zf.read(info)
        return
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.suffix == ".json" and p.is_file():
                yield str(p.relative_to(path)), p.read_bytes()
            elif p.suffix == ".zip" and p.is_file():
                yield from _records(p)
        return
    raise SecurityError(f"OSV database {path} is neither a directory nor a zip file")


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def load_database(path: Path) -> OsvDatabase:
    """Read an OSV export: a directory of records (any depth, zips inside allowed) or a zip."""
    if not path.exists():
        raise SecurityError(f"OSV database {path} does not exist")
    index: dict[tuple[str, str], list[dict[str, Any]]] = {}
    newest: datetime | None = None
    count = 0
    for name, raw in _records(path):
        try:
            record = json.loads(raw)
        except ValueError:
            raise SecurityError(f"OSV database {path}: {name} is not JSON") from None
        if not isinstance(record, dict) or "id" not in record:
            continue
        count += 1
        modified = _parse_time(record.get("modified"))
        if modified and (newest is None or modified > newest):
            newest = modified
        for aff in record.get("affected", []) or []:
            p = aff.get("package") or {}
            eco = str(p.get("ecosystem", "")).split(":", 1)[0]
            key = (eco, normalize_name(eco, str(p.get("name", ""))))
            bucket = index.setdefault(key, [])
            if not bucket or bucket[-1] is not record:
                bucket.append(record)
    return OsvDatabase(source=str(path), index=index, newest=newest, count=count)

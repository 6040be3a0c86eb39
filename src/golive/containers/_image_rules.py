"""golive's own rules over an image: its user, its healthcheck, package-manager caches, its size.

Each miss is a :class:`~golive.security.base.Finding` (tool ``golive-image``), so it goes
through the one findings model, baseline and SARIF like every scanner's.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from golive.containers._layers import SavedImage
from golive.security.base import Finding, Location, Severity, fingerprint

TOOL = "golive-image"
CACHES = {
    "apt archives": "var/cache/apt/archives/*.deb",
    "apt lists": "var/lib/apt/lists/*",
    "pip cache": "root/.cache/pip/*",
}
_NOT_CACHE = ("var/lib/apt/lists/lock",)


def _finding(image: str, rule: str, title: str, advice: str, where: str = "", resource: str = "") -> Finding:
    return Finding(
        tool=TOOL,
        rule_id=f"container.{rule}",
        severity=Severity.HIGH,
        title=title,
        location=Location(path=where or image, resource=resource),
        fingerprint=fingerprint("container", rule, image.split(":", 1)[0], where),
        category="containers",
        advice=advice,
    )


def user_is_root(user: str, passwd: str | None) -> bool:
    """Whether the image's ``USER`` (name or uid, optionally ``:group``) is root."""
    name = user.split(":", 1)[0].strip()
    if name in ("", "root", "0"):
        return True
    if name.isdigit():
        return False
    for line in (passwd or "").splitlines():
        fields = line.split(":")
        if len(fields) > 2 and fields[0] == name:
            return fields[2] == "0"
    return False  # a user the image does not declare: Docker refuses to start it, never root


def config_findings(image: str, config: dict[str, Any], passwd: str | None) -> list[Finding]:
    """The user and the healthcheck of the image's configuration."""
    out = []
    user = str(config.get("User") or "")
    if user_is_root(user, passwd):
        out.append(
            _finding(
                image,
                "root-user",
                f"runs as root (USER {user or 'not set'})",
                "Add a USER with a non-zero uid in the Dockerfile.",
            )
        )
    test = (config.get("Healthcheck") or {}).get("Test") or []
    if not test or test[0] == "NONE":
        out.append(
            _finding(image, "no-healthcheck", "has no HEALTHCHECK", "Add a HEALTHCHECK to the Dockerfile.")
        )
    return out


def cache_findings(image: str, saved: SavedImage) -> list[Finding]:
    """One finding per cache kind per layer that ships it (deleted later or not)."""
    final = saved.final()
    out = []
    for layer in saved.layers:
        for kind, pattern in CACHES.items():
            hits = [f for f in layer.files if fnmatch.fnmatch(f.path, pattern) and f.path not in _NOT_CACHE]
            if not hits:
                continue
            gone = all(final.get(f.path, (None, None))[1] is not f for f in hits)
            state = "; deleted by a later layer but still shipped" if gone else ""
            out.append(
                _finding(
                    image,
                    f"cache.{kind.replace(' ', '-')}",
                    f"{kind} in layer {layer.index}: {len(hits)} file(s), "
                    f"{sum(f.size for f in hits) / 1e6:.1f} MB (e.g. /{hits[0].path}){state}",
                    "Clean the cache in the same RUN that fills it (apt-get clean, rm -rf "
                    "/var/lib/apt/lists/*, pip --no-cache-dir).",
                    where=f"/{hits[0].path}",
                    resource=f"layer {layer.index}",
                )
            )
    return out


def size_finding(image: str, size: int, budget_mb: float) -> list[Finding]:
    """A finding when the image is larger than its budget."""
    if size <= budget_mb * 1e6:
        return []
    return [
        _finding(
            image,
            "size",
            f"is {size / 1e6:.0f} MB, over its budget of {budget_mb:g} MB",
            "Drop build tools and caches from the final image (multi-stage build), or raise max_size_mb.",
        )
    ]

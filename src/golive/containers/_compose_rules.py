"""What ``compose.config`` asks of each service of a normalised compose file (``docker-compose config``).

* a healthcheck, unless the service is a one-shot job: ``restart: "no"`` with the healthcheck
  explicitly disabled (named in the evidence, never silently passed);
* a pinned image: a digest (``name@sha256:…``), an image ID (``sha256:…``), or, for an image
  without a registry host (built on this machine), a tag ending in a content hash of at least
  12 hex digits (``storefront:0.1.0-bf3a002be8dfd5f2``): such a tag names its inputs, so it
  cannot silently move; a registry tag can, so registry images need a digest;
* no published port on an address other than loopback (no address means every interface).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_IMAGE_ID = re.compile(r"^sha256:[0-9a-f]{64}$")
_HASH_TAG = re.compile(r"(?:^|[-_.])[0-9a-f]{12,64}$")


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One service's miss: the keys it is about (for its location) and the message."""

    service: str
    key: str
    message: str


@dataclass(kw_only=True)
class ServiceVerdicts:
    """Problems and notes about every service of one compose file."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _registry_host(name: str) -> bool:
    first = name.split("/", 1)[0] if "/" in name else ""
    return "." in first or ":" in first or first == "localhost"


def image_pinned(image: str) -> bool:
    """Whether ``image`` names exactly one image (see the module docstring)."""
    if _DIGEST.search(image) or _IMAGE_ID.match(image):
        return True
    name, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
    return bool(tag) and not _registry_host(name) and bool(_HASH_TAG.search(tag))


def published_address(port: Any) -> tuple[str, str] | None:
    """(host address, the port as written) of a published port; None when nothing is published."""
    if isinstance(port, dict):
        if port.get("published") in (None, ""):
            return None
        return str(port.get("host_ip") or ""), f"{port.get('published')}:{port.get('target')}"
    text = str(port).split("/", 1)[0]
    if text.startswith("["):
        address, _, rest = text[1:].partition("]")
        return address, text
    parts = text.split(":")
    return (parts[0] if len(parts) >= 3 else ""), text


def _loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _healthcheck(name: str, body: dict[str, Any], out: ServiceVerdicts) -> None:
    check = body.get("healthcheck")
    disabled = isinstance(check, dict) and (check.get("disable") or check.get("test") in (["NONE"], "NONE"))
    if isinstance(check, dict) and not disabled and check.get("test"):
        return
    if disabled and str(body.get("restart", "no")) == "no":
        out.notes.append(f'{name}: one-shot job (restart "no", healthcheck disabled)')
        return
    why = 'healthcheck disabled but restart is not "no"' if disabled else "no healthcheck"
    out.problems.append(Problem(service=name, key="healthcheck", message=f"service {name}: {why}"))


def _image(name: str, body: dict[str, Any], out: ServiceVerdicts) -> None:
    image = str(body.get("image") or "")
    if not image:
        if body.get("build"):
            out.notes.append(f"{name}: built from its build context (no image to pin)")
            return
        out.problems.append(Problem(service=name, key="image", message=f"service {name}: no image"))
    elif not image_pinned(image):
        out.problems.append(
            Problem(
                service=name,
                key="image",
                message=f"service {name}: image {image} is not pinned (use name@sha256:digest, an "
                "image ID, or a local tag ending in a content hash)",
            )
        )


def _ports(name: str, body: dict[str, Any], out: ServiceVerdicts) -> None:
    for port in body.get("ports") or []:
        found = published_address(port)
        if found is None or _loopback(found[0]):
            continue
        where = found[0] or "every interface"
        out.problems.append(
            Problem(
                service=name,
                key="ports",
                message=f"service {name}: port {found[1]} is published on {where} (bind it to 127.0.0.1)",
            )
        )


def judge_services(services: dict[str, Any]) -> ServiceVerdicts:
    """Every rule over every service, in file order."""
    out = ServiceVerdicts()
    for name, body in services.items():
        spec = body if isinstance(body, dict) else {}
        _healthcheck(str(name), spec, out)
        _image(str(name), spec, out)
        _ports(str(name), spec, out)
    return out

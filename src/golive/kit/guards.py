"""Guards that keep golive from harming what it reviews.

* :func:`require_target`: active checks (load, probes, fuzzing, drills) send traffic only to
  loopback, or to hosts the environment lists in ``allow_hosts`` (``${VAR}`` resolved).
* :func:`require_destructive`: one policy for every destructive step (a runbook step marked
  destructive, a rollback drill): never against an environment marked production unless
  the environment opts in (``allow_destructive: true`` in the spec) *and* the run was
  started with ``--allow-destructive``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from golive.errors import GoliveError

_PRODUCTION_NAME = re.compile(r"(?i)(^|[-_.])(prod|production|prd|live)($|[-_.])")


class GuardError(GoliveError):
    """A guard refused an action; the message says why and how to allow it."""


def is_loopback(host: str) -> bool:
    """True for ``localhost`` names and loopback addresses (127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def target_allowed(url: str, allow_hosts: Iterable[str]) -> bool:
    """May active checks send traffic to ``url``? Loopback always, else ``allow_hosts`` entries.

    An entry is ``host`` or ``host:port``, compared case-insensitively; ``allow_hosts`` must
    already be resolved (see :meth:`golive.kit.CheckContext.require_target`).
    """
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        return False
    if is_loopback(host):
        return True
    allowed = {h.strip().lower() for h in allow_hosts}
    netloc = parts.netloc.rsplit("@", 1)[-1].lower()
    return host.lower() in allowed or netloc in allowed


def require_target(url: str, allow_hosts: Iterable[str], *, what: str = "traffic") -> None:
    """GuardError unless :func:`target_allowed`."""
    if not target_allowed(url, allow_hosts):
        host = urlsplit(url).netloc.rsplit("@", 1)[-1] or url
        raise GuardError(
            f"refusing to send {what} to {host}: only loopback addresses and the environment's "
            f"allow_hosts are targets (add {host!r} to allow_hosts if it is yours to test)"
        )


def is_production(name: str, marked: bool | None) -> bool:
    """An environment is production when marked so, or, unmarked, when its name says so."""
    if marked is not None:
        return marked
    return bool(_PRODUCTION_NAME.search(name))


def require_destructive(
    *, environment: str, production: bool, environment_allows: bool, flag_given: bool, what: str
) -> None:
    """GuardError when ``what`` (a destructive step) may not run against ``environment``."""
    if not production:
        return
    if environment_allows and flag_given:
        return
    missing = []
    if not environment_allows:
        missing.append(f"`allow_destructive: true` on environment {environment!r}")
    if not flag_given:
        missing.append("the --allow-destructive flag")
    raise GuardError(
        f"refusing {what}: environment {environment!r} is production, where destructive steps run "
        "only when the spec sets `allow_destructive: true` on the environment and the run is "
        f"started with --allow-destructive (missing: {' and '.join(missing)})"
    )

"""Small helpers shared by the built-in check types."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_SECRET_HEADERS = {"authorization", "cookie", "x-api-key", "proxy-authorization", "set-cookie"}
_SECRET_ASSIGN = re.compile(
    r"(?i)\b(password|passwd|secret|token|api[_-]?key|access[_-]?key)\b(\s*[=:]\s*)(\S+)"
)
_URL_PASSWORD = re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^:/@\s]+:)([^@\s]+)(@)")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    """Hide credentials that commonly appear in output, URLs and command lines."""
    text = _URL_PASSWORD.sub(r"\1***\3", text)
    text = _BEARER.sub(r"\1***", text)
    return _SECRET_ASSIGN.sub(r"\1\2***", text)


def redact_header(name: str, value: str) -> str:
    """A header value safe to show in a report."""
    return "***" if name.lower() in _SECRET_HEADERS else value


def excerpt(text: str, limit: int = 4000) -> str:
    """The tail of some output, redacted and bounded for a report."""
    text = redact(text.strip())
    if len(text) > limit:
        return "...\n" + text[-limit:]
    return text


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
    """May active checks (load, probes, fuzzing) send traffic to ``url``?

    Loopback always; any other host only when the environment's ``allow_hosts`` lists it,
    as ``host`` or ``host:port``. The one rule every traffic-generating check applies.
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

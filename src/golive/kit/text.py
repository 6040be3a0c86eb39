"""Text that leaves golive: redaction of credentials and bounded excerpts of output."""

from __future__ import annotations

import re

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

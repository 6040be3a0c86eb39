"""Text that leaves golive: pattern redaction of credentials and bounded excerpts of output.

Pattern redaction is the second line of defence: the first is exact-value masking of every
secret the review knows (:mod:`golive.kit.masking`), applied to every output. Patterns catch
credentials golive never saw, such as a token a service printed in its log.

Every pattern has bounded repetitions and no nested quantifiers, so a pass is linear in the
length of the text: a 60 kB token must not stall the event loop that fires timeouts.
"""

from __future__ import annotations

import re

MASK = "***"

_SECRET_HEADERS = {"authorization", "cookie", "x-api-key", "proxy-authorization", "set-cookie"}

# A key that names a credential, as a word or inside an identifier (ADMIN_PASSWORD, jwtSecret,
# "api-key"), then `=` or `:` with optional quotes, then the value up to a delimiter.
_KEY = r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)"
_SECRET_ASSIGN = re.compile(
    r"(?i)(?<![A-Za-z0-9])([A-Za-z0-9_.-]{0,40}" + _KEY + r"[A-Za-z0-9_-]{0,40}"
    r"[\"']?[ \t]{0,8}[=:][ \t]{0,8}[\"']?)"
    # A value that starts like a template or reference (`{name}`, `${VAR}`) is not a secret.
    r"(?![{$%(])([^\s\"',;&}<>]{1,512}+)"
)
_URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]{0,30}://[^:/@\s]{0,256}:)([^@\s/]{1,512}+)(@)")
_AUTH_SCHEME = re.compile(r"(?i)\b((?:bearer|basic|digest)[ \t]{1,8})[A-Za-z0-9._~+/=-]{4,4096}+")
# The whole value of an Authorization header, whatever its scheme (``Token …``, ``ApiKey …``).
_AUTH_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization[\"']?[ \t]{0,8}[=:][ \t]{0,8}[\"']?)[^\r\n\"']{1,1024}+"
)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN ([A-Z ]{0,40})PRIVATE KEY-----[^-]{0,20000}+-----END [A-Z ]{0,40}PRIVATE KEY-----"
)
_TOKEN_SHAPES = re.compile(
    r"\b(?:eyJ[A-Za-z0-9_-]{8,2048}+\.[A-Za-z0-9_-]{8,2048}+\.[A-Za-z0-9_-]{0,2048}+"  # JWT
    r"|AKIA[0-9A-Z]{16}"  # AWS access key id
    r"|gh[pousr]_[A-Za-z0-9]{36,255}+"  # GitHub token
    r"|xox[abprs]-[A-Za-z0-9-]{10,255}+)"  # Slack token
)


def redact(text: str) -> str:
    """Hide credentials that commonly appear in output, URLs, headers and command lines."""
    text = _PRIVATE_KEY.sub(f"-----BEGIN \\1PRIVATE KEY-----{MASK}-----END \\1PRIVATE KEY-----", text)
    text = _URL_PASSWORD.sub(rf"\1{MASK}\3", text)
    text = _AUTH_SCHEME.sub(rf"\1{MASK}", text)
    text = _AUTH_HEADER.sub(rf"\1{MASK}", text)
    text = _TOKEN_SHAPES.sub(MASK, text)
    return _SECRET_ASSIGN.sub(_assignment, text)


_NOT_SECRET = {"true", "false", "null", "none", "yes", "no", "on", "off", "required", "optional"}


def _assignment(match: re.Match[str]) -> str:
    # A count or a flag is not a credential: "detect-secrets: 200 of 200 files",
    # "persist-credentials: false".
    value = match.group(2)
    return match.group(0) if value.isdigit() or value.lower() in _NOT_SECRET else match.group(1) + MASK


def redact_header(name: str, value: str) -> str:
    """A header value safe to show in a report."""
    return MASK if name.lower() in _SECRET_HEADERS else redact(value)


def excerpt(text: str, limit: int = 4000) -> str:
    """The tail of some output, bounded for a report, then redacted.

    Capping comes first so redaction never runs on more than ``limit`` characters. A cut in
    the middle of a line drops the rest of that line: a secret split by the cut would
    otherwise show its tail, which exact-value masking can no longer recognise.
    """
    text = text.strip()
    if len(text) > limit:
        tail = text[-limit:]
        newline = tail.find("\n", 0, 512)
        tail = tail[newline + 1 :] if newline >= 0 else tail[min(128, len(tail) // 4) :]
        return "...\n" + redact(tail)
    return redact(text)

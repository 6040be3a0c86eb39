"""golive's own secrets rule: a high-entropy literal assigned to a secret-like name is high.

detect-secrets knows vendor key formats (AWS, GitHub, Stripe, ...) and reports any other
credential only through its heuristics (a password-like keyword, a high-entropy string),
which golive grades medium because checksums and test values trip them. A random-looking
literal assigned to a name such as ``partner_api_key``, ``clientSecret`` or
``PAYMENT_TOKEN`` is neither a checksum nor a placeholder: it is a credential in the code.

The rule reads each line in memory and keeps only the name, the place and the SHA-1 of the
literal (the hash detect-secrets uses, so both tools' findings about one literal merge).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

# The assigned name's last word says what the value is (partner_api_key, clientSecret, ...).
_SECRET_NAME = re.compile(
    r"(secret|passw(or)?d|passwd|pwd|token|api[_\-.]?key|apikey|access[_\-.]?key|private[_\-.]?key"
    r"|signing[_\-.]?key|client[_\-.]?key|secret[_\-.]?key|auth[_\-.]?key|session[_\-.]?key"
    r"|encryption[_\-.]?key|master[_\-.]?key|credentials?|[_\-.]key|^key)$",
    re.IGNORECASE,
)
_NAME = r"(?P<name>[A-Za-z_$][\w$.\-]*|\"[^\"\n]{1,80}\"|'[^'\n]{1,80}')"
# name <op> "literal": Python, JS/TS, Go, Ruby, JSON, YAML, TOML, INI, .env, Kotlin, PHP...
_QUOTED = re.compile(_NAME + r"\s*(?::=|=>|==|=|:)\s*(?P<q>[\"'`])(?P<value>[^\"'`\s]{12,512})(?P=q)")
_BARE = re.compile(_NAME + r"\s*(?:=|:)\s*(?P<value>[^\s\"'`#;,]{12,512})\s*(?:#.*)?$")
# Config formats in which a value needs no quotes; in code an unquoted value is an expression.
_BARE_SUFFIXES = frozenset(
    {".env", ".yml", ".yaml", ".ini", ".cfg", ".conf", ".properties", ".toml", ".sh", ".bash"}
)
_LITERAL = re.compile(r"^[A-Za-z0-9+/=_\-.~]+$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
# Values a person typed for a test or an example: a generated credential holds none of these.
_PLACEHOLDER = re.compile(
    r"example|changeme|change[_\-]?me|placeholder|dummy|sample|redacted|your[_\-]|xxxx|fake|insecure-default"
    r"|passw(or)?d|secret|token|test|local|^(true|false|null|none)$",
    re.IGNORECASE,
)

RULE_ID = "secret.high-entropy-assignment"


@dataclass(frozen=True, kw_only=True)
class Hit:
    """A literal that looks like a credential: where, under which name, and its SHA-1."""

    line: int
    name: str
    sha1: str


def entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_random(value: str) -> bool:
    """True for a literal shaped like a generated credential (not a word, path or checksum-free text)."""
    if not _LITERAL.match(value) or _PLACEHOLDER.search(value) or len(set(value)) < 8:
        return False
    if _HEX.match(value):
        return len(value) >= 16 and any(c.isdigit() for c in value) and entropy(value) >= 3.0
    classes = sum(bool(re.search(p, value)) for p in ("[a-z]", "[A-Z]", "[0-9]"))
    if len(value) < 16 or classes < 2:
        return False
    # Without digits, CamelCaseWords reach 3.9 bits per character; random text does not stay that low.
    return entropy(value) >= (3.5 if any(c.isdigit() for c in value) else 4.2)


def secret_name(raw: str) -> str:
    """The name as written, without quotes; "" unless it names a secret."""
    name = raw.strip("\"'")
    last = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", re.split(r"[.\s]", name)[-1])
    return name if _SECRET_NAME.search(last) else ""


def _bare_allowed(path: str) -> bool:
    p = PurePosixPath(path)
    return p.suffix.lower() in _BARE_SUFFIXES or p.name.startswith((".env", "Dockerfile"))


def scan_text(path: str, lines: Sequence[str]) -> Iterator[Hit]:
    """The credential-shaped literals assigned to secret-like names in ``lines`` (1-based)."""
    bare = _bare_allowed(path)
    for number, line in enumerate(lines, 1):
        if len(line) > 2000:
            continue  # minified or data lines: no assignment a person wrote
        matches = list(_QUOTED.finditer(line))
        if bare and not matches:
            matches = list(_BARE.finditer(line.strip()))
        for m in matches:
            name, value = secret_name(m.group("name")), m.group("value")
            if name and looks_random(value):
                yield Hit(line=number, name=name, sha1=hashlib.sha1(value.encode()).hexdigest())

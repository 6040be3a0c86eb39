"""Exact-value masking: every secret a review knows never leaves golive in any output.

A review knows its secrets: the values it generated (``environment.generate``), the values of
``${VAR}`` references that came from the process environment, and values written under keys
that name a credential (``password:``, ``Authorization:``). :class:`Masker` replaces each of
those values, and the forms it takes on the wire (URL-encoded, JSON-escaped, base64 at any
alignment, so also inside ``Basic`` credentials), with ``***``; then pattern redaction
(:func:`golive.kit.text.redact`) catches credentials golive never saw.

Every output passes through one masker built per review: check results and events (the
engine), stack messages, the finished review (reports, terminal, history, package), and the
files written under the output directory (:func:`mask_files`).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import enum
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, quote_plus, urlsplit

from golive.kit.environment import MissingVariableError, Variables
from golive.kit.files import atomic_write
from golive.kit.text import MASK, redact

if TYPE_CHECKING:
    from golive.spec.models import Environment, Spec

T = TypeVar("T")

#: Shorter values cannot be masked without destroying ordinary text.
MIN_SECRET_LENGTH = 4
#: Base64 fragments shorter than this match ordinary words too often to be masked.
_MIN_BASE64_CORE = 8
#: Files larger than this are not rewritten (reported as not masked).
MAX_MASKED_FILE = 64 * 1024 * 1024

#: Process variables that are never secrets: paths and the interpreter golive runs with.
ALWAYS_PUBLIC = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "PWD", "TMPDIR", "LANG", "SHELL", "GOLIVE_PYTHON"}
)

_SECRET_KEY = re.compile(
    r"(?i)(pass(word|wd|phrase)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|credentials?|authorization|cookie|dsn)"
)
_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}")
_PLAIN = re.compile(r"(?i)^(-?\d+(\.\d+)?|true|false|yes|no|on|off)$")


def looks_secret_key(key: str) -> bool:
    """Whether a mapping key names a credential (its value is then treated as a secret)."""
    return bool(_SECRET_KEY.search(key))


def _base64_cores(raw: bytes) -> set[str]:
    """The base64 characters fully determined by ``raw`` wherever it sits in a longer input."""
    cores: set[str] = set()
    for pad in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * pad + raw).decode("ascii")
            start = -(-8 * pad // 6)
            end = (8 * (pad + len(raw))) // 6
            core = encoded[start:end]
            if len(core) >= _MIN_BASE64_CORE:
                cores.add(core)
    return cores


def secret_forms(value: str) -> set[str]:
    """``value`` and the forms it takes in URLs, JSON, headers and base64."""
    forms = {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}
    forms |= _base64_cores(value.encode("utf-8"))
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


def _is_maskable(value: str) -> bool:
    return len(value) >= MIN_SECRET_LENGTH and not _PLAIN.match(value.strip())


def _with_url_password(value: str) -> set[str]:
    """A value and, when it is a URL carrying a password, that password on its own."""
    out = {value}
    try:
        password = urlsplit(value).password
    except ValueError:
        password = None
    if password:
        out.add(password)
    return out


@dataclass(frozen=True, kw_only=True)
class Masker:
    """Replaces known secret values (in every form) and credential patterns with ``***``."""

    #: Every form of every secret, longest first so a longer form is masked whole.
    forms: tuple[str, ...] = ()

    @classmethod
    def of(cls, values: Iterable[str]) -> Masker:
        """A masker for these secret values (short or plain values such as ports are ignored)."""
        forms: set[str] = set()
        for value in values:
            for part in _with_url_password(value):
                if _is_maskable(part):
                    forms |= secret_forms(part)
        return cls(forms=tuple(sorted(forms, key=lambda f: (-len(f), f))))

    def mask(self, text: str) -> str:
        """``text`` with every known secret and every credential pattern masked."""
        for form in self.forms:
            if form in text:
                text = text.replace(form, MASK)
        return redact(text)

    def mask_bytes(self, data: bytes) -> bytes:
        """``data`` with every known secret's UTF-8 form masked (no pattern redaction)."""
        for form in self.forms:
            raw = form.encode("utf-8")
            if raw in data:
                data = data.replace(raw, MASK.encode())
        return data

    def mask_tree(self, value: T) -> T:
        """A copy of a frozen dataclass / tuple / list / dict tree with every string masked."""
        return _masked(value, self)  # type: ignore[no-any-return]


def _masked(value: Any, masker: Masker) -> Any:
    if isinstance(value, str):
        return masker.mask(value) if not isinstance(value, enum.Enum) else value
    if isinstance(value, tuple):
        return tuple(_masked(v, masker) for v in value)
    if isinstance(value, list):
        return [_masked(v, masker) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v, masker) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _masked(getattr(value, f.name), masker) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


def referenced_names(text: str) -> set[str]:
    """Every ``${NAME}`` referenced in a text (a whole spec file)."""
    return {m.group(1) for m in _REF.finditer(text)}


def review_secrets(
    *,
    spec_texts: Iterable[str],
    environ: Mapping[str, str],
    spec_vars: Mapping[str, str],
    generated: Iterable[str],
    public: Iterable[str] = (),
    keyed_values: Iterable[str] = (),
) -> set[str]:
    """The secret values of one review.

    ``spec_texts``: the spec files (every ``${NAME}`` they reference from the process environment
    is a secret unless ``public``); ``generated``: names golive generated values for;
    ``keyed_values``: values found under credential-named keys (already resolved).
    """
    public_names = ALWAYS_PUBLIC | set(public)
    names: set[str] = set()
    for text in spec_texts:
        names |= referenced_names(text)
    values = {environ[n] for n in names if n in environ and n not in spec_vars and n not in public_names}
    values |= {environ[n] for n in generated if n in environ}
    values |= set(keyed_values)
    return {v for v in values if v}


def mask_files(root: Path, masker: Masker, *, since: float = 0.0) -> list[str]:
    """Rewrite every file under ``root`` (modified at or after ``since``) with secrets masked.

    Only exact values are masked in files: pattern redaction could corrupt machine-readable
    artifacts. Returns the files that could not be checked (too large), for the review's warnings.
    """
    skipped: list[str] = []
    if not masker.forms or not root.is_dir():
        return skipped
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        stat = path.stat()
        if stat.st_mtime < since:
            continue
        if stat.st_size > MAX_MASKED_FILE:
            skipped.append(f"{path} ({stat.st_size} bytes) was not checked for secrets: too large")
            continue
        data = path.read_bytes()
        masked = masker.mask_bytes(data)
        if masked != data:
            atomic_write(path, masked, mode=stat.st_mode & 0o777)
    return skipped


def _keyed_strings(tree: Any, under_secret_key: bool = False) -> Iterator[str]:
    """Strings written under a credential-named key anywhere in a dumped spec."""
    if isinstance(tree, str):
        if under_secret_key:
            yield tree
    elif isinstance(tree, Mapping):
        for key, value in tree.items():
            yield from _keyed_strings(value, under_secret_key or looks_secret_key(str(key)))
    elif isinstance(tree, list | tuple):
        for value in tree:
            yield from _keyed_strings(value, under_secret_key)


def _spec_texts(spec: Spec) -> list[str]:
    texts: list[str] = []
    from golive.spec._deploy_file import DEPLOY_FILENAME

    for path in (spec.path, spec.root / DEPLOY_FILENAME):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            texts.append(path.read_text(encoding="utf-8"))
    return texts


def review_masker(spec: Spec, environment: Environment, environ: Mapping[str, str]) -> Masker:
    """The masker for a review of ``spec`` in ``environment`` with this process environment."""
    variables = Variables(environ=environ, vars=environment.vars)
    keyed: set[str] = set()
    for raw in _keyed_strings(spec.model_dump(mode="json")):
        with contextlib.suppress(MissingVariableError):
            keyed.add(variables.resolve(raw))
    values = review_secrets(
        spec_texts=_spec_texts(spec),
        environ=environ,
        spec_vars=environment.vars,
        generated=environment.generate,
        public=environment.public_vars,
        keyed_values=keyed,
    )
    return Masker.of(values)

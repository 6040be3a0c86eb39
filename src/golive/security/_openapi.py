"""The operations of an OpenAPI 3 document, as far as the probes need them."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from golive.security.base import SecurityError

#: Methods that change state: probed anonymously with inputs that should match nothing.
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ADMIN = re.compile(
    r"(^|[/_\-.{])(admin|administrat\w*|internal|manage|management|superuser|staff|sudo|debug)([/_\-.}]|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True, kw_only=True)
class Operation:
    """One OpenAPI operation, with the security the document declares for it."""

    method: str
    path: str
    secured: bool
    schemes: tuple[str, ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    path_params: tuple[tuple[str, str], ...] = ()
    has_body: bool = False
    tags: tuple[str, ...] = ()
    operation_id: str = ""

    @property
    def key(self) -> str:
        """``METHOD /path``: how reports and the declared-security map name the operation."""
        return f"{self.method} {self.path}"

    @property
    def mutating(self) -> bool:
        """True for POST, PUT, PATCH and DELETE."""
        return self.method in MUTATING

    @property
    def admin(self) -> bool:
        """True when its path, tags or operationId say it is administrative."""
        return any(_ADMIN.search(text) for text in (self.path, self.operation_id, *self.tags))

    @property
    def takes_input(self) -> bool:
        """True when a request needs a path parameter or a body (which the probe can make miss)."""
        return bool(self.path_params) or self.has_body

    def concrete_path(self, *, unlikely: bool = False) -> str:
        """The path with placeholder values for its parameters.

        ``unlikely``: values that should name nothing that exists (a large id, a random UUID),
        so that an unprotected DELETE /items/{id} deletes nothing real.
        """
        out = self.path
        for name, kind in self.path_params:
            out = out.replace("{" + name + "}", _unlikely(kind) if unlikely else _placeholder(kind))
        return out


def _placeholder(kind: str) -> str:
    return {"integer": "1", "number": "1", "uuid": "00000000-0000-4000-8000-000000000000"}.get(
        kind, "golive-probe"
    )


def _unlikely(kind: str) -> str:
    tag = secrets.token_hex(4)
    if kind in ("integer", "number"):
        return str(2_000_000_000 + int(tag, 16) % 100_000_000)
    if kind == "uuid":
        return str(uuid.uuid4())
    return f"golive-probe-{tag}"


def _param_kind(param: dict[str, Any]) -> str:
    schema = param.get("schema") or {}
    if schema.get("format") == "uuid":
        return "uuid"
    kinds = [schema.get("type")] + [s.get("type") for s in schema.get("anyOf", []) if isinstance(s, dict)]
    for k in kinds:
        if k in ("integer", "number", "string", "boolean"):
            return str(k)
    return "string"


def operations(doc: dict[str, Any]) -> list[Operation]:
    """Operations of an OpenAPI 3 document; ``secured`` when a non-empty requirement applies."""
    if not str(doc.get("openapi", "")).startswith("3"):
        raise SecurityError("not an OpenAPI 3 document")
    default_security = doc.get("security") or []
    ops = []
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete", "head") or not isinstance(op, dict):
                continue
            security = op.get("security", default_security) or []
            # [{}] (an empty requirement) means authentication is optional.
            secured = bool(security) and all(bool(req) for req in security)
            params = [*shared, *(op.get("parameters") or [])]
            ops.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    secured=secured,
                    schemes=tuple(sorted({str(n) for req in security if isinstance(req, dict) for n in req})),
                    query=tuple((p["name"], _param_kind(p)) for p in params if p.get("in") == "query"),
                    path_params=tuple((p["name"], _param_kind(p)) for p in params if p.get("in") == "path"),
                    has_body="requestBody" in op,
                    tags=tuple(str(t) for t in op.get("tags") or []),
                    operation_id=str(op.get("operationId") or ""),
                )
            )
    return ops

"""The operations of an OpenAPI 3 document, as far as the probes need them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from golive.security.base import SecurityError


@dataclass(frozen=True, kw_only=True)
class Operation:
    """One OpenAPI operation."""

    method: str
    path: str
    secured: bool
    query: tuple[tuple[str, str], ...] = ()
    path_params: tuple[tuple[str, str], ...] = ()
    has_body: bool = False

    def concrete_path(self) -> str:
        """The path with placeholder values for its parameters."""
        out = self.path
        for name, kind in self.path_params:
            out = out.replace("{" + name + "}", _placeholder(kind))
        return out


def _placeholder(kind: str) -> str:
    return {"integer": "1", "number": "1", "uuid": "00000000-0000-4000-8000-000000000000"}.get(
        kind, "golive-probe"
    )


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
                    query=tuple((p["name"], _param_kind(p)) for p in params if p.get("in") == "query"),
                    path_params=tuple((p["name"], _param_kind(p)) for p in params if p.get("in") == "path"),
                    has_body="requestBody" in op,
                )
            )
    return ops

"""The two corpora of ``security.waf``: attack payloads (shipped) and legitimate requests.

Attacks come from ``corpus/waf-attacks.yml`` in the package. Legitimate requests are built
from the service's OpenAPI 3 document: each operation once, with values from the document's
``example``/``examples``, ``default`` and ``enum``, else a plain value that fits the schema.
Both become :class:`WafRequest` values, which also render their own curl reproducer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal
from urllib.parse import quote, urlencode

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from golive.kit.text import redact_header
from golive.security._openapi import MUTATING
from golive.security.base import SecurityError

Place = Literal["query", "path", "form", "json", "header", "cookie"]
_PLACES: dict[str, Place] = {p: p for p in ("query", "path", "form", "json", "header", "cookie")}
_DEPTH = 6


@dataclass(frozen=True, kw_only=True)
class Attack:
    """One attack case of the shipped corpus."""

    id: str
    kind: str
    place: Place
    payload: str
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class WafRequest:
    """One request of either corpus, fully built (the path holds any path payload, encoded)."""

    label: str
    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None

    def url(self, base: str) -> str:
        """The absolute URL, query string included (a path that is a URL stays as is)."""
        url = (
            self.path
            if self.path.startswith(("http://", "https://"))
            else base.rstrip("/") + "/" + self.path.lstrip("/")
        )
        return url + ("?" + urlencode(self.query) if self.query else "")

    def curl(self, base: str) -> str:
        """A curl command that repeats the request (credential headers masked)."""
        parts = ["curl", "-sS", "-i", "--path-as-is", "-X", self.method]
        for name, value in self.headers:
            parts += ["-H", f"{name}: {redact_header(name, value)}"]
        if self.body is not None:
            parts += ["--data-raw", self.body.decode("utf-8", "replace")]
        parts.append(self.url(base))
        return " ".join(_shell_quote(p) for p in parts)


def _shell_quote(text: str) -> str:
    # $'...' keeps control characters (a CRLF payload) visible and repeatable.
    if text and all(c.isalnum() or c in "-_./:=@%+," for c in text):
        return text
    if any(ord(c) < 32 for c in text):
        escaped = "".join(f"\\x{ord(c):02x}" if ord(c) < 32 else c for c in text.replace("\\", "\\\\"))
        return "$'" + escaped.replace("'", "\\'") + "'"
    return "'" + text.replace("'", "'\"'\"'") + "'"


def load_attacks() -> tuple[Attack, ...]:
    """The shipped attack corpus; SecurityError when the data file is unusable."""
    source = resources.files("golive.security") / "corpus" / "waf-attacks.yml"
    try:
        doc = YAML(typ="safe").load(source.read_text(encoding="utf-8"))
        cases = [_attack(raw) for raw in doc["cases"]]
    except (OSError, YAMLError, KeyError, TypeError, ValueError) as exc:
        raise SecurityError(f"the WAF attack corpus is unusable: {exc}") from None
    if len({c.id for c in cases}) != len(cases):
        raise SecurityError("the WAF attack corpus repeats an id")
    return tuple(cases)


def _attack(raw: dict[str, Any]) -> Attack:
    place = _PLACES.get(str(raw["place"]))
    if place is None:
        raise ValueError(f"{raw.get('id')}: unknown place {raw['place']!r}")
    attack = Attack(id=str(raw["id"]), kind=str(raw["kind"]), place=place, payload=str(raw["payload"]),
                    name=str(raw.get("name") or ""))  # fmt: skip
    if place != "path" and not attack.name:
        raise ValueError(f"{attack.id}: place {place} needs a name")
    return attack


def attack_request(attack: Attack, path: str) -> WafRequest:
    """The request that carries ``attack`` to ``path``."""
    label = f"{attack.kind} in {attack.place}" + (f" {attack.name}" if attack.name else "")
    base = WafRequest(label=f"{attack.id} ({label})", method="GET", path=path)
    match attack.place:
        case "query":
            return _with(base, query=((attack.name, attack.payload),))
        case "path":
            # Keep '%2f' and '..' as written: the point is what the edge sees.
            segment = quote(attack.payload, safe="%./")
            return _with(base, path=path.rstrip("/") + "/" + segment)
        case "form":
            body = urlencode({attack.name: attack.payload}).encode()
            return _with(base, method="POST", body=body,
                         headers=(("Content-Type", "application/x-www-form-urlencoded"),))  # fmt: skip
        case "json":
            body = json.dumps({attack.name: attack.payload}).encode()
            return _with(base, method="POST", body=body, headers=(("Content-Type", "application/json"),))
        case "header":
            return _with(base, headers=((attack.name, attack.payload),))
        case _:
            return _with(base, headers=(("Cookie", f"{attack.name}={attack.payload}"),))


def _with(request: WafRequest, **changes: Any) -> WafRequest:
    fields = {**request.__dict__, **changes}
    return WafRequest(**fields)


def default_attack_path(doc: dict[str, Any]) -> str:
    """A GET operation without path parameters, one that takes query parameters first; else ``/``."""
    found: list[tuple[bool, str]] = []
    for path, item in (doc.get("paths") or {}).items():
        op = item.get("get") if isinstance(item, dict) else None
        if isinstance(op, dict) and "{" not in path and path.rstrip("/"):
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            takes_query = any(isinstance(p, dict) and p.get("in") == "query" for p in params)
            found.append((not takes_query, str(path)))
    return min(found, key=lambda f: f[0])[1] if found else "/"


def legitimate_requests(doc: dict[str, Any], *, limit: int, mutating: bool) -> list[WafRequest]:
    """One valid request per operation of ``doc`` (at most ``limit``); no credentials are sent.

    ``mutating``: include POST, PUT, PATCH and DELETE operations (never where destructive
    steps are refused).
    """
    if not str(doc.get("openapi", "")).startswith("3"):
        raise SecurityError("not an OpenAPI 3 document")
    out: list[WafRequest] = []
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method, op in item.items():
            upper = method.upper()
            if upper not in ("GET", "HEAD", *MUTATING) or not isinstance(op, dict):
                continue
            if upper in MUTATING and not mutating:
                continue
            out.append(
                _legitimate(
                    doc, upper, str(path), op, [*item.get("parameters", []), *op.get("parameters", [])]
                )
            )
            if len(out) >= limit:
                return out
    return out


def _legitimate(
    doc: dict[str, Any], method: str, path: str, op: dict[str, Any], params: list[Any]
) -> WafRequest:
    query: list[tuple[str, str]] = []
    headers: list[tuple[str, str]] = []
    for raw in params:
        param = _deref(doc, raw)
        if not isinstance(param, dict) or "name" not in param:
            continue
        value = _text(_param_value(doc, param))
        where, name = param.get("in"), str(param["name"])
        if where == "path":
            path = path.replace("{" + name + "}", quote(value, safe=""))
        elif where == "query" and (param.get("required") or _has_example(param)):
            query.append((name, value))
        elif where == "header" and name.lower() not in ("authorization", "cookie"):
            headers.append((name, value))
    body: bytes | None = None
    media = ((_deref(doc, op.get("requestBody")) or {}).get("content") or {}).get("application/json")
    if isinstance(media, dict):
        body = json.dumps(_media_value(doc, media)).encode()
        headers.append(("Content-Type", "application/json"))
    label = f"{method} {op.get('operationId') or path}"
    return WafRequest(
        label=label, method=method, path=path, query=tuple(query), headers=tuple(headers), body=body
    )


def _deref(doc: dict[str, Any], node: Any) -> Any:
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < _DEPTH:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return {}
        target: Any = doc
        for part in ref[2:].split("/"):
            target = (
                target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, dict) else None
            )
        node, seen = target, seen + 1
    return node


def _has_example(node: dict[str, Any]) -> bool:
    schema = node.get("schema") or {}
    return any(k in node or k in schema for k in ("example", "examples"))


def _example(node: dict[str, Any]) -> tuple[bool, Any]:
    """A value the document gives: ``example``, the first of ``examples``, ``default``, ``enum``."""
    if "example" in node:
        return True, node["example"]
    examples = node.get("examples")
    if isinstance(examples, dict) and examples:
        first = next(iter(examples.values()))
        if isinstance(first, dict) and "value" in first:
            return True, first["value"]
    if isinstance(examples, list) and examples:
        return True, examples[0]
    if "default" in node and node["default"] is not None:
        return True, node["default"]
    if isinstance(node.get("enum"), list) and node["enum"]:
        return True, node["enum"][0]
    return False, None


def _param_value(doc: dict[str, Any], param: dict[str, Any]) -> Any:
    found, value = _example(param)
    return value if found else _value(doc, param.get("schema") or {}, str(param.get("name", "")), 0)


def _media_value(doc: dict[str, Any], media: dict[str, Any]) -> Any:
    found, value = _example(media)
    return value if found else _value(doc, media.get("schema") or {}, "", 0)


def _value(doc: dict[str, Any], raw: Any, name: str, depth: int) -> Any:
    schema = _deref(doc, raw)
    if not isinstance(schema, dict) or depth > _DEPTH:
        return None
    found, value = _example(schema)
    if found:
        return value
    for key in ("anyOf", "oneOf", "allOf"):
        options = [o for o in schema.get(key) or [] if (_deref(doc, o) or {}).get("type") != "null"]
        if options:
            return _value(doc, options[0], name, depth + 1)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {k: _value(doc, v, k, depth + 1) for k, v in props.items()}
    if kind == "array":
        count = max(1, int(schema.get("minItems") or 1))
        return [_value(doc, schema.get("items") or {}, name, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum")) or 0
        return max(1, int(low) + (1 if "exclusiveMinimum" in schema else 0))
    if kind == "boolean":
        return True
    return _string(schema, name)


def _string(schema: dict[str, Any], name: str) -> str:
    fmt = str(schema.get("format") or "")
    lowered = name.lower()
    if fmt == "email" or "email" in lowered:
        text = "waf-check@example.com"
    elif fmt == "uuid":
        text = "00000000-0000-4000-8000-000000000000"
    elif fmt == "date-time":
        text = "2026-01-01T00:00:00Z"
    elif fmt == "date":
        text = "2026-01-01"
    elif "password" in lowered:
        text = "Correct-Horse-Battery-9"
    else:
        text = "example" + "x" * 24
    low, high = int(schema.get("minLength") or 1), int(schema.get("maxLength") or 64)
    text = text if len(text) >= low else text + "x" * (low - len(text))
    return text[: max(high, 1)] if len(text) > high and "@" not in text else text


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)

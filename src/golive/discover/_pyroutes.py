"""HTTP routes of a Python service, read from its syntax tree (nothing is imported or run).

FastAPI/Starlette routers and Flask blueprints are followed through ``include_router`` and
``register_blueprint`` with their prefixes, as far as the prefixes are literal strings or
constants assigned a literal somewhere in the code (``settings.API_V1_STR``). Django's
``urls.py`` are followed through ``include("app.urls")``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from golive.discover._repo import Repo
from golive.discover.facts import Fact, Source

_APPS = {"FastAPI", "Flask", "Starlette", "Quart", "Litestar"}
_ROUTERS = {"APIRouter", "Blueprint", "Router"}
_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "route", "api_route"}
_SKIP = re.compile(r"(^|/)(tests?|migrations|alembic|docs|examples?)(/|$)")

Node = tuple[str, str]


@dataclass(kw_only=True)
class _Module:
    rel: str
    imports: dict[str, str] = field(default_factory=dict)
    objects: dict[str, tuple[str, ast.expr | None, int]] = field(default_factory=dict)
    routes: list[tuple[str, ast.expr, int]] = field(default_factory=list)
    includes: list[tuple[str, ast.expr, ast.expr | None]] = field(default_factory=list)
    openapi: list[tuple[ast.expr | None, int]] = field(default_factory=list)


@dataclass(kw_only=True)
class PythonRoutes:
    """Routes found (full paths where known) and the OpenAPI URL a FastAPI app serves."""

    routes: list[Fact[str]] = field(default_factory=list)
    openapi: Fact[str] | None = None


def python_routes(repo: Repo, app: str) -> PythonRoutes:
    """Every route of the Python code under ``app`` (tests and migrations skipped)."""
    prefix = f"{app}/" if app else ""
    rels = [f for f in repo.files if f.endswith(".py") and f.startswith(prefix) and not _SKIP.search(f)]
    modules = [m for m in (_parse(repo, rel) for rel in rels) if m is not None]
    constants = _constants(repo, rels)
    index = _module_index(rels)
    graph = _Graph(modules=modules, constants=constants, index=index)
    found = PythonRoutes(routes=graph.routes() + _django_routes(repo, rels, index))
    for module in modules:
        for expr, line in module.openapi:
            url = "/openapi.json" if expr is None else _value(expr, constants)
            if url:
                found.openapi = Fact(
                    value=url, source=Source(path=module.rel, line=line, detail="openapi_url")
                )
    return found


def _parse(repo: Repo, rel: str) -> _Module | None:
    text = repo.text(rel)
    try:
        tree = ast.parse(text or "", filename=rel)
    except (SyntaxError, ValueError):
        return None
    module = _Module(rel=rel)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                module.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            _assignment(module, node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            _decorators(module, node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            _include(module, node)
    return module


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _keyword(call: ast.Call, *names: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg in names), None)


def _assignment(module: _Module, node: ast.Assign) -> None:
    call = node.value
    assert isinstance(call, ast.Call)
    kind = "app" if _callee(call) in _APPS else "router" if _callee(call) in _ROUTERS else ""
    for target in node.targets:
        if kind and isinstance(target, ast.Name):
            module.objects[target.id] = (kind, _keyword(call, "prefix", "url_prefix"), node.lineno)
    if _callee(call) == "FastAPI":
        openapi = _keyword(call, "openapi_url")
        if not (isinstance(openapi, ast.Constant) and openapi.value is None):
            module.openapi.append((openapi, node.lineno))


def _decorators(module: _Module, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    for deco in node.decorator_list:
        if isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute) and deco.args:
            owner = deco.func.value
            if deco.func.attr in _METHODS and isinstance(owner, ast.Name):
                module.routes.append((owner.id, deco.args[0], deco.lineno))


def _include(module: _Module, call: ast.Call) -> None:
    assert isinstance(call.func, ast.Attribute)
    owner = call.func.value
    if not isinstance(owner, ast.Name):
        return
    if call.func.attr in ("include_router", "register_blueprint") and call.args:
        module.includes.append((owner.id, call.args[0], _keyword(call, "prefix", "url_prefix")))
    elif call.func.attr in ("add_api_route", "add_url_rule") and call.args:
        module.routes.append((owner.id, call.args[0], call.lineno))


def _constants(repo: Repo, rels: list[str]) -> dict[str, str]:
    """``NAME = "literal"`` (or annotated) anywhere: names assigned one value only."""
    seen: dict[str, set[str]] = {}
    rx = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?::\s*[\w\[\], |]+)?=\s*[\"']([^\"'\n]*)[\"']\s*$", re.M)
    for rel in rels:
        for match in rx.finditer(repo.text(rel) or ""):
            seen.setdefault(match.group(1), set()).add(match.group(2))
    return {name: next(iter(values)) for name, values in seen.items() if len(values) == 1}


def _value(expr: ast.expr | None, constants: dict[str, str]) -> str | None:
    if expr is None:
        return ""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.Name | ast.Attribute):
        return constants.get(expr.id if isinstance(expr, ast.Name) else expr.attr)
    if isinstance(expr, ast.JoinedStr):
        parts = [_value(v.value if isinstance(v, ast.FormattedValue) else v, constants) for v in expr.values]
        return None if any(p is None for p in parts) else "".join(p or "" for p in parts)
    return None


def _module_index(rels: list[str]) -> dict[str, str]:
    """Dotted module names (every suffix of the path) → file."""
    index: dict[str, str] = {}
    for rel in sorted(rels, key=lambda r: r.count("/")):
        parts = rel[:-3].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        for start in range(len(parts)):
            index.setdefault(".".join(parts[start:]), rel)
    return index


@dataclass(kw_only=True)
class _Graph:
    modules: list[_Module]
    constants: dict[str, str]
    index: dict[str, str]

    def routes(self) -> list[Fact[str]]:
        by_rel = {m.rel: m for m in self.modules}
        parents: dict[Node, tuple[Node, ast.expr | None]] = {}
        for module in self.modules:
            for owner, target, prefix in module.includes:
                child = self._resolve(module, target)
                if child is not None and child in self._objects():
                    parents.setdefault(child, ((module.rel, owner), prefix))
        found = []
        for module in self.modules:
            for owner, path_expr, line in module.routes:
                path = _value(path_expr, self.constants)
                mount = self._mount((module.rel, owner), parents, by_rel, set())
                if path is not None and mount is not None:
                    full = "/" + re.sub("/+", "/", f"{mount}/{path}").strip("/")
                    full += "/" if path.endswith("/") and path != "/" else ""
                    found.append(Fact(value=full, source=Source(path=module.rel, line=line, detail="route")))
        return found

    def _objects(self) -> set[Node]:
        return {(m.rel, name) for m in self.modules for name in m.objects}

    def _resolve(self, module: _Module, target: ast.expr) -> Node | None:
        if isinstance(target, ast.Name):
            if target.id in module.objects:
                return (module.rel, target.id)
            dotted = module.imports.get(target.id, "")
            owner, _, name = dotted.rpartition(".")
            rel = self.index.get(owner)
            return (rel, name) if rel else None
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            dotted = module.imports.get(target.value.id, target.value.id)
            rel = self.index.get(dotted)
            return (rel, target.attr) if rel else None
        return None

    def _mount(
        self,
        node: Node,
        parents: dict[Node, tuple[Node, ast.expr | None]],
        by_rel: dict[str, _Module],
        seen: set[Node],
    ) -> str | None:
        """The path prefix of ``node``'s routes: its parents' mounts plus its own prefix."""
        module = by_rel.get(node[0])
        kind, own_expr, _ = (
            module.objects.get(node[1], ("router", None, 0)) if module else ("router", None, 0)
        )
        own = _value(own_expr, self.constants)
        if own is None or node in seen:
            return None
        if kind == "app" or node not in parents:
            return own
        parent, include_expr = parents[node]
        above = self._mount(parent, parents, by_rel, seen | {node})
        include = _value(include_expr, self.constants)
        if above is None or include is None:
            return None
        return f"{above}/{include}/{own}"


def _django_routes(repo: Repo, rels: list[str], index: dict[str, str]) -> list[Fact[str]]:
    """``path("healthz/", …)`` in urls.py files, under the prefix their ``include`` gives them."""
    urls = [r for r in rels if r.endswith("urls.py")]
    prefixes: dict[str, str] = {}
    calls: list[tuple[str, str, ast.Call]] = []
    for rel in urls:
        try:
            tree = ast.parse(repo.text(rel) or "")
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _callee(node) in ("path", "re_path") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    calls.append((rel, first.value.lstrip("^").rstrip("$"), node))
    for rel, route, call in calls:
        target = call.args[1] if len(call.args) > 1 else None
        if isinstance(target, ast.Call) and _callee(target) == "include" and target.args:
            name = target.args[0]
            if isinstance(name, ast.Constant) and isinstance(name.value, str) and name.value in index:
                prefixes[index[name.value]] = prefixes.get(rel, "") + route
    return [
        Fact(
            value="/" + prefixes.get(rel, "") + route,
            source=Source(path=rel, line=call.lineno, detail="path()"),
        )
        for rel, route, call in calls
        if not (
            len(call.args) > 1 and isinstance(call.args[1], ast.Call) and _callee(call.args[1]) == "include"
        )
    ]

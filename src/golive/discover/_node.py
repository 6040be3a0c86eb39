"""Node and Go services: manifests, lock files, frameworks, scripts, versions."""

from __future__ import annotations

import re
from typing import Any

from golive.discover._draft import Draft
from golive.discover._repo import Repo
from golive.discover.facts import Fact, Language

NODE_FRAMEWORKS = {"express": "express", "fastify": "fastify", "koa": "koa", "@nestjs/core": "nestjs"}
NODE_FRAMEWORKS |= {"hono": "hono", "next": "next"}
NODE_BROKERS = {"ioredis": "redis", "redis": "redis", "bullmq": "redis", "amqplib": "rabbitmq"}
NODE_BROKERS |= {"nats": "nats", "kafkajs": "kafka"}
NODE_LOCKS = (
    ("package-lock.json", "npm"),
    ("pnpm-lock.yaml", "pnpm"),
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
    ("yarn.lock", "yarn"),
)
GO_FRAMEWORKS = {"github.com/gin-gonic/gin": "gin", "github.com/labstack/echo": "echo"}
GO_FRAMEWORKS |= {"github.com/go-chi/chi": "chi", "github.com/gofiber/fiber": "fiber"}
TEST_RUNNERS = ("jest", "vitest", "mocha", "ava", "tap")


def _in(app: str, name: str) -> str:
    return f"{app}/{name}" if app else name


def package_json(repo: Repo, app: str) -> dict[str, Any] | None:
    """The app's package.json (``None`` when absent or broken)."""
    rel = _in(app, "package.json")
    doc = repo.json(rel) if repo.exists(rel) else None
    return doc if isinstance(doc, dict) else None


def node(repo: Repo, app: str, draft: Draft) -> None:
    """Language, frameworks, brokers, package manager, lock files and Node version."""
    rel = _in(app, "package.json")
    doc = package_json(repo, app)
    if doc is None:
        return
    draft.add("languages", repo.fact(Language.NODE, rel, detail="package.json"))
    deps = {**_dict(doc.get("devDependencies")), **_dict(doc.get("dependencies"))}
    for dep, name in NODE_FRAMEWORKS.items():
        if dep in deps:
            draft.add("frameworks", repo.fact(name, rel, f'"{dep}"', f"dependency {dep}"))
    for dep, broker in NODE_BROKERS.items():
        if dep in deps:
            draft.add("brokers", repo.fact(broker, rel, f'"{dep}"', f"dependency {dep}"))
    for lock, manager in NODE_LOCKS:
        for path in dict.fromkeys((_in(app, lock), lock)):
            if repo.exists(path):
                draft.add("lockfiles", repo.fact(path, path, detail=f"{manager} lock file"))
                draft.put("package_manager", repo.fact(manager, path, detail="lock file"))
    declared = str(doc.get("packageManager") or "").split("@", 1)[0]
    if declared:
        draft.put("package_manager", repo.fact(declared, rel, '"packageManager"', "packageManager"))
    draft.put("package_manager", repo.fact("npm", rel, detail="package.json without a lock file"))
    _node_version(repo, app, doc, draft)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _node_version(repo: Repo, app: str, doc: dict[str, Any], draft: Draft) -> None:
    for name in (".nvmrc", ".node-version"):
        for rel in dict.fromkeys((_in(app, name), name)):
            match = re.search(r"(\d+(?:\.\d+)*)", repo.text(rel) or "") if repo.exists(rel) else None
            if match:
                draft.put("node_version", repo.fact(match.group(1), rel, match.group(1), name))
    engine = str(_dict(doc.get("engines")).get("node") or "")
    match = re.search(r"(\d+)", engine)
    if match:
        draft.put(
            "node_version", repo.fact(match.group(1), _in(app, "package.json"), '"node"', f"engines {engine}")
        )


def run_script(manager: str, script: str) -> str:
    """How ``manager`` runs a package.json script (``npm test``, ``npm run lint``, ``bun run build``)."""
    if script in ("test", "start") and manager in ("npm", "yarn", "pnpm"):
        return f"{manager} {script}"
    return f"{manager} run {script}"


def scripts(repo: Repo, app: str, manager: str) -> dict[str, Fact[str]]:
    """package.json scripts as commands run from the repository root."""
    doc = package_json(repo, app)
    rel = _in(app, "package.json")
    found: dict[str, Fact[str]] = {}
    for name, body in _dict(doc.get("scripts") if doc else None).items():
        command = run_script(manager, name)
        command = f"cd {app} && {command}" if app else command
        found[name] = repo.fact(command, rel, f'"{name}"', f"script {name}: {body}")
    return found


def test_runner(repo: Repo, app: str) -> Fact[str] | None:
    """jest/vitest/mocha/node from ``scripts.test``."""
    doc = package_json(repo, app)
    body = str(_dict(doc.get("scripts") if doc else None).get("test") or "")
    rel = _in(app, "package.json")
    for runner in TEST_RUNNERS:
        if re.search(rf"\b{runner}\b", body):
            return repo.fact(runner, rel, '"test"', f"scripts.test: {body}")
    if re.search(r"\bnode\b.*--test\b", body):
        return repo.fact("node", rel, '"test"', f"scripts.test: {body}")
    return None


def go(repo: Repo, app: str, draft: Draft) -> None:
    """go.mod: language, frameworks (net/http when no router library), go.sum."""
    rel = _in(app, "go.mod")
    if not repo.exists(rel):
        return
    text = repo.text(rel) or ""
    draft.add("languages", repo.fact(Language.GO, rel, "module", "go.mod"))
    for module, name in GO_FRAMEWORKS.items():
        if module in text:
            draft.add("frameworks", repo.fact(name, rel, module, f"require {module}"))
    sources = [f for f in repo.files if f.endswith(".go") and not f.endswith("_test.go")]
    uses_http = next((f for f in sources if '"net/http"' in (repo.text(f) or "")), None)
    if uses_http and not any(m in text for m in GO_FRAMEWORKS):
        draft.add("frameworks", repo.fact("net/http", uses_http, '"net/http"', "import"))
    gosum = _in(app, "go.sum")
    if repo.exists(gosum):
        draft.add("lockfiles", repo.fact(gosum, gosum, detail="go checksums"))
    draft.put("package_manager", repo.fact("go", rel, "module", "go.mod"))


def go_name(repo: Repo, app: str) -> Fact[str] | None:
    """The last element of the go.mod module path."""
    rel = _in(app, "go.mod")
    match = re.search(r"^module\s+(\S+)", repo.text(rel) or "", re.M) if repo.exists(rel) else None
    return repo.fact(match.group(1).rsplit("/", 1)[-1], rel, "module", "module") if match else None

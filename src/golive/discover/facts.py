"""What discovery found in a repository, each fact with the place it was found.

Every ``init`` generator and the spec writer read these facts instead of assuming
storefront's layout. A fact golive could not find is ``None`` (or an empty tuple): the
generators then write a marked ``TODO``, never a made-up value.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Source:
    """Where a fact was found: a file relative to the repository root, and a line if known."""

    path: str
    line: int | None = None
    #: What in that file said so, e.g. ``CMD``, ``compose service 'db'``, ``[project] requires-python``.
    detail: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where} ({self.detail})" if self.detail else where


@dataclass(frozen=True, kw_only=True)
class Fact(Generic[T]):
    """One discovered value and where it came from."""

    value: T
    source: Source


class Language(enum.StrEnum):
    """Languages a service may be written in."""

    PYTHON = "python"
    NODE = "node"
    GO = "go"


@dataclass(frozen=True, kw_only=True)
class Database:
    """The service's database."""

    #: ``postgresql``, ``mysql``, ``sqlite``, ``mongodb``.
    kind: str
    #: The environment variable the service reads its URL (or host) from, when known.
    url_env: str | None = None
    #: A URL safe to write into a spec (from compose/.env, never with a password), when known.
    url: str | None = None
    #: The compose service that runs it, when it runs in compose.
    compose_service: str | None = None


@dataclass(frozen=True, kw_only=True)
class Migrations:
    """How the schema is migrated."""

    #: ``alembic``, ``django``, ``prisma``, ``knex``, ``goose``, ``migrate``.
    tool: str
    #: The command that applies every migration, run in ``workdir``.
    upgrade_command: str
    #: The directory (relative to the repository root) the tool runs in.
    workdir: str = "."
    #: The migrations directory, when known.
    directory: str | None = None


@dataclass(frozen=True, kw_only=True)
class Tests:
    """How the service's tests are run."""

    #: ``pytest``, ``unittest``, ``django``, ``jest``, ``vitest``, ``mocha``, ``node``, ``go``.
    framework: Fact[str] | None = None
    #: The command a developer (and CI) runs for the unit tests, from the repository root.
    command: Fact[str] | None = None
    #: Test directories (relative to the repository root).
    directories: tuple[Fact[str], ...] = ()
    #: An end-to-end suite (command), when one exists.
    e2e_command: Fact[str] | None = None
    #: pytest markers declared by the project.
    markers: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ServiceFacts:
    """Everything discovery found in one repository."""

    root: Path
    name: Fact[str]
    #: The directory holding the service's code when it is not the root (``backend``).
    app_dir: Fact[str] | None = None
    languages: tuple[Fact[Language], ...] = ()
    #: ``fastapi``, ``starlette``, ``flask``, ``django``, ``express``, ``fastify``, ``net/http``, ``gin``…
    frameworks: tuple[Fact[str], ...] = ()
    #: ``uv``, ``poetry``, ``pip-tools``, ``pip``, ``npm``, ``pnpm``, ``bun``, ``yarn``, ``go``.
    package_manager: Fact[str] | None = None
    lockfiles: tuple[Fact[str], ...] = ()
    python_version: Fact[str] | None = None
    node_version: Fact[str] | None = None
    #: How the service starts in production (a command line).
    start_command: Fact[str] | None = None
    port: Fact[int] | None = None
    health_path: Fact[str] | None = None
    readiness_path: Fact[str] | None = None
    metrics_path: Fact[str] | None = None
    openapi_path: Fact[str] | None = None
    database: Fact[Database] | None = None
    migrations: Fact[Migrations] | None = None
    #: ``redis``, ``rabbitmq``, ``nats``, ``kafka``.
    brokers: tuple[Fact[str], ...] = ()
    tests: Tests = field(default_factory=Tests)
    #: Commands the repository uses to build and lint (from its scripts, CI or task runner).
    build_command: Fact[str] | None = None
    lint_command: Fact[str] | None = None
    #: CI workflow files.
    ci_workflows: tuple[Fact[str], ...] = ()
    #: How the repository deploys (a script or command), when it has one.
    deploy_command: Fact[str] | None = None
    #: How the repository rolls a deploy back (a script or command), when it has one.
    rollback_command: Fact[str] | None = None
    #: Prometheus rule files, Alertmanager configs, Grafana dashboards.
    alert_rules: tuple[Fact[str], ...] = ()
    alertmanager_configs: tuple[Fact[str], ...] = ()
    dashboards: tuple[Fact[str], ...] = ()
    runbooks: tuple[Fact[str], ...] = ()
    docs: tuple[Fact[str], ...] = ()
    dockerfiles: tuple[Fact[str], ...] = ()
    compose_files: tuple[Fact[str], ...] = ()
    kubernetes_manifests: tuple[Fact[str], ...] = ()
    default_branch: Fact[str] | None = None
    #: Everything discovery could not decide, in words, for ``--explain`` and the spec's TODOs.
    unknowns: tuple[str, ...] = ()

    def has(self, language: Language) -> bool:
        """Whether the service is (partly) written in ``language``."""
        return any(f.value is language for f in self.languages)

    def framework(self, *names: str) -> Fact[str] | None:
        """The first discovered framework among ``names``, if any."""
        return next((f for f in self.frameworks if f.value in names), None)

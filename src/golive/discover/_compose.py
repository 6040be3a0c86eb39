"""Compose files and ``.env`` files: the service's container, its database and its brokers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from golive.discover._repo import Repo, yaml_line
from golive.discover.facts import Database, Fact, Source

DB_IMAGES = {"postgres": "postgresql", "postgis": "postgresql", "mysql": "mysql", "mariadb": "mysql"}
DB_IMAGES |= {"mongo": "mongodb", "timescaledb": "postgresql"}
BROKER_IMAGES = {"redis": "redis", "valkey": "redis", "rabbitmq": "rabbitmq", "nats": "nats"}
BROKER_IMAGES |= {"kafka": "kafka", "cp-kafka": "kafka", "redpanda": "kafka"}
SCHEMES = {"postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql"}
SCHEMES |= {"sqlite": "sqlite", "mongodb": "mongodb", "mongodb+srv": "mongodb"}
ENV_FILES = (".env", ".env.example", ".env.sample", ".env.template", ".env.dist", ".env.local")
_URL_KEY = re.compile(r"(^|_)(DATABASE_URL|DATABASE_URI|DB_URL|DB_URI|DSN)$|^SQLALCHEMY_DATABASE_URI$")
_HOST_KEYS = {"POSTGRES_SERVER": "postgresql", "POSTGRES_HOST": "postgresql", "PGHOST": "postgresql"}
_HOST_KEYS |= {
    "MYSQL_HOST": "mysql",
    "MONGO_URL": "mongodb",
    "MONGODB_URI": "mongodb",
    "MONGO_URI": "mongodb",
}


@dataclass(frozen=True, kw_only=True)
class Service:
    """One compose service."""

    name: str
    file: str
    line: int | None
    body: dict[str, Any]

    @property
    def image(self) -> str:
        """The image's base name (``postgres`` for ``docker.io/library/postgres:17``)."""
        image = str(self.body.get("image") or "")
        return image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0].lower()

    def source(self, detail: str) -> Source:
        """Where this service is declared."""
        return Source(path=self.file, line=self.line, detail=detail)


@dataclass(kw_only=True)
class Compose:
    """Every service of every compose file, and the environment files beside them."""

    files: list[str] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)


def compose_files(repo: Repo) -> list[str]:
    """compose.yaml, docker-compose*.yml and the like, shallowest first."""
    rx = re.compile(r"(docker-)?compose([.-][\w.-]+)?\.ya?ml")
    return sorted(
        (f for f in repo.files if rx.fullmatch(f.rsplit("/", 1)[-1])), key=lambda f: (f.count("/"), f)
    )


def read_compose(repo: Repo) -> Compose:
    """Parse every compose file (a broken one becomes an unknown)."""
    compose = Compose(files=compose_files(repo))
    for rel in compose.files:
        for doc in repo.yaml(rel):
            services = doc.get("services") if isinstance(doc, dict) else None
            if not isinstance(services, dict):
                continue
            for name, body in services.items():
                if isinstance(body, dict):
                    line = yaml_line(services, name)
                    compose.services.append(Service(name=str(name), file=rel, line=line, body=body))
    return compose


def app_service(compose: Compose) -> Service | None:
    """The service built from the repository that serves traffic (published ports first)."""
    built = [s for s in compose.services if "build" in s.body]
    for wanted in ("ports", "healthcheck"):
        for service in built:
            if service.body.get(wanted):
                return service
    return built[0] if built else None


def service_port(service: Service) -> Fact[int] | None:
    """The container port of the service's first published port."""
    ports = service.body.get("ports") or []
    for index, entry in enumerate(ports if isinstance(ports, list) else []):
        target = entry.get("target") if isinstance(entry, dict) else str(entry).rsplit(":", 1)[-1]
        match = re.match(r"(\d+)", str(target))
        if match:
            line = yaml_line(ports, index) or service.line
            return Fact(
                value=int(match.group(1)), source=Source(path=service.file, line=line, detail="ports")
            )
    return None


def service_command(service: Service) -> Fact[str] | None:
    """The compose ``command`` of the service, as one command line."""
    command = service.body.get("command")
    if isinstance(command, list):
        command = " ".join(str(c) for c in command)
    if not isinstance(command, str) or not command.strip():
        return None
    line = yaml_line(service.body, "command") or service.line
    return Fact(value=command.strip(), source=Source(path=service.file, line=line, detail="compose command"))


def healthcheck_paths(compose: Compose) -> list[Fact[str]]:
    """URL paths the compose healthchecks probe."""
    found = []
    for service in compose.services:
        check = service.body.get("healthcheck")
        test = check.get("test") if isinstance(check, dict) else None
        text = " ".join(str(t) for t in test) if isinstance(test, list) else str(test or "")
        for match in re.finditer(r"https?://[^/\s\"']+(/[^\s\"']*)", text):
            line = yaml_line(check, "test") or service.line
            source = Source(path=service.file, line=line, detail=f"healthcheck of '{service.name}'")
            found.append(Fact(value=match.group(1), source=source))
    return found


def compose_database(compose: Compose) -> Fact[Database] | None:
    """The first compose service whose image is a database server."""
    for service in compose.services:
        kind = DB_IMAGES.get(service.image)
        if kind:
            database = Database(kind=kind, compose_service=service.name)
            return Fact(value=database, source=service.source(f"compose service '{service.name}'"))
    return None


def compose_brokers(compose: Compose) -> list[Fact[str]]:
    """Brokers run as compose services."""
    return [
        Fact(value=BROKER_IMAGES[s.image], source=s.source(f"compose service '{s.name}'"))
        for s in compose.services
        if s.image in BROKER_IMAGES
    ]


def env_files(repo: Repo, app: str) -> list[str]:
    """Environment files of the root and the app directory."""
    names = [*ENV_FILES, *(f"{app}/{n}" for n in ENV_FILES if app)]
    return [n for n in names if repo.exists(n)]


def env_values(repo: Repo, rel: str) -> list[tuple[str, str, int]]:
    """(KEY, value, line) of each assignment in an environment file."""
    found = []
    for number, line in enumerate((repo.text(rel) or "").splitlines(), 1):
        match = re.match(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", line)
        if match:
            found.append((match.group(1), match.group(2).strip().strip("\"'"), number))
    return found


def env_database(repo: Repo, app: str) -> Fact[Database] | None:
    """The database an environment file points at, never recording a password."""
    for rel in env_files(repo, app):
        values = env_values(repo, rel)
        for key, value, line in values:
            if _URL_KEY.search(key) and (kind := url_kind(value)):
                url = value if safe_url(value) else None
                source = Source(path=rel, line=line, detail=key)
                return Fact(value=Database(kind=kind, url_env=key, url=url), source=source)
        for key, _value, line in values:
            if key in _HOST_KEYS:
                source = Source(path=rel, line=line, detail=key)
                return Fact(value=Database(kind=_HOST_KEYS[key], url_env=key), source=source)
    return None


def url_kind(url: str) -> str | None:
    """The database kind a URL's scheme names (``postgresql+psycopg://`` → ``postgresql``)."""
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else ""
    return SCHEMES.get(scheme)


def safe_url(url: str) -> bool:
    """Whether ``url`` may be written into a spec: no password, no unresolved variable."""
    if "$" in url or "{" in url:
        return False
    try:
        return urlsplit(url).password is None
    except ValueError:
        return False


def env_port(repo: Repo, app: str) -> Fact[int] | None:
    """``PORT=N`` in an environment file."""
    for rel in env_files(repo, app):
        for key, value, line in env_values(repo, rel):
            if key == "PORT" and value.isdigit():
                return Fact(value=int(value), source=Source(path=rel, line=line, detail="PORT"))
    return None

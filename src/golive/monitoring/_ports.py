"""The ports a service declares it listens on: Dockerfile ``EXPOSE``, compose, Kubernetes.

``prometheus.config`` compares the committed scrape targets of the service's job with these,
so a wrong port in the shipped ``prometheus.yml`` is caught even when the local review stack
scrapes the service somewhere else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from golive.monitoring._support import relative

#: Directories never searched: dependencies, virtualenvs, VCS and golive's own state.
_PRUNED = {".git", ".hg", ".venv", "venv", "node_modules", ".golive", "__pycache__", ".tox", ".mypy_cache"}
_MAX_BYTES = 512 * 1024
_EXPOSE = re.compile(r"^\s*EXPOSE\s+(.+)$", re.IGNORECASE | re.MULTILINE)
_PORT = re.compile(r"^(?:\$\{[A-Za-z_][A-Za-z0-9_]*:-)?(\d{1,5})\}?(?:/(?:tcp|udp|sctp))?$")
_WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "Job", "CronJob"}


@dataclass(frozen=True, kw_only=True)
class DeclaredPort:
    """A port and where it is declared (``deploy/Dockerfile: EXPOSE 8000``)."""

    port: int
    source: str


def _is_dockerfile(name: str) -> bool:
    low = name.lower()
    return low.startswith(("dockerfile", "containerfile")) or low.endswith(".dockerfile")


def _is_yaml(name: str) -> bool:
    return name.lower().endswith((".yml", ".yaml"))


def candidate_files(root: Path) -> list[Path]:
    """Dockerfiles and YAML files below ``root`` (dependencies and VCS directories pruned)."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _PRUNED)
        for name in sorted(files):
            if _is_dockerfile(name) or _is_yaml(name):
                path = Path(folder) / name
                try:
                    if path.stat().st_size <= _MAX_BYTES:
                        found.append(path)
                except OSError:
                    continue
    return found


def _port(text: str) -> int | None:
    match = _PORT.match(text.strip().strip("\"'"))
    return int(match.group(1)) if match else None


def _dockerfile_ports(text: str, shown: str) -> Iterator[DeclaredPort]:
    for line in _EXPOSE.findall(text):
        for word in line.split():
            port = _port(word)
            if port is not None:
                yield DeclaredPort(port=port, source=f"{shown}: EXPOSE {word}")


def _yaml_documents(text: str) -> list[Any]:
    try:
        return [d for d in YAML(typ="safe", pure=True).load_all(text) if isinstance(d, dict)]
    except YAMLError:
        return []


def _compose_port(spec: Any) -> list[int]:
    """Host and container ports of one compose ``ports`` entry (short or long syntax)."""
    if isinstance(spec, dict):
        return [p for p in (_port(str(spec.get(k, ""))) for k in ("published", "target")) if p]
    parts = str(spec).split(":")
    return [p for p in (_port(parts[-1]), _port(parts[-2]) if len(parts) > 1 else None) if p]


def _compose_ports(doc: Mapping[str, Any], names: set[str], shown: str) -> Iterator[DeclaredPort]:
    services = doc.get("services")
    if not isinstance(services, dict):
        return
    for name, service in services.items():
        # The service under review: named like it, or the image this repository builds.
        if not isinstance(service, dict) or (str(name) not in names and "build" not in service):
            continue
        for spec in service.get("ports") or []:
            for port in _compose_port(spec):
                yield DeclaredPort(port=port, source=f"{shown}: service {name} ports {spec}")
        for spec in service.get("expose") or []:
            exposed = _port(str(spec))
            if exposed is not None:
                yield DeclaredPort(port=exposed, source=f"{shown}: service {name} expose {spec}")


def _walk(node: Any, key: str) -> Iterator[Any]:
    """Every value stored under ``key`` anywhere in a parsed manifest."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from _walk(v, key)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, key)


def _named_container_ports(docs: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """``containerPort`` of every named port of the workloads' containers."""
    named: dict[str, int] = {}
    for doc in docs:
        if doc.get("kind") not in _WORKLOADS:
            continue
        for containers in _walk(doc, "containers"):
            for container in containers if isinstance(containers, list) else []:
                for entry in container.get("ports") or [] if isinstance(container, dict) else []:
                    if isinstance(entry, dict) and "name" in entry and _port(str(entry.get("containerPort"))):
                        named.setdefault(str(entry["name"]), int(entry["containerPort"]))
    return named


def _annotated_ports(docs: list[tuple[Mapping[str, Any], str]]) -> Iterator[DeclaredPort]:
    """``prometheus.io/port`` annotations of the workloads (the port their pods are scraped on)."""
    for doc, shown in docs:
        if doc.get("kind") not in _WORKLOADS:
            continue
        for notes in _walk(doc, "annotations"):
            value = notes.get("prometheus.io/port") if isinstance(notes, dict) else None
            port = _port(str(value)) if value is not None else None
            if port is not None:
                name = (doc.get("metadata") or {}).get("name", "?")
                yield DeclaredPort(
                    port=port, source=f"{shown}: {doc['kind']} {name} prometheus.io/port {port}"
                )


def _k8s_ports(docs: list[tuple[Mapping[str, Any], str]], names: set[str]) -> Iterator[DeclaredPort]:
    services = [(d, shown) for d, shown in docs if d.get("kind") == "Service"]
    named = _named_container_ports(d for d, _ in docs)
    for doc, shown in services:
        meta = doc.get("metadata") or {}
        labels = meta.get("labels") or {}
        ours = {
            str(meta.get("name", "")),
            str(labels.get("app", "")),
            str(labels.get("app.kubernetes.io/name", "")),
        }
        if not (ours - {""}) & names and len(services) > 1:
            continue
        for entry in (doc.get("spec") or {}).get("ports") or []:
            if not isinstance(entry, dict):
                continue
            label = f"{shown}: Service {meta.get('name', '?')}"
            if _port(str(entry.get("port", ""))):
                yield DeclaredPort(port=int(entry["port"]), source=f"{label} port {entry['port']}")
            target = entry.get("targetPort")
            port = _port(str(target)) if target is not None else None
            if port is None and target is not None:
                port = named.get(str(target))
            if port is not None:
                yield DeclaredPort(port=port, source=f"{label} targetPort {target}={port}")


def declared_ports(files: Iterable[Path], names: set[str], base: Path) -> list[DeclaredPort]:
    """Every port the files declare for the service called one of ``names``."""
    names = {n for n in names if n}
    ports: list[DeclaredPort] = []
    k8s: list[tuple[Mapping[str, Any], str]] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        shown = relative(path, base)
        if _is_dockerfile(path.name):
            ports.extend(_dockerfile_ports(text, shown))
            continue
        if "services:" not in text and "kind:" not in text:
            continue
        for doc in _yaml_documents(text):
            if "services" in doc:
                ports.extend(_compose_ports(doc, names, shown))
            elif "kind" in doc:
                k8s.append((doc, shown))
    ports.extend(_k8s_ports(k8s, names))
    ports.extend(_annotated_ports(k8s))
    return ports

"""Dockerfiles: base images (the runtime's version), the start command and the exposed port."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from golive.discover._repo import Repo
from golive.discover.facts import Fact, Source

_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)\s+(.*)$", re.S)


@dataclass(frozen=True, kw_only=True)
class Dockerfile:
    """What one Dockerfile's final stage states."""

    path: str
    images: tuple[Fact[str], ...] = ()
    command: Fact[str] | None = None
    port: Fact[int] | None = None


def dockerfiles(repo: Repo) -> list[str]:
    """Dockerfiles and Containerfiles, shallowest first."""
    rx = re.compile(r"(Dockerfile|Containerfile)(\.[\w.-]+)?|[\w.-]+\.(Dockerfile|dockerfile)")
    found = [f for f in repo.files if rx.fullmatch(f.rsplit("/", 1)[-1])]
    return sorted(found, key=lambda f: (f.count("/"), f))


def read_dockerfile(repo: Repo, rel: str) -> Dockerfile:
    """Parse the instructions of ``rel``; CMD/ENTRYPOINT/EXPOSE are those of the last stage."""
    images: list[Fact[str]] = []
    cmd: Fact[str] | None = None
    entry: Fact[str] | None = None
    port: Fact[int] | None = None
    for line_no, name, arg in _instructions(repo.text(rel) or ""):
        source = Source(path=rel, line=line_no, detail=name)
        if name == "FROM" and arg.split():
            images.append(Fact(value=arg.split()[0], source=source))
            cmd, entry, port = None, None, None
        elif name == "CMD":
            cmd = Fact(value=_command(arg), source=source)
        elif name == "ENTRYPOINT":
            entry = Fact(value=_command(arg), source=source)
        elif name == "EXPOSE" and (match := re.match(r"(\d+)", arg.strip())):
            port = Fact(value=int(match.group(1)), source=source)
    return Dockerfile(path=rel, images=tuple(images), command=_start(entry, cmd), port=port)


def _instructions(text: str) -> Iterator[tuple[int, str, str]]:
    """(line, INSTRUCTION, argument) with continuation lines joined and comments skipped."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if not pending:
            start = number
        if raw.rstrip().endswith("\\"):
            pending.append(raw.rstrip()[:-1])
            continue
        pending.append(raw)
        match = _INSTRUCTION.match(" ".join(p.strip() for p in pending))
        pending = []
        if match:
            yield start, match.group(1).upper(), match.group(2).strip()


def _command(arg: str) -> str:
    """An exec-form (JSON array) or shell-form command as one command line."""
    if arg.startswith("["):
        try:
            words = json.loads(arg)
        except ValueError:
            return arg
        if isinstance(words, list) and all(isinstance(w, str) for w in words):
            if words[:2] in (["sh", "-c"], ["/bin/sh", "-c"], ["bash", "-c"]) and len(words) == 3:
                return str(words[2])
            return shlex.join(words)
    return arg


def _start(entry: Fact[str] | None, cmd: Fact[str] | None) -> Fact[str] | None:
    if entry is None:
        return cmd
    if cmd is None:
        return entry
    return Fact(value=f"{entry.value} {cmd.value}", source=entry.source)


def runtime_version(dockerfile: Dockerfile, runtime: str) -> Fact[str] | None:
    """The version of ``runtime`` (``python``/``node``) in a ``FROM runtime:X`` base image."""
    digits = r"\d+\.\d+" if runtime == "python" else r"\d+"
    for image in reversed(dockerfile.images):
        match = re.search(rf"(?:^|/){runtime}:({digits})", image.value)
        if match:
            return Fact(value=match.group(1), source=image.source)
    return None

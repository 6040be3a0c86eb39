"""Shared vocabulary of the testing family: its error and the pipeline model.

CI systems differ in syntax (GitHub Actions today, GitLab CI later) but not in what
golive asks of them, so each system has a :class:`PipelineReader` that turns its files
into the same frozen :class:`Pipeline` model that stage detection and gate rules read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from golive.errors import GoliveError
from golive.testing._workflows_shell import Command


class TestingError(GoliveError):
    """A test report, coverage report or pipeline file cannot be read."""

    __test__ = False  # not a pytest test class, despite the name


@dataclass(frozen=True, kw_only=True)
class Step:
    """One step of a job: a command (``run``) or an action (``uses``)."""

    name: str = ""
    run: str = ""
    uses: str = ""
    with_: Mapping[str, str] = field(default_factory=dict)
    continue_on_error: bool = False
    condition: str = ""
    where: str = ""
    """``file:line`` of the step; ``continue_on_error`` is written at :attr:`coe_where`."""
    coe_where: str = ""
    commands: tuple[Command, ...] = ()
    """What ``run`` executes, scripts it calls included, each with why its failure is lost."""

    @property
    def label(self) -> str:
        """How a report names the step."""
        return self.name or self.uses or (self.run.strip().splitlines() or [""])[0][:60]


@dataclass(frozen=True, kw_only=True)
class Job:
    """One job: its steps, what it waits for and where it deploys."""

    id: str
    name: str = ""
    file: str = ""
    needs: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    environment: str = ""
    continue_on_error: bool = False
    condition: str = ""
    #: A reusable workflow the job calls (``uses: ./.github/workflows/cd.yml``).
    calls: str = ""
    #: ``file:line`` of the job's ``continue-on-error``, when it has one.
    coe_where: str = ""

    @property
    def label(self) -> str:
        """``file:job`` as a report shows it."""
        return f"{self.file}:{self.id}" if self.file else self.id


@dataclass(frozen=True, kw_only=True)
class Pipeline:
    """Every job of a repository's CI/CD, across workflow files."""

    system: str
    files: tuple[str, ...] = ()
    jobs: tuple[Job, ...] = ()

    def job(self, job_id: str) -> Job | None:
        """The job with this id (qualified ``file:id`` or bare id), if any."""
        for job in self.jobs:
            if job.label == job_id or job.id == job_id:
                return job
        return None

    def upstream(self, job: Job) -> set[str]:
        """Labels of every job ``job`` waits for, directly or transitively."""
        seen: set[str] = set()
        todo = list(job.needs)
        while todo:
            label = todo.pop()
            if label in seen:
                continue
            seen.add(label)
            dep = self.job(label)
            if dep is not None:
                todo.extend(dep.needs)
        return seen


@runtime_checkable
class PipelineReader(Protocol):
    """Reads one CI system's configuration under a repository root."""

    system: str

    def detect(self, root: Path) -> bool:
        """True when the repository has configuration for this system."""
        ...

    def read(self, root: Path) -> Pipeline:
        """The pipeline; raises :class:`TestingError` on unreadable files."""
        ...

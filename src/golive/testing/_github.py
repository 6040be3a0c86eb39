"""GitHub Actions: read ``.github/workflows/*.yml`` into the pipeline model.

Local reusable workflows (``jobs.X.uses: ./.github/workflows/cd.yml``, or the ``$/...``
form) are expanded into the caller: their jobs wait for what the caller waits for,
``${{ inputs.NAME }}`` is replaced by the caller's ``with:`` value, and jobs that need the
caller wait for them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from golive.testing.base import Job, Pipeline, Step, TestingError

_INPUT = re.compile(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}")
WORKFLOWS = Path(".github") / "workflows"


def _truthy(value: Any) -> bool:
    """``continue-on-error`` is true, or an expression that may be true."""
    if isinstance(value, bool):
        return value
    return value is not None and str(value).strip().lower() not in ("", "false", "0")


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _environment(value: Any) -> str:
    if isinstance(value, dict):
        return _str(value.get("name"))
    return _str(value)


def _needs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _triggers(doc: dict[Any, Any]) -> set[str]:
    # YAML 1.1 readers turn a bare `on` into True.
    on = doc.get("on", doc.get(True))
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return {str(o) for o in on}
    if isinstance(on, dict):
        return {str(k) for k in on}
    return set()


class GitHubActionsReader:
    """Reads GitHub Actions workflows under ``<root>/.github/workflows``."""

    system = "github"

    def detect(self, root: Path) -> bool:
        """True when the repository has workflow files."""
        return any(self._files(root))

    def _files(self, root: Path) -> list[Path]:
        folder = root / WORKFLOWS
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())

    def load(self, path: Path) -> dict[str, Any]:
        """One workflow file as plain data."""
        try:
            doc = YAML(typ="safe", pure=True).load(path.read_text())
        except (OSError, YAMLError) as exc:
            raise TestingError(f"cannot read workflow {path}: {exc}") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), dict):
            raise TestingError(f"{path} is not a GitHub Actions workflow (no jobs:)")
        return doc

    def read(self, root: Path) -> Pipeline:
        """Every job of every workflow, with local reusable workflows expanded."""
        files = self._files(root)
        if not files:
            raise TestingError(f"no workflow files in {root / WORKFLOWS}")
        docs = {p.name: self.load(p) for p in files}
        jobs: list[Job] = []
        for name, doc in docs.items():
            # A workflow that can only be called is expanded where it is called.
            if _triggers(doc) == {"workflow_call"}:
                continue
            for job_id, spec in doc["jobs"].items():
                jobs.extend(self._job(name, str(job_id), spec or {}, docs, inputs={}))
        return Pipeline(system=self.system, files=tuple(docs), jobs=tuple(jobs))

    def _job(
        self,
        file: str,
        job_id: str,
        spec: dict[str, Any],
        docs: dict[str, dict[str, Any]],
        inputs: dict[str, str],
        prefix: str = "",
        outer_needs: tuple[str, ...] = (),
    ) -> list[Job]:
        def sub(text: str) -> str:
            return _INPUT.sub(lambda m: inputs.get(m.group(1), m.group(0)), text)

        def label_of(j: str) -> str:
            return f"{prefix}{j}" if prefix else f"{file}:{j}"

        needs = tuple(label_of(n) for n in _needs(spec.get("needs"))) or outer_needs
        uses = _str(spec.get("uses"))
        # `./` is the workspace-relative form, `$/` GitHub's self-repository form.
        called = ""
        for local in ("./.github/workflows/", "$/.github/workflows/"):
            if uses.startswith(local):
                called = uses.removeprefix(local).split("@", 1)[0]
        if called and called in docs:
            with_ = {str(k): sub(_str(v)) for k, v in (spec.get("with") or {}).items()}
            inner_prefix = f"{label_of(job_id)}/"
            expanded: list[Job] = []
            for inner_id, inner in docs[called]["jobs"].items():
                expanded.extend(
                    self._job(called, str(inner_id), inner or {}, docs, with_, inner_prefix, needs)
                )
            caller = Job(
                id=job_id,
                name=sub(_str(spec.get("name"))),
                file=file if not prefix else "",
                needs=tuple(j.label for j in expanded),
                calls=called,
                condition=_str(spec.get("if")),
            )
            if prefix:
                caller = _relabel(caller, label_of(job_id))
            return [caller, *expanded]
        steps = tuple(
            Step(
                name=sub(_str(s.get("name"))),
                run=sub(_str(s.get("run"))),
                uses=_str(s.get("uses")),
                with_={str(k): sub(_str(v)) for k, v in (s.get("with") or {}).items()},
                continue_on_error=_truthy(s.get("continue-on-error")),
                condition=_str(s.get("if")),
            )
            for s in spec.get("steps") or []
            if isinstance(s, dict)
        )
        job = Job(
            id=job_id,
            name=sub(_str(spec.get("name"))),
            file=file,
            needs=needs,
            steps=steps,
            environment=sub(_environment(spec.get("environment"))),
            continue_on_error=_truthy(spec.get("continue-on-error")),
            condition=_str(spec.get("if")),
            calls=uses if uses and not called else "",
        )
        return [_relabel(job, label_of(job_id)) if prefix else job]


def _relabel(job: Job, label: str) -> Job:
    """A job of an expanded workflow, named after its caller (``ci.yml:deploy/prod``)."""
    file, _, job_id = label.partition(":")
    return Job(
        id=job_id,
        name=job.name,
        file=file,
        needs=job.needs,
        steps=job.steps,
        environment=job.environment,
        continue_on_error=job.continue_on_error,
        condition=job.condition,
        calls=job.calls,
    )

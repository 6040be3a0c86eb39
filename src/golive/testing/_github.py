"""GitHub Actions: read ``.github/workflows/*.yml`` into the pipeline model.

Local reusable workflows (``jobs.X.uses: ./.github/workflows/cd.yml``, or the ``$/...``
form) are expanded into the caller: their jobs wait for what the caller waits for,
``${{ inputs.NAME }}`` is replaced by the caller's ``with:`` value, and jobs that need the
caller wait for them. Every step keeps its ``file:line`` and the commands its ``run:``
executes (scripts it calls included), read with the step's shell
(:mod:`golive.testing._workflows_shell`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from golive.testing._workflows_shell import ScriptReader
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
        """One workflow file (mappings keep their line numbers)."""
        try:
            doc = YAML(typ="rt").load(path.read_text())
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
                jobs.extend(self._job(root, name, str(job_id), spec or {}, docs, inputs={}))
        return Pipeline(system=self.system, files=tuple(docs), jobs=tuple(jobs))

    def _steps(
        self, root: Path, file: str, spec: dict[str, Any], doc: dict[str, Any], sub: Callable[[str], str]
    ) -> tuple[Step, ...]:
        """A job's steps with their places and the commands they run."""
        defaults = _run_defaults(doc, spec)
        raw = spec.get("steps") or []
        steps = []
        for index, s in enumerate(raw):
            if not isinstance(s, dict):
                continue
            run = sub(_str(s.get("run")))
            shell = _str(s.get("shell")) or defaults.get("shell", "")
            workdir = _str(s.get("working-directory")) or defaults.get("working-directory", "")
            reader = ScriptReader(root, sub(workdir))
            commands = reader.run_block(run, name=_path(file), first_line=_run_line(s), shell=shell)
            steps.append(
                Step(
                    name=sub(_str(s.get("name"))),
                    run=run,
                    uses=_str(s.get("uses")),
                    with_={str(k): sub(_str(v)) for k, v in (s.get("with") or {}).items()},
                    continue_on_error=_truthy(s.get("continue-on-error")),
                    condition=_str(s.get("if")),
                    where=f"{_path(file)}:{_line(raw, index)}",
                    coe_where=f"{_path(file)}:{_key_line(s, 'continue-on-error')}",
                    commands=tuple(commands) if run else (),
                )
            )
        return tuple(steps)

    def _job(
        self,
        root: Path,
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
                    self._job(root, called, str(inner_id), inner or {}, docs, with_, inner_prefix, needs)
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
        steps = self._steps(root, file, spec, docs.get(file, {}), sub)
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
            coe_where=f"{_path(file)}:{_key_line(spec, 'continue-on-error')}",
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
        coe_where=job.coe_where,
    )


def _path(file: str) -> str:
    """A workflow file's path in the repository, as reports name it."""
    return f"{WORKFLOWS.as_posix()}/{file}"


def _line(seq: Any, index: int) -> int:
    """1-based line of a sequence item (0 when unknown)."""
    lc = getattr(seq, "lc", None)
    try:
        return int(lc.item(index)[0]) + 1 if lc is not None else 0
    except (KeyError, IndexError, TypeError):
        return 0


def _key_line(mapping: Any, key: str) -> int:
    """1-based line of a key in a mapping (0 when absent)."""
    lc = getattr(mapping, "lc", None)
    if lc is None or key not in mapping:
        return 0
    return int(lc.key(key)[0]) + 1


def _run_line(step: Any) -> int:
    """1-based line of the first line of a step's ``run:`` text (a block starts below ``|``)."""
    lc = getattr(step, "lc", None)
    if lc is None or "run" not in step:
        return 0
    line = int(lc.value("run")[0]) + 1
    return line + 1 if isinstance(step["run"], LiteralScalarString | FoldedScalarString) else line


def _run_defaults(doc: dict[str, Any], job: dict[str, Any]) -> dict[str, str]:
    """``defaults.run`` of the job over the workflow's (shell, working-directory)."""
    out: dict[str, str] = {}
    for source in (doc, job):
        run = (source.get("defaults") or {}).get("run") or {}
        out.update({str(k): _str(v) for k, v in run.items()})
    return out

"""CI workflows and task runners: the commands a repository really runs to test, lint, build, deploy."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from golive.discover._draft import Draft
from golive.discover._repo import Repo, yaml_line
from golive.discover.facts import Fact, Source

KINDS: dict[str, re.Pattern[str]] = {
    "e2e": re.compile(
        r"\b(playwright test|cypress run)\b"
        r"|\b(pytest|jest|vitest|mocha|npm|yarn|pnpm|bun|make|just)\b[^|&;]*\be2e\b"
    ),
    "test": re.compile(
        r"(\bpytest\b|tests?[-_]start|\btests?\.sh\b|\b(npm|yarn|pnpm|bun)( run)? test\b|\bgo test\b"
        r"|\b(make|just|task) test\b|manage\.py test\b|\btox\b|\bnox\b|\bjest\b|\bvitest\b|\bmocha\b"
        r"|\bunittest\b)"
    ),
    "lint": re.compile(
        r"(\bruff\b|\bflake8\b|\bpylint\b|\bmypy\b|\beslint\b|\blint\b|\b(pre-commit|prek) run\b"
        r"|golangci-lint|\bblack --check\b|\bbiome\b)"
    ),
    "build": re.compile(
        r"(\bdocker(-compose| compose| buildx)?\b[^|&;\n]*\bbuild\b|\b(npm|yarn|pnpm|bun) (run )?build\b"
        r"|\buv build\b|\bpoetry build\b|python -m build\b|\bgo build\b|\b(make|just) build\b)"
    ),
    "deploy": re.compile(
        r"(\bdeploy\b|kubectl (apply|set image|rollout)|helm (upgrade|install)|\bfly deploy\b"
        r"|terraform apply|docker (compose|stack) .*\bup\b)"
    ),
    "rollback": re.compile(r"(--?roll-?back\b|\brollback\b|kubectl rollout undo|helm rollback)"),
}
_EXPR = re.compile(r"\$\{\{.*?\}\}")


@dataclass(frozen=True, kw_only=True)
class Step:
    """One command a CI job runs, with the directory it runs in."""

    command: str
    workdir: str
    job: str
    source: Source

    def from_root(self) -> str:
        """The command as run from the repository root."""
        workdir = self.workdir.strip("./") if self.workdir not in (".", "./") else ""
        return f"cd {workdir} && {self.command}" if workdir else self.command


def kinds(command: str) -> set[str]:
    """What a command does: test, e2e, lint, build, deploy, rollback (possibly several)."""
    found = {kind for kind, rx in KINDS.items() if rx.search(command)}
    if "rollback" in found:
        # A deploy script called with --rollback rolls back; it is not the deploy command.
        found.discard("deploy")
    if "e2e" in found:
        found.discard("test")
    if "test" in found and "lint" in found and re.search(r"\btest\b", command):
        found.discard("lint")
    return found


def workflow_files(repo: Repo) -> list[str]:
    """GitHub workflows, GitLab CI and similar pipeline definitions."""
    github = repo.glob(r"\.github/workflows/[^/]+\.ya?ml")
    others = [f for f in (".gitlab-ci.yml", ".circleci/config.yml", "azure-pipelines.yml") if repo.exists(f)]
    return github + others


def steps(repo: Repo) -> list[Step]:
    """Every ``run:`` (GitHub) or ``script:`` (GitLab) command, in file order."""
    found: list[Step] = []
    for rel in workflow_files(repo):
        for doc in repo.yaml(rel):
            if isinstance(doc, dict):
                found += _github_steps(rel, doc) if rel.startswith(".github/") else _gitlab_steps(rel, doc)
    return found


def _github_steps(rel: str, doc: dict[str, Any]) -> list[Step]:
    found: list[Step] = []
    jobs = doc.get("jobs")
    for job_id, job in (jobs or {}).items() if isinstance(jobs, dict) else ():
        if not isinstance(job, dict):
            continue
        default = ((job.get("defaults") or {}).get("run") or {}).get("working-directory", ".")
        for step in job.get("steps") or []:
            if isinstance(step, dict) and isinstance(step.get("run"), str):
                workdir = str(step.get("working-directory", default))
                source = Source(path=rel, line=yaml_line(step, "run"), detail=f"job {job_id}")
                found += _commands(step["run"], workdir, str(job_id), source)
    return found


def _gitlab_steps(rel: str, doc: dict[str, Any]) -> list[Step]:
    found: list[Step] = []
    for job_id, job in doc.items():
        if isinstance(job, dict) and isinstance(job.get("script"), list):
            source = Source(path=rel, line=yaml_line(job, "script"), detail=f"job {job_id}")
            for line in job["script"]:
                found += _commands(str(line), ".", str(job_id), source)
    return found


def _commands(script: str, workdir: str, job: str, source: Source) -> list[Step]:
    joined = re.sub(r"\\\n\s*", " ", script)
    found = []
    for line in joined.splitlines():
        command = _clean(line)
        if command and not command.startswith(("#", "echo ", "export ", "set ")):
            found.append(Step(command=command, workdir=workdir, job=job, source=source))
    return found


def _clean(line: str) -> str:
    """A command without the CI's own ``${{ … }}`` arguments (they mean nothing outside CI)."""
    line = line.strip()
    if "${{" not in line:
        return line
    # An expression may hold spaces: make it one word first, then drop the words holding one.
    marked = _EXPR.sub("\0", line)
    try:
        words = shlex.split(marked)
    except ValueError:
        return _EXPR.sub("", line).strip()
    return shlex.join(w for w in words if "\0" not in w)


def targets(repo: Repo) -> dict[str, Fact[str]]:
    """``make X``/``just X`` commands for the targets of the root Makefile and justfile."""
    found: dict[str, Fact[str]] = {}
    for rel, tool, rx in (
        ("Makefile", "make", re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)\s*:(?!=)", re.M)),
        ("justfile", "just", re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)(?:\s+[^:\n=]*)?:(?!=)", re.M)),
    ):
        text = repo.text(rel) if repo.exists(rel) else None
        for match in rx.finditer(text or ""):
            name = match.group(1)
            found.setdefault(name, repo.fact(f"{tool} {name}", rel, match.group(0), f"{tool} target"))
    return found


def discover_ci(repo: Repo, draft: Draft, runner_steps: list[Step]) -> None:
    """CI files, and the test/lint/build/deploy/e2e commands CI and task runners state."""
    for rel in workflow_files(repo):
        draft.add("ci_workflows", repo.fact(rel, rel, detail="CI workflow"))
    all_steps = runner_steps
    for step in all_steps:
        for kind in sorted(kinds(step.command)):
            if kind == "deploy" and not _deploying(step):
                continue
            draft.put(f"ci_{kind}", Fact(value=step.from_root(), source=step.source))
    _deploy_job(all_steps, draft)
    made = targets(repo)
    for kind in ("test", "lint", "build", "deploy", "e2e", "rollback"):
        draft.put(f"task_{kind}", made.get(kind))
    if "test" not in made and "tests" in made:
        draft.put("task_test", made["tests"])
    for rel in (".pre-commit-config.yaml", "prek.toml"):
        if repo.exists(rel):
            tool = "prek" if rel == "prek.toml" else "pre-commit"
            draft.put("precommit_lint", repo.fact(f"{tool} run --all-files", rel, detail="pre-commit hooks"))


def _deploying(step: Step) -> bool:
    return "deploy" in step.job.lower() or "deploy" in step.source.path.lower() or "kubectl" in step.command


def _deploy_job(all_steps: list[Step], draft: Draft) -> None:
    """A job named deploy (or a deploy workflow): its commands, joined, are the deploy command."""
    for path, job in dict.fromkeys((s.source.path, s.job) for s in all_steps):
        mine = [s for s in all_steps if (s.source.path, s.job) == (path, job)]
        if ("deploy" in job.lower() or "deploy" in path.lower()) and not any(
            "rollback" in kinds(s.command) for s in mine
        ):
            command = " && ".join(s.from_root() for s in mine)
            draft.put("ci_deploy_job", Fact(value=command, source=mine[0].source))

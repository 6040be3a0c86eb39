"""``container.runtime``: a compose project's containers as Docker runs them.

Every container labelled with the project (``com.docker.compose.project``) is inspected: a
read-only root filesystem (unless its service is listed ``writable``), not privileged, memory
and CPU limits, a restart policy, and a healthcheck reporting ``healthy``. A one-shot job
(exited 0 with restart policy ``no``) is named in the evidence and judged only on its exit code.
"""

from __future__ import annotations

from typing import Any, ClassVar

from golive.containers._docker import docker, docker_env, docker_json
from golive.containers._params import RuntimeParams
from golive.kit.check import CheckContext, CheckError
from golive.kit.outcomes import Findings, no_data
from golive.kit.text import excerpt
from golive.results import Evidence, Outcome

_RESTARTING = ("always", "unless-stopped", "on-failure")
_LABEL = "com.docker.compose.project"


def _service(info: dict[str, Any]) -> str:
    labels = (info.get("Config") or {}).get("Labels") or {}
    return str(labels.get("com.docker.compose.service") or "")


def _one_shot(info: dict[str, Any]) -> bool:
    state = info.get("State") or {}
    policy = ((info.get("HostConfig") or {}).get("RestartPolicy") or {}).get("Name") or "no"
    return state.get("Status") == "exited" and policy == "no"


def judge_container(info: dict[str, Any], writable: list[str]) -> list[str]:
    """Every property this running container misses, each naming the container."""
    name = str(info.get("Name", "?")).lstrip("/")
    host = info.get("HostConfig") or {}
    state = info.get("State") or {}
    out: list[str] = []
    if not host.get("ReadonlyRootfs") and _service(info) not in writable:
        out.append(f"{name}: root filesystem is writable (read_only: true, or list the service in writable)")
    if host.get("Privileged"):
        out.append(f"{name}: runs privileged")
    if not host.get("Memory"):
        out.append(f"{name}: no memory limit")
    if not (host.get("NanoCpus") or host.get("CpuQuota")):
        out.append(f"{name}: no CPU limit")
    if (host.get("RestartPolicy") or {}).get("Name") not in _RESTARTING:
        out.append(f"{name}: restart policy is {(host.get('RestartPolicy') or {}).get('Name') or 'no'}")
    if state.get("Status") != "running":
        out.append(f"{name}: {state.get('Status', 'unknown')} (exit code {state.get('ExitCode')})")
    elif not state.get("Health"):
        out.append(f"{name}: no healthcheck")
    elif state["Health"].get("Status") != "healthy":
        out.append(f"{name}: health is {state['Health'].get('Status')}")
    return out


class RuntimeCheck:
    """The running containers of a compose project: hardened, limited, restarting and healthy."""

    #: Asks the Docker daemon only, never the service: may run while a disruptive check runs.
    offline: ClassVar[bool] = True

    name: ClassVar[str] = "container.runtime"
    description: ClassVar[str] = (
        "A compose project's containers: read-only root, not privileged, limits, restart policy, healthy."
    )
    Params: ClassVar[type[RuntimeParams]] = RuntimeParams

    async def run(self, params: RuntimeParams, ctx: CheckContext) -> Outcome:
        """Inspect every container of the project and judge each one."""
        project = _project(params, ctx)
        env = docker_env(ctx, params.docker_host)
        listed = await docker(ctx, ["ps", "-aq", "--filter", f"label={_LABEL}={project}"], env)
        if listed.returncode != 0:
            raise CheckError(f"`{listed.command_line}` failed: {listed.stderr.strip()[:300]}")
        ids = listed.stdout.split()
        if not ids:
            return no_data(f"no container of compose project {project}: start the environment first")
        containers = sorted(await docker_json(ctx, ["inspect", *ids], env), key=lambda c: str(c.get("Name")))
        findings = Findings()
        jobs: list[str] = []
        for info in containers:
            if _one_shot(info) and (info.get("State") or {}).get("ExitCode") == 0:
                jobs.append(str(info.get("Name", "?")).lstrip("/"))
                continue
            for problem in judge_container(info, params.writable):
                findings.problem(problem)
        findings.measure("containers", len(containers))
        findings.measure("problems", len(findings.problems), target="0")
        lines = [*findings.problems, *(f"{job}: one-shot job, exited 0" for job in jobs)]
        return findings.outcome(
            passed=f"{len(containers) - len(jobs)} container(s) of {project} read-only, unprivileged, "
            f"limited, restarting and healthy"
            + (f"; one-shot job(s) done: {', '.join(jobs)}" if jobs else ""),
            failed=f"{len(findings.problems)} problem(s) in project {project}",
            evidence=Evidence(excerpt=excerpt("\n".join(lines))),
            reproducer=f"docker inspect $(docker ps -aq --filter label={_LABEL}={project})",
        )


def _project(params: RuntimeParams, ctx: CheckContext) -> str:
    if params.project:
        name = ctx.resolve(params.project).strip()
    elif params.project_file:
        path = ctx.path(params.project_file)
        try:
            name = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CheckError(
                f"cannot read the project name from {params.project_file}: {exc.strerror}"
            ) from None
    else:
        raise CheckError("set project (the compose project name) or project_file")
    if not name:
        raise CheckError("the compose project name is empty")
    return name

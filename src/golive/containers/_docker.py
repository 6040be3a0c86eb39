"""The docker and docker-compose command lines the containers checks run, and their JSON answers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from golive.kit.check import CheckContext, CheckError
from golive.kit.processes import ProcessResult, find_tool
from golive.kit.text import excerpt, redact


def tool(name: str) -> str:
    """The tool's path; CheckError naming how to install it when it is missing."""
    found = find_tool(name)
    if found is None:
        raise CheckError(
            f"{name} is not installed (bash scripts/docker.sh installs docker.io and docker-compose)"
        )
    return found


def docker_env(ctx: CheckContext, docker_host: str | None) -> dict[str, str]:
    """The child environment's additions: DOCKER_HOST when the params name one."""
    return {"DOCKER_HOST": ctx.resolve(docker_host)} if docker_host else {}


async def docker(
    ctx: CheckContext, args: Sequence[str], env: dict[str, str], *, timeout: float | None = None
) -> ProcessResult:
    """Run the docker CLI; CheckError when the daemon cannot be reached."""
    result = await ctx.run([tool("docker"), *args], env=env, timeout=timeout)
    if result.timed_out:
        raise CheckError(f"`{result.command_line}` timed out after {result.duration_s:.0f} s")
    if result.returncode != 0 and "Cannot connect to the Docker daemon" in result.stderr:
        raise CheckError(f"the Docker daemon is not reachable: {redact(result.stderr.strip())}")
    return result


async def docker_json(ctx: CheckContext, args: Sequence[str], env: dict[str, str]) -> list[dict[str, Any]]:
    """``docker ... --format`` or ``inspect`` output parsed as a JSON list; CheckError otherwise."""
    result = await docker(ctx, args, env)
    if result.returncode != 0:
        raise CheckError(f"`{result.command_line}` failed: {excerpt(redact(result.stderr.strip()), 400)}")
    try:
        data = json.loads(result.stdout)
    except ValueError:
        raise CheckError(f"`{result.command_line}` did not print JSON") from None
    if not isinstance(data, list):
        raise CheckError(f"`{result.command_line}` printed {type(data).__name__}, not a list")
    return [item for item in data if isinstance(item, dict)]

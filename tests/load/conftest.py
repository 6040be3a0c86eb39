"""Helpers for the load family's tests: run a check type against a real server."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from golive.kit.check import CheckContext
from golive.results import Outcome
from golive.spec.models import Environment, Objectives
from tests.fixtures.load import limited_server
from tests.fixtures.servers import Server


def make_ctx(
    client: httpx.AsyncClient,
    *,
    workdir: Path,
    base_url: str,
    allow_hosts: list[str] | None = None,
    database_url: str | None = None,
    objectives: Objectives | None = None,
    timeout: float = 60.0,
    environ: Mapping[str, str] | None = None,
) -> CheckContext:
    """A CheckContext for one check run."""
    return CheckContext(
        criterion_id="perf.test",
        environment_name="test",
        environment=Environment(base_url=base_url, allow_hosts=allow_hosts or [], database_url=database_url),
        objectives=objectives or Objectives(),
        workdir=workdir,
        artifacts_dir=workdir / "artifacts",
        http=client,
        logger=logging.getLogger("golive.test"),
        timeout=timeout,
        environ=dict(environ or {}),
    )


RunCheck = Callable[..., Outcome]


@pytest.fixture
def run_check(tmp_path: Path) -> RunCheck:
    """Validate params with the check type's model, run it, return the outcome."""

    def run(
        check_cls: Any,
        params: dict[str, Any],
        *,
        base_url: str,
        workdir_override: Path | None = None,
        **ctx_kw: Any,
    ) -> Outcome:
        validated = check_cls.Params.model_validate(params)

        async def go() -> Outcome:
            async with httpx.AsyncClient() as client:
                ctx = make_ctx(client, workdir=tmp_path, base_url=base_url, **ctx_kw)
                if workdir_override is not None:
                    ctx = dataclasses.replace(ctx, workdir=workdir_override)
                result: Outcome = await check_cls().run(validated, ctx)
                return result

        return asyncio.run(go())

    return run


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose /limited serves 100 req/s and queues beyond (no load shedding)."""
    with limited_server(tmp_path_factory.mktemp("limited"), rate=100) as server:
        yield server


@pytest.fixture(scope="module")
def shedding(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Same capacity, but 503 as soon as 5 requests wait (load shedding)."""
    with limited_server(tmp_path_factory.mktemp("shedding"), rate=100, shed=5) as server:
        yield server


def measurement(outcome: Outcome, name: str) -> float:
    """A measurement's value by name."""
    for m in outcome.measurements:
        if m.name == name:
            return m.value
    raise KeyError(f"{name} not in {[m.name for m in outcome.measurements]}")

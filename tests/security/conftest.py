"""Helpers for the security tests: run one check type, and the planted-issues app."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from golive.kit.check import CheckContext
from golive.results import Outcome
from golive.spec.models import Environment, Objectives
from tests.fixtures.servers import Server, free_port, server_process

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "security"
VULNAPP = FIXTURES / "vulnapp"
LEDGER = FIXTURES / "ledger"
OSV_DIR = FIXTURES / "osv"
SARIF_SCHEMA = FIXTURES / "sarif-schema-2.1.0.json"
PLANTED_SECRET = "AKIAZ7Q3HX4TBVW2M5KD"


def make_ctx(
    client: httpx.AsyncClient,
    workdir: Path,
    *,
    base_url: str = "http://127.0.0.1:9",
    allow_hosts: list[str] | None = None,
    timeout: float = 120.0,
    env: dict[str, str] | None = None,
    artifacts: Path | None = None,
    environment_name: str = "test",
) -> CheckContext:
    """A CheckContext whose artifacts go to ``artifacts`` (default: workdir/.artifacts)."""
    return CheckContext(
        criterion_id="sec.test",
        environment_name=environment_name,
        environment=Environment(base_url=base_url, allow_hosts=allow_hosts or []),
        objectives=Objectives(),
        workdir=workdir,
        artifacts_dir=artifacts or workdir / ".artifacts",
        http=client,
        logger=logging.getLogger("golive.test"),
        timeout=timeout,
        environ=env or {},
    )


def run_check(
    check_cls: Any,
    params: dict[str, Any],
    workdir: Path,
    **ctx_kwargs: Any,
) -> Outcome:
    """Validate ``params`` with the check's model and run it once."""
    validated = check_cls.Params.model_validate(params)

    async def go() -> Outcome:
        async with httpx.AsyncClient() as client:
            ctx = make_ctx(client, workdir, **ctx_kwargs)
            result: Outcome = await check_cls().run(validated, ctx)
            return result

    return asyncio.run(go())


@pytest.fixture(scope="module")
def vulnapp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The planted-issues app, served by uvicorn on a free loopback port."""
    tmp = tmp_path_factory.mktemp("vulnapp")
    port = free_port()
    log = tmp / "vulnapp.log"
    argv = [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--log-level", "warning"]
    with server_process(argv, port=port, log=log, health_path="/healthz", cwd=VULNAPP) as server:
        yield server

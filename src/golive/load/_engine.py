"""Run a :class:`LoadPlan` in the Locust engine process and read back a :class:`LoadRun`.

The engine refuses a plan before a single request is sent when its target is neither loopback
nor in the environment's ``allow_hosts`` (:meth:`~golive.kit.CheckContext.require_target`), or
when it would outlast the criterion's timeout.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from golive.kit.check import CheckContext
from golive.kit.files import atomic_write
from golive.kit.text import excerpt
from golive.load._model import LoadPlan, LoadRun
from golive.load.base import LoadError

#: Extra seconds the engine process gets beyond its plan (start-up, workers connecting, reports).
STARTUP_MARGIN_S = 30.0


def engine_argv(plan_path: Path, out_path: Path) -> list[str]:
    """The command that runs the engine process."""
    return [sys.executable, "-m", "golive.load._worker", "--plan", str(plan_path), "--out", str(out_path)]


class LocustEngine:
    """Runs plans in ``python -m golive.load._worker`` through ``ctx.run``."""

    def __init__(self, ctx: CheckContext, name: str = "load") -> None:
        """Write plan and run files as ``<artifacts_dir>/<name>-plan.json`` / ``-run.json``."""
        self.ctx = ctx
        self.name = name

    @property
    def plan_path(self) -> Path:
        """Where the plan is written."""
        return self.ctx.artifacts_dir / f"{self.name}-plan.json"

    @property
    def run_path(self) -> Path:
        """Where the engine writes what it measured."""
        return self.ctx.artifacts_dir / f"{self.name}-run.json"

    @property
    def reproducer(self) -> str:
        """A command that repeats the load run."""
        return shlex.join(["golive-python", *engine_argv(self.plan_path, self.run_path)[1:]]).replace(
            "golive-python", "python", 1
        )

    def check(self, plan: LoadPlan) -> None:
        """Refuse a plan whose target is not allowed (CheckError) or that outlasts the timeout."""
        self.ctx.require_target(plan.host, what="load")
        if plan.max_duration_s >= self.ctx.timeout:
            raise LoadError(
                f"the load lasts {plan.max_duration_s:g}s but the criterion's timeout is "
                f"{self.ctx.timeout:g}s: raise the criterion's timeout"
            )

    async def execute(self, plan: LoadPlan) -> LoadRun:
        """Run the plan; bounded by its stages, ``max_requests`` and the criterion's timeout."""
        self.check(plan)
        budget = plan.max_duration_s + STARTUP_MARGIN_S
        atomic_write(self.plan_path, json.dumps(plan.as_json(), indent=1))
        self.run_path.unlink(missing_ok=True)
        result = await self.ctx.run(
            engine_argv(self.plan_path, self.run_path),
            cwd=self.ctx.workdir,
            timeout=min(budget, self.ctx.timeout),
        )
        if result.timed_out:
            raise LoadError(f"the load engine did not finish within {min(budget, self.ctx.timeout):g}s")
        if result.returncode != 0 or not self.run_path.is_file():
            raise LoadError(
                f"the load engine failed (exit {result.returncode}): "
                + excerpt(result.stderr or result.stdout, 1500)
            )
        return LoadRun.from_json(json.loads(self.run_path.read_text()))

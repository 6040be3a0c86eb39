"""The two shapes of a migration round trip: Alembic revision by revision, or any tool's commands.

Both stop with an error (``CheckError``) the moment the migrations are seen anywhere but the
scratch database (:mod:`golive.dr._migrations` explains the proofs); a failing step or a schema
that does not come back is the finding (``schema_drift`` / a failed step).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from golive.dr._migrations import History, RoundTrip, RoundTripStep, Scratch, import_hint, run_child
from golive.dr._params import MigrationCommands, resolve_command
from golive.dr._safety import Watch, url_overrides
from golive.dr._schema import VERSION_TABLES, Schema, describe, diff, snapshot
from golive.kit.check import CheckContext, CheckError
from golive.kit.text import excerpt, redact

__all__ = ["AlembicTrip", "CommandTrip"]

_HOW_TO_FIX = (
    "give env.py the connection golive hands over (config.attributes['connection']) or "
    "sqlalchemy.url, or run the round trip through `commands:`"
)


@dataclass(kw_only=True)
class _Trip:
    ctx: CheckContext
    scratch: Scratch
    watch: Watch
    steps: list[RoundTripStep] = field(default_factory=list)
    drift: str = ""

    async def _watched(self, after: str) -> None:
        """Stop when a database golive did not create changed its revision."""
        moved = await asyncio.to_thread(self.watch.changes)
        if moved:
            raise CheckError(
                f"stopped after {after}: the migrations changed a database golive did not create "
                f"({'; '.join(moved)}); only golive's scratch database "
                f"{self.scratch.db.display} may be migrated"
            )

    def _drifted(self, message: str) -> None:
        if not self.drift:
            self.drift = message

    def result(self, *, head: str | None = None, versions_dir: str | None = None, **kw: Any) -> RoundTrip:
        """The round trip as the check reports it."""
        return RoundTrip(
            steps=tuple(self.steps),
            head=head,
            versions_dir=versions_dir,
            schema_drift=self.drift,
            watched=tuple(self.watch.databases),
            **kw,
        )


@dataclass(kw_only=True)
class AlembicTrip(_Trip):
    """Up revision by revision, down revision by revision (each compared), up to head again."""

    hist: History
    up: dict[str, Schema] = field(default_factory=dict)
    compared: int = 0

    def _phases(self) -> list[dict[str, Any]]:
        order, hist = self.hist.order, self.hist
        if order:
            up = [("upgrade", r) for r in order]
            down = [("downgrade", order[i - 1] if i else "base") for i in range(len(order) - 1, -1, -1)]
        else:
            up, down = [("upgrade", "heads")], [("downgrade", "base")]
        prove = {"heads": list(hist.heads), "tables": sorted(hist.expected_tables)}
        return [
            {"name": "upgrading", "steps": up, "prove": prove},
            {"name": "downgrading", "steps": down},
            {"name": "upgrading again", "steps": [("upgrade", "heads")]},
        ]

    def _stopped(self, stopped: dict[str, str]) -> CheckError:
        where, detail = f"golive's scratch database {self.scratch.db.display}", stopped["detail"]
        fix = _HOW_TO_FIX[0].upper() + _HOW_TO_FIX[1:]
        if stopped["why"] == "refused":
            return CheckError(
                f"the migrations tried to run on {detail}, not {where}: env.py takes its URL from "
                "somewhere else (e.g. the application's settings); golive refused the connection before "
                f"any statement ran. {fix}"
            )
        if stopped["why"] == "connect":
            return CheckError(
                f"the migrations could not reach {where} ({excerpt(detail, 300)}): env.py connects to a URL "
                "built from settings golive cannot point at it (a SQLite scratch database cannot be named by "
                f"POSTGRES_* variables: use database: postgresql); {_HOW_TO_FIX}"
            )
        if stopped["why"] == "watch":
            return CheckError(
                f"stopped: the migrations changed a database golive did not create ({detail}); only {where} "
                "may be migrated"
            )
        return CheckError(
            f"after upgrading to head, {where} {detail}: the migrations ran somewhere else; stopped before "
            f"any downgrade. {fix}"
        )

    def _record(self, step: dict[str, Any], name: str, note: str = "") -> None:
        if step["ok"]:
            detail = f"alembic {step['action']} {step['target']} ({describe(step['schema'])})" + note
        else:
            detail = f"alembic {step['action']} {step['target']}: {excerpt(step['error'], 600)}"
        self.steps.append(
            RoundTripStep(name=name, ok=step["ok"], duration_s=step["duration_s"], detail=detail)
        )

    def _down(self, step: dict[str, Any], from_rev: str) -> None:
        """Compare a step down with the same revision on the way up."""
        target = step["target"]
        if not step["ok"]:
            self._record(step, f"downgrade to {target}")
            return
        want = self.up.get(target, {}) if target != "base" else {}
        differs = diff(want, step["schema"])
        self.compared += 1
        what = f"the schema of {target}" if target != "base" else "an empty schema"
        if differs:
            self._drifted(
                f"downgrade of {from_rev} (to {target}) did not bring back {what}: {'; '.join(differs)}"
            )
            note = f"; not {what}: {'; '.join(differs)}"
        else:
            note = f"; schema equal to {target} on the way up" if target != "base" else "; empty"
        self._record(step, f"downgrade to {target}", note)

    async def run(self) -> RoundTrip:
        """Up, prove, down (compared), up again (compared): one guarded process."""
        order = self.hist.order
        data = await run_child(self.ctx, self.hist, self.scratch, self.watch, self._phases())
        for step in data["steps"]:
            # An import that fails is golive's environment, not a migration that fails.
            hint = (
                ""
                if step["ok"]
                else import_hint(step["error"], "the migrations (env.py or a revision)", self.ctx.workdir)
            )
            if hint:
                raise CheckError(hint)
        if data["stopped"]:
            raise self._stopped(data["stopped"])
        await self._watched("the round trip")
        going_down = list(order[::-1]) if order else [self.hist.head]
        proof = ""
        for step in data["steps"]:
            if step["phase"] == "upgrading":
                self._record(step, f"upgrade to {step['target']}" if order else "upgrade head")
                if step["ok"]:
                    self.up[step["target"] if order else "heads"] = step["schema"]
            elif step["phase"] == "downgrading":
                proof = proof or self._proof()
                self._down(step, going_down.pop(0) if going_down else "?")
            else:
                differs = diff(self.up[order[-1] if order else "heads"], step["schema"]) if step["ok"] else []
                if differs:
                    self._drifted(
                        f"schema after upgrade head again differs from the first: {'; '.join(differs)}"
                    )
                self._record(
                    step, "upgrade head again", "; schema equal to head" if step["ok"] and not differs else ""
                )
        return self.result(
            head=self.hist.head, versions_dir=self.hist.versions_dir, proof=proof, compared=self.compared
        )

    def _proof(self) -> str:
        last = self.up[self.hist.order[-1] if self.hist.order else "heads"]
        proof = f"scratch database at head {self.hist.head} with {describe(last)}"
        if self.hist.expected_tables:
            proof += f", including the {len(self.hist.expected_tables)} table(s) the scripts create"
        return proof


@dataclass(kw_only=True)
class CommandTrip(_Trip):
    """Any migration tool: upgrade, downgrade, upgrade, each a command on the scratch database."""

    commands: MigrationCommands

    async def _step(self, name: str, command: Any) -> Schema | None:
        ctx = self.ctx
        env = {k: ctx.resolve(v) for k, v in self.commands.env.items()}
        env.update(url_overrides(self.scratch.db))
        cwd = ctx.path(self.commands.cwd) if self.commands.cwd else ctx.workdir
        start = time.monotonic()
        result = await ctx.run(
            resolve_command(ctx.variables, command), shell=isinstance(command, str), cwd=cwd, env=env
        )
        ok = result.returncode == 0 and not result.timed_out
        detail = redact(result.command_line)
        await self._watched(name)
        schema = await asyncio.to_thread(snapshot, self.scratch.sa_url) if ok else None
        if schema is None:
            detail += f" -> exit {result.returncode}: {excerpt(result.stderr or result.stdout, 600)}"
        else:
            detail += f" ({describe(schema)})"
        self.steps.append(RoundTripStep(name=name, ok=ok, duration_s=time.monotonic() - start, detail=detail))
        return schema

    async def run(self) -> RoundTrip:
        """upgrade head → downgrade base → upgrade head again, compared."""
        first = await self._step("upgrade head", self.commands.upgrade)
        if first is None:
            return self.result()
        if not set(first) - VERSION_TABLES:
            raise CheckError(
                f"the upgrade command left golive's scratch database {self.scratch.db.display} empty: it "
                "migrates some other database (golive sets DATABASE_URL and the usual URL variables to the "
                "scratch database); stopped before the downgrade"
            )
        proof = f"scratch database holds {describe(first)} after the upgrade"
        base = await self._step("downgrade base", self.commands.downgrade)
        if base is None:
            return self.result(proof=proof)
        left = diff({}, base)
        if left:
            self._drifted(f"downgrade base did not bring back an empty schema: {'; '.join(left)}")
        again = await self._step("upgrade head again", self.commands.upgrade)
        if again is not None:
            differs = diff(first, again)
            if differs:
                self._drifted(f"schema after upgrade head again differs from the first: {'; '.join(differs)}")
        return self.result(proof=proof, compared=1)

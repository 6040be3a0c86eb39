"""The review engine: runs criteria concurrently, honours ``needs``, scores the result.

Concurrency is bounded by ``jobs``; each check runs under its own timeout, and commands
are killed with their whole process group. A stop request (Ctrl-C, SIGTERM) cancels
what is running and still produces a (partial, interrupted) review.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from golive import __version__
from golive.checks.registry import CheckRegistry
from golive.engine._cpu import CpuMeter
from golive.engine._gate import Gate, Lane
from golive.engine._reuse import ReuseSource, digest_inputs, inputs_of, look_up
from golive.engine.events import (
    CheckFinished,
    CheckStarted,
    Event,
    Listener,
    PlannedCheck,
    ReviewFinished,
    ReviewStarted,
)
from golive.errors import GoliveError, UsageError
from golive.kit.check import CheckContext, CheckError, is_reusable
from golive.kit.environment import MissingVariableError
from golive.kit.masking import review_masker
from golive.results import CheckResult, Decision, Outcome, Review, Status, Tier, WaiverRecord
from golive.scoring import score
from golive.spec.models import Criterion, Spec


def hard_limit(timeout: float) -> float:
    """When the engine cancels a check whose own timeout is ``timeout``: a little later.

    The grace covers killing the check's processes and reading what they wrote.
    """
    return timeout + min(10.0, 3.0 + 0.05 * timeout)


def default_jobs() -> int:
    """Default concurrency: checks are mostly I/O bound, so CPU count x 4."""
    return (os.cpu_count() or 1) * 4


@dataclass(frozen=True, kw_only=True)
class ReviewOptions:
    """How to run a review."""

    environment: str | None = None
    only: tuple[str, ...] = ()
    tier: Tier | None = None
    jobs: int = field(default_factory=default_jobs)
    artifacts_dir: Path = Path(".golive/artifacts")
    today: date | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    #: ``--allow-destructive``: see :meth:`golive.kit.CheckContext.destructive_refusal`.
    allow_destructive: bool = False
    #: ``--load-workers``: Locust worker processes for load checks.
    load_workers: int | None = None
    #: ``--reuse``: the reuse window in seconds for every criterion that does not set its own.
    reuse: float | None = None
    #: Where earlier evidence is looked up (the history store); None: nothing is reused.
    reuse_source: ReuseSource | None = None


def select(spec: Spec, only: Sequence[str], tier: Tier | None) -> tuple[list[Criterion], bool]:
    """The criteria to run (selected ones plus what they need) and whether that is partial."""
    if not only and tier is None:
        return list(spec.criteria), False
    ids = {c.id for c in spec.criteria}
    areas = {c.area for c in spec.criteria}
    for word in only:
        if word not in ids and word not in areas:
            hint = difflib.get_close_matches(word, sorted(ids | areas), n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise UsageError(f"--only {word!r} matches no criterion id or area{extra}")
    chosen = {
        c.id
        for c in spec.criteria
        if (not only or c.id in only or c.area in only) and (tier is None or c.tier is tier)
    }
    if not chosen:
        raise UsageError("the selection matches no criteria")
    # A selected criterion cannot be judged without what it needs.
    by_id = {c.id: c for c in spec.criteria}
    stack = list(chosen)
    while stack:
        for need in by_id[stack.pop()].needs:
            if need not in chosen:
                chosen.add(need)
                stack.append(need)
    return [c for c in spec.criteria if c.id in chosen], True


class Runner:
    """Runs one review of a spec against one environment."""

    def __init__(
        self,
        spec: Spec,
        registry: CheckRegistry,
        options: ReviewOptions,
        listeners: Sequence[Listener] = (),
    ) -> None:
        self.spec = spec
        self.registry = registry
        self.options = options
        self.listeners = list(listeners)
        self.env_name, self.environment = spec.environment(options.environment)
        self.criteria, self.partial = select(spec, options.only, options.tier)
        self.today = options.today or date.today()
        self.log = logging.getLogger("golive.engine")
        #: Every output of this review passes through it: results, events, the review itself.
        self.masker = review_masker(spec, self.environment, options.environ)
        #: ``perf_counter`` at the review's start: results' ``started_s`` count from it.
        self._epoch = time.perf_counter()

    def _emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener(event)

    def _waivers(self) -> tuple[dict[str, str], list[WaiverRecord], list[str]]:
        active: dict[str, str] = {}
        records: list[WaiverRecord] = []
        warnings: list[str] = []
        selected = {c.id for c in self.criteria}
        for w in self.spec.waivers:
            if w.criterion not in selected:
                continue
            expired = w.expires < self.today
            records.append(
                WaiverRecord(
                    criterion_id=w.criterion,
                    reason=w.reason,
                    owner=w.owner,
                    expires=w.expires.isoformat(),
                    expired=expired,
                )
            )
            if expired:
                warnings.append(
                    f"waiver for {w.criterion} expired on {w.expires.isoformat()} and is ignored "
                    f"(owner {w.owner}); renew it or fix the criterion"
                )
            else:
                active[w.criterion] = w.reason
        return active, records, warnings

    def _announce(self, jobs: int) -> None:
        self._emit(
            ReviewStarted(
                service=self.spec.service.name,
                environment=self.env_name,
                planned=tuple(
                    PlannedCheck(
                        criterion_id=c.id, title=c.title, area=c.area, tier=c.tier, check_type=c.check.type
                    )
                    for c in self.criteria
                ),
                jobs=jobs,
            )
        )

    async def _execute(
        self,
        stop: asyncio.Event,
        jobs: int,
        futures: dict[str, asyncio.Future[CheckResult]],
        launched: set[str],
        waivers: Mapping[str, str],
    ) -> bool:
        """Run every criterion; True when ``stop`` interrupted the review."""
        semaphore = asyncio.Semaphore(jobs)
        gate = Gate()
        limits = httpx.Limits(max_connections=max(jobs, 10), max_keepalive_connections=max(jobs, 10))
        async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:

            async def one(c: Criterion) -> None:
                result = await self._run_criterion(c, futures, semaphore, gate, client, launched, waivers)
                if not futures[c.id].done():
                    futures[c.id].set_result(result)
                self._emit(CheckFinished(result=result))

            tasks = [asyncio.create_task(one(c), name=f"golive:{c.id}") for c in self.criteria]
            all_done: asyncio.Future[Any] = asyncio.gather(*tasks, return_exceptions=True)
            stop_wait: asyncio.Future[Any] = asyncio.create_task(stop.wait())
            await asyncio.wait({all_done, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
            interrupted = stop.is_set() and not all_done.done()
            if interrupted:
                for t in tasks:
                    t.cancel()
            await asyncio.gather(all_done, return_exceptions=True)
            stop_wait.cancel()
        return interrupted

    def _collect(
        self,
        futures: Mapping[str, asyncio.Future[CheckResult]],
        launched: set[str],
        waivers: Mapping[str, str],
    ) -> list[CheckResult]:
        """Every criterion's result; an unfinished one is an error (was running) or skipped."""
        results: list[CheckResult] = []
        for c in self.criteria:
            fut = futures[c.id]
            if fut.done() and not fut.cancelled():
                results.append(fut.result())
                continue
            was_running = c.id in launched
            result = self._result(
                c,
                Outcome(
                    status=Status.ERROR if was_running else Status.SKIPPED,
                    summary="interrupted while running" if was_running else "not run: review interrupted",
                ),
                0.0,
                waivers,
            )
            results.append(result)
            self._emit(CheckFinished(result=result))
        return results

    async def run(self, stop: asyncio.Event | None = None) -> Review:
        """Run the review; ``stop`` being set interrupts it (a partial review is returned)."""
        stop = stop or asyncio.Event()
        started = datetime.now(UTC)
        self._epoch = time.perf_counter()
        waivers, waiver_records, warnings = self._waivers()
        jobs = max(1, self.options.jobs)
        self._announce(jobs)
        loop = asyncio.get_running_loop()
        futures: dict[str, asyncio.Future[CheckResult]] = {c.id: loop.create_future() for c in self.criteria}
        launched: set[str] = set()
        interrupted = await self._execute(stop, jobs, futures, launched, waivers)
        results = self._collect(futures, launched, waivers)
        scorecard = score(results, self.spec.tiers, self.spec.goals)
        if interrupted:
            warnings.append("the review was interrupted; unfinished criteria count as not passed")
            # Missing evidence never supports GO, whatever the finished part scored.
            scorecard = dataclasses.replace(scorecard, decision=Decision.NO_GO)
        review = Review(
            service=self.spec.service.name,
            environment=self.env_name,
            spec_path=str(self.spec.path),
            started_at=started,
            finished_at=datetime.now(UTC),
            results=tuple(results),
            scorecard=scorecard,
            waivers=tuple(waiver_records),
            warnings=tuple(warnings),
            partial=self.partial or interrupted,
            interrupted=interrupted,
            selection=tuple(self.options.only)
            + ((f"tier={self.options.tier.value}",) if self.options.tier else ()),
            golive_version=__version__,
        )
        review = self.masker.mask_tree(review)
        self._emit(ReviewFinished(review=review))
        return review

    def _result(
        self, c: Criterion, outcome: Outcome, duration: float, waivers: Mapping[str, str]
    ) -> CheckResult:
        waived = c.id in waivers and outcome.status is not Status.PASS
        result = CheckResult(
            criterion_id=c.id,
            title=c.title,
            area=c.area,
            tier=c.tier,
            check_type=c.check.type,
            status=outcome.status,
            summary=outcome.summary,
            measurements=outcome.measurements,
            evidence=outcome.evidence,
            reproducer=outcome.reproducer,
            duration_s=round(duration, 4),
            risk=c.risk,
            fix=c.fix,
            owner=c.owner,
            waived=waived,
            waiver_reason=waivers.get(c.id, "") if waived else "",
        )
        return self.masker.mask_tree(result)

    async def _run_criterion(
        self,
        c: Criterion,
        futures: Mapping[str, asyncio.Future[CheckResult]],
        semaphore: asyncio.Semaphore,
        gate: Gate,
        client: httpx.AsyncClient,
        launched: set[str],
        waivers: Mapping[str, str],
    ) -> CheckResult:
        deps = [await asyncio.shield(futures[n]) for n in c.needs if n in futures]
        unmet = [d for d in deps if d.status is not Status.PASS]
        if unmet:
            why = ", ".join(f"{d.criterion_id} is {d.status.value}" for d in unmet)
            return self._result(
                c, Outcome(status=Status.BLOCKED, summary=f"blocked: needs {why}"), 0.0, waivers
            )
        needed = {d.criterion_id: d for d in deps}
        lane = self._lane(c)
        ready = time.perf_counter()
        async with gate.enter(lane, offline=self._offline(c)), semaphore:
            # Inside the lane: fingerprinting hashes files and may run the suite's interpreter,
            # CPU work that must not overlap a performance measurement either.
            found, fingerprint_, after_run = await self._reuse(c, client, needed, waivers)
            if found is not None:
                return found
            launched.add(c.id)
            self._emit(CheckStarted(criterion_id=c.id, title=c.title))
            start = time.perf_counter()
            meter = CpuMeter() if lane is Lane.PERFORMANCE else None
            outcome = await self._guarded(c, client, needed)
            if meter is not None:
                outcome = dataclasses.replace(outcome, measurements=outcome.measurements + meter.read())
            result = self._result(c, outcome, time.perf_counter() - start, waivers)
            if after_run and fingerprint_:
                # The run wrote into its inputs: record them as it left them (still in its lane).
                fingerprint_, _ = await self._fingerprint(c, client, needed)
            # Where the check sat on the review's timeline: the critical path is built from it.
            return dataclasses.replace(
                result,
                fingerprint=fingerprint_,
                started_s=round(start - self._epoch, 4),
                waited_s=round(start - ready, 4),
            )

    async def _reuse(
        self,
        c: Criterion,
        client: httpx.AsyncClient,
        needed: Mapping[str, CheckResult],
        waivers: Mapping[str, str],
    ) -> tuple[CheckResult | None, str, bool]:
        """An earlier review's result for ``c`` when its inputs are unchanged, their fingerprint,
        and whether the run must be fingerprinted again afterwards (``Inputs.after_run``).

        Every reusable check gets a fingerprint (stored with its result for later reviews);
        one whose inputs cannot be hashed gets none and simply runs.
        """
        if not is_reusable(self.registry.get(c.check.type)):
            return None, "", False
        start = time.perf_counter()
        fp, after_run = await self._fingerprint(c, client, needed)
        window = c.reuse if c.reuse is not None else self.options.reuse
        source = self.options.reuse_source
        if not fp or window is None or source is None:
            return None, fp, after_run
        return await self._earlier(c, fp, window, source, start, waivers), fp, after_run

    async def _fingerprint(
        self, c: Criterion, client: httpx.AsyncClient, needed: Mapping[str, CheckResult]
    ) -> tuple[str, bool]:
        """The fingerprint of ``c``'s inputs now ("" when they cannot be hashed) and their ``after_run``."""
        try:
            ctx = self._context(c, client, needed)
            inputs = await inputs_of(self.registry.get(c.check.type)(), c.check.type, c.check.params, ctx)
            return await digest_inputs(inputs, c.check.type, c.check.params, ctx), inputs.after_run
        except (GoliveError, OSError) as exc:
            self.log.debug("no fingerprint for %s: %s", c.id, exc)
            return "", False

    async def _earlier(
        self,
        c: Criterion,
        fp: str,
        window: float,
        source: ReuseSource,
        start: float,
        waivers: Mapping[str, str],
    ) -> CheckResult | None:
        """The earlier review's result with fingerprint ``fp`` inside ``window``, marked as reused."""
        try:
            found = await look_up(
                source,
                service=self.spec.service.name,
                environment=self.env_name,
                criterion=c,
                fp=fp,
                window=window,
            )
        except GoliveError as exc:
            self.log.warning("cannot look up earlier evidence for %s: %s", c.id, exc)
            return None
        if found is None:
            return None
        marker, outcome = found
        result = self._result(c, outcome, time.perf_counter() - start, waivers)
        return dataclasses.replace(result, reused=marker, fingerprint=fp)

    async def _guarded(
        self, c: Criterion, client: httpx.AsyncClient, needed: Mapping[str, CheckResult]
    ) -> Outcome:
        """Run one check under its timeout; every failure of golive's own becomes an ``error``.

        The check gets ``c.timeout`` as ``ctx.timeout`` and the engine cuts it off only at
        :func:`hard_limit`: a check that honours its own timeout reports the evidence it
        gathered (output so far, reproducer) instead of losing it to the engine's cancel.
        """
        try:
            return await asyncio.wait_for(self._invoke(c, client, needed), hard_limit(c.timeout))
        except TimeoutError:
            return Outcome(
                status=Status.ERROR, summary=f"check timed out after {c.timeout:g}s and was stopped"
            )
        except (MissingVariableError, CheckError) as exc:
            return Outcome(status=Status.ERROR, summary=str(exc))
        except GoliveError as exc:
            return Outcome(status=Status.ERROR, summary=f"{type(exc).__name__}: {exc}")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a crashing check must not crash the review
            self.log.debug("check %s crashed", c.id, exc_info=True)
            return Outcome(status=Status.ERROR, summary=f"check crashed: {type(exc).__name__}: {exc}")

    def _lane(self, c: Criterion) -> Lane:
        """How a criterion shares the machine: exclusive, disruptive, performance, CPU-heavy or shared."""
        check_type = self.registry.get(c.check.type)
        if self._exclusive(c):
            # A type that only disturbs the service (times nothing here) lets offline work run
            # beside it; a criterion that asks for `exclusive: true` itself gets the strict lane.
            if c.exclusive is None and self._disrupts_only(check_type, c):
                return Lane.DISRUPTIVE
            return Lane.EXCLUSIVE
        if getattr(check_type, "measures_performance", False):
            return Lane.PERFORMANCE
        if getattr(check_type, "cpu_heavy", False):
            return Lane.HEAVY
        return Lane.SHARED

    @staticmethod
    def _disrupts_only(check_type: Any, c: Criterion) -> bool:
        """A disruptive type that, with these params, does not time the service either."""
        if not getattr(check_type, "disruptive", False):
            return False
        times = getattr(check_type, "times_responses", None)
        return not (callable(times) and times(c.check.params))

    def _offline(self, c: Criterion) -> bool:
        """Whether a criterion never talks to the service: its own setting, else its type's."""
        if c.offline is not None:
            return c.offline
        return bool(getattr(self.registry.get(c.check.type), "offline", False))

    def _exclusive(self, c: Criterion) -> bool:
        """Whether a criterion must run alone: its own setting, else its check type's default."""
        if c.exclusive is not None:
            return c.exclusive
        return bool(getattr(self.registry.get(c.check.type), "exclusive", False))

    async def _invoke(
        self, c: Criterion, client: httpx.AsyncClient, needed: Mapping[str, CheckResult]
    ) -> Outcome:
        check = self.registry.get(c.check.type)()
        outcome = await check.run(c.check.params, self._context(c, client, needed))
        if not isinstance(outcome, Outcome):
            raise CheckError(f"check type {c.check.type!r} returned {type(outcome).__name__}, not an Outcome")
        return outcome

    def _context(
        self, c: Criterion, client: httpx.AsyncClient, needed: Mapping[str, CheckResult]
    ) -> CheckContext:
        return CheckContext(
            criterion_id=c.id,
            environment_name=self.env_name,
            environment=self.environment,
            objectives=self.spec.objectives,
            workdir=self.spec.root,
            artifacts_dir=self.options.artifacts_dir / c.id,
            http=client,
            logger=logging.getLogger(f"golive.check.{c.id}"),
            timeout=c.timeout,
            environ=self.options.environ,
            allow_destructive=self.options.allow_destructive,
            load_workers=self.options.load_workers,
            spec=self.spec,
            needed=needed,
        )

"""The load engine process: ``python -m golive.load._worker --plan PLAN.json --out RUN.json``.

Locust needs gevent's monkey-patching, which must never happen inside golive's asyncio
process, so golive starts this module as a child process and reads the JSON it writes.

Roles:

- ``local`` (default): one process runs every virtual user (``FastHttpUser``).
- ``master``: Locust's master; with ``workers > 0`` in the plan it starts that many
  ``--role worker`` processes on loopback, with ``external_workers`` it waits for workers
  started elsewhere (other machines, Kubernetes; see docs/performance.md).
- ``worker``: connects to a master (``--master-host``/``--master-port``) and sends its
  measurements with every report.

Every role measures the same way: each finished request is counted in a per-second,
per-name bucket with a latency histogram and the status codes, so a run has the same form
whether it ran in one process or on many machines.
"""

from __future__ import annotations

from gevent import monkey  # type: ignore[import-untyped]

monkey.patch_all()

# ruff: noqa: E402  (gevent must patch the standard library before anything else imports it)
import argparse
import json
import math
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gevent
from locust import runners
from locust.env import Environment

from golive.kit.processes import ManagedProcess, free_port
from golive.load._histogram import bucket
from golive.load._model import LoadRun
from golive.load._thresholds import Threshold
from golive.load._users import build_users

#: Workers send what they measured this often (Locust's default is 3 s).
REPORT_INTERVAL_S = 1.0
MAX_ERROR_KINDS = 20


class Accumulator:
    """Per-second, per-name counts: ``{second: {name: [n, failures, {bucket: n}, {status: n}]}}``."""

    def __init__(self) -> None:
        self.seconds: dict[int, dict[str, list[Any]]] = {}
        self.errors: dict[str, int] = {}
        self.total = 0
        # The current second's slots, so most requests skip the look-up of their second.
        self._now = -1
        self._sec: dict[str, list[Any]] = {}

    def record(self, name: str, ms: float, ok: bool, status: int, error: str | None) -> None:
        """Count one finished request (on every request: kept to a few dictionary operations)."""
        now = int(time.time())
        if now != self._now:
            self._now, self._sec = now, self.seconds.setdefault(now, {})
        slot = self._sec.get(name)
        if slot is None:
            slot = self._sec[name] = [0, 0, {}, {}]
        slot[0] += 1
        if not ok:
            slot[1] += 1
            if error is not None and (error in self.errors or len(self.errors) < MAX_ERROR_KINDS):
                self.errors[error] = self.errors.get(error, 0) + 1
        key = bucket(ms)
        hist = slot[2]
        hist[key] = hist.get(key, 0) + 1
        statuses = slot[3]
        statuses[status] = statuses.get(status, 0) + 1
        self.total += 1

    def drain(self) -> dict[str, Any]:
        """Everything measured since the last drain (a worker's report)."""
        data = {"seconds": self.seconds, "errors": self.errors}
        self.seconds, self.errors = {}, {}
        self._now = -1
        return data

    def merge(self, data: dict[str, Any]) -> None:
        """Add a worker's report."""
        for sec_key, names in data.get("seconds", {}).items():
            sec = self.seconds.setdefault(int(sec_key), {})
            for name, (n, fails, hist, statuses) in names.items():
                slot = sec.get(name)
                if slot is None:
                    slot = sec[name] = [0, 0, {}, {}]
                slot[0] += n
                slot[1] += fails
                for k, c in hist.items():
                    slot[2][float(k)] = slot[2].get(float(k), 0) + c
                for k, c in statuses.items():
                    slot[3][int(k)] = slot[3].get(int(k), 0) + c
                self.total += n
        for msg, n in data.get("errors", {}).items():
            if msg in self.errors or len(self.errors) < MAX_ERROR_KINDS:
                self.errors[msg] = self.errors.get(msg, 0) + n

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready copy of the seconds."""
        return {
            str(s): {
                name: [v[0], v[1], {str(k): c for k, c in v[2].items()}, {str(k): c for k, c in v[3].items()}]
                for name, v in names.items()
            }
            for s, names in self.seconds.items()
        }


def _error_text(exception: BaseException | None, status: int) -> str | None:
    if exception is None:
        return None
    text = str(exception).split(" for url")[0]
    return f"HTTP {status}: {text}"[:200] if status else f"{type(exception).__name__}: {text}"[:200]


def attach(env: Environment, acc: Accumulator) -> None:
    """Count every request the users of ``env`` make."""

    def on_request(
        request_type: str,
        name: str,
        response_time: float,
        response_length: int,
        response: Any = None,
        exception: BaseException | None = None,
        **_: Any,
    ) -> None:
        status = int(getattr(response, "status_code", 0) or 0)
        if exception is None:
            acc.record(name, float(response_time or 0.0), True, status, None)
        else:
            acc.record(name, float(response_time or 0.0), False, status, _error_text(exception, status))

    env.events.request.add_listener(on_request)  # type: ignore[no-untyped-call]


def _judge(
    acc: Accumulator, thresholds: list[Threshold], start: float, end: float, started: float
) -> Threshold | None:
    if not thresholds:
        return None
    run = LoadRun.from_json({"started": started, "ended": end, "seconds": acc.snapshot()})
    for verdict in run.judge(thresholds, start, end):
        # Too few requests in the window is no evidence of a breach: never stop on it.
        if verdict.breached:
            return verdict.threshold
    return None


@dataclass(frozen=True, kw_only=True)
class _Rules:
    """What ends a stage or the run before its time, read once from the plan."""

    abort: list[Threshold]
    stop_when: list[Threshold]
    settle: float
    early_s: float | None
    max_requests: int
    lag: float
    """Seconds the per-second data trails the clock (workers report with a delay)."""

    @classmethod
    def of(cls, plan: dict[str, Any], distributed: bool) -> _Rules:
        """The rules of a plan."""
        early = plan.get("early_end_s")
        return cls(
            abort=[Threshold.from_dict(t) for t in plan.get("abort", [])],
            stop_when=[Threshold.from_dict(t) for t in plan.get("stop_when", [])],
            settle=float(plan.get("settle_s", 0.0)),
            early_s=None if early is None else float(early),
            max_requests=int(plan["max_requests"]),
            lag=REPORT_INTERVAL_S + 1 if distributed else 0.0,
        )


def _aborting(acc: Accumulator, rules: _Rules, window_end: float, started: float) -> Threshold | None:
    """The first abort threshold breached over its window ending at ``window_end``."""
    for t in rules.abort:
        window_start = window_end - t.window_s
        if window_start < started + rules.settle:
            continue
        hit = _judge(acc, [t], window_start, window_end, started)
        if hit is not None:
            return hit
    return None


def _enough(acc: Accumulator, rules: _Rules, start: float, end: float, started: float) -> bool:
    """Whether every stop_when threshold has enough requests in ``[start, end)``.

    The window must hold at least ``early_s`` whole seconds: the same bins the stage is later
    judged on (the judged window only grows, so the stage never has fewer requests than here).
    """
    if rules.early_s is None or not rules.stop_when:
        return False
    if math.floor(end) - math.ceil(start) < rules.early_s:
        return False
    run = LoadRun.from_json({"started": started, "ended": end, "seconds": acc.snapshot()})
    return all(v.samples >= v.threshold.enough for v in run.judge(rules.stop_when, start, end))


def _stage(
    runner: runners.Runner,
    rules: _Rules,
    acc: Accumulator,
    *,
    st_start: float,
    duration: float,
    started: float,
    users_at: dict[int, int],
) -> tuple[str, Threshold | None]:
    """Run the started stage; how it ended (``duration``, ``samples``, ``max_requests``, ``abort``)."""
    st_end = st_start + duration
    last_eval = int(st_start)
    while (now := time.time()) < st_end:
        gevent.sleep(min(0.2, st_end - now))
        users_at[int(time.time())] = runner.user_count
        if acc.total >= rules.max_requests:
            return "max_requests", None
        sec = int(time.time())
        if sec <= last_eval:
            continue
        last_eval = sec
        # Judge only complete seconds.
        window_end = sec - rules.lag
        hit = _aborting(acc, rules, window_end, started)
        if hit is not None:
            return "abort", hit
        if _enough(acc, rules, st_start + rules.settle, window_end, started):
            return "samples", None
    return "duration", None


def drive(
    env: Environment, runner: runners.Runner, plan: dict[str, Any], acc: Accumulator, distributed: bool
) -> dict[str, Any]:
    """Run the stages; stop at max_requests, a sustained abort threshold, or a failed stage.

    With ``early_end_s`` a stage ends as soon as its stop_when thresholds have enough requests.
    """
    rules = _Rules.of(plan, distributed)
    started = time.time()
    users_at: dict[int, int] = {}
    marks: list[dict[str, Any]] = []
    stopped_by, aborted_by = "duration", None
    for i, stage in enumerate(plan["stages"]):
        runner.start(int(stage["users"]), spawn_rate=float(stage["spawn_rate"]))
        st_start = time.time()
        ended_by, hit = _stage(
            runner,
            rules,
            acc,
            st_start=st_start,
            duration=float(stage["duration_s"]),
            started=started,
            users_at=users_at,
        )
        marks.append(
            {
                "label": stage.get("label") or f"stage-{i + 1}",
                "users": int(stage["users"]),
                "start": st_start,
                "end": time.time(),
                "ended_by": ended_by,
            }
        )
        if ended_by in ("max_requests", "abort"):
            stopped_by, aborted_by = ended_by, (hit.label if hit else None)
            break
        if rules.stop_when:
            if distributed:
                gevent.sleep(REPORT_INTERVAL_S + 0.5)
            hit = _judge(acc, rules.stop_when, st_start + rules.settle, marks[-1]["end"], started)
            if hit is not None:
                stopped_by = "stop_when"
                break
    ended = time.time()
    runner.stop()
    if distributed:
        # The workers' last reports arrive after they stop.
        gevent.sleep(REPORT_INTERVAL_S + 0.5)
    return {
        "started": started,
        "ended": ended,
        "seconds": acc.snapshot(),
        "users": {str(k): v for k, v in users_at.items()},
        "stages": marks,
        "stopped_by": stopped_by,
        "aborted_by": aborted_by,
        "errors": acc.errors,
    }


def run_local(plan: dict[str, Any]) -> dict[str, Any]:
    """All users in this process."""
    acc = Accumulator()
    env = Environment(user_classes=build_users(plan))
    attach(env, acc)
    runner = env.create_local_runner()
    try:
        out = drive(env, runner, plan, acc, distributed=False)
    finally:
        runner.quit()
    out["workers"] = 0
    return out


def _start_workers(count: int, plan_path: str, host: str, port: int) -> list[ManagedProcess]:
    """``count`` worker processes on this machine, each logging next to the plan."""
    log_stem = Path(plan_path).with_suffix("")
    return [
        ManagedProcess.start(
            [
                sys.executable,
                "-m",
                "golive.load._worker",
                "--role",
                "worker",
                "--plan",
                plan_path,
                "--master-host",
                host,
                "--master-port",
                str(port),
            ],
            log=Path(f"{log_stem}-worker-{i + 1}.log"),
            name=f"locust worker {i + 1}",
        )
        for i in range(count)
    ]


def _stop_workers(workers: list[ManagedProcess]) -> None:
    """Give the workers the time to quit on the master's word, then stop what is left."""
    deadline = time.time() + 5.0
    while any(w.returncode is None for w in workers) and time.time() < deadline:
        gevent.sleep(0.1)
    for worker in workers:
        worker.stop_sync(grace_s=1.0)


def run_master(plan: dict[str, Any], plan_path: str) -> dict[str, Any]:
    """Locust master; starts ``workers`` local worker processes or waits for external ones."""
    acc = Accumulator()
    env = Environment(user_classes=build_users(plan))
    host, _, port_text = str(plan.get("master_bind") or "127.0.0.1:0").rpartition(":")
    host = host or "127.0.0.1"
    port = int(port_text) or free_port(host)

    def on_report(client_id: str, data: dict[str, Any]) -> None:
        if "golive" in data:
            acc.merge(data["golive"])

    env.events.worker_report.add_listener(on_report)  # type: ignore[no-untyped-call]
    runner = env.create_master_runner(master_bind_host=host, master_bind_port=port)
    local = int(plan.get("workers") or 0)
    expected = local or int(plan.get("external_workers") or 0)
    connect = "127.0.0.1" if host in ("0.0.0.0", "*", "") else host
    workers = _start_workers(local, plan_path, connect, port)
    try:
        deadline = time.time() + (30.0 if local else 300.0)
        while len(runner.clients.ready) < expected:
            if time.time() > deadline:
                tails = "".join(f"\n{w.name}: {w.log_tail(5)}" for w in workers if w.returncode is not None)
                raise SystemExit(f"only {len(runner.clients.ready)} of {expected} workers connected{tails}")
            gevent.sleep(0.1)
        out = drive(env, runner, plan, acc, distributed=True)
        out["workers"] = expected
        return out
    finally:
        runner.quit()
        _stop_workers(workers)


def run_worker(plan: dict[str, Any], master_host: str, master_port: int) -> None:
    """A Locust worker that adds its measurements to every report."""
    runners.WORKER_REPORT_INTERVAL = REPORT_INTERVAL_S
    acc = Accumulator()
    env = Environment(user_classes=build_users(plan))
    attach(env, acc)

    def on_report(client_id: str, data: dict[str, Any]) -> None:
        data["golive"] = acc.drain()

    env.events.report_to_master.add_listener(on_report)  # type: ignore[no-untyped-call]
    runner = env.create_worker_runner(master_host, master_port)
    runner.greenlet.join()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the engine process."""
    parser = argparse.ArgumentParser(prog="python -m golive.load._worker")
    parser.add_argument("--plan", required=True, help="Plan JSON written by golive.")
    parser.add_argument("--out", help="Where to write the run's JSON (local and master roles).")
    parser.add_argument("--role", choices=("local", "master", "worker"), default=None)
    parser.add_argument("--master-host", default="127.0.0.1")
    parser.add_argument("--master-port", type=int, default=5557)
    args = parser.parse_args(argv)
    plan = json.loads(Path(args.plan).read_text())
    # A worker's plan host may be overridden where the workers run (e.g. a cluster-internal name).
    plan["host"] = os.environ.get("GOLIVE_LOAD_HOST", plan["host"])
    role = args.role or ("master" if plan.get("workers") or plan.get("external_workers") else "local")
    gevent.signal_handler(signal.SIGTERM, lambda: os._exit(143))
    if role == "worker":
        run_worker(plan, args.master_host, args.master_port)
        return 0
    out = run_local(plan) if role == "local" else run_master(plan, args.plan)
    text = json.dumps(out)
    if args.out:
        tmp = Path(args.out + ".tmp")
        tmp.write_text(text)
        tmp.replace(args.out)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

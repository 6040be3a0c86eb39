"""storefront's capacity per instance under the shopper scenario, before and after, in one run.

Starts storefront as the review stack does (embedded SQLite, JSON access log at INFO, the
spec's argon2 profile, 50 seeded products) and drives ``load/locustfile.py``'s ``Shopper``
with golive's engine, back to back with no think time (closed loop: the throughput at which
the instance saturates) and with the spec's think time at a fixed user count (latency near the
knee). With ``--baseline REV`` the same load also runs against storefront's ``src`` at that git
revision (exported to a temporary directory, the working tree is not touched), alternating the
order over ``--rounds``. With ``--profile`` the current code runs under cProfile and the top
functions are printed. Usage::

    .venv/bin/python benchmarks/storefront_capacity.py [--baseline HEAD] [--rounds 2] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from golive.load._model import LoadPlan, LoadRun, Stage  # noqa: E402
from tests.fixtures.servers import STOREFRONT, Server, free_port, server_process  # noqa: E402

STACK_ENV = {
    "AUTO_MIGRATE": "true",
    "LOG_FORMAT": "json",
    "LOG_LEVEL": "INFO",
    "ARGON2_MEMORY_COST_KIB": "19456",
    "ARGON2_TIME_COST": "2",
    "ARGON2_PARALLELISM": "1",
    "RATE_LIMIT_IP": "6000/minute",
    "SEED_USER_PASSWORD": "bench-" + os.urandom(6).hex(),
}
CLOSED_LOOP = '''
from locust import constant
from shopper import Shopper as _Shopper


class FlatOut(_Shopper):
    """The shopper mix with no think time."""

    wait_time = constant(0)
'''


def export_src(rev: str, dest: Path) -> Path:
    """storefront's ``src`` at ``rev`` in ``dest`` (``git archive``: the work tree is untouched)."""
    data = subprocess.run(
        ["git", "archive", rev, "examples/storefront/src"], cwd=REPO, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest / "examples/storefront/src"


@contextlib.contextmanager
def instance(src: Path, tmp: Path, profile: Path | None) -> Iterator[Server]:
    """A seeded storefront from ``src`` on a free port, stopped (and its profile written) after."""
    port = free_port()
    db = tmp / f"sf-{port}.db"
    env = {**os.environ, **STACK_ENV, "DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": str(src)}
    env["JWT_SECRET"] = "bench-only-" + os.urandom(8).hex()
    py = [sys.executable]
    subprocess.run(
        [*py, "-m", "storefront", "migrate"], cwd=STOREFRONT, env=env, check=True, capture_output=True
    )
    seed = [*py, "-m", "storefront", "seed", "--products", "50", "--users", "5"]
    subprocess.run(seed, cwd=STOREFRONT, env=env, check=True, capture_output=True)
    if profile is not None:
        py += ["-m", "cProfile", "-o", str(profile)]
    argv = [*py, "-m", "storefront", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with server_process(
        argv, port=port, log=tmp / f"sf-{port}.log", health_path="/healthz", cwd=STOREFRONT, env=env
    ) as server:
        yield server
        # SIGINT makes storefront exit normally, so cProfile writes its file.
        server.proc.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.proc.wait(20)


def drive(
    url: str, tmp: Path, users: int, duration: int, locustfile: Path, user_class: str
) -> dict[str, float]:
    """Run the shopper scenario; steady-state throughput, p95 and error rate."""
    plan = LoadPlan(
        host=url,
        stages=(Stage(users=users, duration_s=float(duration), spawn_rate=float(users)),),
        locustfile=str(locustfile),
        user_classes=(user_class,),
    )
    plan_path, run_path = tmp / "plan.json", tmp / "run.json"
    plan_path.write_text(json.dumps(plan.as_json()))
    env = {**os.environ, "PYTHONPATH": str(tmp)}  # flat_out.py imports shopper.py
    cmd = [sys.executable, "-m", "golive.load._worker", "--plan", str(plan_path), "--out", str(run_path)]
    subprocess.run(cmd, check=True, timeout=duration + 60, env=env)
    run = LoadRun.from_json(json.loads(run_path.read_text()))
    stats = run.window(run.started + 2, run.ended)  # after the users registered
    return {"rps": stats.rps, "p95": stats.p95 or 0.0, "errors": stats.error_rate}


def measure(src: Path, tmp: Path, args: argparse.Namespace, profile: Path | None) -> dict[str, float]:
    """Closed-loop throughput and think-time latency of one instance from ``src``."""
    with instance(src, tmp, profile) as sf:
        flat = drive(sf.url, tmp, args.users, args.duration, tmp / "flat_out.py", "FlatOut")
        paced = drive(
            sf.url, tmp, args.paced_users, args.duration, STOREFRONT / "load/locustfile.py", "Shopper"
        )
    return {
        "max_rps": flat["rps"],
        "flat_p95": flat["p95"],
        "paced_rps": paced["rps"],
        "paced_p95": paced["p95"],
        "errors": max(flat["errors"], paced["errors"]),
    }


def show_profile(path: Path, top: int) -> None:
    """The functions that cost the most time, themselves and with what they call."""
    stats = pstats.Stats(str(path))
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", help="git revision to compare with (e.g. HEAD)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--users", type=int, default=8, help="closed-loop users")
    parser.add_argument("--paced-users", type=int, default=24, help="users with the spec's think time")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="golive-sfbench-"))
    (tmp / "flat_out.py").write_text(CLOSED_LOOP)
    (tmp / "shopper.py").write_text((STOREFRONT / "load/locustfile.py").read_text())
    try:
        current = STOREFRONT / "src"
        if args.profile:
            prof = tmp / "storefront.prof"
            print(measure(current, tmp, args, prof))
            show_profile(prof, args.top)
            return
        variants = {"current": current}
        if args.baseline:
            variants[f"baseline {args.baseline}"] = export_src(args.baseline, tmp / "baseline")
        results: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
        names = list(variants)
        for i in range(args.rounds):
            for name in names if i % 2 == 0 else reversed(names):
                results[name].append(measure(variants[name], tmp, args, None))
                print(f"  round {i + 1} {name}: {results[name][-1]}", file=sys.stderr)
        load = os.getloadavg()
        print(
            f"\nstorefront, shopper mix; {args.users} users flat out / {args.paced_users} users with think"
            f" time, {args.duration}s each, {args.rounds} rounds;"
            f" load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n"
        )
        print(
            f"{'code':<20} {'max req/s':>10} {'p95 ms':>8} {'paced req/s':>12} {'p95 ms':>8} {'errors %':>9}"
        )
        for name, rows in results.items():
            avg = {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]}
            print(
                f"{name:<20} {avg['max_rps']:>10.1f} {avg['flat_p95']:>8.0f} {avg['paced_rps']:>12.1f}"
                f" {avg['paced_p95']:>8.0f} {avg['errors']:>9.2f}"
            )
        if args.baseline:
            cur, base = (sum(r["max_rps"] for r in results[n]) for n in names)
            print(f"\nmax req/s current / baseline: {cur / base:.2f}x")

    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

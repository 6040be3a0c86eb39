"""Is golive's load generator the bottleneck? wrk, plain Locust and golive side by side.

Against the same endpoints in the same run, back to back, over ``--rounds`` rounds whose order
alternates (a busy machine then penalises every generator alike):

- a trivial static file served by nginx: the generators' own ceiling;
- storefront ``GET /products?limit=20`` (embedded SQLite, 50 seeded products).

Generators, each with the same users/connections and duration: ``wrk``; plain Locust (a
``FastHttpUser`` with one ``self.client.get`` task, Locust's own stats only); golive's engine
in one process; golive with ``--workers 1`` and ``--workers 2`` (Locust master + worker
processes on loopback: the scaling figure). Target: golive >= 0.95x plain Locust. Then, on
nginx, the master's own CPU with 8 local workers. Usage::

    .venv/bin/python benchmarks/load_engine.py [--duration 8] [--connections 32] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from golive.load._model import LoadPlan, LoadRun, RequestSpec, Stage  # noqa: E402
from tests.fixtures.servers import STOREFRONT, free_port, storefront, wait_http  # noqa: E402

WARM_UP_S = 1.0
PLAIN_LOCUST = """
import sys, time
from gevent import monkey
monkey.patch_all()
import gevent
from locust import FastHttpUser, constant, task
from locust.env import Environment

host, path = sys.argv[1], sys.argv[2]
users, duration, warm = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])


class Plain(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self):
        self.client.get(path, name="bench")


Plain.host = host
env = Environment(user_classes=[Plain])
runner = env.create_local_runner()
runner.start(users, spawn_rate=users * 10)
gevent.sleep(warm)
n0, t0 = env.stats.total.num_requests, time.time()
gevent.sleep(duration)
n1, t1 = env.stats.total.num_requests, time.time()
runner.quit()
print((n1 - n0) / (t1 - t0))
"""


def wrk(url: str, duration: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", url], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(out)
    return float(match.group(1))


def plain_locust(base: str, path: str, duration: int, users: int) -> float:
    """Plain Locust: steady-state requests/s after the same warm-up golive's figure leaves out."""
    args = [base, path, str(users), str(duration), str(WARM_UP_S)]
    out = subprocess.run(
        [sys.executable, "-c", PLAIN_LOCUST, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
    ).stdout
    return float(out.strip().splitlines()[-1])


def golive(base: str, path: str, duration: int, users: int, workers: int, tmp: Path) -> float:
    """golive's engine (``workers`` 0: in one process); steady-state requests/s."""
    run, _ = golive_run(base, path, duration, users, workers, tmp)
    return run


def golive_run(
    base: str, path: str, duration: int, users: int, workers: int, tmp: Path
) -> tuple[float, float]:
    """Steady-state requests/s and the engine's main process's own CPU seconds."""
    plan = LoadPlan(
        host=base,
        stages=(Stage(users=users, duration_s=float(duration) + WARM_UP_S, spawn_rate=float(users * 10)),),
        requests=(RequestSpec(name="bench", path=path),),
        workers=workers,
    )
    plan_path, run_path = tmp / "plan.json", tmp / "run.json"
    plan_path.write_text(json.dumps(plan.as_json()))
    cmd = [sys.executable, "-m", "golive.load._worker", "--plan", str(plan_path), "--out", str(run_path)]
    proc = subprocess.Popen(cmd)
    cpu = 0.0
    while proc.poll() is None:
        cpu = max(cpu, own_cpu_s(proc.pid))
        time.sleep(0.2)
    if proc.returncode:
        raise RuntimeError(f"engine exited {proc.returncode}")
    run = LoadRun.from_json(json.loads(run_path.read_text()))
    stats = run.window(run.started + WARM_UP_S, run.ended)
    if stats.error_rate > 1:
        print(f"  warning: {stats.error_rate:.1f}% errors", file=sys.stderr)
    return stats.rps, cpu


def own_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (not its children), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def nginx(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    root = tmp / "www"
    root.mkdir()
    (root / "index.html").write_text("ok\n")
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"""daemon off; worker_processes 1; pid {tmp}/nginx.pid; error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};
  uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
  server {{ listen 127.0.0.1:{port}; keepalive_requests 1000000; location / {{ root {root}; }} }} }}
"""
    )
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp)], start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/index.html", 10, proc)
    return proc, url


GENERATORS: dict[str, Callable[[str, str, argparse.Namespace, Path], float]] = {
    "wrk": lambda base, path, a, tmp: wrk(base + path, a.duration, a.connections),
    "locust": lambda base, path, a, tmp: plain_locust(base, path, a.duration, a.connections),
    "golive": lambda base, path, a, tmp: golive(base, path, a.duration, a.connections, 0, tmp),
    "golive -w1": lambda base, path, a, tmp: golive(base, path, a.duration, a.connections, 1, tmp),
    "golive -w2": lambda base, path, a, tmp: golive(base, path, a.duration, a.connections, 2, tmp),
}


def rounds(base: str, path: str, args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    """Each generator once per round, the order reversed every other round; median req/s.

    The median, and golive/locust per round (the two run next to each other), because other
    work on a shared machine can halve one run now and then.
    """
    names = list(GENERATORS)
    got: dict[str, list[float]] = {n: [] for n in names}
    ratios: list[float] = []
    for i in range(args.rounds):
        for name in names if i % 2 == 0 else names[::-1]:
            got[name].append(GENERATORS[name](base, path, args, tmp))
        figures = ", ".join(f"{n} {v[-1]:.0f}" for n, v in got.items())
        ratios.append(got["golive"][-1] / got["locust"][-1])
        print(f"  {path} round {i + 1}: {figures}; golive/locust {ratios[-1]:.2f}", file=sys.stderr)
    medians = {n: statistics.median(v) for n, v in got.items()}
    medians["golive/locust"] = statistics.median(ratios)
    return medians


def master_overhead(url: str, args: argparse.Namespace, tmp: Path) -> None:
    """The master's own CPU at 8 local workers (and at 2, for comparison)."""
    print("\nLocust master's own CPU (nginx static), golive --workers N:")
    for workers in (2, 8):
        rps, cpu = golive_run(url, "/index.html", args.duration, args.connections, workers, tmp)
        # The run lasts the stage plus start-up and the final report wait; per request is fairer.
        per_request_us = 1e6 * cpu / (rps * args.duration)
        print(f"  {workers} workers: {rps:>7.0f} req/s, master CPU {cpu:5.2f} s, {per_request_us:.0f} us/req")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk") or not shutil.which("nginx"):
        sys.exit("needs wrk and nginx (Debian packages)")
    tmp = Path(tempfile.mkdtemp(prefix="golive-bench-"))
    table: list[tuple[str, dict[str, float]]] = []
    proc, url = nginx(tmp)
    try:
        table.append(("nginx static /index.html", rounds(url, "/index.html", args, tmp)))
        master_overhead(url, args, tmp)
    finally:
        proc.terminate()
        proc.wait(5)
    db = f"sqlite:///{tmp / 'storefront.db'}"
    env = {**os.environ, "DATABASE_URL": db, "AUTO_MIGRATE": "true"}
    seed = [sys.executable, "-m", "storefront", "seed", "--products", "50"]
    subprocess.run(seed, cwd=STOREFRONT, env=env, check=True, capture_output=True)
    with storefront(tmp, database_url=db, env={"RATE_LIMIT_ENABLED": "false", "LOG_LEVEL": "WARNING"}) as sf:
        table.append(("storefront GET /products?limit=20", rounds(sf.url, "/products?limit=20", args, tmp)))
    load = os.getloadavg()
    print(
        f"\n{args.connections} connections/users, {args.duration}s each, median of {args.rounds} rounds,"
        f" 2 cores shared with the server; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n"
    )
    print(
        f"{'endpoint':<34}" + "".join(f"{n:>11}" for n in GENERATORS) + f"{'golive/locust':>14}{'w2/w1':>7}"
    )
    for name, r in table:
        ratio = r["golive/locust"]  # the median of the rounds' ratios
        print(
            f"{name:<34}"
            + "".join(f"{r[n]:>11.0f}" for n in GENERATORS)
            + f"{ratio:>14.2f}{r['golive -w2'] / r['golive -w1']:>7.2f}"
        )
    print("\ntarget: golive/locust >= 0.95; w2/w1 >= 1.6 where the generator, not the server, is the limit")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    t = time.time()
    main()
    print(f"\n(total {time.time() - t:.0f}s)")

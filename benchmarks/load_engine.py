"""Is golive's load generator the bottleneck? Max throughput of golive's Locust engine vs wrk.

Runs against the same endpoints in the same run, one after the other:

- storefront ``GET /products?limit=20`` (embedded SQLite, 50 seeded products): the service
  is the bottleneck; golive should reach >= 90% of wrk's throughput;
- a trivial static file served by nginx: shows the generator's own ceiling.

golive is measured with its engine in one process (``FastHttpUser``) and with ``--workers 2``
(Locust master + 2 worker processes on loopback). Usage::

    .venv/bin/python benchmarks/load_engine.py [--duration 8] [--connections 32]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from golive.load._model import LoadPlan, LoadRun, RequestSpec, Stage  # noqa: E402
from tests.fixtures.servers import STOREFRONT, free_port, storefront, wait_http  # noqa: E402


def wrk(url: str, duration: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", url], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(out)
    return float(match.group(1))


def golive(base: str, path: str, duration: int, users: int, workers: int, tmp: Path) -> float:
    plan = LoadPlan(
        host=base,
        stages=(Stage(users=users, duration_s=float(duration), spawn_rate=float(users * 10)),),
        requests=(RequestSpec(name="bench", path=path),),
        workers=workers,
    )
    plan_path, run_path = tmp / "plan.json", tmp / "run.json"
    plan_path.write_text(json.dumps(plan.as_json()))
    subprocess.run(
        [sys.executable, "-m", "golive.load._worker", "--plan", str(plan_path), "--out", str(run_path)],
        check=True,
        timeout=duration + 60,
    )
    run = LoadRun.from_json(json.loads(run_path.read_text()))
    # Steady state: leave out the first and the last (partial) second.
    stats = run.window(run.started + 1, run.ended)
    if stats.error_rate > 1:
        print(f"  warning: {stats.error_rate:.1f}% errors", file=sys.stderr)
    return stats.rps


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk") or not shutil.which("nginx"):
        sys.exit("needs wrk and nginx (Debian packages)")
    tmp = Path(tempfile.mkdtemp(prefix="golive-bench-"))
    rows: list[tuple[str, float, float, float]] = []
    db = f"sqlite:///{tmp / 'storefront.db'}"
    env = {**os.environ, "DATABASE_URL": db, "AUTO_MIGRATE": "true"}
    subprocess.run(
        [sys.executable, "-m", "storefront", "seed", "--products", "50"],
        cwd=STOREFRONT,
        env=env,
        check=True,
        capture_output=True,
    )
    with storefront(tmp, database_url=db, env={"RATE_LIMIT_ENABLED": "false", "LOG_LEVEL": "WARNING"}) as sf:
        path = "/products?limit=20"
        w = wrk(sf.url + path, args.duration, args.connections)
        g1 = golive(sf.url, path, args.duration, args.connections, 0, tmp)
        g2 = golive(sf.url, path, args.duration, args.connections, 2, tmp)
        rows.append((f"storefront GET {path}", w, g1, g2))
    proc, url = nginx(tmp)
    try:
        w = wrk(url + "/index.html", args.duration, args.connections)
        g1 = golive(url, "/index.html", args.duration, args.connections, 0, tmp)
        g2 = golive(url, "/index.html", args.duration, args.connections, 2, tmp)
        rows.append(("nginx static /index.html", w, g1, g2))
    finally:
        proc.terminate()
        proc.wait(5)
    print(f"\n{args.connections} connections/users, {args.duration}s each, 2 cores shared with the server\n")
    print(f"{'endpoint':<36} {'wrk req/s':>10} {'golive':>10} {'ratio':>6} {'golive -w2':>11} {'ratio':>6}")
    for name, w, g1, g2 in rows:
        print(f"{name:<36} {w:>10.0f} {g1:>10.0f} {g1 / w:>6.2f} {g2:>11.0f} {g2 / w:>6.2f}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    t = time.time()
    main()
    print(f"\n(total {time.time() - t:.0f}s)")

"""Engine benchmark: 200 generic checks (file, `command` running `true`, `http` against a
local server) through the real engine.

Prints wall time, the per-check engine overhead and the ratio of each figure to its
target (issue targets on 2 cores: whole review under 3 s, overhead under 5 ms per check).

Overhead is measured as (wall time of the review) minus (wall time of the same work done
directly: the same files read, the same processes spawned with the same concurrency, the
same requests sent with the same client), divided by the number of checks.

    .venv/bin/python benchmarks/engine.py [--checks 200] [--jobs N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from golive.checks.registry import CheckRegistry  # noqa: E402
from golive.engine import ReviewOptions, Runner, default_jobs  # noqa: E402
from golive.kit.processes import run_process  # noqa: E402
from golive.results import Status  # noqa: E402
from golive.spec import SpecLoader  # noqa: E402
from tests.fixtures.httpserver import serve  # noqa: E402

TARGET_WALL_S = 3.0
TARGET_OVERHEAD_MS = 5.0


def build_spec(tmp: Path, base_url: str, n: int) -> Path:
    (tmp / "doc.md").write_text("# Title\n## Usage\ntext\n")
    criteria = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            check = {"type": "file", "path": "doc.md", "headings": ["Usage"]}
        elif kind == 1:
            check = {"type": "command", "command": ["true"]}
        else:
            check = {"type": "http", "path": "/healthz"}
        criteria.append(
            {"id": f"c{i:03d}", "title": f"check {i}", "area": "docs", "tier": "must", "check": check}
        )
    doc = {
        "service": {"name": "bench"},
        "environments": {"local": {"base_url": base_url}},
        "criteria": criteria,
    }
    path = tmp / "golive.yaml"
    with path.open("w") as fh:
        YAML().dump(doc, fh)
    return path


async def direct(tmp: Path, base_url: str, n: int, jobs: int) -> float:
    """The same work without the engine, at the same concurrency."""
    sem = asyncio.Semaphore(jobs)
    start = time.perf_counter()
    async with httpx.AsyncClient() as client:

        async def one(i: int) -> None:
            async with sem:
                kind = i % 3
                if kind == 0:
                    (tmp / "doc.md").read_text()
                elif kind == 1:
                    await run_process(["true"], timeout=30)
                else:
                    (await client.get(base_url + "/healthz")).raise_for_status()

        await asyncio.gather(*(one(i) for i in range(n)))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    registry = CheckRegistry.default()
    with tempfile.TemporaryDirectory() as d, serve() as base_url:
        tmp = Path(d)
        spec_path = build_spec(tmp, base_url, args.checks)
        t0 = time.perf_counter()
        spec = SpecLoader(registry).load(spec_path)
        load_s = time.perf_counter() - t0
        walls, directs = [], []
        for _ in range(args.repeat):
            options = ReviewOptions(jobs=args.jobs, artifacts_dir=tmp / "artifacts")
            t0 = time.perf_counter()
            review = asyncio.run(Runner(spec, registry, options).run())
            walls.append(time.perf_counter() - t0)
            bad = [r for r in review.results if r.status is not Status.PASS]
            assert not bad, bad[:3]
            directs.append(asyncio.run(direct(tmp, base_url, args.checks, args.jobs)))
    wall = min(walls)
    base = min(directs)
    overhead_ms = max(0.0, (wall - base) / args.checks * 1000)
    total = load_s + wall
    print(f"checks: {args.checks} (file/command/http), jobs: {args.jobs}, best of {args.repeat}")
    print(f"spec load:              {load_s * 1000:8.1f} ms")
    print(f"review wall time:       {wall * 1000:8.1f} ms   (load + review {total:.3f} s)")
    print(f"same work, no engine:   {base * 1000:8.1f} ms")
    print(f"engine overhead:        {overhead_ms:8.3f} ms/check")
    wall_ratio = total / TARGET_WALL_S
    overhead_ratio = overhead_ms / TARGET_OVERHEAD_MS
    print(f"ratio wall/target:      {wall_ratio:8.3f}   (target {TARGET_WALL_S:g} s; <= 1 meets it)")
    print(f"ratio overhead/target:  {overhead_ratio:8.3f}   (target {TARGET_OVERHEAD_MS:g} ms)")


if __name__ == "__main__":
    main()

"""Benchmark: a recovery drill of a seeded storefront PostgreSQL database of at least 1 GB.

Measures golive's restore + verify time against a bare ``pg_restore`` of the same dump (target:
ratio <= 1.15, i.e. verification costs at most 15 % on top of the restore), and the peak
memory of the checksum pass on the client (golive) and the server backends, on the big database
and on a tiny one: with streamed checksums the peaks do not grow with table size.

    .venv/bin/python benchmarks/dr.py [--size-gb 1.0] [--jobs 2] [--keep]

Not part of the test suite (several minutes). Needs the PostgreSQL server at 127.0.0.1:5432.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from golive.dr._drill import DrillConfig, run_drill  # noqa: E402
from golive.dr._postgres import PgSnapshot  # noqa: E402
from golive.dr._urls import parse_db_url  # noqa: E402
from golive.kit.check import CheckContext  # noqa: E402
from golive.spec.models import Environment, Objectives  # noqa: E402

STOREFRONT = REPO / "examples" / "storefront"
ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def sa_url(name: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def libpq(name: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def admin(sql: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def db_size(name: str) -> int:
    with psycopg.connect(libpq(name)) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    assert row is not None
    return int(row[0])


def storefront(url: str, *args: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SEED_USER_PASSWORD": "bench-" + secrets.token_hex(4),
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST_KIB": "64",
        "ARGON2_PARALLELISM": "1",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run([sys.executable, "-m", "storefront", *args], cwd=STOREFRONT, env=env, check=True)


def seed(name: str, size_gb: float, *, catalog: bool = True) -> None:
    """storefront's own seeder for catalog and users, then orders/items/events in bulk SQL."""
    if catalog:
        storefront(sa_url(name), "migrate")
        storefront(sa_url(name), "seed", "--products", "100000", "--users", "20000")
    with psycopg.connect(libpq(name), autocommit=True) as conn:
        row = conn.execute("SELECT count(*) / 250000 FROM orders").fetchone()
        batch = int(row[0]) if row else 0
        while db_size(name) < size_gb * 1e9:
            batch += 1
            base = batch * 1_000_000
            conn.execute(
                """
                WITH u AS (SELECT array_agg(id) AS ids FROM users)
                INSERT INTO orders (id, user_id, status, total_cents, currency, idempotency_key,
                                    request_hash, payment_ref, created_at, updated_at, paid_at)
                SELECT gen_random_uuid()::text, u.ids[1 + g %% cardinality(u.ids)],
                       (ARRAY['pending', 'paid', 'cancelled'])[1 + g %% 3], 100 + g %% 50000, 'EUR',
                       'idem-' || (%s + g), md5(g::text) || md5((g + 1)::text), 'pay_' || md5(g::text),
                       now() - make_interval(secs => g), now(), now()
                FROM generate_series(1, 250000) g, u
                """,
                (base,),
            )
            conn.execute(
                """
                INSERT INTO order_items (order_id, product_id, product_name, quantity, unit_price_cents)
                SELECT o.id, 1 + abs(hashtext(o.id || k)) %% 100000, 'Handmade Coffee Mug ' || k, k, 999 + k
                FROM orders o CROSS JOIN generate_series(1, 2) k
                WHERE o.idempotency_key LIKE 'idem-%%' AND substr(o.idempotency_key, 6)::bigint > %s
                """,
                (base,),
            )
            conn.execute(
                """
                INSERT INTO outbox_events (id, type, aggregate_id, payload, created_at, delivered_at,
                                           attempts, next_attempt_at)
                SELECT gen_random_uuid()::text, 'order.created', 'agg-' || (%s + g),
                       json_build_object('order', %s + g, 'total_cents', g %% 5000,
                                         'lines', json_build_array(json_build_object('sku', 'SKU-' || g))),
                       now(), now(), 1, now()
                FROM generate_series(1, 125000) g
                """,
                (base, base),
            )
            print(f"  seeded batch {batch}: {db_size(name) / 1e9:.2f} GB", flush=True)
        conn.execute("VACUUM ANALYZE")


class PeakSampler:
    """Peak RSS of this process and of the server backends serving ``database``, every 20 ms."""

    def __init__(self, database: str) -> None:
        self.database = database.encode()
        self.client_kb = 0
        self.server_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss_kb(pid: int | str) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                # Anonymous (private) memory: a backend's VmRSS also counts the pages of the
                # shared buffer pool it touched, which says nothing about the query's own use.
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _backends(self) -> list[int]:
        pids = []
        for p in Path("/proc").iterdir():
            if p.name.isdigit():
                try:
                    # A backend's title is "postgres: USER DATABASE HOST ACTIVITY".
                    if self.database in (p / "cmdline").read_bytes().split(b" "):
                        pids.append(int(p.name))
                except OSError:
                    continue
        return pids

    def _run(self) -> None:
        while not self._stop.is_set():
            self.client_kb = max(self.client_kb, self._rss_kb("self"))
            self.server_kb = max(self.server_kb, max((self._rss_kb(p) for p in self._backends()), default=0))
            time.sleep(0.02)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def checksum_memory(name: str, jobs: int) -> tuple[float, int, int, int]:
    """(seconds, rows, client peak kB, server backend peak kB) of one checksum pass."""
    snap = PgSnapshot(parse_db_url(sa_url(name)), workers=jobs)
    try:
        with PeakSampler(name) as peaks:
            start = time.monotonic()
            sums = snap.checksums(())
            took = time.monotonic() - start
    finally:
        snap.close()
    return took, sum(t.rows for t in sums.values()), peaks.client_kb, peaks.server_kb


def timed(fn: Callable[[], object]) -> float:
    start = time.monotonic()
    fn()
    return time.monotonic() - start


def restore(dump: Path, jobs: int, *, verify: bool) -> tuple[float, float]:
    """(restore s, verify s): the drill's pg_restore, then (optionally) golive's checksum pass."""
    name = "golive_dr_bare" + secrets.token_hex(4)
    admin(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        argv = [
            "pg_restore",
            f"--jobs={jobs}",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            f"--dbname={libpq(name)}",
            str(dump),
        ]
        restore_s = timed(lambda: subprocess.run(argv, check=True))
        verify_s = checksum_memory(name, jobs)[0] if verify else 0.0
        return restore_s, verify_s
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def drill(name: str, jobs: int, artifacts: Path) -> dict[str, float]:
    env = Environment(base_url="http://127.0.0.1:9")
    start = (
        f'DATABASE_URL="$RESTORED_DATABASE_URL" AUTO_MIGRATE=false LOG_LEVEL=WARNING '
        f'exec {sys.executable} -m storefront serve --host 127.0.0.1 --port "$DRILL_PORT"'
    )
    cfg = DrillConfig(
        source=parse_db_url(sa_url(name)),
        scratch_server=None,
        start=start,
        ready_timeout=120.0,
        jobs=jobs,
        writes_after_backup=1.0,
        keep_backup=True,
        alembic_head="0001",
    )
    async with httpx.AsyncClient() as http:
        ctx = CheckContext(
            criterion_id="bench",
            environment_name="bench",
            environment=env,
            objectives=Objectives(),
            workdir=STOREFRONT,
            artifacts_dir=artifacts,
            http=http,
            logger=logging.getLogger("bench"),
            timeout=3600.0,
        )
        report = await run_drill(cfg, ctx)
    if report.problems:
        raise SystemExit(f"drill failed: {report.problems}")
    steps = {s.name: s.duration_s for s in report.steps}
    return {
        "backup_s": steps["backup"],
        "restore_s": report.restore_s,
        "verify_s": report.verify_s,
        "rto_s": report.rto_s or 0.0,
        "rpo_s": report.rpo_s or 0.0,
        "rows": float(report.rows),
        "database_bytes": float(report.database_bytes),
        "backup_bytes": float(report.backup_bytes),
    }


def memory(name: str, tiny: str, jobs: int) -> None:
    """Peak memory of the checksum pass on a tiny and on the large database."""
    print("\n== checksum pass memory (peak RSS) ==")
    admin(f'CREATE DATABASE "{tiny}"')
    storefront(sa_url(tiny), "migrate")
    storefront(sa_url(tiny), "seed", "--products", "300", "--users", "20")
    for label, db in (("tiny", tiny), ("large", name)):
        took, rows, client, server = checksum_memory(db, jobs)
        print(
            f"{label:5} {rows:>10} rows in {took:6.1f}s: golive process {client / 1024:6.1f} MB, "
            f"largest server backend {server / 1024:6.1f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-gb", type=float, default=1.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="Keep the seeded database (golive_dr_bench*).")
    parser.add_argument("--database", help="Use this already seeded database instead of seeding one.")
    parser.add_argument("--memory-only", action="store_true", help="Only the checksum memory part.")
    parser.add_argument("--rounds", type=int, default=3, help="Alternating bare/golive restores.")
    args = parser.parse_args()

    name = args.database or "golive_dr_bench" + secrets.token_hex(4)
    created = args.database is None
    tiny = "golive_dr_tiny" + secrets.token_hex(4)
    try:
        if created:
            admin(f'CREATE DATABASE "{name}"')
            print(f"seeding {name} to >= {args.size_gb} GB ...", flush=True)
            print(f"  seeded in {timed(lambda: seed(name, args.size_gb)):.0f}s", flush=True)
        if not created and db_size(name) < args.size_gb * 1e9:
            seed(name, args.size_gb, catalog=False)
        size = db_size(name)
        print(f"database: {size / 1e9:.2f} GB", flush=True)

        if args.memory_only:
            memory(name, tiny, args.jobs)
            return
        with tempfile.TemporaryDirectory(prefix="golive-bench-") as tmp:
            artifacts = Path(tmp)
            print("golive drill (backup under writes, restore, start, verify) ...", flush=True)
            d = asyncio.run(drill(name, args.jobs, artifacts))
            dump = artifacts / "backup.dump"
            print(f"bare pg_restore vs restore+verify, alternating x{args.rounds} ...", flush=True)
            bare: list[float] = []
            golive: list[tuple[float, float]] = []
            for _ in range(args.rounds):
                bare.append(restore(dump, args.jobs, verify=False)[0])
                golive.append(restore(dump, args.jobs, verify=True))

        drill_s = d["restore_s"] + d["verify_s"]
        median_bare = sorted(bare)[len(bare) // 2]
        median_golive = sorted(r + v for r, v in golive)[len(golive) // 2]
        med = median_golive / median_bare
        share = sum(v for _, v in golive) / sum(r for r, _ in golive)
        print("\n== restore + verify vs bare pg_restore ==")
        print(
            f"database size         {d['database_bytes'] / 1e9:.2f} GB restored "
            f"({size / 1e9:.2f} GB source), "
            f"{d['rows']:.0f} rows, dump {d['backup_bytes'] / 1e6:.0f} MB"
        )
        print(f"drill backup          {d['backup_s']:.1f}s (pg_dump + source checksums in parallel)")
        print(f"drill restore+verify  {d['restore_s']:.1f}s + {d['verify_s']:.1f}s = {drill_s:.1f}s")
        print(f"drill RTO {d['rto_s']:.1f}s, RPO {d['rpo_s']:.1f}s")
        print(f"bare pg_restore       {', '.join(f'{b:.1f}s' for b in bare)}")
        print("golive restore+verify " + ", ".join(f"{r:.1f}+{v:.1f}s" for r, v in golive))
        verdict = "met" if med <= 1.15 else "NOT met"
        print(f"ratio of medians      {median_golive:.1f}s / {median_bare:.1f}s = {med:.3f}")
        print(f"target <= 1.15        {verdict}")
        print(f"verify / restore      {share:.3f} (checksum pass relative to the same restore)")
        memory(name, tiny, args.jobs)
    finally:
        admin(f'DROP DATABASE IF EXISTS "{tiny}" WITH (FORCE)')
        if created and not args.keep:
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()

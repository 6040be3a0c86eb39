"""A real Prometheus holding what a fleet of node exporters scraped every 60 s would have stored.

Prometheus' default scrape interval is one minute; waiting for real one-minute scrapes would
take minutes per test, so the samples are written with Prometheus' own backfill
(``promtool tsdb create-blocks-from openmetrics``) at 60 s steps, from 30 minutes ago to 10
minutes ahead (a query at "now" always finds a fresh sample), and Prometheus serves them. Its
configuration keeps the default global ``scrape_interval`` (1m).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from golive.kit.processes import ManagedProcess, free_port, http_probe

#: instance → nodename of the hosts the ``node`` job scrapes.
HOSTS = {"10.0.0.11:9100": "web-1", "10.0.0.12:9100": "web-2"}
JOB = "node"
STEP_S = 60


def _series(host: int) -> dict[str, tuple[str, float, float]]:
    """``name{labels}`` → (type, value at the start, increase per step) for one host."""
    cpus = {
        f'node_cpu_seconds_total{{cpu="{cpu}",mode="{mode}"}}': ("counter", 1000.0 * (cpu + 1), rate)
        for cpu in (0, 1)
        for mode, rate in (("idle", 50.0), ("user", 7.0 + host), ("system", 3.0))
    }
    root = '{device="/dev/sda1",fstype="ext4",mountpoint="/"}'
    return {
        'node_uname_info{sysname="Linux",release="6.1.0-18-amd64"}': ("gauge", 1.0, 0.0),
        **cpus,
        "node_load1": ("gauge", 0.4 + host, 0.0),
        "node_memory_MemTotal_bytes": ("gauge", 8.0e9, 0.0),
        "node_memory_MemAvailable_bytes": ("gauge", 5.0e9 - host * 1e9, 0.0),
        "node_filesystem_avail_bytes" + root: ("gauge", 2.0e10, 0.0),
        "node_filesystem_size_bytes" + root: ("gauge", 5.0e10, 0.0),
        'node_network_receive_bytes_total{device="eth0"}': ("counter", 1.0e6, 6.0e6),
        'node_disk_read_bytes_total{device="sda"}': ("counter", 2.0e6, 3.0e6),
    }


def openmetrics(now: float, *, before_s: int = 1800, after_s: int = 600) -> str:
    """The exposition history of every host, one sample per series per 60 s step."""
    families: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    steps = range(-before_s // STEP_S, after_s // STEP_S + 1)
    for index, (instance, nodename) in enumerate(HOSTS.items()):
        for key, (kind, start, per_step) in _series(index).items():
            name, _, rest = key.partition("{")
            labels = rest.rstrip("}")
            extra = f',nodename="{nodename}"' if name == "node_uname_info" else ""
            inner = f'{labels + "," if labels else ""}instance="{instance}",job="{JOB}"{extra}'
            kinds[name] = "unknown" if kind == "counter" else "gauge"
            for n, step in enumerate(steps):
                stamp = int(now) + step * STEP_S
                families.setdefault(name, []).append(f"{name}{{{inner}}} {start + n * per_step:g} {stamp}")
    lines = []
    for name, samples in families.items():
        lines.append(f"# TYPE {name} {kinds[name]}")
        lines.extend(samples)
    return "\n".join(lines) + "\n# EOF\n"


@contextlib.contextmanager
def prometheus_with_history(tmp: Path) -> Iterator[str]:
    """Start Prometheus on the backfilled history; yields its URL; always stops it."""
    data = tmp / "data"
    source = tmp / "history.om"
    source.write_text(openmetrics(time.time()))
    subprocess.run(
        ["promtool", "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
        check=True,
        capture_output=True,
    )
    config = tmp / "prometheus.yml"
    config.write_text("# Prometheus' defaults: scrape_interval 1m.\nglobal: {}\n")
    port = free_port()
    proc = ManagedProcess.start(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        log=tmp / "prometheus.log",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(proc.wait_healthy(http_probe(url + "/-/ready"), timeout=30))
        yield url
    finally:
        proc.stop_sync()

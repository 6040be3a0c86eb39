"""Start real Prometheus and Alertmanager processes on loopback, for drills, tests and `up`.

The committed monitoring files stay production-shaped (15s scrapes, 30s group waits, real
receivers). :func:`render_local_configs` derives a local variant from them: the same rules
and routing tree, with short intervals, the local targets, and every notifying receiver
pointed at golive's drill webhook, because a laptop must not page anyone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from golive.monitoring._yaml import dump_yaml, load_yaml
from golive.monitoring.base import MonitoringError

PROMETHEUS = "prometheus"
ALERTMANAGER = "prometheus-alertmanager"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_binary(*names: str) -> str:
    """The first of ``names`` on PATH; MonitoringError naming the Debian package otherwise."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise MonitoringError(
        f"{names[0]} is not installed (Debian: apt-get install prometheus prometheus-alertmanager)"
    )


@dataclass(frozen=True, kw_only=True)
class Running:
    """A started Prometheus or Alertmanager."""

    name: str
    url: str
    port: int
    pid: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise MonitoringError(
                f"{url} exited with {proc.returncode}: {log.read_text(errors='replace')[-1500:]}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/-/ready", timeout=1.0).status_code == 200:
                return
        time.sleep(0.05)
    stop_pid(proc.pid)
    raise MonitoringError(f"{url} not ready within {timeout:g}s")


def _start(name: str, argv: list[str], url: str, port: int, log: Path, timeout: float) -> Running:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        # A new session: the whole group can be killed, and Ctrl-C in a terminal does not
        # reach it before golive has a chance to clean up.
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    _wait_ready(url, proc, log, timeout)
    return Running(name=name, url=url, port=port, pid=proc.pid, log=log, proc=proc)


def start_prometheus(
    config: Path, workdir: Path, *, port: int | None = None, timeout: float = 20.0
) -> Running:
    """Start Prometheus with ``config`` on 127.0.0.1 and wait until it is ready."""
    port = port or free_port()
    data = workdir / f"prometheus-{port}"
    # A local stack starts empty: data from an earlier run (an earlier drill's errors) would
    # otherwise count in this run's SLO windows and alerts.
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True, exist_ok=True)
    argv = [
        find_binary(PROMETHEUS),
        f"--config.file={config}",
        f"--storage.tsdb.path={data}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--web.enable-lifecycle",
        "--storage.tsdb.retention.time=1d",
        "--log.level=warn",
    ]
    url = f"http://127.0.0.1:{port}"
    return _start("prometheus", argv, url, port, workdir / f"prometheus-{port}.log", timeout)


def start_alertmanager(
    config: Path, workdir: Path, *, port: int | None = None, timeout: float = 20.0
) -> Running:
    """Start Alertmanager with ``config`` on 127.0.0.1 (no cluster port) and wait for it."""
    port = port or free_port()
    data = workdir / f"alertmanager-{port}"
    # A local stack starts empty: data from an earlier run (an earlier drill's errors) would
    # otherwise count in this run's SLO windows and alerts.
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True, exist_ok=True)
    argv = [
        find_binary(ALERTMANAGER, "alertmanager"),
        f"--config.file={config}",
        f"--storage.path={data}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    url = f"http://127.0.0.1:{port}"
    return _start("alertmanager", argv, url, port, workdir / f"alertmanager-{port}.log", timeout)


def stop_pid(pid: int, grace: float = 5.0) -> None:
    """SIGTERM the process group of ``pid``, then SIGKILL whatever is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except (ProcessLookupError, PermissionError):
            break
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                break
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def stop(running: Running) -> None:
    """Stop a started process and its group."""
    stop_pid(running.pid)
    if running.proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            running.proc.wait(2)


@contextlib.contextmanager
def prometheus(config: Path, workdir: Path, *, port: int | None = None) -> Iterator[Running]:
    """A Prometheus for the duration of a ``with`` block."""
    running = start_prometheus(config, workdir, port=port)
    try:
        yield running
    finally:
        stop(running)


@contextlib.contextmanager
def alertmanager(config: Path, workdir: Path, *, port: int | None = None) -> Iterator[Running]:
    """An Alertmanager for the duration of a ``with`` block."""
    running = start_alertmanager(config, workdir, port=port)
    try:
        yield running
    finally:
        stop(running)


def _shorten_route(route: dict[str, Any], group_wait: str, group_interval: str) -> None:
    route["group_wait"] = group_wait
    route["group_interval"] = group_interval
    route["repeat_interval"] = "1h"
    for child in route.get("routes") or []:
        if isinstance(child, dict):
            _shorten_route(child, group_wait, group_interval)


def local_alertmanager_config(
    config: Mapping[str, Any], webhook_url: str, *, group_wait: str = "0s",
    group_interval: str = "1s",
) -> dict[str, Any]:
    """The Alertmanager config with notifying receivers replaced by the drill webhook.

    Each receiver posts to ``{webhook_url}/{receiver}`` so a drill can tell which route
    delivered; receivers without integrations stay silent (black holes stay black holes).
    """
    data = dict(config)
    receivers = []
    for receiver in data.get("receivers") or []:
        name = str(receiver.get("name"))
        notifies = any(k.endswith("_configs") and v for k, v in receiver.items())
        if notifies:
            receivers.append(
                {
                    "name": name,
                    "webhook_configs": [
                        {"url": f"{webhook_url.rstrip('/')}/{name}", "send_resolved": True}
                    ],
                }
            )
        else:
            receivers.append({"name": name})
    data["receivers"] = receivers
    route = dict(data.get("route") or {})
    _shorten_route(route, group_wait, group_interval)
    data["route"] = route
    data["global"] = {"resolve_timeout": "1m"}
    # Templates and secrets of the real integrations are not needed locally.
    data.pop("templates", None)
    return data


def local_prometheus_config(
    config: Mapping[str, Any],
    config_dir: Path,
    *,
    targets: Mapping[str, list[str]],
    alertmanager: str | None,
    interval: str = "1s",
) -> dict[str, Any]:
    """The Prometheus config with short intervals, local targets and absolute rule paths."""
    data = dict(config)
    data["global"] = {
        **(data.get("global") or {}),
        "scrape_interval": interval,
        "evaluation_interval": interval,
    }
    data["global"].pop("scrape_timeout", None)
    data["rule_files"] = [
        str(p if Path(p).is_absolute() else (config_dir / p).resolve())
        for p in data.get("rule_files") or []
    ]
    jobs = []
    for job in data.get("scrape_configs") or []:
        job = dict(job)
        job.pop("scrape_interval", None)
        job.pop("scrape_timeout", None)
        name = str(job.get("job_name"))
        if name in targets:
            job["static_configs"] = [{"targets": list(targets[name])}]
            for key in [k for k in job if k.endswith("_sd_configs")]:
                del job[key]
        jobs.append(job)
    data["scrape_configs"] = jobs
    if alertmanager:
        data["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]}
    else:
        data.pop("alerting", None)
    return data


@dataclass(frozen=True, kw_only=True)
class LocalStack:
    """Prometheus and Alertmanager started from a service's monitoring directory."""

    prometheus: Running
    alertmanager: Running
    webhook_url: str
    workdir: Path


def start_local_stack(
    monitoring_dir: Path,
    workdir: Path,
    *,
    targets: Mapping[str, list[str]],
    webhook_url: str,
    prometheus_port: int | None = None,
    alertmanager_port: int | None = None,
    interval: str = "1s",
) -> LocalStack:
    """Start Alertmanager, then Prometheus, from local variants of the committed configs."""
    workdir.mkdir(parents=True, exist_ok=True)
    am_port = alertmanager_port or free_port()
    am_cfg = workdir / "alertmanager.local.yml"
    am_cfg.write_text(
        dump_yaml(local_alertmanager_config(load_yaml(monitoring_dir / "alertmanager.yml"),
                                            webhook_url))
    )
    prom_port = prometheus_port or free_port()
    # Prometheus and Alertmanager scrape each other at the ports they really got.
    all_targets = {
        "prometheus": [f"127.0.0.1:{prom_port}"],
        "alertmanager": [f"127.0.0.1:{am_port}"],
        **targets,
    }
    prom_cfg = workdir / "prometheus.local.yml"
    prom_cfg.write_text(
        dump_yaml(
            local_prometheus_config(
                load_yaml(monitoring_dir / "prometheus.yml"),
                monitoring_dir,
                targets=all_targets,
                alertmanager=f"127.0.0.1:{am_port}",
                interval=interval,
            )
        )
    )
    am = start_alertmanager(am_cfg, workdir, port=am_port)
    try:
        prom = start_prometheus(prom_cfg, workdir, port=prom_port)
    except BaseException:
        stop(am)
        raise
    return LocalStack(prometheus=prom, alertmanager=am, webhook_url=webhook_url, workdir=workdir)


def stop_local_stack(stack: LocalStack) -> None:
    """Stop both processes."""
    try:
        stop(stack.prometheus)
    finally:
        stop(stack.alertmanager)

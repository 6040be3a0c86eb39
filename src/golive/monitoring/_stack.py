"""Start real Prometheus and Alertmanager processes on loopback, for drills, tests and `up`.

The committed monitoring files stay production-shaped (15s scrapes, 30s group waits, real
receivers). :func:`local_prometheus_config` and :func:`local_alertmanager_config` derive
local variants from them: the same rules, routing tree and scrape targets (only addresses
mapped explicitly, and golive's own Prometheus and Alertmanager, are changed), short
intervals, and every notifying receiver pointed at golive's drill webhook, because a laptop
must not page anyone.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golive.kit.files import atomic_write
from golive.kit.processes import ManagedProcess, find_tool, free_port, http_probe
from golive.monitoring._yaml import dump_yaml, load_yaml
from golive.monitoring.base import MonitoringError

PROMETHEUS = "prometheus"
ALERTMANAGER = "prometheus-alertmanager"


def find_binary(*names: str) -> str:
    """The first of ``names`` installed; MonitoringError naming the Debian package otherwise."""
    found = find_tool(*names)
    if found is None:
        raise MonitoringError(
            f"{names[0]} is not installed (Debian: apt-get install prometheus prometheus-alertmanager)"
        )
    return found


@dataclass(frozen=True, kw_only=True)
class Running:
    """A started Prometheus or Alertmanager."""

    name: str
    url: str
    port: int
    process: ManagedProcess

    @property
    def pid(self) -> int:
        """The process (group) id, recorded by ``golive monitoring up`` for ``down``."""
        return self.process.pid

    @property
    def log(self) -> Path:
        """Where the process writes its output."""
        return self.process.log

    def stop(self) -> None:
        """Stop the process and its group."""
        self.process.stop_sync()


def _fresh_dir(path: Path) -> Path:
    # A local stack starts empty: data from an earlier run (an earlier drill's errors) would
    # otherwise count in this run's SLO windows and alerts.
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _start(name: str, argv: list[str], port: int, log: Path, *, timeout: float, detached: bool) -> Running:
    """Start ``argv`` and wait until ``/-/ready`` answers; stop it again when it never does."""
    url = f"http://127.0.0.1:{port}"
    process = ManagedProcess.start(argv, log=log, name=name, detached=detached, append_log=True)
    try:
        process.wait_healthy_sync(http_probe(f"{url}/-/ready"), timeout=timeout, what=f"{name} at {url}")
    except BaseException:
        process.stop_sync()
        raise
    return Running(name=name, url=url, port=port, process=process)


def start_prometheus(
    config: Path, workdir: Path, *, port: int | None = None, timeout: float = 20.0, detached: bool = False
) -> Running:
    """Start Prometheus with ``config`` on 127.0.0.1 and wait until it is ready.

    ``detached``: it outlives golive (``golive monitoring up``); otherwise it dies with golive.
    """
    port = port or free_port()
    data = _fresh_dir(workdir / f"prometheus-{port}")
    argv = [
        find_binary(PROMETHEUS),
        f"--config.file={config}",
        f"--storage.tsdb.path={data}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--web.enable-lifecycle",
        "--storage.tsdb.retention.time=1d",
        "--log.level=warn",
    ]
    log = workdir / f"prometheus-{port}.log"
    return _start("prometheus", argv, port, log, timeout=timeout, detached=detached)


def start_alertmanager(
    config: Path, workdir: Path, *, port: int | None = None, timeout: float = 20.0, detached: bool = False
) -> Running:
    """Start Alertmanager with ``config`` on 127.0.0.1 (no cluster port) and wait for it."""
    port = port or free_port()
    data = _fresh_dir(workdir / f"alertmanager-{port}")
    argv = [
        find_binary(ALERTMANAGER, "alertmanager"),
        f"--config.file={config}",
        f"--storage.path={data}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    log = workdir / f"alertmanager-{port}.log"
    return _start("alertmanager", argv, port, log, timeout=timeout, detached=detached)


def _shorten_route(route: dict[str, Any], group_wait: str, group_interval: str) -> None:
    route["group_wait"] = group_wait
    route["group_interval"] = group_interval
    route["repeat_interval"] = "1h"
    for child in route.get("routes") or []:
        if isinstance(child, dict):
            _shorten_route(child, group_wait, group_interval)


def local_alertmanager_config(
    config: Mapping[str, Any],
    webhook_url: str,
    *,
    group_wait: str = "0s",
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
                    "webhook_configs": [{"url": f"{webhook_url.rstrip('/')}/{name}", "send_resolved": True}],
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


def _static_targets(job: Mapping[str, Any]) -> list[str]:
    return [
        str(t)
        for sc in job.get("static_configs") or []
        if isinstance(sc, dict)
        for t in sc.get("targets") or []
    ]


def _mapped_job(
    job: dict[str, Any], addresses: Mapping[str, str], replaced: list[str] | None, used: set[str]
) -> dict[str, Any]:
    """One scrape job with only its explicitly mapped addresses changed."""
    name = str(job.get("job_name"))
    if replaced is not None:
        committed = _static_targets(job)
        if committed:
            raise MonitoringError(
                f"job {name} has committed targets ({', '.join(committed)}): map their addresses "
                f"(--map {committed[0]}=HOST:PORT) instead of replacing the job's targets, so that "
                "the review scrapes the config that ships"
            )
        job["static_configs"] = [{"targets": list(replaced)}]
        for key in [k for k in job if k.endswith("_sd_configs")]:
            del job[key]
        return job
    configs = []
    for sc in job.get("static_configs") or []:
        if isinstance(sc, dict):
            sc = dict(sc)
            targets = [str(t) for t in sc.get("targets") or []]
            used.update(t for t in targets if t in addresses)
            sc["targets"] = [addresses.get(t, t) for t in targets]
        configs.append(sc)
    if configs:
        job["static_configs"] = configs
    return job


def local_prometheus_config(
    config: Mapping[str, Any],
    config_dir: Path,
    *,
    addresses: Mapping[str, str] | None = None,
    targets: Mapping[str, list[str]] | None = None,
    alertmanager: str | None,
    interval: str = "1s",
    unused: list[str] | None = None,
) -> dict[str, Any]:
    """The committed Prometheus config with short intervals and absolute rule paths.

    Scrape targets stay the committed ones except the addresses ``addresses`` maps
    explicitly (``committed host:port`` → where it runs locally), so a wrong port in the
    shipped file is scraped, and fails, in the review too. ``targets`` gives targets only to
    jobs that have none committed (service discovery) and golive's own Prometheus and
    Alertmanager; MonitoringError for a job with committed targets. Mappings that match no
    committed target are appended to ``unused``.
    """
    addresses = dict(addresses or {})
    targets = dict(targets or {})
    data = dict(config)
    data["global"] = {
        **(data.get("global") or {}),
        "scrape_interval": interval,
        "evaluation_interval": interval,
    }
    data["global"].pop("scrape_timeout", None)
    data["rule_files"] = [
        str(p if Path(p).is_absolute() else (config_dir / p).resolve()) for p in data.get("rule_files") or []
    ]
    jobs = []
    used: set[str] = set()
    for job in data.get("scrape_configs") or []:
        job = dict(job)
        job.pop("scrape_interval", None)
        job.pop("scrape_timeout", None)
        jobs.append(_mapped_job(job, addresses, targets.get(str(job.get("job_name"))), used))
    data["scrape_configs"] = jobs
    if unused is not None:
        unused.extend(a for a in addresses if a not in used)
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
    #: What the local config changed in the committed targets, and mappings that matched none.
    notes: tuple[str, ...] = ()


def _own_components(
    config: Mapping[str, Any],
    own: Mapping[str, str],
    addresses: dict[str, str],
    targets: dict[str, list[str]],
) -> None:
    """Point the committed ``prometheus``/``alertmanager`` jobs at the ports golive's own got."""
    for job in config.get("scrape_configs") or []:
        name = str(job.get("job_name")) if isinstance(job, dict) else ""
        if name not in own:
            continue
        committed = _static_targets(job)
        if committed:
            addresses.update({address: own[name] for address in committed})
        else:
            targets.setdefault(name, [own[name]])


def start_local_stack(
    monitoring_dir: Path,
    workdir: Path,
    *,
    addresses: Mapping[str, str] | None = None,
    targets: Mapping[str, list[str]] | None = None,
    webhook_url: str,
    prometheus_port: int | None = None,
    alertmanager_port: int | None = None,
    interval: str = "1s",
    detached: bool = False,
) -> LocalStack:
    """Start Alertmanager, then Prometheus, from local variants of the committed configs.

    The committed scrape targets are kept: ``addresses`` maps a committed ``host:port`` to
    where it runs locally; ``targets`` only fills jobs that use service discovery (see
    :func:`local_prometheus_config`). ``detached`` processes outlive golive
    (``golive monitoring up``): record their pids.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    am_port = alertmanager_port or free_port()
    am_cfg = workdir / "alertmanager.local.yml"
    am_local = local_alertmanager_config(load_yaml(monitoring_dir / "alertmanager.yml"), webhook_url)
    atomic_write(am_cfg, dump_yaml(am_local))
    prom_port = prometheus_port or free_port()
    committed = load_yaml(monitoring_dir / "prometheus.yml") or {}
    mapped = dict(addresses or {})
    filled = {k: list(v) for k, v in (targets or {}).items()}
    # Prometheus and Alertmanager scrape each other at the ports they really got.
    own = {"prometheus": f"127.0.0.1:{prom_port}", "alertmanager": f"127.0.0.1:{am_port}"}
    _own_components(committed, own, mapped, filled)
    unused: list[str] = []
    prom_local = local_prometheus_config(
        committed,
        monitoring_dir,
        addresses=mapped,
        targets=filled,
        alertmanager=f"127.0.0.1:{am_port}",
        interval=interval,
        unused=unused,
    )
    prom_cfg = workdir / "prometheus.local.yml"
    atomic_write(prom_cfg, dump_yaml(prom_local))
    notes = [f"scraping {a} at {b} (mapped)" for a, b in (addresses or {}).items() if a not in unused]
    notes += [f"--map {a}: no committed target has this address; nothing was mapped" for a in unused]
    am = start_alertmanager(am_cfg, workdir, port=am_port, detached=detached)
    try:
        prom = start_prometheus(prom_cfg, workdir, port=prom_port, detached=detached)
    except BaseException:
        am.stop()
        raise
    return LocalStack(
        prometheus=prom, alertmanager=am, webhook_url=webhook_url, workdir=workdir, notes=tuple(notes)
    )


def stop_local_stack(stack: LocalStack) -> None:
    """Stop both processes."""
    try:
        stack.prometheus.stop()
    finally:
        stack.alertmanager.stop()

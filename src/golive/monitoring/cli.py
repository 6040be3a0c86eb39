"""``golive init monitoring`` and ``golive monitoring ...`` (local stack, readiness exporter).

Both are declared in :mod:`golive.monitoring` (``FAMILY``): :data:`app` is mounted as
``golive monitoring``, :func:`init_monitoring` as ``golive init monitoring``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Collection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax

from golive.cli._common import EXIT_INTERNAL, EnvOption, PathArg, handle_errors, load_environment, stdout
from golive.errors import UsageError
from golive.kit.files import Action, GeneratedFiles, PlannedFile, atomic_write
from golive.kit.processes import pid_runs, port_free, process_start, stop_group, sweep
from golive.monitoring import _init, _stack
from golive.monitoring._generate import Generated, generate
from golive.monitoring._inventory import Inventory, parse_exposition
from golive.spec.models import Environment

#: The generator name recorded in the output directory's manifest.
GENERATOR = "golive init monitoring"

app = typer.Typer(
    name="monitoring",
    help="Run a local Prometheus/Alertmanager and serve readiness metrics.",
    no_args_is_help=True,
)


# ------------------------------------------------------------------------ golive init monitoring


def init_monitoring(
    path: PathArg = Path("."),
    env: EnvOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="[default: SPEC_DIR/monitoring]")
    ] = None,
    metrics_url: Annotated[
        str | None, typer.Option(help="[default: the environment's base_url + /metrics]")
    ] = None,
    metrics_file: Annotated[
        Path | None, typer.Option(help="Read the exposition from a file instead.")
    ] = None,
    runbook_url: Annotated[
        str, typer.Option(help="Base of every alert's runbook_url (#anchor is added).")
    ] = "runbook.md",
    webhook_url: Annotated[
        str, typer.Option(help="Where the placeholder receivers post.")
    ] = "http://127.0.0.1:9095",
    readiness_target: Annotated[
        str, typer.Option(help="HOST:PORT of `golive monitoring serve-readiness`; '' for none.")
    ] = "127.0.0.1:9109",
    force: Annotated[bool, typer.Option("--force", help="Overwrite files you changed.")] = False,
    verify: Annotated[bool, typer.Option("--verify/--no-verify", help="Run promtool and amtool.")] = True,
) -> None:
    """Write prometheus.yml, alert rules and their tests, alertmanager.yml, dashboards."""
    console = stdout()
    with handle_errors():
        spec, env_name, environment = load_environment(path, env)
        from golive.discover import discover  # reads the repository only when the command runs

        facts = discover(spec.root)
        if metrics_url is None and metrics_file is None and environment.base_url and facts.metrics_path:
            metrics_url = _init.resolved_base_url(environment) + facts.metrics_path.value
        inventory = _inventory(environment, metrics_url, metrics_file)
        settings = _init.settings_for(
            spec,
            environment,
            runbook_url=runbook_url,
            webhook_url=webhook_url,
            readiness_address=readiness_target or None,
            facts=facts,
        )
        generated = generate(settings, inventory)
        out_dir = output or spec.root / "monitoring"
        files = GeneratedFiles(root=out_dir, generator=GENERATOR)
        planned = files.plan(generated.files)
        overwrite = _overwrites(planned, force, console)
        written = files.apply(planned, overwrite)
        headline = (
            f"[green]{len(written)} file(s) written[/] for {escape(spec.service.name)} "
            f"({escape(env_name)}): {len(generated.alerts)} alerts"
        )
        _report(console, out_dir, planned, overwrite, generated, headline)
        if verify:
            _verify(console, out_dir)


def _inventory(environment: Environment, metrics_url: str | None, metrics_file: Path | None) -> Inventory:
    """What the service exposes: from a file, the given URL, or the environment's /metrics."""
    if metrics_file is not None:
        try:
            return parse_exposition(metrics_file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(f"cannot read {metrics_file}: {exc.strerror}") from None
    url = metrics_url or _init.resolved_base_url(environment) + "/metrics"
    return _init.fetch_inventory(url)


def _overwrites(planned: list[PlannedFile], force: bool, console: Console) -> set[str]:
    """Changed files to overwrite: all with ``--force``, else those confirmed at a terminal."""
    overwrite: set[str] = set()
    for item in planned:
        if item.action is not Action.CONFLICT:
            continue
        if force:
            overwrite.add(item.relpath)
            continue
        console.print(f"[yellow]{escape(item.relpath)} was changed since golive wrote it[/]")
        console.print(Syntax(item.diff, "diff", theme="ansi_dark"))
        if sys.stdin.isatty() and typer.confirm(f"Overwrite {item.relpath}?", default=False):
            overwrite.add(item.relpath)
    return overwrite


def _report(
    console: Console,
    out_dir: Path,
    planned: list[PlannedFile],
    overwrite: Collection[str],
    generated: Generated,
    headline: str,
) -> None:
    """One line per file (what happened to it), the generator's notes, the headline, what was kept."""
    for item in planned:
        label = item.action.value
        if item.action is Action.CONFLICT:
            label = "overwritten" if item.relpath in overwrite else "kept (yours)"
        console.print(f"  {label:>13}  {escape(str(out_dir / item.relpath))}")
    for note in generated.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    console.print(headline)
    kept = [p for p in planned if p.action is Action.CONFLICT and p.relpath not in overwrite]
    if kept:
        console.print(f"[yellow]{len(kept)} changed file(s) kept; re-run with --force to replace them[/]")


def _verify(console: Console, out_dir: Path) -> None:
    """Run promtool and amtool on the files; exit 3 when they find a problem."""
    problems = _init.verify(out_dir)
    for problem in problems:
        console.print(f"[red]verify:[/] {escape(problem)}")
    if any("not installed" not in p for p in problems):
        raise typer.Exit(EXIT_INTERNAL)


# --------------------------------------------------------------------------- golive monitoring


def _stop_recorded(state: Path) -> bool:
    """Stop what an earlier ``up`` recorded in ``state``; False when nothing was recorded.

    A later ``up`` reaps a stale stack this way too (one whose review was killed). Only the
    recorded processes are stopped: a pid must still run the recorded program and have
    started when recorded (pids get reused), and the sweep matches only the random marker
    the processes were started with.
    """
    record = state / "stack.json"
    if not record.is_file():
        return False
    try:
        data = json.loads(record.read_text())
    except (OSError, ValueError):
        data = {}
    for name in ("prometheus", "alertmanager"):
        entry = data.get(name) if isinstance(data, dict) else None
        if not isinstance(entry, dict):
            continue
        pid, started, marker = entry.get("pid"), entry.get("started"), entry.get("marker")
        if isinstance(pid, int) and pid > 0 and pid_runs(pid, name):
            if started is None or process_start(pid) == started:
                stop_group(pid)
        if isinstance(marker, str) and marker.startswith("GOLIVE_PROC_"):
            sweep(marker)
    record.unlink(missing_ok=True)
    return True


def _recorded(running: _stack.Running) -> dict[str, object]:
    """What ``down`` (or a later ``up``) needs to stop exactly this process."""
    return {
        "pid": running.pid,
        "started": process_start(running.pid),
        "marker": running.process.marker,
        "url": running.url,
    }


def _parse_targets(items: list[str]) -> dict[str, list[str]]:
    targets: dict[str, list[str]] = {}
    for item in items:
        job, sep, address = item.partition("=")
        if not sep or not address:
            raise UsageError(f"--target wants JOB=HOST:PORT, got {item!r}")
        targets.setdefault(job, []).append(address)
    return targets


def _parse_map(items: list[str]) -> dict[str, str]:
    mapped: dict[str, str] = {}
    for item in items:
        committed, sep, local = item.partition("=")
        if not sep or ":" not in committed or ":" not in local:
            raise UsageError(f"--map wants COMMITTED_HOST:PORT=LOCAL_HOST:PORT, got {item!r}")
        mapped[committed] = local
    return mapped


@app.command("up")
def stack_up(
    directory: Annotated[Path, typer.Option("--dir", help="Monitoring directory.")] = Path("monitoring"),
    map_: Annotated[
        list[str],
        typer.Option(
            "--map",
            help="COMMITTED=LOCAL: scrape the committed target address COMMITTED (host:port) at LOCAL. "
            "Every other committed target is scraped as committed.",
        ),
    ] = [],  # noqa: B006 - typer needs a literal default
    target: Annotated[
        list[str],
        typer.Option(help="JOB=HOST:PORT for a job that has no committed targets (service discovery)."),
    ] = [],  # noqa: B006 - typer needs a literal default
    prometheus_port: Annotated[int, typer.Option()] = 9090,
    alertmanager_port: Annotated[int, typer.Option()] = 9093,
    webhook_url: Annotated[
        str, typer.Option(help="Every notifying receiver posts here (drills listen on it).")
    ] = "http://127.0.0.1:9095",
    interval: Annotated[str, typer.Option(help="Scrape and evaluation interval.")] = "1s",
    state: Annotated[Path, typer.Option(help="Where configs, data, logs and pids go.")] = Path(
        ".golive/monitoring-stack"
    ),
) -> None:
    """Start Prometheus and Alertmanager in the background from a monitoring directory."""
    with handle_errors():
        targets = _parse_targets(target)
        addresses = _parse_map(map_)
        _stop_recorded(state)
        for port in (prometheus_port, alertmanager_port):
            if not port_free(port):
                raise UsageError(
                    f"port {port} on 127.0.0.1 is in use (another Prometheus or Alertmanager?); "
                    "stop it or choose another port"
                )
        stack = _stack.start_local_stack(
            directory.resolve(),
            state.resolve(),
            addresses=addresses,
            targets=targets,
            webhook_url=webhook_url,
            prometheus_port=prometheus_port,
            alertmanager_port=alertmanager_port,
            interval=interval,
            detached=True,
        )
        record = {
            "prometheus": {**_recorded(stack.prometheus), "notes": list(stack.notes)},
            "alertmanager": _recorded(stack.alertmanager),
        }
        atomic_write(state / "stack.json", json.dumps(record, indent=2))
        stdout().print(
            f"prometheus {stack.prometheus.url} (pid {stack.prometheus.pid}), "
            f"alertmanager {stack.alertmanager.url} (pid {stack.alertmanager.pid})"
        )
        for note in stack.notes:
            stdout().print(note, markup=False)


@app.command("down")
def stack_down(
    state: Annotated[Path, typer.Option()] = Path(".golive/monitoring-stack"),
) -> None:
    """Stop what ``golive monitoring up`` started."""
    with handle_errors():
        stdout().print("stopped" if _stop_recorded(state) else "nothing to stop")


@app.command("serve-readiness")
def serve_readiness(
    report: Annotated[Path, typer.Argument(help="readiness-report.json or .prom, re-read on every scrape.")],
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 9109,
) -> None:
    """Serve the latest review's readiness metrics on /metrics for Prometheus."""
    with handle_errors():
        server = ThreadingHTTPServer((host, port), _readiness_handler(report))
        server.daemon_threads = True
        stdout().print(f"serving {escape(str(report))} on http://{escape(host)}:{port}/metrics")
        try:
            server.serve_forever()
        finally:
            server.server_close()


def _readiness_handler(report: Path) -> type[BaseHTTPRequestHandler]:
    """A request handler serving ``report`` as Prometheus metrics on ``/metrics``."""
    from prometheus_client import CONTENT_TYPE_LATEST

    from golive.monitoring.readiness import render_prometheus
    from golive.reporters.json import review_from_json

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404)
                return
            try:
                text = report.read_text(encoding="utf-8")
                if report.suffix == ".json":
                    text = render_prometheus(review_from_json(text))
                body, code = text.encode("utf-8"), 200
            except Exception as exc:  # noqa: BLE001 - a scrape error beats a dead exporter
                body, code = f"# cannot read {report}: {exc}\n".encode(), 503
            self.send_response(code)
            self.send_header("Content-Type", CONTENT_TYPE_LATEST)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler

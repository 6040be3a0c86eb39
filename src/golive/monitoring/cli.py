"""``golive init monitoring`` and ``golive monitoring ...`` (local stack, readiness exporter)."""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax

from golive.errors import UsageError


def _port_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:port."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _stop_recorded(state: Path) -> None:
    """Stop a stack an earlier, interrupted run left behind in the same state directory."""
    from golive.monitoring import _stack

    record = state / "stack.json"
    if not record.is_file():
        return
    try:
        data = json.loads(record.read_text())
    except (OSError, ValueError):
        return
    for name in ("prometheus", "alertmanager"):
        pid = data.get(name, {}).get("pid")
        if isinstance(pid, int) and _is_ours(pid, name):
            _stack.stop_pid(pid)
    record.unlink(missing_ok=True)


def _is_ours(pid: int, name: str) -> bool:
    """The pid still runs the program it was recorded for (pids get reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return name in cmdline


def register(app: typer.Typer, init_app: typer.Typer) -> None:
    """Add the monitoring commands."""
    monitoring_app = typer.Typer(
        name="monitoring",
        help="Run a local Prometheus/Alertmanager and serve readiness metrics.",
        no_args_is_help=True,
    )
    app.add_typer(monitoring_app, name="monitoring")

    @init_app.command("monitoring")
    def init_monitoring(
        path: Annotated[Path, typer.Argument(help="Spec file or its directory.")] = Path("."),
        env: Annotated[str | None, typer.Option("--env", "-e", help="Environment.")] = None,
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
        verify: Annotated[
            bool, typer.Option("--verify/--no-verify", help="Run promtool and amtool.")
        ] = True,
    ) -> None:
        """Write prometheus.yml, alert rules and their tests, alertmanager.yml, dashboards."""
        from golive.cli import handle_errors, registry
        from golive.monitoring import _files, _init
        from golive.monitoring._inventory import parse_exposition
        from golive.spec import SpecLoader

        console = Console(highlight=False)
        with handle_errors():
            spec = SpecLoader(registry()).load(path)
            try:
                env_name, environment = spec.environment(env)
            except KeyError:
                raise UsageError(
                    f"unknown environment {env!r} (known: {', '.join(spec.environments)})"
                ) from None
            if metrics_file is not None:
                try:
                    inventory = parse_exposition(metrics_file.read_text(encoding="utf-8"))
                except OSError as exc:
                    raise UsageError(f"cannot read {metrics_file}: {exc.strerror}") from None
            else:
                url = metrics_url or _init.resolved_base_url(environment) + "/metrics"
                inventory = _init.fetch_inventory(url)
            settings = _init.settings_for(
                spec,
                environment,
                runbook_url=runbook_url,
                webhook_url=webhook_url,
                readiness_address=readiness_target or None,
            )
            generated = _init.generate_for(settings, inventory)
            out_dir = output or spec.root / "monitoring"
            planned = _files.plan(out_dir, generated.files)
            overwrite: set[str] = set()
            for item in planned:
                if item.action is not _files.Action.CONFLICT:
                    continue
                if force:
                    overwrite.add(item.relpath)
                    continue
                console.print(f"[yellow]{escape(item.relpath)} was changed since golive wrote it[/]")
                console.print(Syntax(item.diff, "diff", theme="ansi_dark"))
                if sys.stdin.isatty() and typer.confirm(
                    f"Overwrite {item.relpath}?", default=False
                ):
                    overwrite.add(item.relpath)
            written = _files.apply(out_dir, planned, overwrite)
            for item in planned:
                label = item.action.value
                if item.action is _files.Action.CONFLICT:
                    label = "overwritten" if item.relpath in overwrite else "kept (yours)"
                console.print(f"  {label:>13}  {escape(str(out_dir / item.relpath))}")
            for note in generated.notes:
                console.print(f"[yellow]note:[/] {escape(note)}")
            console.print(
                f"[green]{len(written)} file(s) written[/] for {escape(spec.service.name)} "
                f"({env_name}): {len(generated.alerts)} alerts"
            )
            kept = [p for p in planned if p.action is _files.Action.CONFLICT
                    and p.relpath not in overwrite]
            if kept:
                console.print(
                    f"[yellow]{len(kept)} changed file(s) kept; re-run with --force to "
                    "replace them[/]"
                )
            if verify:
                problems = _init.verify(out_dir, settings.service)
                for problem in problems:
                    console.print(f"[red]verify:[/] {escape(problem)}")
                if problems and any("not installed" not in p for p in problems):
                    raise typer.Exit(3)

    @monitoring_app.command("up")
    def stack_up(
        directory: Annotated[Path, typer.Option("--dir", help="Monitoring directory.")] = Path(
            "monitoring"
        ),
        target: Annotated[
            list[str], typer.Option(help="JOB=HOST:PORT to scrape instead of the file's targets.")
        ] = [],  # noqa: B006 - typer needs a literal default
        prometheus_port: Annotated[int, typer.Option()] = 9090,
        alertmanager_port: Annotated[int, typer.Option()] = 9093,
        webhook_url: Annotated[
            str, typer.Option(help="Every notifying receiver posts here (drills listen on it).")
        ] = "http://127.0.0.1:9095",
        interval: Annotated[str, typer.Option(help="Scrape and evaluation interval.")] = "1s",
        state: Annotated[
            Path, typer.Option(help="Where configs, data, logs and pids go.")
        ] = Path(".golive/monitoring-stack"),
    ) -> None:
        """Start Prometheus and Alertmanager in the background from a monitoring directory."""
        from golive.cli import handle_errors
        from golive.monitoring import _stack

        with handle_errors():
            targets: dict[str, list[str]] = {}
            for item in target:
                job, sep, address = item.partition("=")
                if not sep or not address:
                    raise UsageError(f"--target wants JOB=HOST:PORT, got {item!r}")
                targets.setdefault(job, []).append(address)
            _stop_recorded(state)
            for port in (prometheus_port, alertmanager_port):
                if not _port_free(port):
                    raise UsageError(
                        f"port {port} on 127.0.0.1 is in use (another Prometheus or Alertmanager?); "
                        "stop it or choose another port"
                    )
            stack = _stack.start_local_stack(
                directory.resolve(),
                state.resolve(),
                targets=targets,
                webhook_url=webhook_url,
                prometheus_port=prometheus_port,
                alertmanager_port=alertmanager_port,
                interval=interval,
            )
            (state / "stack.json").write_text(
                json.dumps(
                    {
                        "prometheus": {"pid": stack.prometheus.pid, "url": stack.prometheus.url},
                        "alertmanager": {
                            "pid": stack.alertmanager.pid,
                            "url": stack.alertmanager.url,
                        },
                    },
                    indent=2,
                )
            )
            Console(highlight=False).print(
                f"prometheus {stack.prometheus.url} (pid {stack.prometheus.pid}), "
                f"alertmanager {stack.alertmanager.url} (pid {stack.alertmanager.pid})"
            )

    @monitoring_app.command("down")
    def stack_down(
        state: Annotated[Path, typer.Option()] = Path(".golive/monitoring-stack"),
    ) -> None:
        """Stop what ``golive monitoring up`` started."""
        from golive.cli import handle_errors
        from golive.monitoring import _stack

        with handle_errors():
            path = state / "stack.json"
            if not path.is_file():
                Console(highlight=False).print("nothing to stop")
                return
            data = json.loads(path.read_text())
            for name in ("prometheus", "alertmanager"):
                pid = int(data.get(name, {}).get("pid", 0))
                if pid > 0:
                    _stack.stop_pid(pid)
            path.unlink()
            Console(highlight=False).print("stopped")

    @monitoring_app.command("serve-readiness")
    def serve_readiness(
        report: Annotated[
            Path, typer.Argument(help="readiness-report.json or .prom, re-read on every scrape.")
        ],
        host: Annotated[str, typer.Option()] = "127.0.0.1",
        port: Annotated[int, typer.Option()] = 9109,
    ) -> None:
        """Serve the latest review's readiness metrics on /metrics for Prometheus."""
        from golive.cli import handle_errors

        with handle_errors():
            server = ThreadingHTTPServer((host, port), _readiness_handler(report))
            server.daemon_threads = True
            Console(highlight=False).print(f"serving {report} on http://{host}:{port}/metrics")
            try:
                server.serve_forever()
            finally:
                server.server_close()


def _readiness_handler(report: Path) -> type[BaseHTTPRequestHandler]:
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

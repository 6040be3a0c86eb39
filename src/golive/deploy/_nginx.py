"""A real nginx (Debian's /usr/sbin/nginx) run by golive with its own prefix, config and port.

golive writes the whole config, starts nginx in the foreground (``daemon off``) as a detached
process (its own session, no parent-death signal) so it outlives the command that started it,
and changes the traffic split by rewriting the upstream block, testing the config (``nginx
-t``) and reloading (``-s reload``). A reload is graceful: old workers finish their requests
while new ones take the new split. Every response carries ``X-Golive-Generation`` so golive
can wait until a reload is live.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import httpx

from golive.deploy.base import DeployError
from golive.kit.files import FileWriteError, atomic_write
from golive.kit.processes import ManagedProcess, ProcessStartError, pid_runs, run_process, stop_group

GENERATION_HEADER = "X-Golive-Generation"
"""Response header naming the config generation that served the request."""

#: How long ``nginx -t`` or ``nginx -s reload`` may take.
_COMMAND_TIMEOUT = 30.0


@dataclass(frozen=True, kw_only=True)
class Upstream:
    """One backend and its share of traffic (nginx weights need not sum to 100)."""

    port: int
    weight: int


def render_config(prefix: Path, port: int, upstreams: list[Upstream], generation: int) -> str:
    """The complete nginx.conf for a prefix directory, listen port and traffic split."""
    servers = "\n".join(
        f"        server 127.0.0.1:{u.port} weight={u.weight} max_fails=0;" for u in upstreams if u.weight > 0
    )
    if not servers:
        # nginx refuses an empty upstream block; a closed port makes every request a 502.
        servers = "        server 127.0.0.1:9 down;"
    tmp = prefix / "tmp"
    return f"""# Written by golive's local deploy driver; rewritten at every traffic change.
worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;

events {{
    worker_connections 1024;
}}

http {{
    log_format golive '$time_iso8601 $status "$request" upstream=$upstream_addr '
                      'rt=$request_time gen={generation}';
    access_log {prefix}/access.log golive;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;

    upstream app {{
{servers}
    }}

    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # A backend that is stopping refuses connections: try another one, so that a
            # switch never shows a failed request to a user.
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            add_header {GENERATION_HEADER} {generation} always;
            add_header X-Golive-Upstream $upstream_addr always;
        }}
    }}
}}
"""


class Nginx:
    """Controls one nginx instance living in ``prefix``."""

    def __init__(self, binary: str, prefix: Path, port: int) -> None:
        """``binary`` is the nginx executable; ``prefix`` holds config, logs and pid."""
        self.binary = binary
        self.prefix = prefix
        self.port = port
        self.conf = prefix / "nginx.conf"
        self.url = f"http://127.0.0.1:{port}"
        self._process: ManagedProcess | None = None

    def _argv(self, *extra: str) -> list[str]:
        return [self.binary, "-p", str(self.prefix), "-c", str(self.conf), *extra]

    def command_lines(self) -> dict[str, list[str]]:
        """The start, test and reload command lines (for plans and reproducers)."""
        return {
            "start": self._argv("-g", "daemon off;"),
            "test": self._argv("-t", "-q"),
            "reload": self._argv("-s", "reload"),
        }

    def pid(self) -> int | None:
        """The master's pid if it runs (its command line names this prefix: pids get reused)."""
        try:
            pid = int((self.prefix / "nginx.pid").read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_runs(pid, str(self.prefix)) else None

    def write(self, upstreams: list[Upstream], generation: int) -> None:
        """Write the config for a traffic split."""
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.prefix / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        try:
            atomic_write(self.conf, render_config(self.prefix, self.port, upstreams, generation))
        except FileWriteError as exc:
            raise DeployError(str(exc)) from None

    async def _run(self, *extra: str) -> None:
        result = await run_process(self._argv(*extra), timeout=_COMMAND_TIMEOUT)
        if result.returncode != 0 or result.timed_out:
            why = "timed out" if result.timed_out else str(result.returncode)
            output = (result.stdout + result.stderr).strip()
            raise DeployError(f"nginx {' '.join(extra)} failed ({why}): {output}")

    async def apply(self, upstreams: list[Upstream], generation: int) -> None:
        """Write, test and load a split; start nginx if it is not running. Waits until live."""
        self.write(upstreams, generation)
        await self._run("-t", "-q")
        if self.pid() is None:
            self._start()
        else:
            await self._run("-s", "reload")
        await self._wait_generation(generation)

    def _start(self) -> None:
        try:
            self._process = ManagedProcess.start(
                self.command_lines()["start"],
                log=self.prefix / "nginx.out",
                name="nginx",
                detached=True,
                append_log=True,
            )
        except ProcessStartError as exc:
            raise DeployError(str(exc)) from None

    def _exited(self) -> str:
        """Why nginx started by this run is gone ("" while it runs, or when not ours)."""
        proc = self._process
        if proc is None or proc.returncode is None:
            return ""
        return f"nginx exited with code {proc.returncode}: {proc.log_tail(5)}"

    async def _wait_generation(self, generation: int, timeout: float = 15.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        last = "no answer"
        # A fresh connection per try: a kept-alive one would stay with an old worker.
        async with httpx.AsyncClient(timeout=2.0, limits=httpx.Limits(max_keepalive_connections=0)) as c:
            while asyncio.get_running_loop().time() < deadline:
                exited = self._exited()
                if exited:
                    raise DeployError(f"{exited}; see {self.prefix / 'error.log'}")
                try:
                    r = await c.get(f"{self.url}/", headers={"Connection": "close"})
                    seen = r.headers.get(GENERATION_HEADER, "")
                    if seen == str(generation):
                        return
                    last = f"generation {seen or '?'}"
                except httpx.HTTPError as exc:
                    last = type(exc).__name__
                await asyncio.sleep(0.05)
        raise DeployError(
            f"nginx on {self.url} did not load config generation {generation} within {timeout:g}s ({last}); "
            f"see {self.prefix / 'error.log'}"
        )

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop nginx and its workers (SIGTERM to the group, SIGKILL after ``timeout``)."""
        if self._process is not None:
            proc, self._process = self._process, None
            await proc.stop(timeout)
        pid = self.pid()
        if pid is not None:
            await asyncio.to_thread(stop_group, pid, timeout)

"""A real nginx (Debian's /usr/sbin/nginx) run by golive with its own prefix, config and port.

golive writes the whole config, starts nginx in the foreground (``daemon off``) in its own
session so it outlives the command that started it, and changes the traffic split by
rewriting the upstream block, testing the config (``nginx -t``) and reloading (``-s reload``).
A reload is graceful: old workers finish their requests while new ones take the new split.
Every response carries ``X-Golive-Generation`` so golive can wait until a reload is live.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

from golive.deploy.base import DeployError

GENERATION_HEADER = "X-Golive-Generation"
"""Response header naming the config generation that served the request."""


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
        """The master's pid if it runs."""
        try:
            pid = int((self.prefix / "nginx.pid").read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def write(self, upstreams: list[Upstream], generation: int) -> None:
        """Write the config for a traffic split."""
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.prefix / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        text = render_config(self.prefix, self.port, upstreams, generation)
        tmp = self.conf.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(self.conf)

    async def _run(self, *extra: str) -> None:
        proc = await asyncio.create_subprocess_exec(
            *self._argv(*extra), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise DeployError(
                f"nginx {' '.join(extra)} failed ({proc.returncode}): {out.decode(errors='replace').strip()}"
            )

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
        log = (self.prefix / "nginx.out").open("ab")
        with log:
            proc = subprocess.Popen(
                self._argv("-g", "daemon off;"),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _CHILDREN[proc.pid] = proc

    async def _wait_generation(self, generation: int, timeout: float = 15.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        last = "no answer"
        # A fresh connection per try: a kept-alive one would stay with an old worker.
        async with httpx.AsyncClient(timeout=2.0, limits=httpx.Limits(max_keepalive_connections=0)) as c:
            while asyncio.get_running_loop().time() < deadline:
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
        """Graceful quit (SIGQUIT), then SIGKILL of the whole group."""
        pid = self.pid()
        if pid is None:
            return
        await stop_process(pid, sig=signal.SIGQUIT, timeout=timeout)


_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
"""Processes started by this process, so they can be reaped (no zombies) when they exit."""


def spawn(argv: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> int:
    """Start a detached process (own session, outlives golive) logging to ``log``; its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        try:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise DeployError(f"cannot start {argv[0]}: {exc}") from exc
    _CHILDREN[proc.pid] = proc
    return proc.pid


def _alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (not our child, so not reapable here) counts as gone.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (zombies count as gone; our own exited children are reaped)."""
    return _alive(pid)


async def stop_process(pid: int, *, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Signal the process group of ``pid``, wait up to ``timeout``, then SIGKILL the group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline and _alive(pid):
        await asyncio.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    while _alive(pid) and loop.time() < deadline + 5:
        await asyncio.sleep(0.05)
    _CHILDREN.pop(pid, None)

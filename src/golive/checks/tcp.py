"""``tcp`` check: a port accepts connections within a timeout."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import Field

from golive.kit.check import CheckContext, Params
from golive.results import Measurement, Outcome, Status


class TcpParams(Params):
    """Params of the ``tcp`` check."""

    port: int = Field(ge=1, le=65535)
    host: str | None = Field(default=None, description="Defaults to the base_url's host.")
    connect_timeout: float = Field(default=5.0, gt=0, description="Seconds.")


class TcpCheck:
    """Open a TCP connection to host:port."""

    name: ClassVar[str] = "tcp"
    description: ClassVar[str] = "A TCP port accepts a connection within a timeout."
    Params: ClassVar[type[TcpParams]] = TcpParams
    #: Talks to the service through base_url unless it names its host.
    needs_base_url: ClassVar[bool] = True

    @staticmethod
    def uses_base_url(params: TcpParams) -> bool:
        """Without a host, the host is base_url's."""
        return params.host is None

    async def run(self, params: TcpParams, ctx: CheckContext) -> Outcome:
        """Connect and close."""
        host = ctx.resolve(params.host) if params.host else urlsplit(ctx.url("/")).hostname or "127.0.0.1"
        reproducer = f"nc -vz -w {params.connect_timeout:g} {host} {params.port}"
        start = time.perf_counter()
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(host, params.port), params.connect_timeout
            )
        except (OSError, TimeoutError) as exc:
            reason = "timed out" if isinstance(exc, TimeoutError) else str(exc) or type(exc).__name__
            return Outcome(
                status=Status.FAIL,
                summary=f"expected {host}:{params.port} to accept connections; {reason}",
                reproducer=reproducer,
            )
        elapsed = (time.perf_counter() - start) * 1000
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return Outcome(
            status=Status.PASS,
            summary=f"{host}:{params.port} accepted a connection in {elapsed:.1f}ms",
            measurements=(Measurement(name="connect_time", value=round(elapsed, 2), unit="ms"),),
            reproducer=reproducer,
        )

"""golive's own CPU use while a performance check measures the service.

A latency or throughput figure taken while golive itself keeps the cores busy is not evidence
about the service; the engine keeps CPU-heavy checks apart from performance checks, and this
meter records what golive (and the whole machine) used meanwhile, next to the measurement.
"""

from __future__ import annotations

import time

import psutil  # type: ignore[import-untyped]

from golive.results import Measurement


def _tree_cpu_seconds(process: psutil.Process) -> float:
    """CPU seconds of a process and every live descendant."""
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        try:
            times = p.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


class CpuMeter:
    """Started when a check starts; :meth:`read` gives golive's and the machine's CPU since."""

    def __init__(self) -> None:
        self._me = psutil.Process()
        self._start = time.monotonic()
        self._own = _tree_cpu_seconds(self._me)
        psutil.cpu_percent(interval=None)  # primes the machine-wide counter

    def read(self) -> tuple[Measurement, ...]:
        """``golive_cpu`` in % of one core (golive and its children), ``machine_cpu`` in % of all cores."""
        wall = max(time.monotonic() - self._start, 1e-6)
        own = max(_tree_cpu_seconds(self._me) - self._own, 0.0)
        return (
            Measurement(name="golive_cpu", value=round(100.0 * own / wall, 1), unit="% of a core"),
            Measurement(name="machine_cpu", value=round(psutil.cpu_percent(interval=None), 1), unit="%"),
        )

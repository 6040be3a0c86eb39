"""The monitoring family's error, severities, and the protocol of a drill fault."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from golive.errors import GoliveError


class MonitoringError(GoliveError):
    """A monitoring file or system could not be read, parsed or reached."""


class Severity(enum.StrEnum):
    """golive's severity classes; alert rules may spell them as the common aliases."""

    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    NONE = "none"


SEVERITY_ALIASES: Mapping[str, Severity] = {
    "p0": Severity.P0,
    "critical": Severity.P0,
    "page": Severity.P0,
    "p1": Severity.P1,
    "warning": Severity.P1,
    "ticket": Severity.P1,
    "p2": Severity.P2,
    "info": Severity.P2,
    # Watchdog / InfoInhibitor style alerts are deliberately not routed to a person.
    "none": Severity.NONE,
}
"""Severity label values golive understands (case-insensitive)."""

SEVERITY_LABEL_VALUES: Mapping[Severity, str] = {
    Severity.P0: "critical",
    Severity.P1: "warning",
    Severity.P2: "info",
}
"""The label value golive writes for each severity class (Alertmanager convention)."""


def parse_severity(value: str, extra: Mapping[str, Severity] | None = None) -> Severity | None:
    """The severity class of a label value, or None when it is not a known spelling."""
    key = value.strip().lower()
    if extra:
        for name, severity in extra.items():
            if name.lower() == key:
                return severity
    return SEVERITY_ALIASES.get(key)


@runtime_checkable
class Fault(Protocol):
    """Something a drill can switch on and off in the system under test."""

    description: str

    async def inject(self) -> str:
        """Switch the fault on; return a short note for the evidence."""
        ...

    async def remove(self) -> str:
        """Switch the fault off again; must be safe to call when it is already off."""
        ...


__all__ = [
    "SEVERITY_ALIASES",
    "SEVERITY_LABEL_VALUES",
    "Fault",
    "MonitoringError",
    "Severity",
    "parse_severity",
]

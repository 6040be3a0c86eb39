"""Check types: the built-ins and the machinery to register more."""

from __future__ import annotations

from golive.checks.base import Check, CheckContext, CheckError, Params
from golive.checks.registry import CheckRegistry


def builtin_types() -> list[type[Check]]:
    """The check types that ship with golive."""
    from golive.checks.command import CommandCheck
    from golive.checks.file import FileCheck
    from golive.checks.http import HttpCheck
    from golive.checks.tcp import TcpCheck

    return [FileCheck, CommandCheck, HttpCheck, TcpCheck]


__all__ = ["Check", "CheckContext", "CheckError", "CheckRegistry", "Params", "builtin_types"]

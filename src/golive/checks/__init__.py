"""Check types: the built-ins and the machinery to register more."""

from __future__ import annotations

from golive.checks.base import Check, CheckContext, CheckError, Params
from golive.checks.registry import CheckRegistry

#: Capability packages whose ``checks`` module lists more built-in types in ``CHECK_TYPES``.
FAMILY_CHECK_MODULES = (
    "golive.monitoring.checks",
    "golive.testing.checks",
    "golive.security.checks",
    "golive.dr.checks",
    "golive.runbook.checks",
    "golive.load.checks",
    "golive.deploy.checks",
)


def builtin_types() -> list[type[Check]]:
    """The check types that ship with golive."""
    import importlib
    import importlib.util

    from golive.checks.command import CommandCheck
    from golive.checks.file import FileCheck
    from golive.checks.http import HttpCheck
    from golive.checks.tcp import TcpCheck

    types: list[type[Check]] = [FileCheck, CommandCheck, HttpCheck, TcpCheck]
    for module in FAMILY_CHECK_MODULES:
        package = module.rsplit(".", 1)[0]
        if importlib.util.find_spec(package) is None or importlib.util.find_spec(module) is None:
            continue
        types.extend(importlib.import_module(module).CHECK_TYPES)
    return types


__all__ = ["Check", "CheckContext", "CheckError", "CheckRegistry", "Params", "builtin_types"]

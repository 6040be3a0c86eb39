"""golive's toolkit: the one API every family, built-in or plugin, writes check types against.

* :mod:`golive.kit.check`: :class:`Check`, :class:`CheckContext`, :class:`Params`, :class:`CheckError`;
* :mod:`golive.kit.outcomes`: :class:`Findings` → an :class:`Outcome`, :func:`no_data`, :func:`error`;
* :mod:`golive.kit.processes`: :func:`run_process`, :class:`ManagedProcess`, :func:`free_port`,
  :func:`find_tool`;
* :mod:`golive.kit.prometheus`: :class:`PrometheusClient` and its typed errors;
* :mod:`golive.kit.files`: :func:`atomic_write`, :class:`GeneratedFiles` (the ``init`` policy);
* :mod:`golive.kit.environment`: :class:`Variables`, the one ``${VAR}`` resolver;
* :mod:`golive.kit.guards`: traffic targets and the destructive-step policy;
* :mod:`golive.kit.text`: redaction and bounded excerpts for anything shown in a report;
* :mod:`golive.kit.family`: :class:`Family`, the declaration a family is loaded through;
* :mod:`golive.kit.model`: :class:`Frozen`, the base of every model golive loads.

See CONTRIBUTING.md, "Writing a check type", for a worked example.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from golive.kit.check import Check, CheckContext, CheckError, Params
    from golive.kit.environment import MissingVariableError, Variables
    from golive.kit.family import Command, Family
    from golive.kit.files import GeneratedFiles, atomic_write
    from golive.kit.guards import GuardError
    from golive.kit.model import Frozen
    from golive.kit.outcomes import Findings, error, no_data
    from golive.kit.processes import (
        CommandLine,
        ManagedProcess,
        ProcessResult,
        ProcessStartError,
        find_tool,
        free_port,
        http_probe,
        run_process,
        tcp_probe,
    )
    from golive.kit.prometheus import (
        PrometheusClient,
        PrometheusError,
        PrometheusQueryError,
        PrometheusUnreachable,
    )
    from golive.kit.text import excerpt, redact
    from golive.results import Evidence, Measurement, Outcome, Status

# Imported on first use: a family's declaration imports golive.kit.family, and that must not
# pull in httpx and pydantic (``golive --help`` lists the families from their declarations).
_EXPORTS = {
    "Check": "golive.kit.check",
    "CheckContext": "golive.kit.check",
    "CheckError": "golive.kit.check",
    "Command": "golive.kit.family",
    "CommandLine": "golive.kit._commands",
    "Evidence": "golive.results",
    "Family": "golive.kit.family",
    "Findings": "golive.kit.outcomes",
    "Frozen": "golive.kit.model",
    "GeneratedFiles": "golive.kit.files",
    "GuardError": "golive.kit.guards",
    "ManagedProcess": "golive.kit.processes",
    "Measurement": "golive.results",
    "MissingVariableError": "golive.kit.environment",
    "Outcome": "golive.results",
    "Params": "golive.kit.check",
    "ProcessResult": "golive.kit.processes",
    "ProcessStartError": "golive.kit.processes",
    "PrometheusClient": "golive.kit.prometheus",
    "PrometheusError": "golive.kit.prometheus",
    "PrometheusQueryError": "golive.kit.prometheus",
    "PrometheusUnreachable": "golive.kit.prometheus",
    "Status": "golive.results",
    "Variables": "golive.kit.environment",
    "atomic_write": "golive.kit.files",
    "error": "golive.kit.outcomes",
    "excerpt": "golive.kit.text",
    "find_tool": "golive.kit.processes",
    "free_port": "golive.kit.processes",
    "http_probe": "golive.kit.processes",
    "no_data": "golive.kit.outcomes",
    "redact": "golive.kit.text",
    "run_process": "golive.kit.processes",
    "tcp_probe": "golive.kit.processes",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'golive.kit' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "Check",
    "CheckContext",
    "CheckError",
    "Command",
    "CommandLine",
    "Evidence",
    "Family",
    "Findings",
    "Frozen",
    "GeneratedFiles",
    "GuardError",
    "ManagedProcess",
    "Measurement",
    "MissingVariableError",
    "Outcome",
    "Params",
    "ProcessResult",
    "ProcessStartError",
    "PrometheusClient",
    "PrometheusError",
    "PrometheusQueryError",
    "PrometheusUnreachable",
    "Status",
    "Variables",
    "atomic_write",
    "error",
    "excerpt",
    "find_tool",
    "free_port",
    "http_probe",
    "no_data",
    "redact",
    "run_process",
    "tcp_probe",
]

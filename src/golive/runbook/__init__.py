"""Production runbooks that are tested.

* :mod:`golive.runbook.checks` — the ``runbook`` check type: required sections, no
  placeholders, executable ``{verify}`` steps, cross-references to alerts, dependencies
  and the deploy configuration.
* :mod:`golive.runbook.generate` — ``golive init runbook``: a runbook written from the spec.
"""

from golive.kit.family import Command, Family
from golive.runbook.base import RunbookError

FAMILY = Family(
    name="runbook",
    help="Production runbooks that are tested.",
    checks={"runbook": "golive.runbook.checks:RunbookCheck"},
    params={
        "runbook": "golive.runbook._params:RunbookParams",
    },
    init={
        "runbook": Command(
            target="golive.runbook.cli:init_runbook", help="Write a production runbook from the spec."
        )
    },
)

__all__ = ["FAMILY", "RunbookError"]

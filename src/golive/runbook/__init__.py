"""Production runbooks that are tested, and the readiness package with sign-off.

* :mod:`golive.runbook.checks` — the ``runbook`` check type: required sections, no
  placeholders, executable ``{verify}`` steps, cross-references to alerts, dependencies
  and the deploy configuration.
* :mod:`golive.runbook.generate` — ``golive init runbook``: a runbook written from the spec.
* :mod:`golive.runbook.package` — ``golive report``: the readiness package (report, risk
  assessment, test summary, launch plan, sign-offs) as PDF-ready Markdown and HTML.
"""

from golive.runbook.base import RunbookError

__all__ = ["RunbookError"]

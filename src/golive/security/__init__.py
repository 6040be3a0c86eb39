"""Security: scanners (SAST, secrets, dependencies, IaC, workflows) and live probes (DAST, WAF).

Every tool's output is normalised into :class:`~golive.security.base.Finding` objects,
de-duplicated, filtered through an accepted-findings baseline, and rendered as Markdown,
JSON or SARIF 2.1.0.
"""

from golive.kit.family import Command, Family

FAMILY = Family(
    name="security",
    help="Scanners (SAST, secrets, dependencies, IaC, workflows) and live probes.",
    checks={
        "security.sast": "golive.security.checks:SastCheck",
        "security.secrets": "golive.security.checks:SecretsCheck",
        "security.dependencies": "golive.security.checks:DependenciesCheck",
        "security.iac": "golive.security.checks:IacCheck",
        "security.workflows": "golive.security.checks:WorkflowsCheck",
        "security.probe": "golive.security.checks:ProbeCheck",
        "security.waf": "golive.security.waf:WafCheck",
    },
    params={
        "security.sast": "golive.security._params:SastParams",
        "security.secrets": "golive.security._params:SecretsParams",
        "security.dependencies": "golive.security._params:DependenciesParams",
        "security.iac": "golive.security._params:IacParams",
        "security.workflows": "golive.security._params:WorkflowsParams",
        "security.probe": "golive.security._params:ProbeParams",
        "security.waf": "golive.security._params:WafParams",
    },
    commands={
        "security": Command(
            target="golive.security.cli:app",
            help="Security findings: report, SARIF, accept into the baseline.",
        )
    },
)

__all__ = ["FAMILY"]

"""Security: scanners (SAST, secrets, dependencies, IaC, workflows) and live probes (DAST).

Every tool's output is normalised into :class:`~golive.security.base.Finding` objects,
de-duplicated, filtered through an accepted-findings baseline, and rendered as Markdown,
JSON or SARIF 2.1.0.
"""

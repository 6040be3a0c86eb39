"""Params of the ``runbook`` check and the vocabulary they default to."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from golive.kit.check import Params

__all__ = [
    "DEFAULT_ALIASES",
    "DEFAULT_PATH",
    "DEFAULT_PLACEHOLDERS",
    "REQUIRED_SECTIONS",
    "RunbookParams",
]

DEFAULT_PATH = "docs/PRODUCTION_RUNBOOK.md"
"""Where the runbook lives, relative to the spec (and where ``golive init runbook`` writes it)."""

REQUIRED_SECTIONS: dict[str, str] = {
    "deployment": r"\bdeploy",
    "rollback": r"\broll[ -]?back",
    "troubleshooting": r"\btroubleshoot",
    "common issues": r"\b(common|known) (issues|problems)",
    "error codes": r"\berror (codes?|responses)",
    "escalation": r"\bescalat",
    "emergency contacts": r"\bcontacts?\b|\bon[- ]call\b",
    "service dependencies": r"\bdependenc",
    "health checks": r"\bhealth",
    "incident response": r"\bincident",
    "data recovery": r"\b(data|disaster) recovery|\brestore\b|\bbackups?\b",
}
"""Section names the check knows, with the heading pattern each is found by."""

DEFAULT_PLACEHOLDERS: tuple[str, ...] = (
    r"\bTBD\b",
    r"\bTODO\b",
    r"\bFIXME\b",
    r"\bXXX\b",
    r"\?\?\?",
    r"\bexample\.(com|org|net)\b",
    r"\b555-01\d\d\b",
    r"(?i)\blorem ipsum\b",
    r"(?i)<(your|insert|fill)[^>]*>",
)
"""Text that marks a blank nobody filled in (looked for outside code blocks)."""

DEFAULT_ALIASES: tuple[tuple[str, ...], ...] = (
    ("database", "postgres", "postgresql", "db", "mysql", "sqlite"),
    ("events", "event", "outbox", "broker", "queue", "kafka", "nats", "rabbitmq"),
    ("redis", "cache", "valkey"),
)
"""Names that refer to the same dependency; a section may use any of them."""


class RunbookParams(Params):
    """Params of the ``runbook`` check."""

    path: str = Field(default=DEFAULT_PATH, description="The runbook, relative to the spec.")
    sections: list[str] = Field(
        default_factory=lambda: list(REQUIRED_SECTIONS),
        description="Required sections: names from the known set "
        f"({', '.join(REQUIRED_SECTIONS)}) or literal heading text.",
    )
    placeholders: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PLACEHOLDERS),
        description="Regular expressions that mark unfilled blanks (outside code blocks).",
    )
    verify: bool = Field(default=True, description="Run the {verify} steps.")
    step_timeout: float = Field(default=30.0, gt=0, description="Default seconds per step.")
    stop_on_failure: bool = Field(
        default=True, description="Stop at the first failing step (later steps often need it)."
    )
    require_destructive: bool = Field(
        default=False,
        description="Fail when {destructive} steps were refused (production without the opt-in).",
    )
    write_verified: bool = Field(
        default=False,
        description="When every step passes, write 'Last verified: DATE' into the runbook.",
    )
    alert_rules: list[str] | None = Field(
        default=None,
        description="Prometheus rule files (globs); default: those the monitoring criteria use.",
    )
    dependencies: list[str] = Field(
        default_factory=list, description="Dependencies that need a section, besides found ones."
    )
    dependency_aliases: dict[str, list[str]] = Field(
        default_factory=dict, description="Other names a dependency's section may use."
    )
    readyz_path: str | None = Field(
        default="/readyz",
        description="Readiness endpoint whose JSON details name dependencies; null to skip.",
    )
    compose_files: list[str] | None = Field(
        default=None, description="Compose files whose depends_on name dependencies."
    )
    deploy_files: list[str] = Field(
        default_factory=list,
        description="Deploy configuration files (scripts, workflows) besides the spec's deploy:.",
    )

    @field_validator("placeholders")
    @classmethod
    def _valid_patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        return value

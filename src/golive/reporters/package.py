"""The readiness package: report, risk assessment, test summary, launch plan and sign-off.

Built from the latest review in history (plus the reviews before it, for the trend) and
the sign-offs recorded with ``golive signoff``; rendered as PDF-ready Markdown and as one
self-contained HTML page. Like a reporter it never runs a check: it only arranges what
history and the spec hold (core output, so it depends on no family).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import ClassVar

import jinja2

from golive.errors import SpecError
from golive.history.base import HistoryStore, SignoffRecord
from golive.kit.files import atomic_write
from golive.reporters._package_model import (
    LaunchStep,
    ReadinessPackage,
    RiskEntry,
    SignoffView,
    TestArea,
    TrendPoint,
)
from golive.reporters.base import ReporterError
from golive.results import Decision, Review, Status, Tier
from golive.spec._deploy_file import DEPLOY_FILENAME, deploy_config_path, load_deploy_config
from golive.spec.deploy import DeployConfig
from golive.spec.models import Spec

__all__ = [
    "DEFAULT_SIGNERS",
    "PACKAGE_BASENAME",
    "HtmlPackageRenderer",
    "LaunchStep",
    "MarkdownPackageRenderer",
    "ReadinessPackage",
    "RiskEntry",
    "SignoffView",
    "TestArea",
    "TrendPoint",
    "build_package",
    "load_package",
    "normalize_decision",
    "render_package",
    "write_package",
]

PACKAGE_BASENAME = "readiness-package"
"""Files are written as ``readiness-package.md`` and ``readiness-package.html``."""

DEFAULT_SIGNERS: tuple[str, ...] = ("engineering", "operations", "product")
"""Roles whose sign-off the launch needs, unless the command line names others.

A sign-off satisfies a role when the role it was given contains this word
(``Engineering lead`` satisfies ``engineering``).
"""

_IMPACT = {Tier.MUST: "High", Tier.SHOULD: "Medium", Tier.NICE: "Low"}
_TEST_AREAS: tuple[tuple[str, str], ...] = (
    ("Unit tests", r"\bunit\b"),
    ("Integration tests", r"\bintegration\b"),
    ("End-to-end tests", r"\b(e2e|end[ -]to[ -]end|browser|playwright|smoke)\b"),
    ("Performance tests", r"\b(performance|load|latency|perf|throughput|soak)\b"),
    ("Security tests", r"\b(security|vuln\w*|scan|tls|headers?|secrets?|auth\w*)\b"),
    ("Disaster recovery", r"\b(dr|backup|restore|recovery|failover)\b"),
)


def normalize_decision(value: str) -> str:
    """``GO`` or ``NO-GO`` from what a person types (go, no-go, nogo, NO_GO)."""
    word = re.sub(r"[\s_-]", "", value).lower()
    if word == "go":
        return Decision.GO.value
    if word == "nogo":
        return Decision.NO_GO.value
    raise ReporterError(f"decision must be go or no-go, not {value!r}")


def _risk_entries(review: Review) -> tuple[RiskEntry, ...]:
    by_id = {r.criterion_id: r for r in review.results}
    entries = []
    for item in review.scorecard.risks:
        result = by_id.get(item.criterion_id)
        status = item.status
        if status is Status.FAIL:
            likelihood = "High"
        elif status in (Status.ERROR, Status.NO_DATA, Status.BLOCKED):
            likelihood = "Medium"
        else:
            likelihood = "Low"
        impact = _IMPACT[result.tier] if result else item.level.value
        mitigation = (
            f"{item.fix}; then make {item.criterion_id} pass"
            if item.fix
            else f"Make {item.criterion_id} pass"
        )
        if result and result.summary:
            mitigation += f" (now: {result.summary})"
        if result and result.reproducer:
            mitigation += f"; reproduce with: {result.reproducer}"
        entries.append(
            RiskEntry(
                criterion_id=item.criterion_id,
                title=item.title,
                level=item.level,
                likelihood=likelihood,
                impact=impact,
                description=item.description,
                mitigation=mitigation,
                owner=item.owner or "unassigned",
                status=status.value,
            )
        )
    return tuple(entries)


def _test_areas(review: Review) -> tuple[TestArea, ...]:
    claimed: set[str] = set()
    areas = []
    for name, pattern in _TEST_AREAS:
        regex = re.compile(pattern, re.I)
        picked = []
        for r in review.results:
            if r.criterion_id in claimed:
                continue
            words = (
                " ".join((r.criterion_id, r.check_type, r.area, r.title)).replace(".", " ").replace("_", " ")
            )
            if (
                regex.search(words)
                or (name.startswith("Security") and r.area == "security")
                or (name.startswith("Disaster") and r.area == "dr")
            ):
                picked.append(r)
                claimed.add(r.criterion_id)
        areas.append(TestArea(name=name, results=tuple(picked)))
    return tuple(areas)


DEFAULT_RUNBOOK = "docs/PRODUCTION_RUNBOOK.md"
"""Where the runbook is when no ``runbook`` criterion names its path."""


def _deploy_settings(spec: Spec) -> DeployConfig | None:
    """The spec's deploy settings (its section, or deploy.yaml beside it); None when it has none."""
    if spec.deploy is not None:
        return spec.deploy
    if not deploy_config_path(spec).is_file():
        return None
    try:
        return load_deploy_config(spec)
    except SpecError:
        # An invalid deploy.yaml is reported by the commands that use it; the package only
        # falls back to the runbook's rollback section.
        return None


def _rollback(spec: Spec | None, runbook_rel: str) -> tuple[tuple[str, ...], str]:
    """How to roll back: golive's own rollback when the spec deploys, else the runbook's section."""
    deploy = _deploy_settings(spec) if spec is not None else None
    if spec is not None and deploy is not None:
        commands = [f"golive rollback {shlex.quote(str(spec.root))}"]
        rollback = getattr(deploy.driver, "rollback", None)
        if rollback:
            commands.append(rollback if isinstance(rollback, str) else shlex.join(rollback))
        source = f"{spec.path.name} deploy:" if spec.deploy is not None else f"{DEPLOY_FILENAME} deploy:"
        return tuple(commands), source
    return (), f"{runbook_rel}#rollback"


def _runbook_verified(store: HistoryStore, service: str, environment: str) -> str:
    for summary in store.reviews(service, environment, limit=20):
        review = store.load_review(summary.id)
        if any(r.check_type == "runbook" and r.status is Status.PASS for r in review.results):
            return summary.finished_at.astimezone(UTC).strftime("%Y-%m-%d")
    return ""


def build_package(
    *,
    review: Review,
    store: HistoryStore | None = None,
    review_id: int | None = None,
    spec: Spec | None = None,
    signers: Sequence[str] = DEFAULT_SIGNERS,
    now: datetime | None = None,
) -> ReadinessPackage:
    """Arrange a review, its history and sign-offs into a readiness package."""
    service, env = review.service, review.environment
    trend: list[TrendPoint] = []
    signoffs: list[SignoffRecord] = []
    verified = ""
    if store is not None:
        for s in reversed(store.reviews(service, env, limit=10)):
            trend.append(
                TrendPoint(
                    review_id=s.id,
                    started_at=s.started_at,
                    decision=s.decision.value,
                    readiness=s.readiness,
                    passed=s.passed,
                    total=s.total,
                    complete=s.complete,
                )
            )
        signoffs = store.signoffs(service, env)
        verified = _runbook_verified(store, service, env)
    runbook_rel = DEFAULT_RUNBOOK
    if spec is not None:
        for c in spec.criteria:
            if c.check.type == "runbook":
                runbook_rel = str(getattr(c.check.params, "path", DEFAULT_RUNBOOK))
                break
    rollback, rollback_source = _rollback(spec, runbook_rel)
    owner = spec.service.owner if spec is not None else ""
    risks = _risk_entries(review)
    views = tuple(
        SignoffView(record=s, current=review_id is not None and s.review_id == review_id) for s in signoffs
    )
    package = ReadinessPackage(
        review=review,
        review_id=review_id,
        generated_at=now or datetime.now(UTC),
        owner=owner,
        trend=tuple(trend),
        risks=risks,
        waivers=review.waivers,
        tests=_test_areas(review),
        launch=(),
        rollback_commands=rollback,
        rollback_source=rollback_source,
        runbook_path=runbook_rel,
        runbook_verified=verified,
        signers=tuple(signers),
        signoffs=views,
    )
    return _with_launch(package, spec)


def _with_launch(package: ReadinessPackage, spec: Spec | None) -> ReadinessPackage:
    from dataclasses import replace

    review = package.review
    fallback = package.owner or "service owner"
    steps: list[LaunchStep] = []
    by_id = {r.criterion_id: r for r in review.results}
    for risk in package.risks:
        result = by_id.get(risk.criterion_id)
        tier = result.tier.value if result else ""
        steps.append(
            LaunchStep(
                action=f"Close the gap {risk.criterion_id} ({tier}): {risk.title}",
                owner=risk.owner if risk.owner != "unassigned" else fallback,
            )
        )
    spec_arg = str(Path(review.spec_path).parent) if review.spec_path else "."
    steps.append(
        LaunchStep(
            action=f"Re-run golive review {spec_arg} --env {review.environment} and reach GO",
            owner=fallback,
            done=package.go and not package.risks,
        )
    )
    missing = package.missing_roles
    steps.append(
        LaunchStep(
            action="Record sign-offs (golive signoff) from: " + ", ".join(package.signers),
            owner=", ".join(package.signers),
            done=not missing
            and not any(s.record.decision == Decision.NO_GO.value for s in package.current_signoffs),
        )
    )
    steps.append(
        LaunchStep(
            action=f"Deploy following the runbook's deployment section ({package.runbook_path}#deployment)",
            owner=fallback,
        )
    )
    steps.append(
        LaunchStep(
            action=f"Run the runbook's health checks ({package.runbook_path}#health-checks) "
            "and watch error rate and latency for the first hour",
            owner="on-call",
        )
    )
    return replace(package, launch=tuple(steps))


# -- rendering --------------------------------------------------------------------------------


@cache
def _env(html: bool) -> jinja2.Environment:
    from golive.reporters._view import template_env

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("golive.reporters", "templates"),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # The reporters' filters, so both documents format numbers, dates and text the same way.
    env.filters.update(template_env(html=html).filters)
    env.globals["reporter_css"] = _reporter_css()
    return env


def _reporter_css() -> str:
    """The readiness report's stylesheet, so the package looks like the report."""
    try:
        from golive.reporters._view import template_env

        env = template_env(html=True)
        assert env.loader is not None
        source, _, _ = env.loader.get_source(env, "report.html.j2")
    except (ImportError, jinja2.TemplateNotFound, AssertionError):
        return ""
    match = re.search(r"<style>(.*?)</style>", source, re.S)
    return match.group(1) if match and "{" in match.group(1) and "{{" not in match.group(1) else ""


class MarkdownPackageRenderer:
    """The package as PDF-ready Markdown: numbered sections, tables, page-break hints."""

    name: ClassVar[str] = "markdown"
    extension: ClassVar[str] = "md"

    def render(self, package: ReadinessPackage) -> str:
        """The Markdown document."""
        text = _env(False).get_template("package.md.j2").render(pkg=package)
        return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


class HtmlPackageRenderer:
    """The package as one self-contained HTML page (nothing fetched, print-friendly)."""

    name: ClassVar[str] = "html"
    extension: ClassVar[str] = "html"

    def render(self, package: ReadinessPackage) -> str:
        """The HTML document."""
        return _env(True).get_template("package.html.j2").render(pkg=package)


_RENDERERS: dict[str, type[MarkdownPackageRenderer] | type[HtmlPackageRenderer]] = {
    "markdown": MarkdownPackageRenderer,
    "html": HtmlPackageRenderer,
}


def render_package(package: ReadinessPackage, fmt: str) -> str:
    """Render in one format (``markdown`` or ``html``)."""
    try:
        return _RENDERERS[fmt]().render(package)
    except KeyError:
        raise ReporterError(f"unknown package format {fmt!r} (known: markdown, html)") from None


def load_package(
    store: HistoryStore,
    *,
    service: str,
    environment: str,
    spec: Spec | None = None,
    signers: Sequence[str] = DEFAULT_SIGNERS,
    now: datetime | None = None,
) -> ReadinessPackage:
    """The package for the latest review of a service in an environment.

    Uses the latest complete review, or the latest partial one when there is no complete
    review (the report then says it is partial). ReporterError when there is none at all.
    """
    summaries = store.reviews(service, environment, limit=50)
    if not summaries:
        raise ReporterError(f"no review of {service} in {environment} in history; run `golive review` first")
    chosen = next((s for s in summaries if s.complete), summaries[0])
    review = store.load_review(chosen.id)
    return build_package(review=review, store=store, review_id=chosen.id, spec=spec, signers=signers, now=now)


def write_package(
    package: ReadinessPackage, output_dir: Path, formats: Iterable[str] = ("markdown", "html")
) -> list[Path]:
    """Render and write the package files; returns their paths."""
    names = list(dict.fromkeys(formats))
    rendered = [
        (output_dir / f"{PACKAGE_BASENAME}.{_RENDERERS[f].extension}", render_package(package, f))
        if f in _RENDERERS
        else (Path(), render_package(package, f))  # raises: unknown format
        for f in names
    ]
    for path, text in rendered:
        atomic_write(path, text)
    return [p for p, _ in rendered]

"""Turning what a check found into an :class:`~golive.results.Outcome`.

A check collects problems and measurements in a :class:`Findings` (or returns them from
small functions and merges them), then asks for the outcome once: no problems is a pass
with the summary of what was verified, any problem is a fail naming every problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from golive.results import Evidence, Measurement, Outcome, Status


@dataclass(kw_only=True)
class Findings:
    """Problems and measurements gathered by one check run."""

    problems: list[str] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, message: str) -> None:
        """Record a measured miss."""
        self.problems.append(message)

    def measure(self, name: str, value: float, unit: str = "", target: str | None = None) -> None:
        """Record a number the check measured."""
        self.measurements.append(Measurement(name=name, value=value, unit=unit, target=target))

    def note(self, message: str) -> None:
        """Record something a reader should know that is not a problem."""
        self.notes.append(message)

    def extend(self, other: Findings) -> None:
        """Merge another check step's findings into these."""
        self.problems.extend(other.problems)
        self.measurements.extend(other.measurements)
        self.notes.extend(other.notes)

    def outcome(
        self,
        *,
        passed: str,
        failed: str | None = None,
        evidence: Evidence | None = None,
        reproducer: str = "",
        limit: int = 5,
    ) -> Outcome:
        """Pass with ``passed`` when there are no problems, else fail listing them.

        ``failed`` is an optional lead for the fail summary; at most ``limit`` problems are
        named in it (all of them stay in the evidence excerpt).
        """
        extra = "; ".join(self.notes)
        if not self.problems:
            return Outcome(
                status=Status.PASS,
                summary=passed + (f" ({extra})" if extra else ""),
                measurements=tuple(self.measurements),
                evidence=evidence or Evidence(),
                reproducer=reproducer,
            )
        named = "; ".join(self.problems[:limit])
        more = f" (+{len(self.problems) - limit} more)" if len(self.problems) > limit else ""
        summary = f"{failed}: {named}{more}" if failed else f"{named}{more}"
        text = "\n".join(self.problems)
        if evidence is None:
            evidence = Evidence(excerpt=text)
        elif len(self.problems) > limit:
            evidence = Evidence(
                excerpt="\n".join(filter(None, [text, evidence.excerpt])), artifacts=evidence.artifacts
            )
        return Outcome(
            status=Status.FAIL,
            summary=summary,
            measurements=tuple(self.measurements),
            evidence=evidence,
            reproducer=reproducer,
        )


def no_data(
    reason: str, *, measurements: Iterable[Measurement] = (), evidence: Evidence | None = None
) -> Outcome:
    """Nothing to judge: the reason and what to do about it."""
    return Outcome(
        status=Status.NO_DATA,
        summary=reason,
        measurements=tuple(measurements),
        evidence=evidence or Evidence(),
    )


def error(reason: str, *, evidence: Evidence | None = None, reproducer: str = "") -> Outcome:
    """golive itself could not judge (a tool crashed, the system was unreachable)."""
    return Outcome(
        status=Status.ERROR, summary=reason, evidence=evidence or Evidence(), reproducer=reproducer
    )

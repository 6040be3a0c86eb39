"""``file`` check: a document exists, has the required headings and was verified recently."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import ClassVar

from pydantic import Field

from golive.kit.check import CheckContext, Inputs, Params
from golive.kit.outcomes import no_data
from golive.results import Evidence, Measurement, Outcome, Status

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_VERIFIED = re.compile(r"(?i)last[ _-]verified\W{0,3}\s*(\d{4}-\d{2}-\d{2})")


class FileParams(Params):
    """Params of the ``file`` check."""

    path: str = Field(description="File path, relative to the spec's directory.")
    headings: list[str] = Field(
        default_factory=list, description="Markdown headings that must exist (any level)."
    )
    max_age_days: int | None = Field(
        default=None,
        ge=0,
        description="A 'Last verified: YYYY-MM-DD' line must be at most this many days old.",
    )
    contains: list[str] = Field(default_factory=list, description="Regular expressions the file must match.")
    min_bytes: int = Field(default=1, ge=0, description="Smallest acceptable size.")


def markdown_headings(text: str) -> list[tuple[int, str]]:
    """(line number, heading text) of every ATX heading outside fenced code."""
    found: list[tuple[int, str]] = []
    in_fence = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = _HEADING.match(line)
        if m:
            found.append((lineno, m.group(2).strip()))
    return found


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def empty_sections(text: str, wanted: list[str]) -> list[str]:
    """Required headings with nothing but blank lines between them and the next heading.

    A heading alone proves nothing: "## Rollback" followed directly by "## Contacts" is a
    placeholder, not a procedure.
    """
    lines = text.splitlines()
    headings = markdown_headings(text)
    wanted_norm = {_norm(h) for h in wanted}
    empty = []
    for index, (lineno, title) in enumerate(headings):
        if _norm(title) not in wanted_norm:
            continue
        end = headings[index + 1][0] - 1 if index + 1 < len(headings) else len(lines)
        if not any(line.strip() for line in lines[lineno:end]):
            empty.append(title)
    return empty


class FileCheck:
    """A file exists, is not empty, has required headings and a fresh 'last verified' date."""

    name: ClassVar[str] = "file"
    description: ClassVar[str] = "A document exists with required headings and a recent 'last verified' date."
    Params: ClassVar[type[FileParams]] = FileParams
    #: Reads one file and nothing of the running system: its verdict can be reused.
    reusable: ClassVar[bool] = True

    def inputs(self, params: FileParams, ctx: CheckContext) -> Inputs:
        """The file; with an age limit, also today's date (the verdict changes with it)."""
        today = (date.today().isoformat(),) if params.max_age_days is not None else ()
        return Inputs(paths=(str(ctx.path(params.path)),), extra=today)

    async def run(self, params: FileParams, ctx: CheckContext) -> Outcome:
        """Read the file and compare it with the expectations."""
        path = ctx.path(params.path)
        reproducer = f"test -f {path}"
        if path.is_dir():
            # The spec's mistake, not the service's: nothing to judge, and how to fix it.
            return no_data(
                f"{params.path} is a directory: a file check takes the path of one file "
                f"(e.g. {params.path}/README.md)"
            )
        if not path.is_file():
            return Outcome(
                status=Status.FAIL,
                summary=f"expected file {params.path} to exist; it does not",
                reproducer=reproducer,
            )
        text = path.read_text(encoding="utf-8", errors="replace")
        size = path.stat().st_size
        problems: list[str] = []
        measurements = [Measurement(name="size", value=size, unit="bytes", target=f">= {params.min_bytes}")]
        if size < params.min_bytes:
            problems.append(f"size {size} bytes < {params.min_bytes}")
        if params.headings:
            have = {_norm(h) for _, h in markdown_headings(text)}
            missing = [h for h in params.headings if _norm(h) not in have]
            if missing:
                problems.append("missing headings: " + ", ".join(repr(h) for h in missing))
            hollow = empty_sections(text, params.headings)
            if hollow:
                problems.append("headings with nothing under them: " + ", ".join(repr(h) for h in hollow))
            measurements.append(
                Measurement(
                    name="headings_present",
                    value=len(params.headings) - len(missing),
                    target=f"{len(params.headings)}",
                )
            )
        for pattern in params.contains:
            if not re.search(pattern, text, re.MULTILINE):
                problems.append(f"no match for /{pattern}/")
        if params.max_age_days is not None:
            dates = [m.group(1) for m in _VERIFIED.finditer(text)]
            if not dates:
                problems.append("no 'Last verified: YYYY-MM-DD' line")
            else:
                try:
                    newest = max(datetime.strptime(d, "%Y-%m-%d").date() for d in dates)
                except ValueError:
                    problems.append(f"unreadable 'last verified' date in {dates}")
                else:
                    age = (date.today() - newest).days
                    measurements.append(
                        Measurement(
                            name="verified_age", value=age, unit="days", target=f"<= {params.max_age_days}"
                        )
                    )
                    if age > params.max_age_days:
                        limit = params.max_age_days
                        problems.append(f"last verified {newest.isoformat()} is {age} days old (max {limit})")
        evidence = Evidence(artifacts=(str(path),))
        if problems:
            return Outcome(
                status=Status.FAIL,
                summary=f"{params.path}: " + "; ".join(problems),
                measurements=tuple(measurements),
                evidence=evidence,
                reproducer=reproducer,
            )
        return Outcome(
            status=Status.PASS,
            summary=f"{params.path} exists ({size} bytes)"
            + (f" with all {len(params.headings)} required headings" if params.headings else ""),
            measurements=tuple(measurements),
            evidence=evidence,
            reproducer=reproducer,
        )

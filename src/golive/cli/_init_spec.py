"""``golive init [PATH]``: discover the service and write its starter ``golive.yaml``.

``--explain`` prints every discovered fact with its source and everything discovery could not
decide, and writes nothing unless ``--output`` is also given; ``--dry-run`` prints the spec
instead of writing it. An existing spec is never overwritten without ``--force``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from golive.cli._common import registry, stderr, stdout
from golive.errors import GoliveError, SpecError, UsageError
from golive.spec._loader import SPEC_FILENAMES

if TYPE_CHECKING:
    from golive.discover.facts import ServiceFacts


@dataclass(frozen=True, kw_only=True)
class InitSpecRequest:
    """What ``golive init`` was asked to do."""

    path: Path
    output: Path | None = None
    explain: bool = False
    dry_run: bool = False
    force: bool = False


def _print_explain(console: Console, root: Path, facts: ServiceFacts) -> None:
    from golive.discover._spec_writer import explain

    found, unknowns = explain(facts)
    # Lines, not a table: a narrow terminal folds them instead of cutting a path with "…".
    console.print(Text(f"Discovered in {root}", style="bold"), soft_wrap=True)
    for f in found:
        console.print(Text.assemble((f.name, "bold"), f": {f.value}"), soft_wrap=True)
        if f.source:
            console.print(Text(f"    found in {f.source}", style="dim"), soft_wrap=True)
    console.print(Text("Not found or undecided:" if unknowns else "Nothing left undecided.", style="bold"))
    for line in unknowns:
        console.print(Text(f"  - {line}"), soft_wrap=True)


def _target(request: InitSpecRequest, root: Path) -> Path:
    """Where the spec goes; UsageError when a spec is already there and --force was not given."""
    if request.output is not None:
        existing = [request.output] if request.output.exists() else []
    else:
        existing = [root / n for n in SPEC_FILENAMES if (root / n).exists()]
    if existing and not request.force:
        raise UsageError(
            f"{existing[0]} already exists: pass --force to replace it, --output FILE to write "
            "elsewhere, or --dry-run to print the new spec"
        )
    return request.output or root / SPEC_FILENAMES[0]


def init_spec(request: InitSpecRequest) -> None:
    """Discover the repository at ``request.path`` and write (or print) its starter spec."""
    from golive.discover import discover
    from golive.discover._spec_writer import write_spec
    from golive.kit.files import atomic_write
    from golive.spec import SpecLoader

    root = request.path
    if not root.is_dir():
        raise UsageError(f"{root} is not a directory: pass the repository to discover")
    facts = discover(root)
    console = stdout()
    if request.explain:
        _print_explain(console, root, facts)
    spec = write_spec(facts)
    try:  # a spec golive writes must validate: anything else is golive's own bug
        SpecLoader(registry()).loads(spec.text, display="golive.yaml (written by golive init)")
    except SpecError as exc:
        raise GoliveError("golive init wrote an invalid spec: " + "; ".join(map(str, exc.problems))) from None
    if request.dry_run:
        sys.stdout.write(spec.text)
    if request.dry_run or (request.explain and request.output is None):
        return
    target = _target(request, root)
    atomic_write(target, spec.text)
    _print_written(console, target, root, spec.criteria, spec.fixes, len(spec.todos))


def _print_written(
    console: Console, target: Path, root: Path, criteria: tuple[str, ...], fixes: dict[str, str], todos: int
) -> None:
    console.print(
        f"[green]wrote[/] {escape(str(target))}: {len(criteria)} criteria, {todos} TODO(s) in comments"
    )
    if target.resolve().parent != root.resolve():
        stderr().print(
            "[yellow]note:[/] paths in the spec are relative to its own directory; "
            f"move it to {escape(str(root))} or adjust them"
        )
    commands = sorted({f for f in fixes.values() if f.startswith("golive init ")})
    console.print("Next: [bold]golive validate[/], then [bold]golive review[/] (it lists what is missing).")
    if commands:
        console.print("What golive can write for you: " + ", ".join(f"`{escape(c)}`" for c in commands))

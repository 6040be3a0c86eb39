"""Helpers every command shares (core and families alike): errors, exit codes, loading the spec.

Family command modules import these at the top of the file; this module imports nothing
heavy so that importing it costs nothing.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from golive.errors import EnvironmentSetupError, GoliveError, SpecError, StoreError, UsageError

if TYPE_CHECKING:  # rich loads when something is printed (`golive --help` prints through click)
    from rich.console import Console

    from golive.checks.registry import CheckRegistry
    from golive.spec.models import Environment, Spec

EXIT_GO, EXIT_NO_GO, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

PathArg = Annotated[Path, typer.Argument(help="Spec file, or a directory containing golive.yaml.")]
EnvOption = Annotated[str | None, typer.Option("--env", "-e", help="Environment name.")]


def console(*, stderr: bool = False) -> Console:
    """The one way golive makes a console: no emoji shortcodes, no guessed highlighting.

    ``golive.yaml:100:24`` must print as written, not with ``:100:`` turned into an emoji.
    Markup stays on for golive's own styles, so text from a spec or a checked service must
    reach the console escaped (:func:`rich.markup.escape`) or as a :class:`rich.text.Text`.
    """
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, emoji=False)


def _escape(text: str) -> str:
    """:func:`rich.markup.escape`, imported with the console that prints the message."""
    from rich.markup import escape

    return escape(text)


def stderr() -> Console:
    """A console on standard error for messages."""
    return console(stderr=True)


def stdout() -> Console:
    """A console on standard output for results."""
    return console()


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print an error without a traceback and exit."""
    stderr().print(f"[bold red]error:[/] {_escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def _debug_env() -> bool:
    return os.environ.get("GOLIVE_DEBUG", "") not in ("", "0")


@contextlib.contextmanager
def handle_errors() -> Iterator[None]:
    """Turn golive errors into messages and exit codes; never show a traceback by default."""
    try:
        yield
    except typer.Exit:
        raise
    except SpecError as exc:
        console = stderr()
        for problem in exc.problems:
            console.print(_escape(str(problem)), soft_wrap=True)
        n = len(exc.problems)
        console.print(f"[bold red]{n} problem{'s' if n != 1 else ''} in the spec[/]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (UsageError, StoreError) as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    except EnvironmentSetupError as exc:
        fail(f"the environment could not be started: {exc}", EXIT_INTERNAL)
    except GoliveError as exc:
        fail(str(exc), EXIT_INTERNAL)
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERNAL)
    except Exception as exc:  # the last line of defence: say what happened, briefly
        stderr().print(f"[bold red]internal error:[/] {type(exc).__name__}: {_escape(str(exc))}")
        if "--debug" in sys.argv or _debug_env():
            stderr().print(traceback.format_exc(), markup=False)
        else:
            stderr().print("[dim]set GOLIVE_DEBUG=1 for the traceback[/]")
        raise typer.Exit(EXIT_INTERNAL) from None


def check_output_dir(path: Path, *, option: str = "--output", files: Sequence[str] = ()) -> None:
    """Fail fast (UsageError, exit 2) when nothing could be written into directory ``path``.

    Called before a long run, so that a file in the way or a read-only place is reported
    before any check runs instead of losing every result at the end. Nothing is created:
    the nearest existing directory is probed with a real, anonymous temporary file (a
    permission test would say yes to root on a read-only file system). ``files`` are the
    names the run will write into ``path``; a directory in the way of one is refused too.
    """
    where = f"{option} {path}"
    for candidate in (path, *path.absolute().parents):
        if candidate.is_dir():
            break
        if candidate.exists() or candidate.is_symlink():
            what = "is" if candidate == path else f"is below {candidate}, which is"
            raise UsageError(f"{where} {what} not a directory; pass a directory for the reports")
    else:  # pragma: no cover - the root directory always exists
        raise UsageError(f"{where}: no existing parent directory")
    try:
        with tempfile.TemporaryFile(dir=candidate):
            pass
    except OSError as exc:
        raise UsageError(f"{where}: cannot write in {candidate} ({exc.strerror or exc})") from None
    blocked = [name for name in files if (path / name).is_dir()]
    if blocked:
        raise UsageError(f"{where}: {', '.join(blocked)} is a directory where a report file goes")


def review_environ(generate: Sequence[str] = ()) -> dict[str, str]:
    """The variables checks and the stack see: the process env plus ``GOLIVE_PYTHON``.

    ``GOLIVE_PYTHON`` is the interpreter running golive, so a spec can start Python tools
    installed beside golive (``[${GOLIVE_PYTHON}, -m, storefront, serve]``) whatever PATH is.
    Each name in ``generate`` gets a fresh random value unless already set, so a local stack
    and the checks can share a throwaway credential without one being written anywhere.
    """
    import secrets  # hashlib and hmac load for a review, not with every command

    environ = dict(os.environ)
    environ.setdefault("GOLIVE_PYTHON", sys.executable)
    for name in generate:
        environ.setdefault(name, secrets.token_urlsafe(18))
    return environ


def registry() -> CheckRegistry:
    """The check registry: every installed family's check types."""
    from golive.checks.registry import CheckRegistry

    return CheckRegistry.default()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Run the block with the cyclic garbage collector paused; it resumes as it was after.

    Loading a spec builds tens of thousands of objects that live until exit (the check types'
    pydantic models and validators, the parsed spec) and no garbage worth a pass: the passes
    the collector would make over them as they are built cost ``golive validate`` about 15 ms.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_spec(path: Path, checks: CheckRegistry | None = None) -> Spec:
    """Load and validate the spec at ``path`` (a file or a directory holding golive.yaml).

    ``checks``: the registry to validate with (default: a fresh :func:`registry`).
    """
    from golive.spec import SpecLoader

    with _collector_paused():
        return SpecLoader(checks or registry()).load(path)


def load_environment(path: Path, env: str | None) -> tuple[Spec, str, Environment]:
    """The spec and one of its environments (UsageError with a did-you-mean when unknown)."""
    spec = load_spec(path)
    name, environment = spec.environment(env)
    return spec, name, environment

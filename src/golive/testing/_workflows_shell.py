"""Whether a failing command in a CI step (or a script the step runs) fails the step.

A gate is enforced only when its failure reaches the job. Shell semantics decide that, so they
are modelled here rather than matched as text:

- ``cmd || fallback`` swallows the failure unless the fallback fails too (``|| exit 1``);
- ``cmd | tee log`` hands the pipe's status to ``tee`` unless ``pipefail`` is on;
- without ``errexit`` (``set +e``, a script without ``set -e``, a custom ``shell:`` without
  ``-e``) only the last command's status counts, so ``cmd; exit 0`` or any later command hides
  a failure;
- under ``errexit`` a failure on the left of ``&&``, in an ``if``/``while`` condition or negated
  with ``!`` does not stop the script;
- tool flags that make a scanner exit 0 (``--exit-zero``).

Scripts in the repository that a step calls (``./scripts/ci.sh``, ``bash ci/test.sh``, also
behind ``uv run``/``poetry run``), ``make`` targets (a ``-`` prefix or ``make -i`` ignores
failures) and the task runners of :mod:`golive.testing._runners` (package.json scripts, just,
poe, taskipy, pdm, pre-commit/prek hooks) are followed, nested up to a depth bound, so a gate
inside them is judged where it really runs. Nothing is executed; only files inside the
repository are read.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from golive.testing import _runners

#: GitHub's default for ``run:`` on Linux runners is ``bash -e {0}``; ``shell: bash`` adds pipefail.
DEFAULT_SHELL = "bash -e {0}"
_SHELLS = {
    "bash": "bash --noprofile --norc -eo pipefail {0}",
    "sh": "sh -e {0}",
    "pwsh": "pwsh -command . '{0}'",
    "powershell": "powershell -command . '{0}'",
    "cmd": 'cmd /D /E:ON /V:OFF /S /C "CALL "{0}""',
}
_MAX_DEPTH = 3
_MAX_SCRIPT = 256 * 1024

_TOOL_EXIT_ZERO = re.compile(r"--exit-zero\b|--no-exit-codes\b|--exit-code[ =]0\b|--no-fail\b")
_FAILS = re.compile(
    r"^(exit|return)(\s+[1-9]\d*)?\s*$|^false$|\bexit\s+[1-9]\d*\b|\bexit\s*[;})]|\bfalse\s*[;})]"
)
_SET = re.compile(r"^\s*set\s+(?P<args>[-+][^;&|#]*)")
_CONDITION = re.compile(r"^\s*(if|elif|while|until)\s+")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PLUMBING = frozenset(
    "echo printf tee cat mkdir cp mv rm ls touch grep sed awk cd export test [ [[ true false : exit".split()
)


@dataclass(frozen=True, kw_only=True)
class Command:
    """One command a step runs, where it is written, and why its failure is lost ('' when it is not)."""

    text: str
    """The command itself (one element of its line's list)."""
    where: str
    """``file:line`` where it is written."""
    suppressed: str = ""
    line: str = ""
    """The whole line it is written on."""
    via: tuple[str, ...] = ()
    """``file:line`` of each call that led here (the workflow step first), for scripts and tasks."""

    @property
    def trail(self) -> str:
        """``workflow:line → script:line → ...``: where the command was found, through its callers."""
        return " → ".join((*self.via, self.where))

    @property
    def plumbing(self) -> bool:
        """Only prints, copies or filters: ``|| echo "pytest failed"`` does not run pytest."""
        words = [w for w in self.text.split() if not _ASSIGNMENT.match(w)]
        return bool(words) and words[0].lstrip("!(") in _PLUMBING


@dataclass(frozen=True, kw_only=True)
class ShellMode:
    """``errexit`` and ``pipefail`` at a point of a script, and the reason errexit is off."""

    errexit: bool
    pipefail: bool
    why_not: str = ""


def shell_mode(shell: str) -> ShellMode:
    """The mode a ``run:`` starts in for a ``shell:`` value (empty: GitHub's default)."""
    template = _SHELLS.get(shell.strip(), shell.strip()) if shell.strip() else DEFAULT_SHELL
    words = template.split()
    if not words or words[0] not in ("bash", "sh", "zsh", "dash", "ksh"):
        return ShellMode(
            errexit=False, pipefail=False, why_not=f"shell `{shell}` reports only its last command"
        )
    flags = "".join(w[1:] for w in words[1:] if w.startswith("-") and not w.startswith("--"))
    errexit = "e" in flags
    return ShellMode(
        errexit=errexit,
        pipefail="pipefail" in words,
        why_not="" if errexit else f"shell `{shell}` runs without -e",
    )


def split_list(line: str) -> list[tuple[str, str]]:
    """``a || b; c | d`` → ``[("", "a"), ("||", "b"), (";", "c"), ("|", "d")]``, quotes respected."""
    out: list[tuple[str, str]] = []
    op, buf, quote, depth, i = "", [], "", 0, 0
    while i < len(line):
        ch = line[i]
        two = line[i : i + 2]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif two == "$(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif ch == "#" and depth == 0 and (i == 0 or line[i - 1] in " \t"):
            break
        elif depth == 0 and (two in ("||", "&&") or ch in ";|&"):
            if ch == "&" and (line[i - 1 : i] in "<>" and i > 0 or line[i + 1 : i + 2] == ">"):
                buf.append(ch)  # a redirection (2>&1, &>file), not an operator
                i += 1
                continue
            token = two if two in ("||", "&&") else ch
            out.append((op, "".join(buf).strip()))
            op, buf = token, []
            i += len(token)
            continue
        buf.append(ch)
        i += 1
    out.append((op, "".join(buf).strip()))
    return [(o, t) for o, t in out if t or o]


def _logical_lines(text: str, first_line: int) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, each with its first line number."""
    out: list[tuple[int, str]] = []
    pending, start = "", first_line
    for offset, raw in enumerate(text.splitlines()):
        if not pending:
            start = first_line + offset
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        out.append((start, pending + raw))
        pending = ""
    if pending:
        out.append((start, pending))
    return out


def _set_mode(line: str, mode: ShellMode, where: str) -> ShellMode:
    """The mode after a ``set -e`` / ``set +e`` / ``set -o pipefail`` line (unchanged otherwise)."""
    match = _SET.match(line)
    if not match:
        return mode
    args = match["args"].split()
    errexit, pipefail, why = mode.errexit, mode.pipefail, mode.why_not
    for i, arg in enumerate(args):
        if arg[:1] not in "-+" or len(arg) < 2:
            continue
        flags = arg[1:]
        option = args[i + 1] if flags.endswith("o") and i + 1 < len(args) else ""
        on = arg[0] == "-"
        if "e" in flags or option == "errexit":
            errexit, why = on, "" if on else f"`set +e` at {where}"
        if option == "pipefail":
            pipefail = on
    return ShellMode(errexit=errexit, pipefail=pipefail, why_not=why)


@dataclass(frozen=True, kw_only=True)
class _Script:
    """A script being read: its text, where it lives and how it starts."""

    text: str
    name: str
    first_line: int
    mode: ShellMode
    per_line: bool = False
    """Each line is its own shell whose status is checked (a make recipe)."""
    ignored: frozenset[int] = frozenset()
    """Lines whose failure the runner ignores (make's ``-`` prefix)."""


class ScriptReader:
    """Reads a step's ``run:`` (and the repository scripts it calls) into :class:`Command` lines."""

    def __init__(self, root: Path, workdir: str = "") -> None:
        """``root``: the repository; ``workdir``: the step's ``working-directory``."""
        self.root = root.resolve()
        self.workdir = workdir

    def run_block(self, run: str, *, name: str, first_line: int, shell: str) -> list[Command]:
        """The commands of a step's ``run:`` written from ``name:first_line`` for ``shell``."""
        return self.read(_Script(text=run, name=name, first_line=first_line, mode=shell_mode(shell)))

    def read(self, script: _Script, depth: int = 0) -> list[Command]:
        """Every command of a script with the reason its failure would be lost."""
        lines = [(n, t) for n, t in _logical_lines(script.text, script.first_line) if t.strip()]
        lines = [(n, t) for n, t in lines if not t.strip().startswith("#")]
        out: list[Command] = []
        mode = script.mode
        for index, (number, text) in enumerate(lines):
            where = f"{script.name}:{number}"
            mode = _set_mode(text, mode, where)
            segments = split_list(text)
            place = _Place(
                mode=mode,
                last=script.per_line or index == len(lines) - 1,
                after=[t for _, t in lines[index + 1 :]] if not script.per_line else [],
            )
            for position, (_, seg) in enumerate(segments):
                why = _lost(segments, position, place)
                if number in script.ignored:
                    why = why or "make ignores the failure of a recipe line starting with `-`"
                out.append(Command(text=seg, where=where, suppressed=why, line=text.strip()))
                out += self._called(seg, where, why, depth)
        return out

    def _called(self, segment: str, where: str, outer: str, depth: int) -> list[Command]:
        """The commands of a repository script or make target the segment runs."""
        if depth >= _MAX_DEPTH:
            return []
        found = self._target(segment)
        if found is None:
            return []
        inner = self.read(found, depth + 1)
        return [
            Command(
                text=c.text,
                where=c.where,
                suppressed=c.suppressed or (f"called at {where}: {outer}" if outer else ""),
                line=c.line,
                via=(where, *c.via),
            )
            for c in inner
        ]

    def _target(self, segment: str) -> _Script | None:
        try:
            words = shlex.split(segment, comments=True)
        except ValueError:
            words = segment.split()
        while words and _ASSIGNMENT.match(words[0]):
            words = words[1:]
        words, directory = _runners.strip_runner(words)
        if not words:
            return None
        if words[0] == "make":
            return self._make(words[1:])
        recipe = _runners.resolve(
            words, lambda name: self._file(f"{directory}/{name}" if directory else name)
        )
        if recipe is not None:
            return self._recipe_script(recipe)
        mode: ShellMode | None = None
        if words[0] in ("bash", "sh", "zsh", "dash") and len(words) > 1:
            flags = "".join(w[1:] for w in words[1:] if w.startswith("-") and not w.startswith("--"))
            path_word = next((w for w in words[1:] if not w.startswith("-")), "")
            errexit = "e" in flags
            mode = ShellMode(
                errexit=errexit,
                pipefail=False,
                why_not="" if errexit else f"`{words[0]} {path_word}` runs it without -e",
            )
        elif "/" in words[0] or words[0].endswith(".sh"):
            path_word = words[0]
        else:
            return None
        path = self._file(f"{directory}/{path_word}" if directory else path_word)
        if path is None:
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
        name = path.relative_to(self.root).as_posix()
        return _Script(text=text, name=name, first_line=1, mode=mode or _shebang_mode(text, name))

    def _file(self, word: str) -> Path | None:
        base = self.root / self.workdir if self.workdir else self.root
        path = (base / word).resolve()
        if not path.is_relative_to(self.root) or not path.is_file() or path.stat().st_size > _MAX_SCRIPT:
            return None
        return path

    def _make(self, args: list[str]) -> _Script | None:
        """A make target's recipe: each line is its own ``sh -c`` whose status make checks."""
        makefile = self._file("Makefile")
        if makefile is None:
            return None
        targets = [a for a in args if not a.startswith("-") and "=" not in a]
        found = _recipe(makefile.read_text(encoding="utf-8", errors="replace"), targets[0] if targets else "")
        if found is None:
            return None
        first, lines, ignored = found
        if any(a in ("-i", "--ignore-errors") for a in args):
            ignored = frozenset(range(first, first + len(lines)))
        return _Script(
            text="\n".join(lines),
            name=makefile.relative_to(self.root).as_posix(),
            first_line=first,
            mode=ShellMode(errexit=False, pipefail=False, why_not="each make recipe line is its own shell"),
            per_line=True,
            ignored=ignored,
        )

    def _recipe_script(self, recipe: _runners.Recipe) -> _Script:
        """A task's lines, checked one by one (a sequence, a hook list) or as one script."""
        why = recipe.why_not or "a task reports only its last command"
        return _Script(
            text=recipe.text,
            name=recipe.file.relative_to(self.root).as_posix(),
            first_line=recipe.first_line,
            mode=ShellMode(errexit=False, pipefail=False, why_not=why),
            per_line=recipe.per_line,
        )


def _shebang_mode(text: str, name: str) -> ShellMode:
    first = text.splitlines()[0] if text else ""
    if first.startswith("#!") and re.search(r"\s-[a-zA-Z]*e", first):
        return ShellMode(errexit=True, pipefail=False)
    return ShellMode(errexit=False, pipefail=False, why_not=f"{name} has no `set -e`")


def _recipe(text: str, target: str) -> tuple[int, list[str], frozenset[int]] | None:
    """``(first line, recipe lines, ignored lines)`` of a target (the first one when none is named)."""
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        match = re.match(r"^([A-Za-z0-9_.\-/ ]+):(?!=)", line)
        if not match or (target and target not in match.group(1).split()):
            continue
        body: list[str] = []
        ignored: set[int] = set()
        for offset, raw in enumerate(lines[number:]):
            if not raw.startswith("\t"):
                break
            command = raw[1:].lstrip("@+")
            # make stops at a failing line unless it starts with `-`; `@` only hides the echo.
            if command.startswith("-"):
                ignored.add(number + 1 + offset)
            body.append(command.lstrip("-@+"))
        return number + 1, body, frozenset(ignored)
    return None


@dataclass(frozen=True, kw_only=True)
class _Place:
    """Where a line is: the shell mode there, whether it is the last line, and what follows."""

    mode: ShellMode
    last: bool
    after: list[str]


def _lost(segments: list[tuple[str, str]], position: int, place: _Place) -> str:
    """Why the failure of ``segments[position]`` would not fail the script ('' when it would)."""
    op, text = segments[position]
    tool = _TOOL_EXIT_ZERO.search(text)
    if tool:
        return f"exit status ignored ({tool.group(0)})"
    following = segments[position + 1 :]
    if following and following[0][0] == "|" and not place.mode.pipefail:
        pipe_to = (following[0][1].split() or ["the next command"])[0]
        return f"piped into `{pipe_to}` without pipefail: the pipe reports `{pipe_to}`'s status"
    chain = [(o, t) for o, t in following if o != "|"]
    cut = next((j for j, (o, _) in enumerate(chain) if o in (";", "&")), len(chain))
    same_list, rest = chain[:cut], chain[cut:]
    fallback = next((t for o, t in same_list if o == "||"), None)
    if fallback is not None:
        return "" if _fails(fallback) else f"`|| {fallback}` swallows its failure"
    if op == "&" or (rest and rest[0][0] == "&"):
        return "runs in the background: its status is never checked"
    if _CONDITION.match(segments[0][1]) or text.startswith("!"):
        return _condition(segments, position, place)
    final = place.last and not rest
    if place.mode.errexit:
        if not final and any(o == "&&" for o, _ in same_list):
            return "on the left of `&&`: under `set -e` its failure does not stop the script"
        return ""
    if final or (rest and rest[0][1].strip() in ("exit $?", 'exit "$?"')):
        return ""  # its status is the script's
    why = place.mode.why_not or "errexit is off"
    if any(t.strip() == "exit 0" for _, t in rest):
        return f"`; exit 0` ends the script successfully ({why})"
    return f"{why}: a later command decides the exit status"


def _condition(segments: list[tuple[str, str]], position: int, place: _Place) -> str:
    """A command in an ``if``/``while`` condition (or negated) is enforced only by an ``exit 1``."""
    block = [t for _, t in segments[position + 1 :]]
    for line in place.after:
        block += _statements(line)
        if re.match(r"^\s*(fi|done)\b", line):
            break
    if any(_fails(s.removeprefix("then ").removeprefix("else ")) for s in block):
        return ""
    return "runs as a condition: its failure only chooses a branch"


def _fails(fallback: str) -> bool:
    return bool(_FAILS.search(fallback.strip()))


def _statements(line: str) -> list[str]:
    return [t for _, t in split_list(line)]

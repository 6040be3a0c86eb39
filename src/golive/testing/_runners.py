"""Task runners a CI step calls, resolved to the commands they run (never executed).

``uv run``/``poetry run``/``pipenv run``/``pdm run``/``rye run`` and ``uvx``/``pipx run``/
``npx``/``bunx`` only choose an environment: the command after them is what runs. Task names
resolve to their definitions: ``just`` recipes, ``npm``/``yarn``/``pnpm``/``bun run`` scripts
of package.json, ``poe`` tasks (``[tool.poe.tasks]``), taskipy tasks (``task``,
``[tool.taskipy.tasks]``), pdm scripts (``[tool.pdm.scripts]``), and ``pre-commit run`` /
``prek run`` to the hooks of ``.pre-commit-config.yaml``. Only simple definitions (a command
string, ``cmd``/``shell``, a sequence of task names) are followed.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

#: Commands that run the rest of the line in an environment (``uv run pytest``).
_ENV_RUNNERS = {
    ("uv", "run"),
    ("poetry", "run"),
    ("pipenv", "run"),
    ("rye", "run"),
    ("pipx", "run"),
    ("pnpm", "exec"),
    ("pnpm", "dlx"),
    ("yarn", "dlx"),
    ("bun", "x"),
}
_TOOL_RUNNERS = frozenset({"uvx", "npx", "bunx"})
#: Options of those runners that take a value (``uv run --with pytest pytest``).
_VALUE_OPTIONS = frozenset(
    "--with --with-editable --with-requirements --group --only-group --no-group --extra --python -p "
    "--package --directory --project --env-file --index --from -C --dir --cwd --prefix --filter -F "
    "--workspace -w --spec".split()
)
_DIRECTORY_OPTIONS = frozenset({"--directory", "--project", "-C", "--dir", "--cwd", "--prefix"})


@dataclass(frozen=True, kw_only=True)
class Recipe:
    """What a task runs: its lines as they sit in ``file`` from ``first_line`` on."""

    text: str
    file: Path
    first_line: int
    per_line: bool
    """Each line's status is checked on its own (make/just recipes, hooks, sequences)."""
    why_not: str = ""
    """Why a failure before the last line would be lost, when ``per_line`` is false."""


def strip_runner(words: list[str]) -> tuple[list[str], str]:
    """The command an environment runner runs, and the directory it runs in (``''``: unchanged)."""
    directory = ""
    while words:
        if (words[0], words[1] if len(words) > 1 else "") in _ENV_RUNNERS:
            rest = words[2:]
        elif words[0] in _TOOL_RUNNERS:
            rest = words[1:]
        else:
            return words, directory
        while rest and rest[0].startswith("-"):
            option, _, inline = rest[0].partition("=")
            takes = option in _VALUE_OPTIONS and not inline and len(rest) > 1
            if option in _DIRECTORY_OPTIONS:
                directory = inline or (rest[1] if takes else "")
            rest = rest[2:] if takes else rest[1:]
        words = rest
    return words, directory


def _options(words: list[str]) -> tuple[list[str], str]:
    """Arguments without options, and a ``--prefix``/``--cwd``/``-C``/``--dir`` directory."""
    args: list[str] = []
    directory = ""
    i = 0
    while i < len(words):
        option, _, inline = words[i].partition("=")
        if option.startswith("-"):
            takes = option in _VALUE_OPTIONS and not inline and i + 1 < len(words)
            if option in _DIRECTORY_OPTIONS:
                directory = inline or (words[i + 1] if takes else "")
            i += 2 if takes else 1
            continue
        args.append(words[i])
        i += 1
    return args, directory


def _line(text: str, pattern: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.search(pattern, line):
            return number
    return 1


def package_script(words: list[str], find: Callable[[str], Path | None]) -> Recipe | None:
    """``npm test``, ``yarn lint``, ``pnpm run build``, ``bun run build``: the package.json script."""
    args, directory = _options(words[1:])
    if args[:1] in (["run"], ["run-script"]):
        args = args[1:]
    elif words[0] == "bun":
        return None  # `bun test` and `bun build` are bun's own commands, not scripts
    package = find(f"{directory}/package.json" if directory else "package.json")
    if not args or package is None:
        return None
    text = package.read_text(encoding="utf-8", errors="replace")
    try:
        scripts = json.loads(text).get("scripts") or {}
    except (ValueError, AttributeError):
        return None
    command = scripts.get(args[0]) if isinstance(scripts, dict) else None
    if not isinstance(command, str):
        return None
    line = _line(text, re.escape(f'"{args[0]}"') + r"\s*:")
    return Recipe(text=command, file=package, first_line=line, per_line=True)


def just_recipe(words: list[str], find: Callable[[str], Path | None]) -> Recipe | None:
    """``just test``: the recipe's body (each line its own shell, like make; a shebang: one script)."""
    justfile = next((p for p in map(find, ("justfile", "Justfile", ".justfile")) if p is not None), None)
    if justfile is None:
        return None
    args, _ = _options(words[1:])
    lines = justfile.read_text(encoding="utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, start=1):
        match = re.match(r"^@?([A-Za-z0-9_-]+)(\s[^:=]*)?:(?!=)", line)
        if not match or (args and match.group(1) != args[0]):
            continue
        body: list[str] = []
        for raw in lines[number:]:
            if raw.strip() and not raw[:1].isspace():
                break
            body.append(raw.strip().lstrip("@"))
        shebang = bool(body) and body[0].startswith("#!")
        why = (
            "" if shebang and re.search(r"\s-[a-zA-Z]*e", body[0]) else "the recipe's script has no `set -e`"
        )
        return Recipe(
            text="\n".join(body), file=justfile, first_line=number + 1, per_line=not shebang, why_not=why
        )
    return None


def _pyproject_tasks(find: Callable[[str], Path | None], *table: str) -> tuple[Path, str, Any] | None:
    path = find("pyproject.toml")
    if path is None:
        return None
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data: Any = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    for key in table:
        data = data.get(key) if isinstance(data, dict) else None
    return (path, text, data) if isinstance(data, dict) else None


def _task_command(value: Any, tasks: dict[str, Any], depth: int = 0) -> list[str]:
    """The command lines of a task definition (a sequence of task names expands, one level deep)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        for key in ("cmd", "shell"):
            if isinstance(value.get(key), str):
                return [value[key]]
        sequence = value.get("sequence") or value.get("composite")
        return _task_command(sequence, tasks, depth) if isinstance(sequence, list) else []
    if isinstance(value, list) and depth == 0:
        lines: list[str] = []
        for item in value:
            ref = item if isinstance(item, str) and item in tasks else None
            lines += _task_command(tasks[ref] if ref else item, tasks, depth + 1)
        return lines
    return []


def pyproject_task(words: list[str], find: Callable[[str], Path | None]) -> Recipe | None:
    """``poe test``, ``task test`` (taskipy), ``pdm run test``: the task of pyproject.toml."""
    args, _ = _options(words[1:])
    if words[0] == "pdm":
        table, args = ("tool", "pdm", "scripts"), args[1:] if args[:1] == ["run"] else []
    else:
        table = ("tool", "poe", "tasks") if words[0] == "poe" else ("tool", "taskipy", "tasks")
    found = _pyproject_tasks(find, *table)
    if not args or found is None:
        return None
    path, text, tasks = found
    lines = _task_command(tasks.get(args[0]), tasks)
    if not lines:
        return None
    line = _line(text, rf"^\s*{re.escape(args[0])}\s*[=.]")
    return Recipe(text="\n".join(lines), file=path, first_line=line, per_line=True)


def hooks(words: list[str], find: Callable[[str], Path | None]) -> Recipe | None:
    """``pre-commit run`` / ``prek run``: each hook of .pre-commit-config.yaml, on its own line."""
    args, _ = _options(words[1:])
    if args[:1] != ["run"]:
        return None
    config = find(".pre-commit-config.yaml") or find(".pre-commit-config.yml")
    if config is None:
        return None
    try:
        doc = YAML(typ="rt").load(config.read_text(encoding="utf-8", errors="replace"))
    except YAMLError:
        return None
    placed: dict[int, str] = {}
    for repo in (doc or {}).get("repos") or [] if isinstance(doc, dict) else []:
        for index, hook in enumerate((repo or {}).get("hooks") or []):
            if not isinstance(hook, dict) or not hook.get("id"):
                continue
            if len(args) > 1 and args[1] != hook["id"]:
                continue  # `pre-commit run ruff`: that hook only
            line = int(repo["hooks"].lc.item(index)[0]) + 1
            placed[line] = str(hook.get("entry") or hook["id"])
    if not placed:
        return None
    text = "\n".join(placed.get(n, "") for n in range(1, max(placed) + 1))
    return Recipe(text=text, file=config, first_line=1, per_line=True)


def resolve(words: list[str], find: Callable[[str], Path | None]) -> Recipe | None:
    """The recipe a task-runner command runs (``None``: not a runner golive follows)."""
    if not words:
        return None
    if words[0] in ("npm", "yarn", "pnpm", "bun"):
        return package_script(words, find)
    if words[0] == "just":
        return just_recipe(words, find)
    if words[0] in ("poe", "task", "pdm"):
        return pyproject_task(words, find)
    if words[0] in ("pre-commit", "prek"):
        return hooks(words, find)
    return None

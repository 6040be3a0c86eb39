"""A seeded generator of malformed golive.yaml files, shared by tests/spec/test_fuzz.py and
benchmarks/fuzz_specs.py.

Seeds are valid specs that together use every registered check type (the storefront example,
cut into small specs of a few criteria each so that a case loads in milliseconds, plus
tests/fixtures/fuzz/golive.yaml for the types storefront does not use). Each case applies one
to three mutations, at YAML text level or at tree level (a value replaced by a wrong type, a
huge, infinite, negative or empty one). Case ``n`` of seed ``s`` depends on nothing else, so
``case(s, n)`` reproduces it alone.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from golive.errors import SpecError
from golive.spec import SpecLoader

REPO = Path(__file__).resolve().parents[2]
SEED_FILES = [
    REPO / "examples" / "storefront" / "golive.yaml",
    REPO / "tests" / "fixtures" / "fuzz" / "golive.yaml",
    REPO / "tests" / "fixtures" / "specs" / "valid.yaml",
    REPO / "tests" / "fixtures" / "runbook" / "spec" / "golive.yaml",
]
CRITERIA_PER_SEED = 3


@dataclass(frozen=True, kw_only=True)
class Case:
    """One mutated spec and how it was made."""

    seed: int
    index: int
    base: str
    mutations: tuple[str, ...]
    text: str

    @property
    def reproducer(self) -> str:
        """The command that writes this case to a file."""
        return f"benchmarks/fuzz_specs.py --seed {self.seed} --case {self.index} --write case.yaml"


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 4096
    return yaml


def _dump(tree: Any) -> str:
    out = io.StringIO()
    _yaml().dump(tree, out)
    return out.getvalue()


@cache
def seeds() -> tuple[tuple[str, str], ...]:
    """(name, text) of every seed: each seed file, and storefront in slices of a few criteria."""
    found: list[tuple[str, str]] = []
    for path in SEED_FILES:
        text = path.read_text()
        tree = _yaml().load(text)
        criteria = tree.get("criteria") or []
        if len(criteria) <= CRITERIA_PER_SEED * 2:
            found.append((path.name, text))
            continue
        for start in range(0, len(criteria), CRITERIA_PER_SEED):
            part = _yaml().load(text)
            part["criteria"] = CommentedSeq(part["criteria"][start : start + CRITERIA_PER_SEED])
            ids = {c["id"] for c in part["criteria"]}
            for c in part["criteria"]:
                if "needs" in c:  # a slice keeps only the needs it can satisfy
                    c["needs"] = CommentedSeq([n for n in c["needs"] if n in ids])
            for key in ("goals", "waivers"):
                part.pop(key, None)
            found.append((f"{path.parent.name}[{start}:]", _dump(part)))
    return tuple(found)


# -- text-level mutations ---------------------------------------------------------------------

_TAGS = [
    "!!int", "!!bool", "!!float", "!!omap", "!!set", "!!binary", "!!timestamp", "!!str", "!!map",
    "!!seq", "!!null", "!!pairs", "!!merge", "!!python/object:os.system", "!custom", "!<tag:x>",
]  # fmt: skip
_NUMBERS = [
    "9" * 5000, "1e400", "-1e400", ".inf", "-.inf", ".nan", "-1", "0", "-0.0", "0x" + "f" * 5000,
    "0o7777777777777777777777", "1_000_000_000_000_000_000", "99999999999999999999d", "1e-400",
    "-5s", "0s", "4294967296", "9" * 4299, "1" * 120,
]  # fmt: skip
_BOMB = "b0: &b0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"b{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 9)}]\n" for i in range(1, 9)
)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True) or ["\n"]


def _value_spans(text: str) -> list[tuple[int, int]]:
    """Where scalar values after ``key: `` sit in the text."""
    return [m.span(1) for m in re.finditer(r"(?m)^[ -]*[\w.-]+: +([^\s#{\[][^#\n]*)$", text)]


def _at_value(rng: random.Random, text: str, make: Callable[[str], str]) -> str:
    spans = _value_spans(text)
    if not spans:
        return text
    start, end = rng.choice(spans)
    return text[:start] + make(text[start:end]) + text[end:]


def _delete_line(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    del lines[rng.randrange(len(lines))]
    return "".join(lines)


def _dup_line(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    return "".join(lines)


def _swap_chars(rng: random.Random, text: str) -> str:
    if len(text) < 2:
        return text
    i = rng.randrange(len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _insert_char(rng: random.Random, text: str) -> str:
    pool = [chr(c) for c in range(32)] + ["\x7f", "\x85", "\ufeff", "\ud800", "\u2028", "\U0001f600"]
    pool += list(":-[]{}&*!|>'\"%@`#,?\t ")
    i = rng.randrange(len(text) + 1)
    return text[:i] + rng.choice(pool) + text[i:]


def _tag(rng: random.Random, text: str) -> str:
    return _at_value(rng, text, lambda v: f"{rng.choice(_TAGS)} {v}")


def _number(rng: random.Random, text: str) -> str:
    return _at_value(rng, text, lambda v: rng.choice(_NUMBERS))


def _long_string(rng: random.Random, text: str) -> str:
    return _at_value(
        rng, text, lambda v: rng.choice(["x", "[", "\\\\", "9", "a: "]) * rng.randint(500, 20000)
    )


def _anchor_alias(rng: random.Random, text: str) -> str:
    spans = _value_spans(text)
    if len(spans) < 2:
        return text
    (s1, e1), (s2, e2) = sorted(rng.sample(spans, 2))
    name = rng.choice(["a", "b", "x1"])
    alias = rng.choice([f"*{name}", f"*{name}", "*undefined", f"[*{name}, *{name}]", f"{{<<: *{name}}}"])
    return text[:s1] + f"&{name} " + text[s1:e1] + text[e1:s2] + alias + text[e2:]


def _merge_key(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    indent = re.match(r"[ -]*", lines[i]).group(0).replace("-", " ")  # type: ignore[union-attr]
    value = rng.choice(
        ["*a", "3", "[1, 2]", "{}", "[*a, *a]", "{a: 1}", "&a {id: x}", "*a\n" + indent + "<<: *a"]
    )
    prefix = rng.choice(["", "&a "]) if "&a" not in text else ""
    lines.insert(i, f"{indent}<<: {prefix}{value}\n")
    return "".join(lines)


def _deep(rng: random.Random, text: str) -> str:
    depth = rng.choice([20, 99, 101, 150, 1000, 5000])
    kind = rng.choice(["[]", "{}", "- "])
    if kind == "[]":
        nest = "[" * depth + "]" * depth
    elif kind == "{}":
        nest = "{a: " * depth + "1" + "}" * depth
    else:
        nest = "\n" + "".join("  " * (i + 1) + "- \n" for i in range(min(depth, 300)))
    return _at_value(rng, text, lambda v: nest)


def _indent(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    stripped = lines[i].lstrip(" ")
    lines[i] = " " * max(0, len(lines[i]) - len(stripped) + rng.choice([-4, -2, -1, 1, 2, 3])) + stripped
    return "".join(lines)


def _bomb(rng: random.Random, text: str) -> str:
    levels = _BOMB.splitlines(keepends=True)[: rng.randint(3, 9)]
    last = len(levels) - 1
    lines = _lines(text)
    i = rng.randrange(len(lines) + 1)
    return "".join(lines[:i]) + "".join(levels) + f"bombed: *b{last}\n" + "".join(lines[i:])


def _truncate(rng: random.Random, text: str) -> str:
    return text[: rng.randrange(len(text) + 1)]


def _recursive(rng: random.Random, text: str) -> str:
    return _at_value(rng, text, lambda v: rng.choice(["&r [*r]", "&r {a: *r}", "&r {<<: *r}"]))


TEXT_MUTATIONS: dict[str, Callable[[random.Random, str], str]] = {
    "delete_line": _delete_line,
    "dup_line": _dup_line,
    "swap_chars": _swap_chars,
    "insert_char": _insert_char,
    "tag": _tag,
    "number": _number,
    "long_string": _long_string,
    "anchor_alias": _anchor_alias,
    "merge_key": _merge_key,
    "deep": _deep,
    "indent": _indent,
    "bomb": _bomb,
    "truncate": _truncate,
    "recursive": _recursive,
}

# -- tree-level mutations ---------------------------------------------------------------------

_WRONG: list[Any] = [
    None, "", [], {}, True, False, 0, -1, -(10**30), 10**30, 1.5, -0.5, float("inf"), float("-inf"),
    float("nan"), "x" * 3000, "-1s", ".inf", "1e400", "nan", "[", "${UNSET}", "é\u200b", [1, "a", None],
    {"a": {"b": [1]}}, ["x"] * 50, "0", "1h" * 30, "99999999999999999999d", "ftp://[::1", "http://",
]  # fmt: skip


def _containers(tree: Any) -> Iterator[tuple[Any, Any]]:
    """(container, key or index) of every value, criteria' check params first in weight."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, CommentedMap):
            for key in node:
                yield node, key
                todo.append(node[key])
        elif isinstance(node, CommentedSeq):
            for index in range(len(node)):
                yield node, index
                todo.append(node[index])


def tree_mutation(rng: random.Random, text: str) -> tuple[str, str]:
    """Replace, delete or add one value in the parsed seed; (kind, new text)."""
    tree = _yaml().load(text)
    checks = [c["check"] for c in tree.get("criteria") or [] if isinstance(c, dict) and "check" in c]
    root = rng.choice(checks) if checks and rng.random() < 0.7 else tree
    places = list(_containers(root))
    if not places:
        return "tree_none", text
    container, key = rng.choice(places)
    action = rng.choice(["replace", "replace", "replace", "delete", "add"])
    if action == "delete":
        del container[key]
    elif action == "add" and isinstance(container, CommentedMap):
        container[rng.choice(["extra", "tyep", "timeout", "<<", "1", "needs"])] = rng.choice(_WRONG)
    else:
        container[key] = rng.choice(_WRONG)
    return f"tree_{action}", _dump(tree)


def case(seed: int, index: int) -> Case:
    """Case ``index`` of the run with ``seed``: a seed spec and one to three mutations."""
    rng = random.Random(f"{seed}:{index}")
    base, text = rng.choice(seeds())
    done: list[str] = []
    if rng.random() < 0.3:
        kind, text = tree_mutation(rng, text)
        done.append(kind)
    for _ in range(rng.choice([1, 1, 1, 2, 3]) if not done or rng.random() < 0.5 else 0):
        name = rng.choice(sorted(TEXT_MUTATIONS))
        text = TEXT_MUTATIONS[name](rng, text)
        done.append(name)
    return Case(seed=seed, index=index, base=base, mutations=tuple(done), text=text)


# Messages from the loader's last-resort handlers: reaching one means a guard is missing.
FALLBACKS = ("invalid params (", "YAML error:", "nested too deeply")


def judge(loader: SpecLoader, c: Case) -> str | None:
    """None when the loader behaved (loaded, or a SpecError at real positions); else why not."""
    last_line = c.text.count("\n") + 1
    try:
        loader.loads(c.text, display="golive.yaml")
    except SpecError as exc:
        for p in exc.problems:
            if not (1 <= p.line <= last_line + 1 and p.col >= 1):
                return f"problem without a real position: {p}"
            if any(f in p.message for f in FALLBACKS) or len(p.message) > 400:
                return f"fallback or unbounded message: {str(p)[:500]}"
        return None
    except Exception as exc:  # anything else is the bug the fuzzer hunts
        return f"{type(exc).__name__}: {str(exc)[:300]}"
    return None

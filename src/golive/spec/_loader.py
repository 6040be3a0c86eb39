"""Load ``golive.yaml``: parse with positions, validate, and report every problem at once."""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq, merge_attrib

from golive.errors import SpecError, SpecProblem
from golive.spec import models
from golive.spec._base_url import base_url_problems
from golive.spec._goals import goal_problems
from golive.spec._yaml import bounded, parse, read_text, shown

if TYPE_CHECKING:
    from golive.checks.registry import CheckRegistry

SPEC_FILENAMES = ("golive.yaml", "golive.yml")

Loc = tuple[str | int, ...]

M = TypeVar("M", bound=BaseModel)


def find_spec(path: Path) -> Path:
    """The spec file for a path: the file itself, or golive.yaml inside a directory."""
    if path.is_dir():
        for name in SPEC_FILENAMES:
            if (path / name).is_file():
                return path / name
        raise SpecError(
            [
                SpecProblem(
                    file=str(path),
                    line=0,
                    col=0,
                    message="no golive.yaml in this directory; "
                    "create one (see `golive schema`) or pass the spec file",
                )
            ]
        )
    if not path.exists():
        raise SpecError(
            [SpecProblem(file=str(path), line=0, col=0, message="file not found; check the path")]
        )
    return path


def _defining(node: CommentedMap, key: Any) -> CommentedMap | None:
    """The mapping that holds ``key`` with its position: ``node`` or one merged into it by ``<<``."""
    todo = [node]
    while todo:
        current = todo.pop()
        if current.lc.data is not None and key in current.lc.data:
            return current
        # ruamel keeps the merged mappings themselves (older releases: (index, mapping) pairs).
        merged = [m[-1] if isinstance(m, tuple) else m for m in getattr(current, merge_attrib, [])]
        todo.extend(reversed([m for m in merged if isinstance(m, CommentedMap)]))
    return None


class _Positions:
    """Maps a validation location (keys and indexes) to a line and column in the YAML."""

    def __init__(self, tree: Any) -> None:
        self.tree = tree

    def locate(self, loc: Loc) -> tuple[int, int]:
        """The line and column (from 1) of the value at ``loc``, or of the nearest parent found."""
        node: Any = self.tree
        line, col = 1, 1
        for part in loc:
            if isinstance(node, CommentedMap) and part in node:
                owner = _defining(node, part)
                if owner is None:
                    break
                ln, cl = owner.lc.key(part)
                line, col = ln + 1, cl + 1
                child = node[part]
                if isinstance(child, CommentedMap | CommentedSeq):
                    node = child
                    continue
                # Point at the value of a scalar rather than its key.
                vl, vc = owner.lc.value(part)
                return vl + 1, vc + 1
            if isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                ln, cl = node.lc.item(part)
                line, col = ln + 1, cl + 1
                child = node[part]
                if isinstance(child, CommentedMap | CommentedSeq):
                    node = child
                    continue
                return line, col
            break
        if isinstance(node, CommentedMap | CommentedSeq) and node.lc.line is not None:
            if (line, col) == (1, 1):
                return node.lc.line + 1, node.lc.col + 1
        return line, col


def _all_field_names(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> set[str]:
    """Every field name of a model and the models nested in it (for did-you-mean)."""
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    names = set(model.model_fields)
    for f in model.model_fields.values():
        for arg in _types_in(f.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                names |= _all_field_names(arg, seen)
    return names


def _types_in(annotation: Any) -> list[Any]:
    args = getattr(annotation, "__args__", None)
    if not args:
        return [annotation]
    out: list[Any] = []
    for a in args:
        out.extend(_types_in(a))
    return out


_TYPE_PARTS = re.compile(r"^(int|str|float|bool|list\[.*\]|dict\[.*\]|function-.*|[A-Z]\w*)$")


def _clean_loc(loc: Sequence[str | int]) -> Loc:
    """Drop the union-member names pydantic puts into locations (``int``, ``list[int]``)."""
    return tuple(p for p in loc if not (isinstance(p, str) and _TYPE_PARTS.match(p)))


def _describe(err: Any, known: set[str]) -> str:
    """A human message for one pydantic error."""
    loc: Loc = _clean_loc(err["loc"])
    kind = err["type"]
    field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    if kind == "missing":
        return f"missing required field {shown(field)}"
    if kind == "extra_forbidden":
        hint = difflib.get_close_matches(field, known, n=1)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        return f"unknown field {shown(field)}{extra}"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind in {"enum", "literal_error"}:
        hint = difflib.get_close_matches(str(err.get("input")), ["must", "should", "nice"], n=1)
        extra = f" (did you mean {hint[0]!r}?)" if hint and field == "tier" else ""
        return f"{field}: {msg}{extra}"
    if kind == "string_pattern_mismatch" and field == "id":
        return "id must be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
    return f"{field}: {msg}" if field else msg


def _parse_mapping(text: str, display: str, not_a_mapping: str) -> CommentedMap:
    """YAML text as a round-trip mapping (with positions); SpecError when it is not one."""
    tree = parse(text, display)
    if not isinstance(tree, CommentedMap):
        raise SpecError([SpecProblem(file=display, line=1, col=1, message=not_a_mapping)])
    return tree


def _without_tags(loc: Loc, data: Any) -> Loc:
    """``loc`` without the tags pydantic inserts for a discriminated union member.

    A tag is a location part that is not a key of the mapping it applies to but one of its
    values (``driver.local.command`` for ``driver: {type: local, ...}``).
    """
    kept: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part not in node and part in node.values():
            continue
        kept.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(kept)


def load_yaml_model(
    text: str,
    model: type[M],
    *,
    display: str,
    not_a_mapping: str = "expected a mapping",
) -> M:
    """Parse YAML ``text`` and validate it with ``model``, as golive.yaml is validated.

    Every problem is reported at once, at its ``file:line:col`` (``display`` names the
    file), with golive's wording (unknown fields with a did-you-mean, missing fields).
    """
    tree = _parse_mapping(text, display, not_a_mapping)
    plain = _plain(tree)
    try:
        return model.model_validate(plain)
    except ValidationError as exc:
        positions = _Positions(tree)
        known = _all_field_names(model)
        problems: dict[tuple[int, int], SpecProblem] = {}
        for err in exc.errors():
            loc = _without_tags(_clean_loc(err["loc"]), plain)
            line, col = positions.locate(loc)
            # A union field yields one error per member; one message per place is enough.
            problems.setdefault(
                (line, col),
                SpecProblem(file=display, line=line, col=col, message=bounded(_describe(err, known))),
            )
        raise SpecError(sorted(problems.values(), key=lambda p: (p.line, p.col))) from None


class SpecLoader:
    """Reads and validates specs against a registry of check types."""

    def __init__(self, registry: CheckRegistry) -> None:
        self.registry = registry

    def load(self, path: Path, *, today: date | None = None) -> models.Spec:
        """Load a spec file (or a directory holding golive.yaml); raise SpecError on problems."""
        spec_path = find_spec(path)
        display = str(spec_path)
        text = read_text(spec_path, display)
        return self.loads(text, display=display, path=spec_path.absolute())

    def loads(self, text: str, *, display: str = "golive.yaml", path: Path | None = None) -> models.Spec:
        """Validate spec text; ``display`` names the file in messages."""
        tree = _parse_mapping(
            text, display, "the spec must be a mapping with service, environments and criteria"
        )
        positions = _Positions(tree)
        problems: list[SpecProblem] = []

        def add(loc: Loc, message: str) -> None:
            line, col = positions.locate(loc)
            problems.append(SpecProblem(file=display, line=line, col=col, message=bounded(message)))

        spec: models.Spec | None = None
        plain = _plain(tree)
        try:
            spec = models.Spec.model_validate(plain)
        except ValidationError as exc:
            known = _all_field_names(models.Spec)
            for err in exc.errors():
                add(_clean_loc(err["loc"]), _describe(err, known))

        # Check params are validated per type even when other parts failed, so that
        # every problem is reported in one go.
        typed: dict[int, Any] = {}
        raw_criteria = tree.get("criteria")
        if isinstance(raw_criteria, CommentedSeq):
            for index, raw in enumerate(raw_criteria):
                if not isinstance(raw, CommentedMap) or not isinstance(raw.get("check"), CommentedMap):
                    continue
                check = raw["check"]
                loc: Loc = ("criteria", index, "check")
                ctype = check.get("type")
                if not isinstance(ctype, str):
                    if "type" not in check:
                        add(loc, "missing required field 'type' in check")
                    continue
                if ctype not in self.registry:
                    add(loc + ("type",), self.registry.unknown_message(ctype[:80]))
                    continue
                params_model = self.registry.params_model(ctype)
                raw_params = {k: v for k, v in _plain(check).items() if k != "type"}
                try:
                    typed[index] = params_model.model_validate(raw_params)
                except ValidationError as exc:
                    known = _all_field_names(params_model)
                    for err in exc.errors():
                        add(loc + _clean_loc(err["loc"]), f"{ctype} check: {_describe(err, known)}")
                except Exception as exc:  # a family's validator that is not ready for this input
                    add(loc, f"{ctype} check: invalid params ({type(exc).__name__}: {exc})")

        self._semantic(plain, add)
        base_url_problems(plain, typed, self.registry, add)

        if problems:
            unique: dict[tuple[int, int], SpecProblem] = {}
            for p in problems:
                # A union field yields one error per member; one message per place is enough.
                unique.setdefault((p.line, p.col), p)
            raise SpecError(sorted(unique.values(), key=lambda p: (p.line, p.col)))
        assert spec is not None
        criteria = [
            c.model_copy(update={"check": c.check.model_copy(update={"params": typed[i]})})
            for i, c in enumerate(spec.criteria)
        ]
        final = spec.model_copy(update={"criteria": criteria})
        return final.with_path(path or Path(display))

    def warnings(self, spec: models.Spec, *, display: str | None = None) -> list[SpecProblem]:
        """What the check types warn about in a valid spec, each at its criterion's line.

        A check type may expose ``warnings(params, base_dir) -> list[str]`` (a static or class
        method; ``base_dir`` is the spec's directory; ``warnings(params)`` works too): things
        that are valid but will not give a verdict, e.g. a load plan too short to judge its
        thresholds. A hook with a third parameter also gets the criterion's ``needs`` as
        ``{criterion id: check type}``, for a type that reads the result of a need.
        """
        name = display or str(spec.path)
        positions: _Positions | None = None
        found: list[SpecProblem] = []
        types = {c.id: c.check.type for c in spec.criteria}
        for index, criterion in enumerate(spec.criteria):
            hook = self.registry.warnings_hook(criterion.check.type)
            if hook is None:
                continue
            needs = {n: types[n] for n in criterion.needs if n in types}
            args = (criterion.check.params, spec.root, needs)
            messages = hook(*args[: len(inspect.signature(hook).parameters)])
            if messages and positions is None:  # parsed again only to place a warning (start-up time)
                positions = _Positions(_parse_mapping(read_text(spec.path, name), name, "expected a mapping"))
            line, col = positions.locate(("criteria", index)) if positions else (0, 0)
            found += [
                SpecProblem(file=name, line=line, col=col, message=f"{criterion.id}: {m}") for m in messages
            ]
        return found

    def _semantic(self, data: dict[str, Any], add: Callable[[Loc, str], None]) -> None:
        """Cross-field rules that a schema cannot express, on the raw document.

        Working on the raw data (not the validated spec) lets these problems be
        reported together with schema errors elsewhere in the file.
        """
        raw = data.get("criteria")
        criteria = [c for c in raw if isinstance(c, dict)] if isinstance(raw, list) else []
        seen: dict[str, int] = {}
        for index, c in enumerate(raw if isinstance(raw, list) else []):
            cid = c.get("id") if isinstance(c, dict) else None
            if not isinstance(cid, str):
                continue
            if cid in seen:
                add(
                    ("criteria", index, "id"),
                    f"duplicate criterion id {shown(cid)} (first defined as criteria[{seen[cid]}])",
                )
            else:
                seen[cid] = index
        ids = list(seen)
        graph: dict[str, list[str]] = {}
        for index, c in enumerate(raw if isinstance(raw, list) else []):
            if not isinstance(c, dict) or not isinstance(c.get("needs"), list):
                continue
            cid = c.get("id")
            for j, need in enumerate(c["needs"]):
                if not isinstance(need, str):
                    continue
                if need not in seen:
                    add(
                        ("criteria", index, "needs", j),
                        f"needs unknown criterion {shown(need)}{_hint(need, ids)}",
                    )
                elif need == cid:
                    add(("criteria", index, "needs", j), f"criterion {shown(cid)} needs itself")
                elif isinstance(cid, str):
                    graph.setdefault(cid, []).append(need)
        del criteria
        for cycle in _cycles(graph):
            # A cycle through a thousand criteria is named by its start, not listed whole.
            if len(cycle) <= 8:
                path = " -> ".join([*cycle, cycle[0]])
            else:
                path = " -> ".join(cycle[:8]) + f" -> … ({len(cycle)} criteria)"
            add(("criteria", seen[cycle[0]], "needs"), f"cycle in needs: {path}")
        envs = data.get("environments")
        default = data.get("default_environment")
        if isinstance(default, str) and isinstance(envs, dict) and default not in envs:
            add(
                ("default_environment",),
                f"unknown environment {shown(default)}{_hint(default, list(envs))}; defined: "
                + bounded(", ".join(envs), 200),
            )
        waivers = data.get("waivers")
        for index, w in enumerate(waivers if isinstance(waivers, list) else []):
            target = w.get("criterion") if isinstance(w, dict) else None
            if isinstance(target, str) and target not in seen:
                add(
                    ("waivers", index, "criterion"),
                    f"waiver for unknown criterion {shown(target)}{_hint(target, ids)}",
                )
        goal_problems(data, seen, add)


def _hint(word: str, choices: Sequence[str]) -> str:
    """' (did you mean X?)' or nothing."""
    found = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {shown(found[0])}?)" if found else ""


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each distinct cycle in the needs graph, reported once from its smallest id.

    Iterative, so that a needs chain thousands long cannot exhaust the recursion limit.
    """
    found: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()
    state: dict[str, int] = {}
    for root in list(graph):
        if root in state:
            continue
        state[root] = 1
        path: list[str] = [root]
        todo: list[Iterator[str]] = [iter(graph.get(root, []))]
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                todo.pop()
            elif state.get(nxt) == 1:
                cycle = path[path.index(nxt) :]
                key = frozenset(cycle)
                if key not in seen_sets:
                    seen_sets.add(key)
                    start = cycle.index(min(cycle))
                    found.append(cycle[start:] + cycle[:start])
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                todo.append(iter(graph.get(nxt, [])))
    return found


def _plain(node: Any) -> Any:
    """ruamel's round-trip containers as plain dicts and lists for pydantic."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node

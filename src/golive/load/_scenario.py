"""What a load scenario can be expected to send, per request name, read without running it.

``golive validate`` uses this to warn when a plan cannot be expected to give each thresholded
request enough samples. A locustfile is read with :mod:`ast`, never imported (importing
Locust monkey-patches the process): user classes, their ``weight`` and ``wait_time``, the
``@task`` weights, and the requests each task makes (``self.client.get(..., name=...)``,
following ``self.helper()`` calls). Estimates are optimistic on purpose: a request behind an
``if`` is assumed to be made, responses are assumed to take no time. A warning therefore
means the plan falls short even in the best case.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
_MAX_DEPTH = 4


@dataclass(frozen=True, kw_only=True)
class UserModel:
    """One user class: its share of the users, its pace and the requests of an average task."""

    name: str
    weight: float = 1.0
    cycle_s: float | None = None
    """Mean seconds between two tasks of one user (``None``: unknown pace)."""
    per_task: Mapping[str, float] = field(default_factory=dict)
    """Expected requests of each name per task run."""
    on_start: Mapping[str, float] = field(default_factory=dict)
    """Requests of each name a user makes once, when it starts."""


@dataclass(frozen=True, kw_only=True)
class ScenarioModel:
    """The user classes of a scenario; ``complete`` when every request's name is known."""

    users: tuple[UserModel, ...]
    complete: bool = True
    problem: str = ""
    """Why the scenario could not be read (then nothing is estimated)."""

    @property
    def names(self) -> set[str]:
        """Every request name the scenario is known to make."""
        return {n for u in self.users for n in (*u.per_task, *u.on_start)}

    def expected(self, name: str | None, *, users: int, seconds: float, starts: bool = True) -> float | None:
        """Requests of ``name`` (all when ``None``) expected from ``users`` over ``seconds``.

        ``None`` when some user class has an unknown pace or makes tasks back to back.
        """
        total_weight = sum(u.weight for u in self.users) or 1.0
        count = 0.0
        for u in self.users:
            share = users * u.weight / total_weight
            if u.cycle_s is None or u.cycle_s <= 0:
                return None
            per_task = sum(u.per_task.values()) if name is None else u.per_task.get(name, 0.0)
            count += share * max(0.0, seconds) / u.cycle_s * per_task
            if starts:
                count += share * (sum(u.on_start.values()) if name is None else u.on_start.get(name, 0.0))
        return count


def declarative(
    requests: list[tuple[str, int]], *, wait: tuple[float, float], rate: float | None, auth: list[str]
) -> ScenarioModel:
    """The model of a ``requests:`` scenario: ``(name, weight)`` pairs, think time or rate."""
    total = sum(w for _, w in requests) or 1
    per_task: dict[str, float] = {}
    for name, weight in requests:
        per_task[name] = per_task.get(name, 0.0) + weight / total
    cycle = 1.0 / rate if rate else (wait[0] + wait[1]) / 2
    user = UserModel(name="scenario", cycle_s=cycle, per_task=per_task, on_start=dict.fromkeys(auth, 1.0))
    return ScenarioModel(users=(user,))


def from_locustfile(path: Path, wanted: list[str]) -> ScenarioModel:
    """The model of a locustfile's user classes (those named in ``wanted``, or all)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError) as exc:
        return ScenarioModel(users=(), complete=False, problem=f"cannot read {path}: {exc}")
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    users: list[UserModel] = []
    complete = True
    for cls in classes.values():
        if not _is_user(cls, classes) or _class_value(cls, "abstract", classes) is True:
            continue
        if wanted and cls.name not in wanted:
            continue
        reader = _ClassReader(cls, classes)
        users.append(reader.model())
        complete = complete and reader.complete
    if not users:
        return ScenarioModel(users=(), complete=False, problem=f"no Locust user class found in {path}")
    return ScenarioModel(users=tuple(users), complete=complete)


def _bases(cls: ast.ClassDef, classes: Mapping[str, ast.ClassDef]) -> Iterator[ast.ClassDef]:
    """The class and its bases defined in the same file, nearest first."""
    seen: set[str] = set()
    todo = [cls]
    while todo:
        node = todo.pop(0)
        if node.name in seen:
            continue
        seen.add(node.name)
        yield node
        todo += [classes[b.id] for b in node.bases if isinstance(b, ast.Name) and b.id in classes]


def _is_user(cls: ast.ClassDef, classes: Mapping[str, ast.ClassDef]) -> bool:
    for node in _bases(cls, classes):
        for base in node.bases:
            name = (
                base.id
                if isinstance(base, ast.Name)
                else base.attr
                if isinstance(base, ast.Attribute)
                else ""
            )
            if name.endswith("User") and name not in classes:
                return True
    return False


def _class_value(cls: ast.ClassDef, attr: str, classes: Mapping[str, ast.ClassDef]) -> object:
    """A class attribute's literal value (or its expression when not a literal), own or inherited."""
    for node in _bases(cls, classes):
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == attr for t in stmt.targets
            ):
                try:
                    return ast.literal_eval(stmt.value)
                except ValueError:
                    return stmt.value
    return None


def _number(node: ast.expr) -> float | None:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _cycle(value: object) -> float | None:
    """Mean seconds between tasks for ``between(a, b)``, ``constant(t)``, ``constant_throughput(r)``..."""
    if value is None:
        return 0.0  # Locust's default: no wait
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name | ast.Attribute)):
        return None
    func = value.func.id if isinstance(value.func, ast.Name) else value.func.attr
    args = [_number(a) for a in value.args]
    if any(a is None for a in args) or not args:
        return None
    nums = [a for a in args if a is not None]
    if func == "between" and len(nums) == 2:
        return (nums[0] + nums[1]) / 2
    if func in ("constant", "constant_pacing"):
        return nums[0]
    if func == "constant_throughput" and nums[0] > 0:
        return 1.0 / nums[0]
    return None


def _task_weight(fn: ast.FunctionDef) -> int | None:
    """The weight of a ``@task`` / ``@task(N)`` method; ``None`` when it is not a task."""
    for dec in fn.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        name = (
            target.id
            if isinstance(target, ast.Name)
            else target.attr
            if isinstance(target, ast.Attribute)
            else ""
        )
        if name != "task":
            continue
        if isinstance(dec, ast.Call) and dec.args:
            weight = _number(dec.args[0])
            return int(weight) if weight is not None else 1
        return 1
    return None


class _ClassReader:
    """Reads one user class: task weights, pacing and the requests each method makes."""

    def __init__(self, cls: ast.ClassDef, classes: Mapping[str, ast.ClassDef]) -> None:
        self.cls = cls
        self.classes = classes
        self.methods: dict[str, ast.FunctionDef] = {}
        for node in reversed(list(_bases(cls, classes))):
            self.methods.update({f.name: f for f in node.body if isinstance(f, ast.FunctionDef)})
        self.complete = _class_value(cls, "tasks", classes) is None

    def model(self) -> UserModel:
        weight = _class_value(self.cls, "weight", self.classes)
        tasks = [(fn, w) for fn in self.methods.values() if (w := _task_weight(fn)) is not None]
        total = sum(w for _, w in tasks)
        per_task: dict[str, float] = {}
        for fn, w in tasks:
            for name, n in self.requests(fn.body, 1.0, 0).items():
                per_task[name] = per_task.get(name, 0.0) + n * w / total
        on_start = self.methods.get("on_start")
        if not tasks:
            self.complete = False
        return UserModel(
            name=self.cls.name,
            weight=float(weight) if isinstance(weight, int | float) else 1.0,
            cycle_s=_cycle(_class_value(self.cls, "wait_time", self.classes)),
            per_task=per_task,
            on_start=self.requests(on_start.body, 1.0, 0) if on_start else {},
        )

    def requests(self, body: list[ast.stmt], factor: float, depth: int) -> dict[str, float]:
        """Expected requests per name made by ``body`` (branches weighted, helpers followed)."""
        out: dict[str, float] = {}
        for stmt in body:
            for name, n in self._statement(stmt, factor, depth).items():
                out[name] = out.get(name, 0.0) + n
        return out

    def _statement(self, stmt: ast.stmt, factor: float, depth: int) -> dict[str, float]:
        if isinstance(stmt, ast.If):
            p_body, p_else = _branch_odds(stmt)
            merged = self.requests(stmt.body, factor * p_body, depth)
            for name, n in self.requests(stmt.orelse, factor * p_else, depth).items():
                merged[name] = merged.get(name, 0.0) + n
            found = self._calls(stmt.test, factor, depth)
            return {k: merged.get(k, 0.0) + found.get(k, 0.0) for k in {*merged, *found}}
        children = [c for c in ast.iter_child_nodes(stmt) if isinstance(c, ast.stmt)]
        exprs = [c for c in ast.iter_child_nodes(stmt) if not isinstance(c, ast.stmt)]
        out = self.requests(children, factor, depth)
        for expr in exprs:
            for name, n in self._calls(expr, factor, depth).items():
                out[name] = out.get(name, 0.0) + n
        return out

    def _calls(self, node: ast.AST, factor: float, depth: int) -> dict[str, float]:
        out: dict[str, float] = {}
        for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
            func = call.func
            if not isinstance(func, ast.Attribute):
                continue
            if _is_self_attr(func.value, "client") and func.attr in VERBS:
                name = _request_name(call, func.attr)
                if name is None:
                    self.complete = False
                else:
                    out[name] = out.get(name, 0.0) + factor
            elif _is_self(func.value) and func.attr in self.methods and depth < _MAX_DEPTH:
                for name, n in self.requests(self.methods[func.attr].body, factor, depth + 1).items():
                    out[name] = out.get(name, 0.0) + n
        return out


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def _is_self_attr(node: ast.expr, attr: str) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == attr and _is_self(node.value)


def _request_name(call: ast.Call, verb: str) -> str | None:
    """The name Locust reports a request under: ``name=``, else the literal path."""
    for kw in call.keywords:
        if kw.arg == "name":
            return (
                kw.value.value
                if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)
                else None
            )
    index = 1 if verb == "request" else 0
    if len(call.args) > index:
        arg = call.args[index]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
    return None


def _branch_odds(node: ast.If) -> tuple[float, float]:
    """Odds of an ``if``'s two branches: ``random.random() < p`` is read, else even with an
    ``else`` and, optimistically, certain without one."""
    test = node.test
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and len(test.comparators) == 1:
        left, right = test.left, test.comparators[0]
        p = _number(right) if _is_random(left) else _number(left) if _is_random(right) else None
        if p is not None and 0 <= p <= 1:
            below = isinstance(test.ops[0], ast.Lt | ast.LtE)
            if _is_random(right):
                below = not below
            return (p, 1 - p) if below else (1 - p, p)
    return (0.5, 0.5) if node.orelse else (1.0, 0.0)


def _is_random(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and not node.args
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == "random")
            or (isinstance(node.func, ast.Name) and node.func.id == "random")
        )
    )

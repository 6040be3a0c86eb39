"""The migration lint: risky operations in each script's ``upgrade()``, read with :mod:`ast`.

Best effort (see docs/dr.md): it flags migrations that lock a large table while they run and
columns or tables dropped while the code still mentions them. It also lists the tables a
history creates, which the round trip expects to find on its scratch database at head.
"""

from __future__ import annotations

import ast
import contextlib
import re
from collections.abc import Sequence
from pathlib import Path

__all__ = ["created_tables", "lint"]


_LOCKING = {
    "create_index": "builds an index without CONCURRENTLY: writes to {t} block while it builds",
    "alter_column": "alters a column of {t}: a type change rewrites the table under an exclusive lock",
    "create_foreign_key": "adds a foreign key to {t}: validated under lock (add NOT VALID, validate later)",
    "create_check_constraint": "adds a check constraint to {t}: validated under lock",
    "create_unique_constraint": "adds a unique constraint to {t}: builds an index under lock",
    "create_primary_key": "adds a primary key to {t}: builds an index under lock",
}


def _const(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _kw(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _column_call(node: ast.AST) -> ast.Call | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
        fname = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
        if fname == "Column":
            return node
    return None


class _UpgradeVisitor(ast.NodeVisitor):
    """Collects operations of ``upgrade()`` with the table each one touches."""

    def __init__(self) -> None:
        self.ops: list[tuple[str, str, ast.Call]] = []
        self.created: set[str] = set()
        self._batch: list[tuple[str, str]] = []  # (alias, table)

    def visit_With(self, node: ast.With) -> None:  # noqa: N802 - ast API
        pushed = 0
        for item in node.items:
            call = item.context_expr
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "batch_alter_table"
                and isinstance(item.optional_vars, ast.Name)
            ):
                table = _const(call.args[0] if call.args else _kw(call, "table_name")) or "?"
                self._batch.append((item.optional_vars.id, table))
                pushed += 1
        self.generic_visit(node)
        for _ in range(pushed):
            self._batch.pop()

    def visit_Call(self, node: ast.Call) -> None:  # noqa: N802 - ast API
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            owner, op = node.func.value.id, node.func.attr
            batch = dict(self._batch)
            if owner == "op":
                table = _const(node.args[0] if node.args else _kw(node, "table_name")) or "?"
                if op in (
                    "create_index",
                    "create_foreign_key",
                    "create_check_constraint",
                    "create_unique_constraint",
                    "create_primary_key",
                ):
                    # (name, table, ...) signatures: the table is the second argument.
                    table = _const(node.args[1] if len(node.args) > 1 else _kw(node, "table_name")) or "?"
                    if op == "create_foreign_key":
                        table = (
                            _const(node.args[1] if len(node.args) > 1 else _kw(node, "source_table")) or "?"
                        )
                if op == "create_table":
                    self.created.add(table)
                self.ops.append((op, table, node))
            elif owner in batch:
                # batch_op.op(args): same signatures without the table argument.
                shifted = ast.Call(
                    func=node.func, args=[ast.Constant(batch[owner]), *node.args], keywords=node.keywords
                )
                if op in (
                    "create_index",
                    "create_foreign_key",
                    "create_check_constraint",
                    "create_unique_constraint",
                    "create_primary_key",
                ):
                    shifted = ast.Call(
                        func=node.func,
                        args=[*node.args[:1], ast.Constant(batch[owner]), *node.args[1:]],
                        keywords=node.keywords,
                    )
                self.ops.append((op, batch[owner], shifted))
        self.generic_visit(node)


def _code_refs(code_paths: list[Path], skip: Path, word: str) -> list[str]:
    pattern = re.compile(rf"\b{re.escape(word)}\b")
    hits = []
    for root in code_paths:
        files = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for f in files:
            if skip in f.parents:
                continue
            with contextlib.suppress(OSError, UnicodeDecodeError):
                for n, line in enumerate(f.read_text().splitlines(), 1):
                    if pattern.search(line):
                        hits.append(f"{f.name}:{n}")
                        break
    return hits


def lint(versions_dir: Path, code_paths: list[Path], large_tables: set[str]) -> list[str]:
    """Warnings for risky operations in the ``upgrade()`` of every migration script."""
    warnings: list[str] = []
    if not versions_dir.is_dir():
        return [f"migrations directory {versions_dir} does not exist: nothing linted"]
    for script in sorted(versions_dir.glob("*.py")):
        try:
            tree = ast.parse(script.read_text(), filename=str(script))
        except (SyntaxError, OSError) as exc:
            warnings.append(f"{script.name}: cannot parse ({exc})")
            continue
        upgrade = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None)
        if upgrade is None:
            continue
        visitor = _UpgradeVisitor()
        visitor.visit(upgrade)
        for op, table, call in visitor.ops:
            if table in visitor.created:
                continue  # a table created in the same migration is empty
            where = f"{script.name}: {op}({table})"
            large = table in large_tables or "*" in large_tables
            if op in ("drop_column", "drop_table"):
                word = table if op == "drop_table" else _const(call.args[1] if len(call.args) > 1 else None)
                if word:
                    refs = _code_refs(code_paths, versions_dir, word)
                    if refs:
                        what = f"table {table}" if op == "drop_table" else f"column {table}.{word}"
                        warnings.append(
                            f"{where} drops {what}, still referenced in the code ({', '.join(refs[:3])})"
                        )
            elif op == "add_column":
                col = _column_call(call.args[1]) if len(call.args) > 1 else None
                if col is not None:
                    nullable = _kw(col, "nullable")
                    default = _kw(col, "server_default")
                    if isinstance(nullable, ast.Constant) and nullable.value is False and default is None:
                        warnings.append(
                            f"{where} adds a NOT NULL column without server_default: fails on existing rows"
                        )
            elif op == "create_index" and large:
                conc = _kw(call, "postgresql_concurrently")
                if not (isinstance(conc, ast.Constant) and conc.value is True):
                    warnings.append(f"{where} {_LOCKING[op].format(t=table)}")
            elif op == "alter_column" and large and _kw(call, "type_") is not None:
                warnings.append(f"{where} {_LOCKING[op].format(t=table)}")
            elif op in _LOCKING and op not in ("create_index", "alter_column") and large:
                warnings.append(f"{where} {_LOCKING[op].format(t=table)}")
    return warnings


def created_tables(scripts: Sequence[Path]) -> set[str]:
    """Tables the ``upgrade()`` of ``scripts`` (in revision order) leave behind at the last one.

    ``create_table`` adds a table, ``drop_table`` removes it, ``rename_table`` renames it;
    tables in another schema (``schema=``) and raw SQL are not counted.
    """
    tables: set[str] = set()
    for script in scripts:
        try:
            tree = ast.parse(script.read_text(), filename=str(script))
        except (SyntaxError, OSError):
            continue
        upgrade = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None)
        if upgrade is None:
            continue
        calls = sorted(
            ast.walk(upgrade), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0))
        )
        for node in calls:
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "op"
                and _kw(node, "schema") is None
            ):
                continue
            first = _const(node.args[0] if node.args else _kw(node, "table_name"))
            if first is None:
                continue
            if node.func.attr == "create_table":
                tables.add(first)
            elif node.func.attr == "drop_table":
                tables.discard(first)
            elif node.func.attr == "rename_table":
                new = _const(node.args[1] if len(node.args) > 1 else _kw(node, "new_table_name"))
                tables.discard(first)
                if new:
                    tables.add(new)
    return tables

"""Migration safety: an up/down/up round trip on a scratch database, and a lint of the scripts.

The round trip runs Alembic in-process (``alembic_script_location``) or any tool through
commands that receive ``DATABASE_URL``. The lint reads Alembic-style scripts with :mod:`ast`
(best effort, see docs/dr.md): it flags migrations that lock a large table while they run and
columns or tables dropped while the code still mentions them.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from golive.dr import _postgres as pg
from golive.dr._params import MigrationsParams, resolve_command
from golive.dr._urls import DbUrl
from golive.dr.base import DrError
from golive.kit.check import CheckContext, CheckError
from golive.kit.text import excerpt, redact

__all__ = ["RoundTrip", "RoundTripStep", "alembic_head", "lint", "round_trip"]


@dataclass(frozen=True, kw_only=True)
class RoundTripStep:
    """One step of the round trip."""

    name: str
    ok: bool
    duration_s: float
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class RoundTrip:
    """Result of upgrade → downgrade → upgrade."""

    steps: tuple[RoundTripStep, ...]
    head: str | None = None
    versions_dir: str | None = None
    schema_drift: str = ""


def _alembic_config(location: str, workdir: Path, url: str | None = None) -> object:
    try:
        from alembic.config import Config
    except ImportError:  # pragma: no cover - alembic is a dependency
        raise CheckError("alembic is not installed") from None
    cfg = Config()
    if ":" in location and not Path(location).is_absolute() and not (workdir / location).exists():
        cfg.set_main_option("script_location", location)  # package:directory
    else:
        path = Path(location) if Path(location).is_absolute() else workdir / location
        cfg.set_main_option("script_location", str(path))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _script(location: str, workdir: Path) -> object:
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    try:
        return ScriptDirectory.from_config(_alembic_config(location, workdir))  # type: ignore[arg-type]
    except (CommandError, ImportError, ModuleNotFoundError) as exc:
        raise CheckError(f"cannot read Alembic scripts at {location!r}: {exc}") from None


def alembic_head(location: str, workdir: Path) -> str:
    """The head revision(s) of an Alembic script directory, comma separated."""
    script = _script(location, workdir)
    heads = sorted(script.get_heads())  # type: ignore[attr-defined]
    if not heads:
        raise CheckError(f"no Alembic revisions at {location!r}")
    return ",".join(heads)


@contextlib.contextmanager
def _scratch(kind: str, server: DbUrl | None) -> Iterator[tuple[str, str]]:
    """A scratch database: yields (SQLAlchemy URL, URL in the server's own spelling)."""
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=pg.SCRATCH_PREFIX))
        try:
            url = f"sqlite:///{folder / 'migrations.db'}"
            yield url, url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    assert server is not None
    scratch = pg.create_scratch(server)
    try:
        own = server.with_database(scratch.name)
        sa_url = own.url
        if "+" not in sa_url.drivername:
            sa_url = sa_url.set(drivername="postgresql+psycopg")
        yield sa_url.render_as_string(hide_password=False), own.text
    finally:
        pg.drop_database(server, scratch.name)


def _schema(url: str) -> dict[str, list[str]]:
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url)
    try:
        insp = inspect(engine)
        out = {}
        for table in sorted(insp.get_table_names()):
            cols = [
                f"{c['name']}:{c['type']}:{'null' if c['nullable'] else 'not null'}"
                for c in insp.get_columns(table)
            ]
            idx = [f"index {i['name']}" for i in insp.get_indexes(table)]
            out[table] = sorted(cols) + sorted(idx)
        return out
    finally:
        engine.dispose()


def _alembic_run(location: str, workdir: Path, url: str, action: str, revision: str) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    cfg = _alembic_config(location, workdir, url)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            # env.py files that take a connection (attributes["connection"]) and those that read
            # sqlalchemy.url both end up on the scratch database.
            cfg.attributes["connection"] = conn  # type: ignore[attr-defined]
            getattr(command, action)(cfg, revision)
    finally:
        engine.dispose()


async def round_trip(params: MigrationsParams, ctx: CheckContext, server: DbUrl | None) -> RoundTrip:
    """upgrade head → downgrade base → upgrade head on a fresh scratch database."""
    steps: list[RoundTripStep] = []
    head: str | None = None
    versions: str | None = None
    if params.alembic_script_location:
        script = await asyncio.to_thread(_script, params.alembic_script_location, ctx.workdir)
        head = ",".join(sorted(script.get_heads()))  # type: ignore[attr-defined]
        versions = str(script.versions)  # type: ignore[attr-defined]
    try:
        scratch = await asyncio.to_thread(_enter, _scratch(params.database, server))
    except DrError as exc:
        raise CheckError(str(exc)) from None
    cm, (sa_url, own_url) = scratch
    drift = ""
    try:
        schemas: list[dict[str, list[str]]] = []
        for name, action, revision in (
            ("upgrade head", "upgrade", "head"),
            ("downgrade base", "downgrade", "base"),
            ("upgrade head again", "upgrade", "head"),
        ):
            start = time.monotonic()
            ok, detail = True, ""
            if params.alembic_script_location:
                try:
                    await asyncio.to_thread(
                        _alembic_run, params.alembic_script_location, ctx.workdir, sa_url, action, revision
                    )
                    detail = f"alembic {action} {revision}"
                except Exception as exc:  # any migration error is the finding
                    ok, detail = False, f"alembic {action} {revision}: {type(exc).__name__}: {exc}"
            else:
                assert params.commands is not None
                cmd = params.commands.upgrade if action == "upgrade" else params.commands.downgrade
                env = {k: ctx.resolve(v) for k, v in params.commands.env.items()}
                env["DATABASE_URL"] = own_url
                argv = resolve_command(ctx.variables, cmd)
                cwd = ctx.path(params.commands.cwd) if params.commands.cwd else ctx.workdir
                result = await ctx.run(argv, shell=isinstance(cmd, str), cwd=cwd, env=env)
                ok = result.returncode == 0 and not result.timed_out
                detail = redact(result.command_line)
                if not ok:
                    detail += f" -> exit {result.returncode}: {excerpt(result.stderr or result.stdout, 600)}"
            schema = await asyncio.to_thread(_schema, sa_url) if ok else {}
            schemas.append(schema)
            steps.append(
                RoundTripStep(
                    name=name,
                    ok=ok,
                    duration_s=time.monotonic() - start,
                    detail=detail + (f" ({len(schema)} tables)" if ok else ""),
                )
            )
            if not ok:
                break
            if action == "downgrade":
                left = sorted(t for t in schema if t != "alembic_version")
                if left:
                    drift = f"downgrade to base left tables behind: {', '.join(left)}"
        if not drift and len(schemas) == 3 and all(s.ok for s in steps):
            if schemas[0] != schemas[2]:
                changed = sorted(set(schemas[0]) ^ set(schemas[2])) or sorted(
                    t for t in schemas[0] if schemas[0][t] != schemas[2].get(t)
                )
                drift = f"schema after the second upgrade differs from the first: {', '.join(changed)}"
    finally:
        await asyncio.to_thread(cm.__exit__, None, None, None)
    return RoundTrip(steps=tuple(steps), head=head, versions_dir=versions, schema_drift=drift)


def _enter(
    cm: contextlib.AbstractContextManager[tuple[str, str]],
) -> tuple[contextlib.AbstractContextManager[tuple[str, str]], tuple[str, str]]:
    return cm, cm.__enter__()


# -- lint -------------------------------------------------------------------------------------

_LOCKING = {
    "create_index": "builds an index without CONCURRENTLY: writes to {t} block while it builds",
    "alter_column": "alters a column of {t}: a type change rewrites the table under an exclusive lock",
    "create_foreign_key": "adds a foreign key to {t}: validated under lock (add NOT VALID, validate later)",
    "create_check_constraint": "adds a check constraint to {t}: validated under lock",
    "create_unique_constraint": "adds a unique constraint to {t}: builds an index under lock",
    "create_primary_key": "adds a primary key to {t}: builds an index under lock",
}


@dataclass
class _Finding:
    revision: str
    messages: list[str] = field(default_factory=list)


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

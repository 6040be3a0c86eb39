"""The migration round trip: on a scratch database golive creates, up, down and up again.

With Alembic (``alembic_script_location``) the migrations run in a process of their own
(:mod:`golive.dr._alembic_child`) that refuses any connection but the scratch database; a
linear history goes up one revision at a time (a schema snapshot at each), down one revision
at a time (each compared with the snapshot of the same revision on the way up) and up to head
again. Any other tool runs through ``commands`` with ``DATABASE_URL`` (and the usual URL
variables, :mod:`golive.dr._safety`) naming the scratch database.

Before anything goes down, golive proves that the scratch database is the one that went up
(its ``alembic_version`` at head, the tables the scripts create present), and after every
phase that no other database's ``alembic_version`` moved; otherwise it stops with an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golive.dr import _postgres as pg
from golive.dr._lint import created_tables
from golive.dr._params import MigrationsParams
from golive.dr._safety import Watch, url_overrides
from golive.dr._urls import DbKind, DbUrl, parse_db_url
from golive.dr.base import DrError
from golive.kit.check import CheckContext, CheckError
from golive.kit.environment import MissingVariableError
from golive.kit.text import excerpt

__all__ = [
    "History",
    "RoundTrip",
    "RoundTripStep",
    "Scratch",
    "alembic_head",
    "import_hint",
    "round_trip",
]


@dataclass(frozen=True, kw_only=True)
class RoundTripStep:
    """One step of the round trip."""

    name: str
    ok: bool
    duration_s: float
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class RoundTrip:
    """What the round trip ran and found."""

    steps: tuple[RoundTripStep, ...]
    head: str | None = None
    versions_dir: str | None = None
    #: The first revision whose schema did not come back (empty: every one did).
    schema_drift: str = ""
    #: What proved that the scratch database was the one migrated.
    proof: str = ""
    #: Revisions whose schema was compared on the way down.
    compared: int = 0
    #: Databases whose ``alembic_version`` was watched (and did not move).
    watched: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class History:
    """An Alembic script directory: where it is, its heads, and its revisions in order."""

    location: str
    heads: tuple[str, ...]
    versions_dir: str
    revisions: frozenset[str]
    #: Base → head, for a linear history (one head, no merge): each revision is visited.
    order: tuple[str, ...] | None
    #: Tables the scripts' ``upgrade()`` leave at head (read with ``ast``).
    expected_tables: frozenset[str]

    @property
    def head(self) -> str:
        """The head revision(s), comma separated."""
        return ",".join(self.heads)


@dataclass(frozen=True, kw_only=True)
class Scratch:
    """The scratch database of one round trip."""

    #: SQLAlchemy URL (with a driver) for golive's and Alembic's connections.
    sa_url: str
    #: The same database in the server's own spelling (what ``DATABASE_URL`` gets).
    db: DbUrl
    #: How the child's connection guard recognises it.
    identity: dict[str, Any]


def _location(location: str, workdir: Path) -> str:
    """A script location as Alembic takes it: an absolute path, or ``package:directory``."""
    if ":" in location and not Path(location).is_absolute() and not (workdir / location).exists():
        return location
    path = Path(location) if Path(location).is_absolute() else workdir / location
    return str(path)


def _script(location: str, workdir: Path) -> Any:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    cfg = Config()
    cfg.set_main_option("script_location", _location(location, workdir))
    try:
        return ScriptDirectory.from_config(cfg)
    except (CommandError, ImportError, ModuleNotFoundError) as exc:
        raise CheckError(f"cannot read Alembic scripts at {location!r}: {exc}") from None


_NO_MODULE = re.compile(r"No module named '([^']+)'")


def import_hint(error: str, what: str, workdir: Path) -> str | None:
    """The error for migrations that import what golive's Python cannot (None: another error).

    Alembic runs in the Python golive runs in (``sys.executable``): the app's own packages and
    dependencies must be importable there, or the round trip must run through ``commands:``
    in the app's environment.
    """
    match = _NO_MODULE.search(error)
    if match is None:
        return None
    module = match.group(1)
    top = module.split(".", 1)[0]
    found = [p for pattern in (top, f"*/{top}", f"*/*/{top}") for p in sorted(workdir.glob(pattern))]
    where = ""
    if found and (found[0].is_dir() or found[0].suffix == ".py"):
        parent = found[0].parent.relative_to(workdir).as_posix()
        where = (
            f" `{top}` is at {found[0].relative_to(workdir).as_posix()}: put {parent} on PYTHONPATH "
            f"(golive runs Alembic from {workdir}), and install the app's dependencies."
        )
    return (
        f"{what} import {module!r}, which golive's Python ({sys.executable}) cannot import "
        f"(ModuleNotFoundError).{where} Fix: install the app's dependencies into that environment "
        f"(e.g. `uv pip install --python {sys.executable} -r requirements.txt`, or `pip install -e .` "
        "of the app with that Python), or run the round trip in the app's own environment with "
        "`commands:` (upgrade: `uv run alembic upgrade head`, downgrade: `uv run alembic downgrade "
        "base`) instead of `alembic_script_location`."
    )


def history(location: str, workdir: Path) -> History:
    """Read an Alembic script directory (the revision files, never ``env.py``)."""
    script = _script(location, workdir)
    try:
        heads = tuple(sorted(script.get_heads()))
        revs = list(reversed(list(script.walk_revisions())))  # base → head
    except ImportError as exc:  # revision files are Python modules: loading runs their imports
        hint = import_hint(str(exc), f"the Alembic revisions at {location!r}", workdir)
        raise CheckError(hint or f"cannot load the Alembic revisions at {location!r}: {exc}") from None
    if not heads:
        raise CheckError(f"no Alembic revisions at {location!r}")
    linear = len(heads) == 1 and all(
        not isinstance(r.down_revision, tuple | list) and not r.is_branch_point for r in revs
    )
    return History(
        location=_location(location, workdir),
        heads=heads,
        versions_dir=str(script.versions),
        revisions=frozenset(r.revision for r in revs),
        order=tuple(r.revision for r in revs) if linear else None,
        expected_tables=frozenset(created_tables([Path(r.path) for r in revs])),
    )


def alembic_head(location: str, workdir: Path) -> str:
    """The head revision(s) of an Alembic script directory, comma separated."""
    return history(location, workdir).head


@contextlib.contextmanager
def _scratch(kind: str, server: DbUrl | None) -> Iterator[Scratch]:
    """A scratch database golive creates (and always drops/deletes)."""
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=pg.SCRATCH_PREFIX))
        try:
            path = folder / "migrations.db"
            url = f"sqlite:///{path}"
            yield Scratch(sa_url=url, db=parse_db_url(url), identity={"kind": "sqlite", "path": str(path)})
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    assert server is not None
    created = pg.create_scratch(server)
    try:
        own = server.with_database(created.name)
        sa_url = own.url
        if "+" not in sa_url.drivername:
            sa_url = sa_url.set(drivername="postgresql+psycopg")
        identity = {"kind": "postgresql", "database": created.name, "port": own.url.port or 5432}
        yield Scratch(sa_url=sa_url.render_as_string(hide_password=False), db=own, identity=identity)
    finally:
        pg.drop_database(server, created.name)


def scratch_state(sa_url: str) -> tuple[list[str], dict[str, list[str]]]:
    """golive's own reading of the scratch database: its Alembic heads and its schema."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.pool import NullPool

    from golive.dr._schema import snapshot

    engine = create_engine(sa_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            try:
                heads = sorted(
                    str(r[0]) for r in conn.execute(text("SELECT version_num FROM alembic_version"))
                )
            except DBAPIError:
                heads = []
    finally:
        engine.dispose()
    return heads, snapshot(sa_url)


async def run_child(
    ctx: CheckContext, hist: History, scratch: Scratch, watch: Watch, phases: list[dict[str, Any]]
) -> dict[str, Any]:
    """Run Alembic phases in their own guarded process; the result it wrote (see the child)."""
    folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix=pg.SCRATCH_PREFIX))
    try:
        out = folder / "result.json"
        plan = {
            "script_location": hist.location,
            "url": scratch.sa_url,
            "scratch": scratch.identity,
            "watch": watch.to_json(),
            "phases": phases,
            "result": str(out),
        }
        result = await ctx.run(
            [sys.executable, "-m", "golive.dr._alembic_child"],
            cwd=ctx.workdir,
            env=url_overrides(scratch.db),
            stdin=json.dumps(plan).encode(),
        )
        data: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {"steps": [], "stopped": {}}
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)
    if result.timed_out:
        total = sum(len(p["steps"]) for p in phases)
        raise CheckError(
            f"the migrations did not finish in time ({len(data['steps'])} of {total} step(s) done)"
        )
    if result.returncode != 0:
        output = excerpt(result.stderr or result.stdout, 600)
        raise CheckError(f"the migration process exited with {result.returncode}: {output}")
    return data


async def round_trip(
    params: MigrationsParams, ctx: CheckContext, server: DbUrl | None, app: DbUrl | None
) -> RoundTrip:
    """The round trip on a fresh scratch database; ``app`` is the environment's database, watched."""
    from golive.dr._trips import AlembicTrip, CommandTrip

    hist = None
    if params.alembic_script_location:
        hist = await asyncio.to_thread(history, params.alembic_script_location, ctx.workdir)
    try:
        cm = _scratch(params.database, server)
        scratch = await asyncio.to_thread(cm.__enter__)
    except DrError as exc:
        raise CheckError(str(exc)) from None
    try:
        revisions = hist.revisions if hist else frozenset()
        watch = await asyncio.to_thread(Watch.start, app, server, revisions)
        if hist is not None:
            return await AlembicTrip(ctx=ctx, scratch=scratch, watch=watch, hist=hist).run()
        assert params.commands is not None
        return await CommandTrip(ctx=ctx, scratch=scratch, watch=watch, commands=params.commands).run()
    finally:
        await asyncio.to_thread(cm.__exit__, None, None, None)


def app_database(ctx: CheckContext) -> DbUrl | None:
    """The environment's database, when golive can see it (to watch, never to migrate)."""
    text = ctx.environment.database_url
    if not text:
        return None
    try:
        url = parse_db_url(ctx.resolve(text))
    except (DrError, MissingVariableError):  # unresolvable or foreign: nothing golive can watch
        return None
    if url.kind is DbKind.SQLITE and url.database and url.database != ":memory:":
        url = url.with_database(str(ctx.path(url.database)))
    return url

"""The process that runs a project's Alembic migrations for ``db.migrations`` (``python -m``).

It runs in a process of its own so that the project's ``env.py`` sees only the environment
golive gives it (the usual URL variables point at the scratch database), and it guards every
database connection it opens: before the first statement of a new connection, the connection
is asked which database it reached, and anything but golive's scratch database is refused. An
``env.py`` that replaces the URL golive handed over (``configuration["sqlalchemy.url"] =
get_url()``) therefore stops at connect, before it can change anything.

Between phases it applies the gates golive needs before going on (no refused connection, no
other database's revision moved, and after the first phase the scratch database proven at head
with the tables the scripts create). Reads a JSON plan on stdin, writes a JSON result to the
file the plan names after every step (so that a timeout still leaves what ran). Protocol in
:func:`main`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from golive.dr._schema import snapshot
from golive.kit.files import atomic_write

#: Connections the guard refused: ``(what it reached, why)``.
_REFUSED: list[str] = []


def _reached(dbapi_conn: Any) -> tuple[str, str]:
    """``(kind, identity)`` of the database a fresh DBAPI connection reached."""
    module = type(dbapi_conn).__module__
    cursor = dbapi_conn.cursor()
    try:
        if "sqlite" in module:
            cursor.execute("PRAGMA database_list")
            main = next((str(r[2]) for r in cursor.fetchall() if r[1] == "main"), "")
            return "sqlite", os.path.realpath(main) if main else ":memory:"
        cursor.execute("SELECT current_database(), inet_server_port()")
        row = cursor.fetchone()
        return "postgresql", f"{row[0]}:{row[1] if row[1] is not None else ''}"
    finally:
        cursor.close()
        with contextlib.suppress(Exception):
            dbapi_conn.rollback()


def _allowed(kind: str, identity: str, scratch: dict[str, Any]) -> bool:
    if kind != scratch["kind"]:
        return False
    if kind == "sqlite":
        return identity == os.path.realpath(str(scratch["path"]))
    name, _, port = identity.partition(":")
    return bool(name == scratch["database"] and (not port or int(port) == int(scratch["port"])))


def _install_guard(scratch: dict[str, Any]) -> None:
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    def guard(dbapi_conn: Any, _record: Any) -> None:
        try:
            kind, identity = _reached(dbapi_conn)
        except Exception as exc:  # a database golive cannot identify is not one it created
            _REFUSED.append(f"a database golive cannot identify ({type(exc).__name__}: {exc})")
            raise RuntimeError("golive: refused a connection to an unidentified database") from None
        if not _allowed(kind, identity, scratch):
            name, _, port = identity.partition(":")
            what = f"SQLite file {identity}" if kind == "sqlite" else f"PostgreSQL database {name}"
            what += f" (port {port})" if port and kind != "sqlite" else ""
            _REFUSED.append(what)
            raise RuntimeError(f"golive: refused a migration connection to {what}")

    event.listen(Pool, "connect", guard)


def _heads(conn: Any) -> list[str]:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with conn.begin():
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).fetchall()
    except DBAPIError:
        return []
    return sorted(str(r[0]) for r in rows)


def _failure(exc: BaseException) -> str:
    """``refused``, ``connect`` (never reached a database) or ``migration`` (a statement failed)."""
    from sqlalchemy.exc import DBAPIError

    if _REFUSED:
        return "refused"
    if isinstance(exc, DBAPIError) and exc.statement is None:
        return "connect"
    return "migration"


def _step(cfg: Any, engine: Any, action: str, target: str) -> dict[str, Any]:
    from alembic import command

    start = time.monotonic()
    out: dict[str, Any] = {"action": action, "target": target, "ok": True, "error": "", "failure": ""}
    try:
        with engine.begin() as conn:
            # env.py files that take a connection get golive's; those that read sqlalchemy.url
            # get the scratch URL too.
            cfg.attributes["connection"] = conn
            getattr(command, action)(cfg, target)
    except Exception as exc:  # a failing migration is the finding, not a crash
        out.update(ok=False, error=f"{type(exc).__name__}: {exc}", failure=_failure(exc))
    out["duration_s"] = time.monotonic() - start
    return out


def _gate(phase: dict[str, Any], steps: list[dict[str, Any]], plan: dict[str, Any]) -> dict[str, str]:
    """Why the round trip must stop after ``phase`` (``{}``: it may go on)."""
    from golive.dr._migrations import scratch_state
    from golive.dr._safety import Watch

    if _REFUSED:
        return {"why": "refused", "detail": _REFUSED[0]}
    failed = [s for s in steps if not s["ok"]]
    if failed and failed[0]["failure"] == "connect":
        return {"why": "connect", "detail": failed[0]["error"]}
    moved = Watch.from_json(plan["watch"]).changes()
    if moved:
        return {"why": "watch", "detail": "; ".join(moved)}
    prove = phase.get("prove")
    if prove and not failed:
        heads, schema = scratch_state(plan["url"])
        if heads != prove["heads"]:
            return {"why": "proof", "detail": f"is at {','.join(heads) or 'no revision'}, not at head"}
        missing = sorted(set(prove["tables"]) - set(schema))
        if missing:
            return {"why": "proof", "detail": f"lacks tables the scripts create ({', '.join(missing)})"}
    return {}


def run(plan: dict[str, Any]) -> dict[str, Any]:
    """Run the plan's phases; stop at a failed step or a gate (see :func:`_gate`)."""
    from alembic.config import Config
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    _install_guard(plan["scratch"])
    cfg = Config()
    cfg.set_main_option("script_location", plan["script_location"])
    cfg.set_main_option("sqlalchemy.url", plan["url"].replace("%", "%%"))
    engine = create_engine(plan["url"], poolclass=NullPool)
    result: dict[str, Any] = {"steps": [], "stopped": {}}
    try:
        for phase in plan["phases"]:
            done: list[dict[str, Any]] = []
            for action, target in phase["steps"]:
                step = _step(cfg, engine, action, target)
                if step["ok"]:
                    with engine.connect() as conn:
                        step["heads"] = _heads(conn)
                    step["schema"] = snapshot(plan["url"])
                step["phase"] = phase["name"]
                done.append(step)
                result["steps"].append(step)
                atomic_write(Path(plan["result"]), json.dumps(result))
                if not step["ok"]:
                    break
            result["stopped"] = _gate(phase, done, plan)
            atomic_write(Path(plan["result"]), json.dumps(result))
            if result["stopped"] or not all(s["ok"] for s in done):
                break
    finally:
        engine.dispose()
    return result


def main() -> int:
    """``python -m golive.dr._alembic_child < plan.json``; exit 0 when the plan ran (even if a step failed).

    The plan: ``script_location``, ``url`` (the scratch database, SQLAlchemy spelling),
    ``scratch`` (``{"kind": "sqlite", "path": ...}`` or ``{"kind": "postgresql", "database":
    ..., "port": ...}``), ``watch`` (:meth:`Watch.to_json`), ``phases`` (each ``{"name": ...,
    "steps": [["upgrade", "0001"], ...]}``, optionally ``"prove": {"heads": [...], "tables":
    [...]}``) and ``result`` (a path). The result: ``steps`` (each with its phase, outcome,
    revision and schema) and ``stopped`` (``{"why": ..., "detail": ...}`` when a gate stopped it).
    """
    plan = json.loads(sys.stdin.read())
    run(plan)
    return 0


if __name__ == "__main__":
    sys.exit(main())

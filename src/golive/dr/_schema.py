"""Schema snapshots of a database, and the differences between two of them.

A snapshot is what a migration's downgrade must bring back: every table with its columns
(type, nullability, server default), primary key, foreign keys, unique and check constraints
and indexes, each rendered as one comparable line. The migration round trip takes one at every
revision on the way up and compares the way down (and the second way up) with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["Schema", "VERSION_TABLES", "describe", "diff", "snapshot"]

#: ``table -> sorted lines`` (one line per column, key, constraint or index).
Schema = dict[str, list[str]]

#: Bookkeeping tables of migration tools: not part of the application's schema.
VERSION_TABLES = frozenset({"alembic_version"})


def _columns(cols: list[dict[str, Any]]) -> list[str]:
    return [
        f"column {c['name']} {c['type']} {'null' if c.get('nullable', True) else 'not null'}"
        + (f" default {c['default']}" if c.get("default") is not None else "")
        for c in cols
    ]


def _cols(names: object) -> str:
    return ", ".join(str(n) for n in names) if isinstance(names, list | tuple) else str(names)


def _table(insp: Any, table: str) -> list[str]:
    """Every line of one table (reflection a dialect lacks is skipped, not guessed)."""
    lines = _columns(insp.get_columns(table))
    pk = insp.get_pk_constraint(table)
    if pk and pk.get("constrained_columns"):
        lines.append(f"primary key ({_cols(pk['constrained_columns'])})")
    for fk in insp.get_foreign_keys(table):
        lines.append(
            f"foreign key {fk.get('name') or ''} ({_cols(fk['constrained_columns'])}) -> "
            f"{fk['referred_table']} ({_cols(fk['referred_columns'])})"
        )
    for uq in insp.get_unique_constraints(table):
        lines.append(f"unique {uq.get('name') or ''} ({_cols(uq['column_names'])})")
    try:
        checks = insp.get_check_constraints(table)
    except NotImplementedError:
        checks = []
    for ck in checks:
        lines.append(f"check {ck.get('name') or ''} ({ck['sqltext']})")
    for ix in insp.get_indexes(table):
        unique = "unique " if ix.get("unique") else ""
        lines.append(f"{unique}index {ix['name']} ({_cols(ix.get('column_names') or [])})")
    return sorted(lines)


def snapshot(url: str) -> Schema:
    """The schema of the database at ``url`` (a SQLAlchemy URL), read by reflection."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            insp = inspect(conn)
            return {table: _table(insp, table) for table in sorted(insp.get_table_names())}
    finally:
        engine.dispose()


def describe(schema: Mapping[str, list[str]]) -> str:
    """``N tables`` for the evidence (bookkeeping tables not counted)."""
    n = len([t for t in schema if t not in VERSION_TABLES])
    return f"{n} table{'s' if n != 1 else ''}"


def diff(expected: Mapping[str, list[str]], found: Mapping[str, list[str]], *, limit: int = 6) -> list[str]:
    """What differs between ``expected`` and ``found``, one phrase each (bookkeeping ignored)."""
    out: list[str] = []
    for table in sorted((set(expected) | set(found)) - VERSION_TABLES):
        if table not in found:
            out.append(f"table {table} is missing")
        elif table not in expected:
            out.append(f"table {table} is still there")
        else:
            want, got = set(expected[table]), set(found[table])
            out += [f"{table}: {line} is still there" for line in sorted(got - want)]
            out += [f"{table}: {line} is missing" for line in sorted(want - got)]
    if len(out) > limit:
        out = [*out[:limit], f"(+{len(out) - limit} more)"]
    return out

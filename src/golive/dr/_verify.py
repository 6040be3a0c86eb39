"""Verifying the restored copy against the source at backup time: checksums, queries, markers, migrations."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from golive.dr._timeline import Timeline
from golive.dr.base import QueryResult, Snapshot, TableChecksum

__all__ = ["SourceState", "Verification", "VerifyQuery", "compare_checksums", "verify_restored"]


@dataclass(frozen=True, kw_only=True)
class VerifyQuery:
    """A verification query run on the restored copy (and on the source snapshot to compare)."""

    name: str
    sql: str
    expect: str | None = None


@dataclass(frozen=True, kw_only=True)
class SourceState:
    """What the SOURCE held at backup time: what the restored copy must reproduce.

    ``sums`` is read in the snapshot the backup copies when golive can share one (PostgreSQL's
    exported snapshot, SQLite's own online backup). When the service's own backup command
    runs on SQLite, no snapshot can be shared: ``sums`` is read as the backup starts and
    ``sums_after`` as it ends; a table that did not change in between must come back exactly,
    one that changed must come back with a row count in between.
    """

    sums: Mapping[str, TableChecksum] = field(default_factory=dict)
    sums_after: Mapping[str, TableChecksum] | None = None
    queries: Mapping[str, QueryResult] = field(default_factory=dict)
    queries_after: Mapping[str, QueryResult] | None = None
    revision: str | None = None


@dataclass(kw_only=True)
class Verification:
    """What the verification found and measured on the restored copy."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: int = 0
    rows: int = 0
    newest_marker: int | None = None
    revision: str | None = None
    database_bytes: int = 0


def compare_checksums(
    source: SourceState, restored: Mapping[str, TableChecksum], *, quiet: str = ""
) -> tuple[list[str], list[str]]:
    """Differences between the source at backup time and the restored copy: (problems, notes).

    ``quiet``: a table expected to change while the backup runs (the drill's markers): not noted.
    """
    before, after = source.sums, source.sums_after
    problems, notes = [], []
    for table in sorted(set(before) - set(restored)):
        problems.append(f"table {table} is missing from the restored copy")
    for table in sorted(set(restored) - set(before)):
        problems.append(f"table {table} exists in the restored copy but not in the source at backup time")
    for table in sorted(set(before) & set(restored)):
        a, b = before[table], restored[table]
        moved = after.get(table) if after is not None else a
        if moved is None or moved != a:
            # Written to while the backup ran: any state in between is a correct backup.
            rows = (a.rows, moved.rows if moved is not None else 0)
            lo, hi = min(rows), max(rows)
            if not lo <= b.rows <= hi:
                problems.append(
                    f"table {table}: {b.rows} rows restored, the source had {lo}..{hi} while the backup ran"
                )
            elif table != quiet:
                notes.append(
                    f"table {table} changed while the backup ran: {b.rows} rows restored (source {lo}..{hi})"
                )
        elif a.rows != b.rows:
            problems.append(f"table {table}: {a.rows} rows in the source at backup time, {b.rows} restored")
        elif a.checksum != b.checksum:
            problems.append(
                f"table {table}: content checksum {b.checksum} restored, {a.checksum} in the source"
            )
    return problems, notes


def _migrations(found: Verification, source_revision: str | None, alembic_head: str | None) -> str:
    """Judge the restored copy's revision; the part of the step's detail it verified, if any."""
    if alembic_head is not None:
        if found.revision != alembic_head:
            found.problems.append(
                f"migrations: restored copy at revision {found.revision}, head is {alembic_head}"
            )
            return ""
        return f"migrations at head {alembic_head}"
    if source_revision is None:
        return ""
    if found.revision != source_revision:
        found.problems.append(
            f"migrations: restored copy at revision {found.revision}, source at {source_revision}"
        )
        return ""
    found.notes.append("migration head not configured (alembic_script_location): compared with the source")
    return f"migrations at the source's revision {source_revision}"


def _source_values(source: SourceState, name: str) -> set[str | None]:
    """What a query may answer on the restored copy: its value as the backup started (or ended)."""
    values = {source.queries[name].value}
    if source.queries_after is not None and name in source.queries_after:
        values.add(source.queries_after[name].value)
    return values


async def verify_restored(
    tl: Timeline,
    restored: Snapshot,
    source: SourceState,
    *,
    queries: Sequence[VerifyQuery],
    exclude_tables: Sequence[str],
    marker_table: str,
    drill_id: str,
    alembic_head: str | None,
) -> Verification:
    """Compare the restored copy with the source at backup time, as two timed steps."""
    found = Verification()
    async with tl.step("verify checksums") as s:
        sums = await asyncio.to_thread(restored.checksums, exclude_tables)
        diffs, changed = compare_checksums(source, sums, quiet=marker_table)
        found.problems.extend(diffs)
        found.notes.extend(changed)
        found.tables = len(sums)
        found.rows = sum(t.rows for t in sums.values())
        s.detail = f"{found.tables} tables, {found.rows} rows; " + (
            f"{len(diffs)} difference(s)" if diffs else "all equal to the source at backup time"
        )
    async with tl.step("verify queries, markers, migrations") as s:
        parts = []
        for q in queries:
            got = await asyncio.to_thread(restored.query, q.name, q.sql)
            wanted = {q.expect} if q.expect is not None else _source_values(source, q.name)
            if got.error:
                found.problems.append(f"query {q.name} failed on the restored copy: {got.error}")
            elif got.value not in wanted:
                origin = "expected" if q.expect is not None else "in the source at backup time"
                want = " or ".join(repr(w) for w in sorted(wanted, key=str))
                found.problems.append(f"query {q.name}: {got.value!r} restored, {want} {origin}")
            else:
                parts.append(f"{q.name}={got.value}")
        found.newest_marker = await asyncio.to_thread(restored.newest_marker, marker_table, drill_id)
        found.revision = await asyncio.to_thread(restored.revision)
        found.database_bytes = await asyncio.to_thread(restored.size_bytes)
        migrations = _migrations(found, source.revision, alembic_head)
        if migrations:
            parts.append(migrations)
        s.detail = ", ".join(parts) or "no queries"
    return found

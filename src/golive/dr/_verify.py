"""Verifying the restored copy against the backup snapshot: checksums, queries, markers, migrations."""

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
    """What the backup snapshot held: what the restored copy must reproduce."""

    sums: Mapping[str, TableChecksum] = field(default_factory=dict)
    queries: Mapping[str, QueryResult] = field(default_factory=dict)
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
    source: Mapping[str, TableChecksum], restored: Mapping[str, TableChecksum]
) -> list[str]:
    """Differences between the backup snapshot and the restored copy, one line each."""
    problems = []
    for table in sorted(set(source) - set(restored)):
        problems.append(f"table {table} is missing from the restored copy")
    for table in sorted(set(restored) - set(source)):
        problems.append(f"table {table} exists in the restored copy but not in the backup snapshot")
    for table in sorted(set(source) & set(restored)):
        a, b = source[table], restored[table]
        if a.rows != b.rows:
            problems.append(f"table {table}: {a.rows} rows at the backup snapshot, {b.rows} restored")
        elif a.checksum != b.checksum:
            problems.append(f"table {table}: content checksum {b.checksum} differs from {a.checksum}")
    return problems


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
    """Compare the restored copy with the backup snapshot, as two timed steps."""
    found = Verification()
    async with tl.step("verify checksums") as s:
        sums = await asyncio.to_thread(restored.checksums, exclude_tables)
        diffs = compare_checksums(source.sums, sums)
        found.problems.extend(diffs)
        found.tables = len(sums)
        found.rows = sum(t.rows for t in sums.values())
        s.detail = f"{found.tables} tables, {found.rows} rows; " + (
            f"{len(diffs)} difference(s)" if diffs else "all equal to the backup snapshot"
        )
    async with tl.step("verify queries, markers, migrations") as s:
        parts = []
        for q in queries:
            got = await asyncio.to_thread(restored.query, q.name, q.sql)
            want = q.expect if q.expect is not None else source.queries[q.name].value
            if got.error:
                found.problems.append(f"query {q.name} failed on the restored copy: {got.error}")
            elif got.value != want:
                origin = "expected" if q.expect is not None else "at the backup snapshot"
                found.problems.append(f"query {q.name}: {got.value!r} restored, {want!r} {origin}")
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

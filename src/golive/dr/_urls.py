"""Database URLs as services write them (SQLAlchemy style) and as tools need them (libpq)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from golive.dr.base import DrError
from golive.kit.text import redact

__all__ = ["DbKind", "DbUrl", "parse_db_url"]


class DbKind(enum.StrEnum):
    """The database kinds a drill knows how to back up and restore."""

    POSTGRESQL = "postgresql"
    SQLITE = "sqlite"


@dataclass(frozen=True, kw_only=True)
class DbUrl:
    """A parsed database URL; ``url`` keeps the original dialect/driver spelling."""

    kind: DbKind
    url: URL

    @property
    def text(self) -> str:
        """The URL with its password, for processes that need to connect."""
        return self.url.render_as_string(hide_password=False)

    @property
    def display(self) -> str:
        """The URL safe to show in a report."""
        return redact(self.url.render_as_string(hide_password=True))

    @property
    def database(self) -> str:
        """Database name (PostgreSQL) or file path (SQLite)."""
        return self.url.database or ""

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file."""
        if self.kind is not DbKind.SQLITE or not self.url.database or self.url.database == ":memory:":
            raise DrError(f"{self.display} is not an on-disk SQLite database")
        return Path(self.url.database)

    def libpq(self, *, with_password: bool = False) -> str:
        """A ``postgresql://`` URI for psycopg and the pg_* tools.

        Passwords go to tools through ``PGPASSWORD`` (see :meth:`pg_env`), so that they never
        appear in a command line other users can read with ``ps``.
        """
        url = self.url.set(drivername="postgresql")
        if not with_password:
            url = url.set(password=None)
        return url.render_as_string(hide_password=False)

    def pg_env(self) -> dict[str, str]:
        """Environment for pg_* tools (the password, when the URL has one)."""
        return {"PGPASSWORD": str(self.url.password)} if self.url.password else {}

    def with_database(self, name: str) -> DbUrl:
        """The same server (or directory, for SQLite) with another database."""
        return DbUrl(kind=self.kind, url=self.url.set(database=name))


def parse_db_url(text: str) -> DbUrl:
    """Parse ``sqlite:///path`` or ``postgresql[+driver]://…``; anything else is a DrError."""
    try:
        url = make_url(text)
    except ArgumentError as exc:
        raise DrError(f"not a database URL: {redact(text)!r} ({exc})") from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return DbUrl(kind=DbKind.POSTGRESQL, url=url)
    if backend == "sqlite":
        return DbUrl(kind=DbKind.SQLITE, url=url)
    raise DrError(
        f"unsupported database {backend!r} in {redact(text)!r}: drills support PostgreSQL and SQLite "
        "(use backup_command/restore_command for other databases)"
    )
